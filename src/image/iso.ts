/**
 * Live ISO images with xorriso: ISO 9660 + Rock Ridge + Joliet from a folder, with the ESP
 * image appended as GPT partition 2 (type EFI System) that is also the El Torito EFI boot
 * image, so one file boots from CD and from USB. Reading back (files, the ESP's files, boot
 * records) uses osirrox/xorriso and mtools at an offset: nothing is mounted.
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { type RunFailure, describeFailure, run } from "../sandbox/process.js";
import { type Result, ok, err } from "../util/result.js";
import { checkVolid, describeVolidProblem } from "./bootloader.js";
import { epochEnv } from "./epoch.js";
import type { FailureOf } from "../report/failure.js";

/**
 * The largest El Torito boot image UEFI firmware can load from a CD: the boot catalog counts
 * 512-byte sectors in 16 bits. xorriso writes 0 for anything bigger and OVMF then fails with
 * "Not Found" (verified with edk2 2022.11).
 */
export const EL_TORITO_MAX_BYTES = 0xffff * 512;

/** What to build. */
export interface IsoOptions {
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
  readonly logFile?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** The ISO made. */
export interface IsoImage {
  readonly path: string;
  readonly bytes: number;
  readonly durationMs: number;
}

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
  const r = await run({
    argv: isoArgv(options),
    extraEnv: epochEnv(options.sourceDateEpoch),
    ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  if (!r.ok) return err(toolFailed(r.error));
  const st = await stat(options.output);
  return ok({ path: options.output, bytes: st.size, durationMs: r.value.durationMs });
}

/** Copies one file out of an ISO (`osirrox -extract`); `pathInIso` is absolute, e.g. `/boot/debian`. */
export async function readIsoFile(
  iso: string,
  pathInIso: string,
  dest: string,
  signal?: AbortSignal,
): Promise<Result<string, IsoFailure>> {
  const path = pathInIso.startsWith("/") ? pathInIso : `/${pathInIso}`;
  const r = await run({
    argv: ["osirrox", "-indev", iso, "-overwrite", "on", "-extract", path, dest],
    ...(signal === undefined ? {} : { signal }),
  });
  if (!r.ok) {
    const f = r.error;
    if (
      f.reason === "exit-non-zero" &&
      f.tail.some((l) => l.includes("Cannot determine attributes"))
    ) {
      return err({ reason: "not-found", iso, path, message: `${iso} has no file ${path}` });
    }
    return err(toolFailed(f));
  }
  return ok(dest);
}

/** What an ISO's boot records say. */
export interface IsoBootInfo {
  /** The primary volume descriptor's volume id. */
  readonly volid: string;
  /** Byte offset of the El Torito UEFI boot image in the file, if there is one. */
  readonly efiImageOffset?: number;
  /** True when the system area holds a GPT. */
  readonly gpt: boolean;
  /** GPT partitions of type EFI System: start and size in bytes. */
  readonly efiPartitions: readonly { readonly offset: number; readonly bytes: number }[];
}

/** Reads the volume id, El Torito and GPT records of an ISO (`xorriso -pvd_info -report_*`). */
export async function isoBootInfo(
  iso: string,
  signal?: AbortSignal,
): Promise<Result<IsoBootInfo, IsoFailure>> {
  const r = await run({
    argv: [
      "xorriso",
      "-indev",
      iso,
      "-pvd_info",
      "-report_el_torito",
      "plain",
      "-report_system_area",
      "plain",
    ],
    captureStdout: true,
    ...(signal === undefined ? {} : { signal }),
  });
  if (!r.ok) return err(toolFailed(r.error));
  return ok(parseBootReport(r.value.stdout));
}

/** The EFI System partition type GUID as xorriso prints it (mixed-endian bytes in hex). */
const EFI_TYPE_GUID = "28732ac11ff8d211ba4b00a0c93ec93b";

/**
 * Parses the output of `xorriso -pvd_info -report_el_torito plain -report_system_area plain`
 * (the result channel, stdout).
 */
export function parseBootReport(text: string): IsoBootInfo {
  let volid = "";
  let efiImageOffset: number | undefined;
  let gpt = false;
  const types = new Map<string, string>();
  const ranges = new Map<string, { offset: number; bytes: number }>();
  for (const line of text.split("\n")) {
    const [key = "", value = ""] = splitReport(line);
    const fields = value.split(/\s+/).filter((f) => f !== "");
    if (key === "Volume Id") volid = value;
    else if (key === "El Torito boot img" && fields[1] === "UEFI") {
      const lba = Number(fields[7]);
      if (Number.isFinite(lba)) efiImageOffset = lba * 2048;
    } else if (key === "System area summary" && /\bGPT\b/.test(value)) gpt = true;
    else if (key === "GPT type GUID" && fields[0] !== undefined && fields[1] !== undefined) {
      types.set(fields[0], fields[1]);
    } else if (key === "GPT start and size" && fields.length >= 3) {
      ranges.set(fields[0] ?? "", {
        offset: Number(fields[1]) * 512,
        bytes: Number(fields[2]) * 512,
      });
    }
  }
  const efiPartitions = [...ranges.entries()]
    .filter(([n]) => types.get(n) === EFI_TYPE_GUID)
    .map(([, range]) => range);
  return { volid, gpt, efiPartitions, ...(efiImageOffset === undefined ? {} : { efiImageOffset }) };
}

function splitReport(line: string): [string, string] | [] {
  const i = line.indexOf(":");
  if (i < 0) return [];
  return [line.slice(0, i).trim(), line.slice(i + 1).trim()];
}

/**
 * Copies one file out of the ISO's El Torito EFI image (the ESP), e.g.
 * `loader/entries/roflmaos.conf`, with mtools at the image's offset.
 */
export async function readEspFileFromIso(
  iso: string,
  pathInEsp: string,
  dest: string,
  signal?: AbortSignal,
): Promise<Result<string, IsoFailure>> {
  const info = await isoBootInfo(iso, signal);
  if (!info.ok) return info;
  const offset = info.value.efiImageOffset ?? info.value.efiPartitions[0]?.offset;
  if (offset === undefined) {
    return err({ reason: "no-efi-boot-image", iso, message: `${iso} has no EFI boot image` });
  }
  const path = pathInEsp.replace(/^\/+/, "");
  const r = await run({
    argv: ["mcopy", "-n", "-o", "-i", `${iso}@@${offset}`, `::/${path}`, dest],
    extraEnv: { MTOOLS_SKIP_CHECK: "1" },
    ...(signal === undefined ? {} : { signal }),
  });
  if (!r.ok) {
    const f = r.error;
    if (f.reason === "exit-non-zero" && f.tail.some((l) => /not found/i.test(l))) {
      return err({
        reason: "not-found",
        iso,
        path: pathInEsp,
        message: `${iso}'s ESP has no file ${path}`,
      });
    }
    return err(toolFailed(f));
  }
  return ok(dest);
}

function toolFailed(failure: RunFailure): IsoFailure {
  return {
    reason: "tool-failed",
    failure,
    message: describeFailure(failure),
    tail: "tail" in failure ? failure.tail : [],
  };
}
