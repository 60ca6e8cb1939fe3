/**
 * Picks and builds the reporter for a command: NDJSON with `--json`; for commands whose output
 * is their product (`text`), the command's own text; else a live status view on a terminal,
 * plain timestamped lines otherwise (CI, pipes). Every command prints through one.
 */
import type { Reporter } from "./events.js";
import { JsonReporter } from "./json-reporter.js";
import { PlainReporter } from "./plain-reporter.js";
import { TextReporter, type TextReporterOptions } from "./text-reporter.js";
import { TtyReporter } from "./tty-reporter.js";

/** How the user asked for output. */
export interface ReporterOptions {
  readonly json?: boolean;
  /** Force plain lines even on a terminal. */
  readonly plain?: boolean;
  /** Without `--json`: the command's own text (see {@link TextReporter}), laid out so. */
  readonly text?: TextReporterOptions;
}

/** Creates the reporter for the current process's stdout/stderr. */
export function createReporter(options: ReporterOptions): Reporter {
  if (options.json === true) return new JsonReporter(process.stdout);
  if (options.text !== undefined)
    return new TextReporter(process.stdout, process.stderr, options.text);
  const tty = process.stderr.isTTY && process.env["CI"] === undefined && options.plain !== true;
  return tty ? new TtyReporter(process.stderr) : new PlainReporter(process.stderr);
}
