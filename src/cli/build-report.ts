/**
 * Every build's `report.html`, written beside its logs (`<logs>/report.html`): the events of
 * the run are recorded as they pass to the terminal, then the page is made from them
 * (report/html-report.ts) with what only the disk knows: output sizes, digests from the
 * `.DIGESTS` sidecars, the last lines of each boot console.
 */
import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import type { Plan } from "../plan/plan.js";
import type { Event, Reporter } from "../report/events.js";
import {
  renderBuildReport,
  type ReportConsole,
  type ReportOutput,
  type TimedEvent,
} from "../report/html-report.js";
import type { SpecTree } from "../spec/types.js";
import { parseDigests } from "../store/digests.js";
import { diskUsage } from "../store/usage.js";
import { stagePathsSvg } from "./commands/graph.js";

/** Passes events on and keeps each with the time it was emitted. */
export class RecordingReporter implements Reporter {
  readonly events: TimedEvent[] = [];
  readonly #inner: Reporter;
  constructor(inner: Reporter) {
    this.#inner = inner;
  }
  emit(event: Event): void {
    this.events.push({ time: Date.now(), event });
    this.#inner.emit(event);
  }
  close(): void {
    this.#inner.close();
  }
}

/** A link from the report's folder to `path`. */
function href(from: string, path: string): string {
  return encodeURI(relative(from, path).split("\\").join("/"));
}

/** A file's size and its digests from `<file>.DIGESTS` (none when there is no sidecar). */
function describeOutput(path: string): ReportOutput {
  let bytes = 0;
  try {
    const st = statSync(path);
    bytes = st.isDirectory() ? diskUsage(path).bytes : st.size;
  } catch {
    // gone since: size 0
  }
  let digests: ReportOutput["digests"] = [];
  try {
    digests = parseDigests(readFileSync(`${path}.DIGESTS`, "utf8"))
      .filter((d) => d.name === basename(path))
      .map((d) => ({ algorithm: d.algorithm, hex: d.hex }));
  } catch {
    // no sidecar (a sidecar itself, a folder)
  }
  return { path, bytes, digests };
}

/** The last lines of a console log, escape sequences and control characters removed. */
export function consoleTail(path: string, lines = 80): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  const esc = String.fromCharCode(27);
  const clean = text
    .replaceAll(new RegExp(`${esc}\\[[0-9;?]*[A-Za-z]`, "g"), "")
    .replace(/\r\n?/g, "\n");
  const printable = Array.from(clean)
    .filter((ch) => {
      const c = ch.charCodeAt(0);
      return c === 9 || c === 10 || (c >= 32 && c !== 127);
    })
    .join("");
  return printable.split("\n").slice(-lines);
}

/** Writes `<logs>/report.html` for a run and returns its path. */
export function writeBuildReport(args: {
  readonly tree: SpecTree;
  readonly plan: Plan;
  readonly events: readonly TimedEvent[];
  readonly started: number;
  readonly command: string;
}): string {
  const { tree, plan, events } = args;
  const folder = tree.config.store.logs;
  const file = join(folder, "report.html");
  const published = new Map<string, readonly string[]>();
  const consoles = new Map<string, ReportConsole>();
  for (const { event } of events) {
    if (event.type === "stage-succeeded") published.set(event.stage, event.outputs);
    if (event.type === "boot-finished" && existsSync(event.consoleLog))
      consoles.set(event.consoleLog, {
        path: event.consoleLog,
        href: href(folder, event.consoleLog),
        tail: consoleTail(event.consoleLog),
      });
  }
  const stages = plan.stages.map((s) => {
    const files = published.get(s.id) ?? (existsSync(s.outputs.output) ? [s.outputs.output] : []);
    return {
      id: s.id,
      decision: s.decision.kind,
      reason: s.decision.reason,
      output: s.outputs.output,
      ...(existsSync(s.outputs.log) ? { logHref: href(folder, s.outputs.log) } : {}),
      outputs: files.map(describeOutput),
    };
  });
  const html = renderBuildReport({
    tree: tree.config.name,
    treePath: tree.config.root,
    date: tree.date,
    command: args.command,
    started: args.started,
    stages,
    events,
    graphSvg: stagePathsSvg(tree, plan),
    consoles,
  });
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, html);
  return file;
}
