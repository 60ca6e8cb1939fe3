/** Placeholder: the `graph` command is registered here once implemented. */
import type { Command } from "commander";

/** Registers the `graph` command(s). */
export function registerGraph(_program: Command): void {
  // not implemented yet
}
