/** Placeholder: the `boot` command is registered here once implemented. */
import type { Command } from "commander";

/** Registers the `boot` command(s). */
export function registerBootCommands(_program: Command): void {
  // not implemented yet
}
