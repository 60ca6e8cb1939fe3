/**
 * The EFI system partition image of a live ISO: a FAT file system made in a plain file with
 * `mkfs.vfat -C` and filled with mtools (`mmd`, `mcopy`), so no loop device or mount is needed.
 * The image is sized from its content. With a `SOURCE_DATE_EPOCH` it is reproducible: mkfs.vfat
 * runs with `--invariant` and a fixed serial, and mtools stamps that time on every entry.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describeFailure, run } from "../sandbox/process.js";
import { type Result, ok, err } from "../util/result.js";
import { epochEnv } from "./epoch.js";
import type { ToolRunOptions } from "./made-image.js";
import type { FailureOf } from "../report/failure.js";

/** One file in the ESP: copied from the host, or written from text/bytes. */
export type EspFile =
  | {
      /** Path inside the ESP, relative, `/`-separated, e.g. `EFI/BOOT/BOOTX64.EFI`. */
      readonly path: string;
      /** Host file to copy. */
      readonly source: string;
    }
  | { readonly path: string; readonly content: string | Uint8Array };

/** What to build: the files of `sourceDir` (walked recursively), then `files`. */
export interface EspOptions extends ToolRunOptions {
  /** A folder laid out like the ESP (e.g. `EFI/BOOT/BOOTX64.EFI`, `loader/...`). */
  readonly sourceDir?: string | undefined;
  readonly files?: readonly EspFile[] | undefined;
  /** The image file to write (replaced if present). */
  readonly output: string;
  /** FAT volume label: 1-11 characters of `A-Z 0-9 _ -` (default `ESP`). */
  readonly label?: string | undefined;
  /**
   * Volume serial as 8 hex digits. Default: derived from the label and `sourceDateEpoch` when
   * one is given (reproducible), else random.
   */
  readonly serial?: string | undefined;
  /** Seconds since 1970 stamped on every file and folder; also makes mkfs.vfat invariant. */
  readonly sourceDateEpoch?: number | undefined;
  /** Free space to leave in the image, in bytes (default 0: sized to fit). */
  readonly freeBytes?: number | undefined;
}

/** The image made. */
export interface EspImage {
  readonly path: string;
  /** Size of the image file. */
  readonly bytes: number;
  /** Sum of the file sizes put in. */
  readonly contentBytes: number;
  /** The volume serial used, when fixed (absent: mkfs.vfat picked one). */
  readonly serial?: string;
}

/** Why no image was made. Every variant carries a one-sentence `message`. */
export type EspFailure = FailureOf<
  "bad-path" | "duplicate-path" | "bad-label" | "bad-serial" | "source-missing" | "tool-failed"
>;

const KIB = 1024;
const MIB = 1024 * KIB;
/** Allocation is counted in 4 KiB units: at least the cluster size mkfs.vfat picks up to 8 GiB. */
const UNIT = 4 * KIB;

