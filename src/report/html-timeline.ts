/**
 * The build report's timeline chart (inline SVG): one row per stage, its steps as segments,
 * one row per boot test with its phases, a time axis; a `<title>` tooltip on every bar.
 */
import type { StageId } from "./events.js";
import { formatDuration } from "./format.js";
import { escapeHtml, type BootRun, type BuildReport, type StageRun } from "./html-model.js";

const COLOURS = {
  built: "#5b9bd5",
  failed: "#e06666",
  step: ["#7fb3e6", "#a9cdf0"],
  boot: ["#f2b36b", "#f7cf9c"],
} as const;

/** The timeline: one row per stage (and per boot test), steps as segments, a time axis. */
export function timelineSvg(
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
