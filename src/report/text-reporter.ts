/**
 * Text reporter for the commands whose output is their product (`check`, `plan`, `graph`,
 * `fetch`, `spec parse`, `firmware`, `boot`, `virt-install`): no timestamps, no status block.
 * `info` lines are the product and go to stdout; progress redraws one stdout line on a terminal
 * and shows nothing in a pipe; diagnostics go where the command keeps them (stdout for `check`
 * and `plan`, whose output they are; stderr where stdout holds a picture or a listing), each
 * followed by a blank line; everything else (errors, warnings, notes) goes to stderr.
 */
import type { Event, Reporter } from "./events.js";
import { describeEvent } from "./format.js";

/** How a text reporter lays its output out. */
export interface TextReporterOptions {
  /** Where diagnostics go (default: stderr). */
  readonly diagnostics?: "stdout" | "stderr";
  /** Colour the diagnostics (`--color`); nothing else is coloured. */
  readonly color?: boolean;
  /**
   * An error's hint starts its own line (`hint: ...`) instead of being indented under it: the
   * layout `boot`, `virt-install` and `firmware fix` have always printed.
   */
  readonly flushHints?: boolean;
}

/** Prints events as a command's own text on stdout and stderr. */
export class TextReporter implements Reporter {
  readonly #out: NodeJS.WriteStream;
  readonly #err: NodeJS.WritableStream;
  readonly #options: TextReporterOptions;

  constructor(
    out: NodeJS.WriteStream,
    err: NodeJS.WritableStream,
    options: TextReporterOptions = {},
  ) {
    this.#out = out;
    this.#err = err;
    this.#options = options;
  }

  emit(event: Event): void {
    switch (event.type) {
      case "info":
        this.#out.write(`${event.message}\n`);
        return;
      case "stage-progress":
        if (this.#out.isTTY) {
          this.#out.write(`\r${event.message}\u001b[K`);
          if (event.fraction === 1) this.#out.write("\n");
        }
        return;
      case "diagnostic": {
        const to = this.#options.diagnostics === "stdout" ? this.#out : this.#err;
        to.write(`${describeEvent(event, this.#options.color === true) ?? ""}\n\n`);
        return;
      }
      case "error":
        if (this.#options.flushHints === true && event.hint !== undefined) {
          this.#err.write(`error: ${event.message}\nhint: ${event.hint}\n`);
          return;
        }
        break;
      default:
        break;
    }
    const text = describeEvent(event, false);
    if (text !== undefined) this.#err.write(text + "\n");
  }

  close(): void {
    // nothing buffered
  }
}
