/**
 * Terminal reporter: permanent lines for what finished, plus a redrawn status block at the
 * bottom showing how far the run is (stages done of those to build, how many are queued) and
 * each running stage, its current step and its elapsed time.
 */
import type { Event, Reporter, StageId } from "./events.js";
import { describeEvent, formatDuration } from "./format.js";

interface Running {
  readonly since: number;
  step: string;
}

/** Live view for a terminal. */
export class TtyReporter implements Reporter {
  readonly #out: NodeJS.WriteStream;
  readonly #running = new Map<StageId, Running>();
  #drawn = 0;
  /** Stages the run builds (from `run-started`), and how many of them ended. */
  #total = 0;
  #ended = 0;
  #timer: NodeJS.Timeout | undefined;
  /** The guest console's latest line while a boot waits for its login prompt. */
  #console: { line: string; phase: string; elapsedMs: number } | undefined;

  constructor(out: NodeJS.WriteStream) {
    this.#out = out;
  }

  emit(event: Event): void {
    switch (event.type) {
      case "run-started":
        this.#total = event.stages;
        break;
      case "stage-started":
        this.#running.set(event.stage, { since: Date.now(), step: "starting" });
        this.#timer ??= setInterval(() => {
          this.#redraw();
        }, 1000);
        this.#timer.unref();
        break;
      case "step-started": {
        const r = this.#running.get(event.stage);
        if (r) r.step = event.detail ? `${event.step}: ${event.detail}` : event.step;
        this.#redraw();
        return;
      }
      case "stage-progress": {
        const r = this.#running.get(event.stage);
        if (r) r.step = event.message;
        this.#redraw();
        return;
      }
      case "boot-console":
        this.#console = { line: event.line, phase: event.phase, elapsedMs: event.elapsedMs };
        this.#redraw();
        return;
      case "boot-phase":
      case "boot-finished":
        this.#console = undefined;
        break;
      case "stage-succeeded":
      case "stage-failed":
        this.#running.delete(event.stage);
        this.#ended++;
        break;
      case "stage-skipped":
        if (this.#running.size > 0 || this.#ended > 0) this.#ended++;
        break;
      default:
        break;
    }
    const text = describeEvent(event, true);
    if (text !== undefined) {
      this.#clear();
      this.#out.write(text + "\n");
    }
    this.#redraw();
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#clear();
  }

  #clear(): void {
    if (this.#drawn > 0) {
      this.#out.write(`\x1b[${this.#drawn}A\x1b[0J`);
      this.#drawn = 0;
    }
  }

  #redraw(): void {
    this.#clear();
    const width = this.#out.columns || 100;
    const lines = [...this.#running].map(([id, r]) => {
      const line = `  … ${id}  ${formatDuration(Date.now() - r.since)}  ${r.step}`;
      return line.length > width - 1 ? line.slice(0, width - 2) + "…" : line;
    });
    if (lines.length > 0 && this.#total > 0) {
      const queued = Math.max(0, this.#total - this.#ended - this.#running.size);
      lines.unshift(
        `  ${this.#ended}/${this.#total} done, ${this.#running.size} running, ${queued} queued`,
      );
    }
    if (this.#console !== undefined) {
      const c = this.#console;
      const line = `  console (${c.phase}, ${formatDuration(c.elapsedMs)}): ${c.line}`;
      lines.push(line.length > width - 1 ? line.slice(0, width - 2) + "…" : line);
    }
    if (lines.length > 0) this.#out.write(lines.join("\n") + "\n");
    this.#drawn = lines.length;
  }
}
