/** Placeholder: the `firmware` command is registered here once implemented. */
import type { Command } from "commander";

/** Registers the `firmware` command(s). */
export function registerFirmware(_program: Command): void {
  // not implemented yet
}
