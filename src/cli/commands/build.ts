/** Placeholder: the `build` command is registered here once implemented. */
import type { Command } from "commander";

/** Registers the `build` command(s). */
export function registerBuild(_program: Command): void {
  // not implemented yet
}
