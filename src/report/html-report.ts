/**
 * The build report: one self-contained HTML page (`report.html` beside the build's logs) made
 * from the events of a run. A timeline chart of stages and their steps (inline SVG), the stage
 * graph, each stage's decision, reason, steps, times, outputs (sizes, digests) and log, the
 * boot test's phases, checks and console. No script, no external resource (its own
 * Content-Security-Policy forbids both); every text is escaped. Pure: the caller gathers sizes, digests and console lines and writes the file.
 */
import type { Event, StageId } from "./events.js";
import { formatDuration } from "./format.js";

/** An event and when it was emitted (ms since the epoch). */
export interface TimedEvent {
  readonly time: number;
  readonly event: Event;
}

/** One published file (or folder) of a stage. */
export interface ReportOutput {
  readonly path: string;
  readonly bytes: number;
  readonly digests: readonly { readonly algorithm: string; readonly hex: string }[];
}

/** What the plan said about a stage, and where its files are. */
export interface ReportStage {
  readonly id: StageId;
  readonly decision: string;
  readonly reason: string;
  readonly output: string;
  /** The stage's log, as a link relative to the report (undefined: no log). */
  readonly logHref?: string;
  readonly outputs: readonly ReportOutput[];
}

/** The console of one boot test: a link to the whole log and its last lines. */
export interface ReportConsole {
  readonly path: string;
  readonly href: string;
  readonly tail: readonly string[];
}

/** Everything the page shows. */
export interface BuildReport {
  readonly tree: string;
  readonly treePath: string;
  readonly date: string;
  readonly command: string;
  readonly started: number;
  readonly stages: readonly ReportStage[];
  readonly events: readonly TimedEvent[];
  /** The stage graph (an SVG document). */
  readonly graphSvg: string;
  /** Boot consoles by console log path (`boot-finished.consoleLog`). */
  readonly consoles: ReadonlyMap<string, ReportConsole>;
}

