/**
 * Kinds that validate (so existing spec trees check cleanly) but that this version of substrate
 * cannot build yet, and the apt driver's answer for Gentoo-only kinds.
 */
import type { TargetKindName } from "../spec/types.js";
import { err } from "../util/result.js";
import type { TargetKind } from "./target-kind.js";

/** A kind whose `run` fails with a clear `not-meaningful` reason. */
export function notYetBuildable(name: TargetKindName, hint: string): TargetKind {
  return {
    name,
    hostTools: [],
    inputRoles: ["source"],
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
