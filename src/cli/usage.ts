/**
 * The one usage-error path of every command: `error: ...` and the `--help` pointer on stderr
 * (printed by `report/`), exit code 2.
 */
import { printUsageError } from "../report/output.js";
import { EXIT_USAGE } from "./exit-codes.js";

/** Reports that `substrate <command>` was called wrongly and sets exit code 2. */
export function usageError(command: string, message: string): void {
  printUsageError(command, message);
  process.exitCode = EXIT_USAGE;
}
