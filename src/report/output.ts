/**
 * What a command prints besides events: its product as is (`graph`'s picture, `plan`'s text,
 * `virt-install`'s command line, `firmware show --json`'s document, `spec parse`'s listing),
 * and usage errors, which go to stderr whatever the output mode (`--json` included).
 */
import { TextReporter } from "./text-reporter.js";

/** Writes `text` to stdout unchanged (the caller ends it with a newline when it wants one). */
export function writeOutput(text: string): void {
  process.stdout.write(text);
}

/** Prints `error: <message>` and the `--help` pointer for `substrate <command>` on stderr. */
export function printUsageError(command: string, message: string): void {
  new TextReporter(process.stdout, process.stderr).emit({ type: "usage-error", command, message });
}
