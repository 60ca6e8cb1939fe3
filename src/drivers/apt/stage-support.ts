/**
 * Which stage kinds mean something for Debian. Debian has no bootstrap stages: mmdebstrap
 * builds a complete root (stage3) from the archive in one step.
 */
import type { TargetKindName } from "../../spec/types.js";
import { ok, err } from "../../util/result.js";
import type { DriverResult } from "../driver.js";

/**
 * `ok` when the apt driver can build `kind`; a `not-meaningful` failure with a hint for
 * stage1 and stage2.
 */
export function aptStageSupport(kind: TargetKindName): DriverResult {
  if (kind === "stage1" || kind === "stage2") {
    return err({
      reason: "not-meaningful",
      message: `${kind} is not meaningful with the apt driver: Debian has no bootstrap stages`,
      hint: "start from stage3, which mmdebstrap builds from nothing (remove this stage from the build list)",
    });
  }
  return ok(undefined);
}
