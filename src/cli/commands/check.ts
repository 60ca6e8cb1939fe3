/** Placeholder: the `check` command is registered here once implemented. */
import type { Command } from "commander";

/** Registers the `check` command(s). */
export function registerCheck(_program: Command): void {
  // not implemented yet
}
