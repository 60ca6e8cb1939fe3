/** Placeholder: the `spec` command is registered here once implemented. */
import type { Command } from "commander";

/** Registers the `spec` command(s). */
export function registerSpecCommands(_program: Command): void {
  // not implemented yet
}
