/**
 * `substrate build --test`: after an ISO stage is published, boot-test it; a failed boot fails
 * the stage (its stamp is removed so the next build retries).
 */
import type { PlannedStage } from "../../plan/plan.js";
import type { Reporter } from "../../report/events.js";
import { type Result, ok, err } from "../../util/result.js";
import { testIso } from "../../boot/verify-iso.js";

/** Boots the stage's ISO when it made one; other stages pass through. */
export async function testIsoAfterBuild(
  stage: PlannedStage,
  reporter: Reporter,
  signal: AbortSignal,
  secureBoot = false,
): Promise<Result<void, string>> {
  if (stage.outputs.form !== "iso") return ok(undefined);
  const r = await testIso({
    iso: stage.outputs.output,
    // A tree that signs its media tests them under Secure Boot (docs/secure-boot.md).
    secureBoot,
    emit: (e) => {
      reporter.emit(e);
    },
    signal,
    consoleLog: stage.outputs.output + ".console.log",
  });
  return r.ok ? ok(undefined) : err(`boot test failed: ${r.error.message}`);
}
