/**
 * Plain reporter for CI and pipes: one timestamped line per event, no colour, no redraws.
 */
import type { Event, Reporter } from "./events.js";
import { describeEvent } from "./format.js";

/** Prints `HH:MM:SS text` lines. */
export class PlainReporter implements Reporter {
  readonly #out: NodeJS.WritableStream;
  constructor(out: NodeJS.WritableStream) {
    this.#out = out;
  }
  emit(event: Event): void {
    const text = describeEvent(event, false);
    if (text === undefined) return;
    const stamp = new Date().toISOString().slice(11, 19);
    const prefix = event.type === "diagnostic" ? "" : `${stamp} `;
    this.#out.write(prefix + text.replace(/\n/g, `\n${prefix === "" ? "" : "         "}`) + "\n");
  }
  close(): void {
    // nothing buffered
  }
}
