/** Placeholder: the `doctor` command is registered here once implemented. */
import type { Command } from "commander";

/** Registers the `doctor` command(s). */
export function registerDoctor(_program: Command): void {
  // not implemented yet
}