/** Checks a path inside the ESP; returns the reason it is unusable, or undefined. */
export function espPathProblem(path: string): string | undefined {
  if (path === "" || path.startsWith("/") || path.endsWith("/")) {
    return "must be relative and name a file";
  }
  for (const seg of path.split("/")) {
    if (seg === "" || seg === "." || seg === "..") return "has an empty, `.` or `..` component";
    if (/["*:<>?\\|]/.test(seg) || hasControlChar(seg)) {
      return "has a character FAT does not allow";
    }
    if (seg.length > 255) return "has a component longer than 255 characters";
    if (/[ .]$/.test(seg)) return "has a component ending in a space or dot";
  }
  return undefined;
}

/** The folders to create for these files, parents first, each once. */
export function espFolders(paths: readonly string[]): string[] {
  const folders = new Set<string>();
  for (const p of paths) {
    const segs = p.split("/");
    for (let i = 1; i < segs.length; i++) folders.add(segs.slice(0, i).join("/"));
  }
  return [...folders].sort((a, b) => a.split("/").length - b.split("/").length || cmp(a, b));
}

/**
 * The image size in KiB for files of these sizes in these folders: content rounded to 4 KiB
 * units, one unit per folder, 3% plus 1 MiB for FAT tables, root folder and rounding, then
 * rounded up to a whole MiB.
 */
export function espSizeKiB(fileSizes: readonly number[], folders: number, freeBytes = 0): number {
  let units = folders;
  for (const size of fileSizes) units += Math.ceil(size / UNIT);
  const bytes = units * UNIT * 1.03 + MIB + freeBytes;
  return Math.ceil(bytes / MIB) * (MIB / KIB);
}

/** The default serial: stable for a given label and epoch. */
export function defaultSerial(label: string, sourceDateEpoch: number): string {
  return createHash("sha256").update(`${label}\0${sourceDateEpoch}`).digest("hex").slice(0, 8);
}

/** Lists a folder's files as ESP files, in a stable order. */
export async function espFilesFromDir(dir: string): Promise<EspFile[]> {
  const out: EspFile[] = [];
  const visit = async (rel: string): Promise<void> => {
    const entries = await readdir(join(dir, rel), { withFileTypes: true });
    entries.sort((a, b) => cmp(a.name, b.name));
    for (const e of entries) {
      const path = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await visit(path);
      else out.push({ path, source: join(dir, path) });
    }
  };
  await visit("");
  return out;
}

/** Builds the ESP image. */
export async function makeEspImage(options: EspOptions): Promise<Result<EspImage, EspFailure>> {
  const label = options.label ?? "ESP";
  if (!/^[A-Z0-9_-][A-Z0-9 _-]{0,10}$/.test(label)) {
    return err({
      reason: "bad-label",
      label,
      message: `FAT label \`${label}\` must be 1-11 characters of A-Z, 0-9, space, _ and -`,
    });
  }
  const serial =
    options.serial ??
    (options.sourceDateEpoch === undefined
      ? undefined
      : defaultSerial(label, options.sourceDateEpoch));
  if (serial !== undefined && !/^[0-9a-fA-F]{8}$/.test(serial)) {
    return err({
      reason: "bad-serial",
      serial,
      message: `FAT serial \`${serial}\` is not 8 hex digits`,
    });
  }
  const files: EspFile[] = [];
  if (options.sourceDir !== undefined) {
    const dir = await stat(options.sourceDir).catch(() => undefined);
    if (dir?.isDirectory() !== true) {
      return err({
        reason: "source-missing",
        path: options.sourceDir,
        message: `the ESP folder ${options.sourceDir} does not exist`,
      });
    }
    files.push(...(await espFilesFromDir(options.sourceDir)));
  }
  files.push(...(options.files ?? []));
  const seen = new Set<string>();
  for (const f of files) {
    const why = espPathProblem(f.path);
    if (why !== undefined) {
      return err({
        reason: "bad-path",
        path: f.path,
        why,
        message: `ESP path \`${f.path}\` ${why}`,
      });
    }
    // FAT compares names without case.
    const key = f.path.toLowerCase();
    if (seen.has(key)) {
      return err({
        reason: "duplicate-path",
        path: f.path,
        message: `ESP path \`${f.path}\` is given twice (FAT names ignore case)`,
      });
    }
    seen.add(key);
  }
  const sizes: number[] = [];
  for (const f of files) {
    if ("source" in f) {
      const st = await stat(f.source).catch(() => undefined);
      if (st?.isFile() !== true) {
        return err({
          reason: "source-missing",
          path: f.source,
          message: `${f.source} is not a file`,
        });
      }
      sizes.push(st.size);
    } else
      sizes.push(typeof f.content === "string" ? Buffer.byteLength(f.content) : f.content.length);
  }
  const folders = espFolders(files.map((f) => f.path));
  const kib = espSizeKiB(sizes, folders.length, options.freeBytes ?? 0);
  const env = { ...epochEnv(options.sourceDateEpoch), MTOOLS_SKIP_CHECK: "1" };
  const common = {
    extraEnv: env,
    ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  const tool = async (argv: string[]): Promise<Result<void, EspFailure>> => {
    const r = await run({ argv, ...common });
    if (r.ok) return ok(undefined);
    const f = r.error;
    return err({
      reason: "tool-failed",
      failure: f,
      message: describeFailure(f),
      tail: "tail" in f ? f.tail : [],
    });
  };

  await rm(options.output, { force: true });
  // --invariant fixes mkfs.vfat's time-based fields; it must come before -i, which it would
  // otherwise override with its own constant serial.
  const mkfs = ["mkfs.vfat", "-C"];
  if (options.sourceDateEpoch !== undefined) mkfs.push("--invariant");
  mkfs.push("-n", label);
  if (serial !== undefined) mkfs.push("-i", serial);
  mkfs.push(options.output, String(kib));
  const made = await tool(mkfs);
  if (!made.ok) return made;
  if (folders.length > 0) {
    const mmd = await tool(["mmd", "-i", options.output, ...folders.map((d) => `::/${d}`)]);
    if (!mmd.ok) return mmd;
  }
  // Generated files go through a private temporary folder next to the output.
  let tmp: string | undefined;
  try {
    let n = 0;
    for (const f of files) {
      let source: string;
      if ("source" in f) source = f.source;
      else {
        tmp ??= await mkdtemp(join(dirname(options.output), ".esp-"));
        source = join(tmp, String(n++));
        await writeFile(source, f.content);
      }
      const copied = await tool(["mcopy", "-i", options.output, "-D", "o", source, `::/${f.path}`]);
      if (!copied.ok) return copied;
    }
  } finally {
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  }
  const st = await stat(options.output);
  return ok({
    path: options.output,
    bytes: st.size,
    contentBytes: sizes.reduce((a, b) => a + b, 0),
    ...(serial === undefined ? {} : { serial }),
  });
}

function hasControlChar(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 0x20) return true;
  return false;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
