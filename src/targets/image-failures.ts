/**
 * One sentence for each `image/` failure, so targets report what went wrong and where.
 */
import type { EspFailure } from "../image/esp.js";
import type { IsoFailure } from "../image/iso.js";
import type { SquashfsFailure } from "../image/squashfs.js";
import { describeVolidProblem } from "../image/bootloader.js";
import { describeFailure, type RunFailure } from "../sandbox/process.js";
import { unreachable } from "../util/unreachable.js";
import type { StageFailure } from "./target-kind.js";

function tailOf(f: RunFailure): readonly string[] {
  return "tail" in f ? f.tail : [];
}

/** A squashfs failure as a stage failure of `step`. */
export function squashfsFailure(step: string, f: SquashfsFailure): StageFailure {
  switch (f.reason) {
    case "source-missing":
      return {
        reason: "step-failed",
        step,
        message: `nothing to squash: ${f.path} is not a folder`,
      };
    case "refused-option":
      return {
        reason: "bad-input",
        message: `livecd/fsops: ${f.token} is not allowed: ${f.why}`,
        hint: "remove it from livecd/fsops",
      };
    case "tool-failed":
      return {
        reason: "step-failed",
        step,
        message: describeFailure(f.failure),
        tail: tailOf(f.failure),
      };
    default:
      return unreachable(f);
  }
}

/** An ESP failure as a stage failure. */
export function espFailure(f: EspFailure): StageFailure {
  const step = "esp";
  switch (f.reason) {
    case "bad-path":
      return { reason: "step-failed", step, message: `ESP path ${f.path}: ${f.why}` };
    case "duplicate-path":
      return { reason: "step-failed", step, message: `ESP path ${f.path} given twice` };
    case "bad-label":
      return { reason: "step-failed", step, message: `bad FAT label ${f.label}` };
    case "bad-serial":
      return { reason: "step-failed", step, message: `bad FAT serial ${f.serial}` };
    case "source-missing":
      return { reason: "step-failed", step, message: `ESP file source ${f.path} is missing` };
    case "tool-failed":
      return {
        reason: "step-failed",
        step,
        message: describeFailure(f.failure),
        tail: tailOf(f.failure),
      };
    default:
      return unreachable(f);
  }
}

/** An ISO failure as a stage failure. */
export function isoFailure(f: IsoFailure): StageFailure {
  const step = "iso";
  switch (f.reason) {
    case "invalid-volid":
      return {
        reason: "bad-input",
        message: `livecd/volid: ${describeVolidProblem(f.volid, f.problem)}`,
      };
    case "tree-missing":
      return { reason: "step-failed", step, message: `the ISO tree ${f.path} is missing` };
    case "esp-missing":
      return { reason: "step-failed", step, message: `the ESP image ${f.path} is missing` };
    case "esp-too-big-for-el-torito":
      return {
        reason: "step-failed",
        step,
        message: `the ESP image is ${f.bytes} bytes, over El Torito's ${f.limit}`,
        hint: "use a smaller initramfs (dracut_args) or fewer kernels",
      };
    case "not-found":
      return { reason: "step-failed", step, message: `${f.path} is not in ${f.iso}` };
    case "no-efi-boot-image":
      return { reason: "step-failed", step, message: `${f.iso} has no EFI boot image` };
    case "tool-failed":
      return {
        reason: "step-failed",
        step,
        message: describeFailure(f.failure),
        tail: tailOf(f.failure),
      };
    default:
      return unreachable(f);
  }
}
