/** Placeholder: the `plan` command is registered here once implemented. */
import type { Command } from "commander";

/** Registers the `plan` command(s). */
export function registerPlan(_program: Command): void {
  // not implemented yet
}
