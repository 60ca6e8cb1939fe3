/**
 * The build report: one self-contained HTML page (`report.html` beside the build's logs) made
 * from the events of a run. A timeline chart of stages and their steps (inline SVG), the stage
 * graph, each stage's decision, reason, steps, times, outputs (sizes, digests) and log, the
 * boot test's phases, checks and console. No script, no external resource (its own
 * Content-Security-Policy forbids both); every text is escaped. Pure: the caller gathers
 * sizes, digests and console lines and writes the file. The input and the folding of events
 * are in html-model.ts, the timeline chart in html-timeline.ts.
 */
import { formatDuration } from "./format.js";
import {
  escapeHtml,
  formatSize,
  runsOf,
  type BootRun,
  type BuildReport,
  type ReportConsole,
  type ReportStage,
  type StageRun,
} from "./html-model.js";
import { timelineSvg } from "./html-timeline.js";

export {
  escapeHtml,
  formatSize,
  type BuildReport,
  type ReportConsole,
  type ReportOutput,
  type ReportStage,
  type TimedEvent,
} from "./html-model.js";

function table(head: readonly string[], rows: readonly (readonly string[])[], cls = ""): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  // Cells arrive as HTML (callers escape their text).
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("\n");
  return `<table${cls === "" ? "" : ` class="${cls}"`}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function stageSection(s: ReportStage, run: StageRun | undefined): string {
  const result = run?.result ?? "not run";
  const time =
    run?.start !== undefined && run.end !== undefined ? formatDuration(run.end - run.start) : "";
  const out = [
    `<section class="stage ${escapeHtml(result)}" id="${escapeHtml(`stage-${s.id}`)}">`,
    `<h3>${escapeHtml(s.id)} <span class="badge ${escapeHtml(result)}">${escapeHtml(result)}</span>${time === "" ? "" : ` <span class="time">${escapeHtml(time)}</span>`}</h3>`,
    `<p><b>Plan:</b> ${escapeHtml(s.decision)}: ${escapeHtml(s.reason)}<br><b>Output:</b> <code>${escapeHtml(s.output)}</code>` +
      (s.logHref === undefined
        ? ""
        : `<br><b>Log:</b> <a href="${escapeHtml(s.logHref)}">${escapeHtml(s.logHref)}</a>`) +
      `</p>`,
  ];
  if (run?.skipped !== undefined) out.push(`<p>Skipped: ${escapeHtml(run.skipped)}</p>`);
  if (run?.failure !== undefined) {
    out.push(`<p class="failure">${escapeHtml(run.failure.message)}</p>`);
    if (run.failure.logTail !== undefined && run.failure.logTail.length > 0)
      out.push(`<pre class="log">${escapeHtml(run.failure.logTail.join("\n"))}</pre>`);
  }
  if (run !== undefined && run.steps.length > 0)
    out.push(
      table(
        ["step", "what", "time"],
        run.steps.map((st) => [
          `<code>${escapeHtml(st.name)}</code>`,
          escapeHtml(st.detail ?? ""),
          escapeHtml(
            st.durationMs === undefined ? "(did not finish)" : formatDuration(st.durationMs),
          ),
        ]),
        "steps",
      ),
    );
  if (s.outputs.length > 0)
    out.push(
      table(
        ["output", "size", "digests"],
        s.outputs.map((o) => [
          `<code>${escapeHtml(o.path)}</code>`,
          escapeHtml(formatSize(o.bytes)),
          o.digests
            .map((d) => `${escapeHtml(d.algorithm)} <code class="hex">${escapeHtml(d.hex)}</code>`)
            .join("<br>"),
        ]),
        "outputs",
      ),
    );
  out.push("</section>");
  return out.join("\n");
}

function bootSection(b: BootRun, i: number, consoles: ReadonlyMap<string, ReportConsole>): string {
  const f = b.finished;
  const out = [
    `<section class="boot"><h3>Boot test ${i + 1}${f === undefined ? "" : ` <span class="badge ${f.ok ? "built" : "failed"}">${f.ok ? "passed" : "failed"}</span> <span class="time">${escapeHtml(formatDuration(f.durationMs))}</span>`}</h3>`,
  ];
  if (f !== undefined && !f.ok) out.push(`<p class="failure">${escapeHtml(f.reason)}</p>`);
  if (b.phases.length > 0)
    out.push(
      table(
        ["phase", "time"],
        b.phases.map((p) => [
          escapeHtml(p.merged === undefined ? p.phase : `${p.phase} (with ${p.merged.join(", ")})`),
          escapeHtml(formatDuration(p.durationMs)),
        ]),
        "phases",
      ),
    );
  if (b.guest !== undefined) {
    out.push(`<p><b>The guest's systemd:</b> ${escapeHtml(b.guest.startup)}</p>`);
    if (b.guest.slowestUnits.length > 0)
      out.push(
        table(
          ["unit", "start time"],
          b.guest.slowestUnits.map((u) => [escapeHtml(u.unit), escapeHtml(formatDuration(u.ms))]),
          "slowest units (systemd-analyze blame)",
        ),
      );
  }
  if (b.checks.length > 0)
    out.push(
      table(
        ["check", "result", "detail"],
        b.checks.map((c) => [
          escapeHtml(c.check),
          `<span class="badge ${c.ok ? "built" : "failed"}">${c.ok ? "ok" : "failed"}</span>`,
          escapeHtml(c.detail),
        ]),
        "checks",
      ),
    );
  const console = f === undefined ? undefined : consoles.get(f.consoleLog);
  if (console !== undefined)
    out.push(
      `<p><b>Console:</b> <a href="${escapeHtml(console.href)}">${escapeHtml(console.path)}</a> (last ${console.tail.length} lines)</p>`,
      `<pre class="console">${escapeHtml(console.tail.join("\n"))}</pre>`,
    );
  out.push("</section>");
  return out.join("\n");
}

