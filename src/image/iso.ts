/**
 * Live ISO images with xorriso: ISO 9660 + Rock Ridge + Joliet from a folder, with the ESP
 * image appended as GPT partition 2 (type EFI System) that is also the El Torito EFI boot
 * image, so one file boots from CD and from USB. Reading an ISO back is `iso-read.ts`'s.
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { type RunFailure, describeFailure } from "../sandbox/process.js";
import { type MadeImage, type ToolRunOptions, runImageTool } from "./made-image.js";
import { type Result, err } from "../util/result.js";
import { checkVolid, describeVolidProblem } from "./bootloader.js";
import type { FailureOf } from "../report/failure.js";

/**
 * The largest El Torito boot image UEFI firmware can load from a CD: the boot catalog counts
 * 512-byte sectors in 16 bits. xorriso writes 0 for anything bigger and OVMF then fails with
 * "Not Found" (verified with edk2 2022.11).
 */
export const EL_TORITO_MAX_BYTES = 0xffff * 512;

/** What to build. */
export interface IsoOptions extends ToolRunOptions {
  /** Folder that becomes the ISO's root (e.g. holding `LiveOS/` and `boot/`). */
  readonly tree: string;
  /** FAT image to append as the EFI system partition and El Torito EFI boot image. */
  readonly espImage?: string | undefined;
  /** Volume id, 1-32 printable ASCII characters. */
  readonly volid: string;
  /** The ISO to write (replaced if present). */
  readonly output: string;
  /**
   * Seconds since 1970: volume dates, GPT GUIDs and every file's timestamps. Same tree, ESP,
   * volid and epoch give the same bytes.
   */
  readonly sourceDateEpoch?: number | undefined;
  /** Make an ESP over 32 MiB anyway (boots from USB/disk, not from CD). Default false. */
  readonly allowLargeEsp?: boolean | undefined;
}

/** The ISO made. */
export type IsoImage = MadeImage;

/**
 * Why no ISO was made, or a file could not be read from one. Every variant carries a
 * one-sentence `message`.
 */
export type IsoFailure = FailureOf<
  | "invalid-volid"
  | "tree-missing"
  | "esp-missing"
  | "esp-too-big-for-el-torito"
  | "not-found"
  | "no-efi-boot-image"
  | "tool-failed"
>;

/** The xorriso argv for these options (exported for tests and `--dry-run` displays). */
export function isoArgv(options: IsoOptions): string[] {
  const argv = ["xorriso", "-as", "mkisofs", "-o", options.output];
  argv.push("-iso-level", "3", "-r", "-J", "-joliet-long", "-V", options.volid);
  if (options.sourceDateEpoch !== undefined) {
    argv.push("--set_all_file_dates", `=${options.sourceDateEpoch}`);
  }
  if (options.espImage !== undefined) {
    argv.push("-append_partition", "2", "0xef", options.espImage, "-appended_part_as_gpt");
    argv.push("-e", "--interval:appended_partition_2:all::", "-no-emul-boot");
  }
  // No "--" here: in xorriso it ends the mkisofs emulation. An absolute path cannot look like
  // an option.
  argv.push(resolve(options.tree));
  return argv;
}

/** Builds the ISO. */
export async function makeIso(options: IsoOptions): Promise<Result<IsoImage, IsoFailure>> {
  const volid = checkVolid(options.volid);
  if (!volid.ok) {
    return err({
      reason: "invalid-volid",
      volid: options.volid,
      problem: volid.error,
      message: describeVolidProblem(options.volid, volid.error),
    });
  }
  const tree = await stat(options.tree).catch(() => undefined);
  if (tree?.isDirectory() !== true) {
    return err({
      reason: "tree-missing",
      path: options.tree,
      message: `the ISO tree ${options.tree} does not exist`,
    });
  }
  if (options.espImage !== undefined) {
    const esp = await stat(options.espImage).catch(() => undefined);
    if (esp?.isFile() !== true) {
      return err({
        reason: "esp-missing",
        path: options.espImage,
        message: `the ESP image ${options.espImage} does not exist`,
      });
    }
    if (esp.size > EL_TORITO_MAX_BYTES && options.allowLargeEsp !== true) {
      const mib = (esp.size / 2 ** 20).toFixed(1);
      return err({
        reason: "esp-too-big-for-el-torito",
        bytes: esp.size,
        limit: EL_TORITO_MAX_BYTES,
        message:
          `the ESP image is ${mib} MiB; UEFI firmware cannot boot an El Torito image over ` +
          `32 MiB from a CD (make the initramfs smaller, e.g. with dracut --omit-drivers)`,
      });
    }
  }
  const r = await runImageTool(isoArgv(options), options.output, options);
  return r.ok ? r : err(toolFailed(r.error));
}

/** An {@link IsoFailure} for a tool that failed (also used by `iso-read.ts`). */
export function toolFailed(failure: RunFailure): IsoFailure {
  return {
    reason: "tool-failed",
    failure,
    message: describeFailure(failure),
    tail: "tail" in failure ? failure.tail : [],
  };
}
