/**
 * Verifying a local input (a previous stage's published output, or a seed that carries a
 * `.DIGESTS`) before a stage uses it: the public name is resolved to the real file first, so the
 * file checked and the `.DIGESTS` beside it belong to one published generation, and the stage then
 * uses that very file.
 */
import { existsSync, realpathSync, statSync } from "node:fs";
import { type Result, ok, err } from "../util/result.js";
import { verifyDigests, verifyFolderDigests } from "./digests.js";
import type { FailureOf } from "../report/failure.js";

/** Why an input was refused. */
export type InputFailure = FailureOf<"input-missing" | "input-unverifiable" | "input-corrupt">;

/**
 * Checks `path` against `<real path>.DIGESTS` and returns the real path to use. A folder (the
 * livecd-stage2 payload) is checked file by file against its folder DIGESTS. When `required` (a stage output,
 * which substrate always publishes with digests), a file without `.DIGESTS` is refused.
 */
export async function verifyInput(
  path: string,
  label: string,
  required: boolean,
  signal?: AbortSignal,
): Promise<Result<string, InputFailure>> {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return err({
      reason: "input-missing",
      path,
      message: `input ${label} has no output at ${path}`,
    });
  }
  const digests = `${real}.DIGESTS`;
  if (statSync(real).isDirectory()) {
    // A folder (the livecd-stage2 payload) carries one DIGESTS entry per file.
    if (!existsSync(digests)) {
      if (!required) return ok(real);
      return err({
        reason: "input-unverifiable",
        path,
        message: `input ${label}: ${path} has no .DIGESTS, so it cannot be verified; rebuild ${label} (delete its .stamp)`,
      });
    }
    const v = await verifyFolderDigests(real, digests, signal);
    if (v.ok) return ok(real);
    return err({
      reason: v.error.reason === "mismatch" ? "input-corrupt" : "input-unverifiable",
      path,
      message: `input ${label}: ${v.error.message}; refused before use. Rebuild ${label} (delete its .stamp) or restore the file`,
    });
  }
  if (!existsSync(digests)) {
    if (!required) return ok(real);
    return err({
      reason: "input-unverifiable",
      path,
      message: `input ${label}: ${path} has no .DIGESTS, so it cannot be verified; rebuild ${label}`,
    });
  }
  const v = await verifyDigests(real, digests, signal);
  // A seed's .DIGESTS that does not name it (renamed download) is the driver's business.
  if (!v.ok && !required && v.error.reason !== "mismatch") return ok(real);
  if (!v.ok) {
    const detail =
      v.error.reason === "mismatch"
        ? `${v.error.algorithm} is ${v.error.actual.slice(0, 16)}…, ${path}.DIGESTS says ${v.error.expected.slice(0, 16)}…`
        : v.error.message;
    return err({
      reason: v.error.reason === "mismatch" ? "input-corrupt" : "input-unverifiable",
      path,
      message: `input ${label}: ${path} does not match its .DIGESTS (${detail}): the file is corrupt, truncated or was replaced; refused before use. Rebuild ${label} (delete its .stamp) or restore the file`,
    });
  }
  return ok(real);
}
