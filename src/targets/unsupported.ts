/**
 * Kinds that validate (so existing spec trees check cleanly) but that this version of substrate
 * cannot build yet, and the apt driver's answer for Gentoo-only kinds.
 */
import type { TargetKindName } from "../spec/types.js";
import { err } from "../util/result.js";
import type { TargetKind } from "./target-kind.js";

/**
 * A kind whose `run` fails with a clear `not-meaningful` reason; `describe` says what it will do
 * once built (the dry run of a valid spec).
 */
export function notYetBuildable(
  name: TargetKindName,
  hint: string,
  describe: TargetKind["describe"],
): TargetKind {
  return {
    name,
    hostTools: [],
    describe,
    run: () =>
      Promise.resolve(
        err({
          reason: "not-meaningful",
          message: `substrate cannot build ${name} stages yet (the spec is valid and is checked and planned)`,
          hint,
        }),
      ),
  };
}
