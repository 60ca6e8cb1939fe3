/**
 * What the build report is made of: its input (the run's timed events, the plan's stages,
 * what the disk says about outputs and consoles), the HTML escaping every text goes through,
 * and the run of each stage and boot test folded from the events.
 */
import type { Event, StageId } from "./events.js";

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
export interface StageRun {
  start?: number;
  end?: number;
  result: "built" | "failed" | "fresh" | "skipped" | "not run";
  failure?: { message: string; step?: string; logTail?: readonly string[] };
  steps: { name: string; detail?: string; start: number; durationMs?: number }[];
  skipped?: string;
}

/** One boot test (`build --test`): its phases, checks and outcome. */
export interface BootRun {
  phases: { phase: string; end: number; durationMs: number; merged?: readonly string[] }[];
  checks: { check: string; ok: boolean; detail: string }[];
  /** The guest's `systemd-analyze` view: its summary line and slowest units. */
  guest?: { startup: string; slowestUnits: readonly { unit: string; ms: number }[] };
  finished?: { ok: boolean; reason: string; consoleLog: string; durationMs: number; end: number };
}

/** Each stage's run and each boot test, from the events in order. */
export function runsOf(report: BuildReport): { stages: Map<StageId, StageRun>; boots: BootRun[] } {
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
        currentBoot().phases.push({
          phase: e.phase,
          end: time,
          durationMs: e.durationMs,
          ...(e.merged === undefined ? {} : { merged: e.merged }),
        });
        break;
      case "boot-guest-analysis":
        currentBoot().guest = { startup: e.startup, slowestUnits: e.slowestUnits };
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