/** The page may run no script and load nothing: everything it shows is in the file. */
export const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const STYLE = `
body{font-family:Helvetica,Arial,sans-serif;margin:24px;color:#223;max-width:1200px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}
h3{font-size:15px;margin:18px 0 6px}code{font-family:monospace;font-size:12px}
.meta{color:#556;margin:0 0 12px}.summary{font-size:15px}
.badge{font-size:11px;padding:1px 6px;border-radius:8px;background:#ddd;vertical-align:middle}
.badge.built{background:#d9f2d9}.badge.failed{background:#ffd9d9}.badge.fresh{background:#eef2f8}
.badge.skipped{background:#fff4d6}.time{color:#667;font-weight:normal;font-size:13px}
table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}
th,td{border:1px solid #dde;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f3f5f9}
.hex{word-break:break-all;font-size:11px}.failure{color:#a00;white-space:pre-wrap}
pre{background:#f6f8fb;border:1px solid #dde;padding:8px;overflow:auto;max-height:420px;font-size:12px}
.graph svg,.timeline{max-width:100%;height:auto}
`;

/** The whole page. */
export function renderBuildReport(report: BuildReport): string {
  const { stages, boots } = runsOf(report);
  const counts = { built: 0, failed: 0, fresh: 0, skipped: 0, "not run": 0 };
  for (const r of stages.values()) counts[r.result]++;
  const finished = report.events.findLast((e) => e.event.type === "run-finished");
  const fin = finished?.event.type === "run-finished" ? finished.event : undefined;
  const title = `substrate build: ${report.tree}, ${report.date}`;
  const messages = report.events.flatMap(({ event: e }) =>
    e.type === "error" || e.type === "warning" || e.type === "note"
      ? [
          [
            escapeHtml(e.type),
            escapeHtml(
              e.message + (e.type === "note" || e.hint === undefined ? "" : `\n${e.hint}`),
            ),
          ],
        ]
      : [],
  );
  const graph = report.graphSvg.replace(/^<\?xml[^>]*>\s*/, "");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">Tree <code>${escapeHtml(report.treePath)}</code>, started ${escapeHtml(new Date(report.started).toISOString().replace("T", " ").slice(0, 19))} UTC<br><code>${escapeHtml(report.command)}</code></p>
<p class="summary"><span class="badge ${fin === undefined || fin.ok ? "built" : "failed"}">${fin === undefined ? "unfinished" : fin.ok ? "ok" : "failed"}</span> ${counts.built} built, ${counts.fresh} fresh, ${counts.failed} failed, ${counts.skipped} skipped${fin === undefined ? "" : ` in ${escapeHtml(formatDuration(fin.durationMs))}`}</p>
<h2>Timeline</h2>
${timelineSvg(report, stages, boots)}
<h2>Stage graph</h2>
<div class="graph">${graph}</div>
<h2>Stages</h2>
${report.stages.map((s) => stageSection(s, stages.get(s.id))).join("\n")}
${boots.length === 0 ? "" : `<h2>Boot tests</h2>\n${boots.map((b, i) => bootSection(b, i, report.consoles)).join("\n")}`}
${
  messages.length === 0
    ? ""
    : `<h2>Messages</h2>\n${table(
        ["kind", "message"],
        messages.map(([k, m]) => [k ?? "", `<span class="failure">${m ?? ""}</span>`]),
      )}`
}
</body>
</html>
`;
}
