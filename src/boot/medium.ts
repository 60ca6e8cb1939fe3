/**
 * The first look at a medium before anything boots it or describes it: the file must exist, be
 * a regular file and carry the ISO 9660 signature (`CD001` in the primary volume descriptor,
 * byte 32769), so junk fails at once instead of after a boot that finds nothing.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { type Result, ok, err } from "../util/result.js";
import type { FailureOf } from "../report/failure.js";

/** Where the ISO 9660 standard identifier sits: sector 16 (2048-byte sectors), byte 1. */
export const ISO9660_SIGNATURE_OFFSET = 16 * 2048 + 1;

/** Why a file is not an ISO to boot. */
export type MediumFailure = FailureOf<"bad-input">;

/** Checks that `path` (as the user named it) is an ISO 9660 image; reads 5 bytes. */
export function checkIsoMedium(path: string): Result<void, MediumFailure> {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) return err({ reason: "bad-input", message: `${path} is not a file` });
    size = st.size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return err({
      reason: "bad-input",
      message:
        code === "ENOENT" ? `${path} does not exist` : `cannot read ${path}: ${String(code)}`,
    });
  }
  const notIso = err({
    reason: "bad-input" as const,
    message: `${path} is not an ISO 9660 image (no "CD001" signature at byte ${ISO9660_SIGNATURE_OFFSET})`,
    hint: "pass a live ISO built by substrate (builds/<arch>/<flavour>/<date>/*.iso)",
  });
  if (size < ISO9660_SIGNATURE_OFFSET + 5) return notIso;
  const buf = Buffer.alloc(5);
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    return err({
      reason: "bad-input",
      message: `cannot read ${path}: ${String((e as NodeJS.ErrnoException).code)}`,
    });
  }
  try {
    readSync(fd, buf, 0, 5, ISO9660_SIGNATURE_OFFSET);
  } finally {
    closeSync(fd);
  }
  return buf.toString("latin1") === "CD001" ? ok(undefined) : notIso;
}
