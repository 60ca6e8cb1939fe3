/**
 * NDJSON reporter (`--json`): one event per line, each with an ISO `time` field added. The
 * stream is the machine interface tests and tools read; its shape is `Event` in events.ts.
 */
import type { Event, Reporter } from "./events.js";

/** Writes each event as one JSON line. */
export class JsonReporter implements Reporter {
  readonly #out: NodeJS.WritableStream;
  constructor(out: NodeJS.WritableStream) {
    this.#out = out;
  }
  emit(event: Event): void {
    // The live console line is for a terminal; the console log file has every line.
    if (event.type === "boot-console") return;
    // A failed run's captured stdout (data the command printed) stays out of the stream: the
    // failure's message and tail say what went wrong, and the log has everything.
    const line = JSON.stringify({ ...event, time: new Date().toISOString() }, (key, value) =>
      key === "stdout" ? undefined : (value as unknown),
    );
    this.#out.write(line + "\n");
  }
  close(): void {
    // nothing buffered
  }
}