/** Text safe in HTML content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** `1.5 MiB`. */
export function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${n.toFixed(n < 10 ? 1 : 0)} ${units[u] ?? ""}`;
}

/** A stage's run as the events tell it. */
interface StageRun {
  start?: number;
  end?: number;
  result: "built" | "failed" | "fresh" | "skipped" | "not run";
  failure?: { message: string; step?: string; logTail?: readonly string[] };
  steps: { name: string; detail?: string; start: number; durationMs?: number }[];
  skipped?: string;
}

/** One boot test (`build --test`): its phases, checks and outcome. */
interface BootRun {
  phases: { phase: string; end: number; durationMs: number }[];
  checks: { check: string; ok: boolean; detail: string }[];
  finished?: { ok: boolean; reason: string; consoleLog: string; durationMs: number; end: number };
}

function runsOf(report: BuildReport): { stages: Map<StageId, StageRun>; boots: BootRun[] } {
  const stages = new Map<StageId, StageRun>(
    report.stages.map((s) => [s.id, { result: "not run", steps: [] }]),
  );
  const get = (id: StageId): StageRun => {
    let run = stages.get(id);
    if (run === undefined) stages.set(id, (run = { result: "not run", steps: [] }));
    return run;
  };
  const boots: BootRun[] = [];
  let boot: BootRun | undefined;
  const currentBoot = (): BootRun => {
    if (boot === undefined) boots.push((boot = { phases: [], checks: [] }));
    return boot;
  };
  for (const { time, event: e } of report.events) {
    switch (e.type) {
      case "stage-started":
        get(e.stage).start = time;
        break;
      case "step-started":
        get(e.stage).steps.push({
          name: e.step,
          start: time,
          ...(e.detail === undefined ? {} : { detail: e.detail }),
        });
        break;
      case "step-finished": {
        const step = get(e.stage).steps.findLast((s) => s.name === e.step);
        if (step !== undefined) step.durationMs = e.durationMs;
        break;
      }
      case "stage-succeeded":
        Object.assign(get(e.stage), { end: time, result: "built" });
        break;
      case "stage-failed":
        Object.assign(get(e.stage), {
          end: time,
          result: "failed",
          failure: {
            message: e.message,
            ...(e.step === undefined ? {} : { step: e.step }),
            ...(e.logTail === undefined ? {} : { logTail: e.logTail }),
          },
        });
        break;
      case "stage-fresh":
        get(e.stage).result = "fresh";
        break;
      case "stage-skipped":
        Object.assign(get(e.stage), { result: "skipped", skipped: e.reason });
        break;
      case "boot-phase":
        currentBoot().phases.push({ phase: e.phase, end: time, durationMs: e.durationMs });
        break;
      case "boot-check":
        currentBoot().checks.push({ check: e.check, ok: e.ok, detail: e.detail });
        break;
      case "boot-finished":
        currentBoot().finished = {
          ok: e.ok,
          reason: e.reason,
          consoleLog: e.consoleLog,
          durationMs: e.durationMs,
          end: time,
        };
        boot = undefined;
        break;
      default:
        break;
    }
  }
  return { stages, boots };
}

const COLOURS = {
  built: "#5b9bd5",
  failed: "#e06666",
  step: ["#7fb3e6", "#a9cdf0"],
  boot: ["#f2b36b", "#f7cf9c"],
} as const;

/** The timeline: one row per stage (and per boot test), steps as segments, a time axis. */
function timelineSvg(
  report: BuildReport,
  stages: Map<StageId, StageRun>,
  boots: BootRun[],
): string {
  const rows: {
    label: string;
    note: string;
    bars: { x0: number; x1: number; fill: string; tip: string }[];
  }[] = [];
  const t0 = report.started;
  let tEnd = t0 + 1;
  for (const { time } of report.events) tEnd = Math.max(tEnd, time);
  for (const s of report.stages) {
    const run = stages.get(s.id);
    if (run === undefined) continue;
    const bars: (typeof rows)[number]["bars"] = [];
    if (run.start !== undefined) {
      const end = run.end ?? tEnd;
      bars.push({
        x0: run.start,
        x1: end,
        fill: run.result === "failed" ? COLOURS.failed : COLOURS.built,
        tip: `${s.id}: ${run.result} in ${formatDuration(end - run.start)}`,
      });
      run.steps.forEach((step, i) => {
        const stepEnd = step.durationMs === undefined ? end : step.start + step.durationMs;
        bars.push({
          x0: step.start,
          x1: stepEnd,
          fill: COLOURS.step[i % 2] ?? "#ccc",
          tip: `${s.id} ${step.name}${step.detail === undefined ? "" : ` (${step.detail})`}: ${formatDuration(stepEnd - step.start)}`,
        });
      });
    }
    rows.push({ label: s.id, note: run.start === undefined ? run.result : "", bars });
  }
  boots.forEach((b, i) => {
    const bars = b.phases.map((p, j) => ({
      x0: p.end - p.durationMs,
      x1: p.end,
      fill: COLOURS.boot[j % 2] ?? "#ccc",
      tip: `boot ${p.phase}: ${formatDuration(p.durationMs)}`,
    }));
    rows.push({ label: `boot test ${i + 1}`, note: bars.length === 0 ? "no phases" : "", bars });
  });
  const labelW = Math.min(360, 20 + 7 * Math.max(10, ...rows.map((r) => r.label.length)));
  const chartW = 640;
  const rowH = 26;
  const top = 10;
  const height = top + rows.length * rowH + 34;
  const width = labelW + chartW + 20;
  const span = Math.max(1, tEnd - t0);
  const x = (t: number): number => labelW + ((t - t0) / span) * chartW;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${escapeHtml(`Timeline of the build of ${report.tree} on ${report.date}`)}</title>`,
  ];
  rows.forEach((row, i) => {
    const y = top + i * rowH;
    out.push(
      `<g class="row"><text x="${labelW - 8}" y="${y + 16}" text-anchor="end" fill="#223">${escapeHtml(row.label)}</text>`,
      `<line x1="${labelW}" y1="${y + rowH - 2}" x2="${labelW + chartW}" y2="${y + rowH - 2}" stroke="#eee"/>`,
    );
    row.bars.forEach((b, j) => {
      const inset = j === 0 && !row.label.startsWith("boot test") ? 2 : 6;
      const w = Math.max(1.5, x(b.x1) - x(b.x0));
      out.push(
        `<rect x="${x(b.x0).toFixed(1)}" y="${y + inset}" width="${w.toFixed(1)}" height="${rowH - 2 * inset - 2}" fill="${b.fill}" rx="2"><title>${escapeHtml(b.tip)}</title></rect>`,
      );
    });
    if (row.note !== "")
      out.push(`<text x="${labelW + 6}" y="${y + 16}" fill="#777">${escapeHtml(row.note)}</text>`);
    out.push("</g>");
  });
  const axisY = top + rows.length * rowH + 4;
  out.push(
    `<line x1="${labelW}" y1="${axisY}" x2="${labelW + chartW}" y2="${axisY}" stroke="#889"/>`,
  );
  for (let k = 0; k <= 5; k++) {
    const tx = labelW + (k / 5) * chartW;
    out.push(
      `<line x1="${tx}" y1="${axisY}" x2="${tx}" y2="${axisY + 5}" stroke="#889"/>`,
      `<text x="${tx}" y="${axisY + 18}" text-anchor="middle" fill="#556">${escapeHtml(formatDuration((k / 5) * span))}</text>`,
    );
  }
  out.push("</svg>");
  return out.join("\n");
}

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
        b.phases.map((p) => [escapeHtml(p.phase), escapeHtml(formatDuration(p.durationMs))]),
        "phases",
      ),
    );
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
