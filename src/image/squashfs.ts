/**
 * squashfs images with the host's `mksquashfs` (squashfs-tools): the live root, a payload's
 * kernel modules (unpacking is in unsquash.ts). With a `SOURCE_DATE_EPOCH`
 * the image is reproducible: mksquashfs uses it as the file system time and clamps newer file
 * times to it, and its output does not depend on the number of threads.
 */
import { mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { type RunFailure, describeFailure } from "../sandbox/process.js";
import { type MadeImage, type ToolRunOptions, runImageTool } from "./made-image.js";
import { type Result, ok, err } from "../util/result.js";
import type { FailureOf } from "../report/failure.js";

/** Compressors mksquashfs 4.5 knows. */
export const SQUASHFS_COMPRESSORS = ["gzip", "lzo", "lz4", "xz", "zstd", "lzma"] as const;

/** A squashfs compressor name. */
export type SquashfsCompressor = (typeof SQUASHFS_COMPRESSORS)[number];

/** What to build. */
export interface SquashfsOptions extends ToolRunOptions {
  /** Folder whose contents become the image's root. */
  readonly source: string;
  /** The image file to write (replaced if present; its folder is created). */
  readonly output: string;
  /** Default `zstd`. A `-comp` in `options` wins. */
  readonly compressor?: SquashfsCompressor | undefined;
  /**
   * Extra mksquashfs arguments (`livecd/fsops` tokens, e.g. `-comp xz -Xbcj x86`). Options that
   * would append, or make the image depend on the clock, are refused.
   */
  readonly options?: readonly string[] | undefined;
  /** Seconds since 1970: file system time, and the clamp for newer file times. */
  readonly sourceDateEpoch?: number | undefined;
  /** Threads for mksquashfs (default: all processors). */
  readonly processors?: number | undefined;
}

/** The image made. */
export type SquashfsImage = MadeImage;

/** Why a squashfs could not be made or unpacked. Every variant carries a one-sentence `message`. */
export type SquashfsFailure = FailureOf<"source-missing" | "refused-option" | "tool-failed">;

/** Options substrate owns, or that defeat reproducibility; `why` is shown to the user. */
const REFUSED: Readonly<Record<string, string>> = {
  "-append": "substrate always writes a new image (-noappend)",
  "-not-reproducible": "images must be reproducible",
  "-info": "it prints every file and floods the log",
  "-recover": "substrate always writes a new image",
  "-root-becomes": "it only applies when appending",
  "-version": "it makes mksquashfs exit without building",
};

/** Checks `livecd/fsops`-style tokens; the first refused one is reported. */
export function checkSquashfsOptions(tokens: readonly string[]): Result<void, SquashfsFailure> {
  for (const token of tokens) {
    const why = REFUSED[token];
    if (why !== undefined) {
      return err({
        reason: "refused-option",
        token,
        why,
        message: `mksquashfs option \`${token}\` is not allowed: ${why}`,
      });
    }
  }
  return ok(undefined);
}

/** The mksquashfs argv for these options (exported for tests and `--dry-run` displays). */
export function squashfsArgv(options: SquashfsOptions): string[] {
  const extra = options.options ?? [];
  const argv = ["mksquashfs", options.source, options.output, "-noappend", "-no-progress"];
  if (!extra.includes("-comp")) argv.push("-comp", options.compressor ?? "zstd");
  if (options.processors !== undefined) argv.push("-processors", String(options.processors));
  argv.push(...extra);
  return argv;
}

/** Builds the squashfs image. */
export async function makeSquashfs(
  options: SquashfsOptions,
): Promise<Result<SquashfsImage, SquashfsFailure>> {
  const checked = checkSquashfsOptions(options.options ?? []);
  if (!checked.ok) return checked;
  const source = await stat(options.source).catch(() => undefined);
  if (source?.isDirectory() !== true) {
    return err({
      reason: "source-missing",
      path: options.source,
      message: `the folder to squash, ${options.source}, does not exist`,
    });
  }
  await mkdir(dirname(options.output), { recursive: true });
  const r = await runImageTool(squashfsArgv(options), options.output, options);
  return r.ok ? r : err(toolFailed(r.error));
}

function toolFailed(failure: RunFailure): SquashfsFailure {
  return {
    reason: "tool-failed",
    failure,
    message: describeFailure(failure),
    tail: "tail" in failure ? failure.tail : [],
  };
}

/** mksquashfs options that change how the image is encoded, never what it holds. */
const ENCODING_FLAGS = new Set([
  "-noI",
  "-noId",
  "-noD",
  "-noF",
  "-noX",
  "-noInodeCompression",
  "-noIdTableCompression",
  "-noDataCompression",
  "-noFragmentCompression",
  "-noXattrCompression",
  "-no-fragments",
  "-always-use-fragments",
  "-no-duplicates",
  "-exports",
  "-no-exports",
  "-no-sparse",
  "-tailends",
  "-no-tailends",
  "-nopad",
  "-quiet",
  "-no-progress",
  "-progress",
  "-Xhc",
  "-Xsmall",
]);
const ENCODING_WITH_VALUE = new Set([
  "-comp",
  "-b",
  "-Xcompression-level",
  "-Xbcj",
  "-Xdict-size",
  "-Xalgorithm",
  "-Xstrategy",
  "-Xwindow-size",
  "-processors",
  "-mem",
  "-throttle",
  "-limit",
  "-read-queue",
  "-write-queue",
  "-fragment-queue",
]);

/**
 * True when these `livecd/fsops` tokens only choose the encoding (compressor, block size,
 * threads...), so unpacking the image gives back exactly the folder it was made from. Options
 * that filter or rewrite content (`-e`, `-ef`, `-all-root`, `-no-xattrs`, pseudo files...)
 * make it false.
 */
export function squashfsKeepsContent(tokens: readonly string[]): boolean {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] ?? "";
    if (ENCODING_WITH_VALUE.has(t)) i += 1;
    else if (!ENCODING_FLAGS.has(t)) return false;
  }
  return true;
}
