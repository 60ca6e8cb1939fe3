/**
 * Reading an ISO back without mounting it (no iso9660 mounts anywhere): listing with xorriso,
 * extracting files with osirrox, the boot records (volume id, El Torito, GPT), the El Torito EFI
 * image with `-extract_boot_images`, and files inside that FAT image with mtools (also at an
 * offset inside the ISO). Boot tests (`src/boot/`) read ISOs only through this module.
 */
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describeFailure, run } from "../sandbox/process.js";
import { type Result, ok, err } from "../util/result.js";
import type { FailureOf } from "../report/failure.js";
import { type IsoFailure, toolFailed } from "./iso.js";

/** Why an ISO could not be read. */
export type IsoReadFailure = FailureOf<"iso-unreadable">;

function fail(message: string): { readonly ok: false; readonly error: IsoReadFailure } {
  return err({ reason: "iso-unreadable", message });
}

/** Undoes xorriso's shell-style quoting of a listed path (`'a b'`, `'it'"'"'s'`). */
export function unquoteXorrisoPath(text: string): string {
  let out = "";
  const re = /'([^']*)'|"([^"]*)"|\\(.)|([^'"\\]+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) out += m[1] ?? m[2] ?? m[3] ?? m[4] ?? "";
  return out;
}

/** Every regular file in the ISO, as absolute ISO paths (`/boot/debian`). */
export async function listIsoFiles(iso: string): Promise<Result<string[], IsoReadFailure>> {
  const r = await run({
    argv: ["xorriso", "-indev", iso, "-find", "/", "-type", "f"],
    captureStdout: true,
    timeoutMs: 60_000,
  });
  if (!r.ok) return fail(`cannot list ${iso}: ${describeFailure(r.error)}`);
  return ok(
    r.value.stdout
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map(unquoteXorrisoPath),
  );
}

/** The ISO's volume id (what `root=live:CDLABEL=` refers to). */
export async function isoVolumeId(iso: string): Promise<Result<string, IsoReadFailure>> {
  const r = await run({
    argv: ["xorriso", "-indev", iso, "-pvd_info"],
    captureStdout: true,
    timeoutMs: 60_000,
  });
  if (!r.ok) return fail(`cannot read ${iso}: ${describeFailure(r.error)}`);
  const m = /^Volume Id\s*:\s*(.*)$/m.exec(r.value.stdout);
  return ok(m?.[1]?.trim() ?? "");
}

/** Copies one file out of the ISO to `dest`. */
export async function extractIsoFile(
  iso: string,
  path: string,
  dest: string,
): Promise<Result<string, IsoReadFailure>> {
  const r = await run({
    argv: ["osirrox", "-indev", iso, "-extract", path, dest],
    timeoutMs: 300_000,
  });
  if (!r.ok) return fail(`cannot extract ${path} from ${iso}: ${describeFailure(r.error)}`);
  return ok(dest);
}

/** Reads a (small) text file from the ISO. */
export async function readIsoText(
  iso: string,
  path: string,
  workDir: string,
): Promise<Result<string, IsoReadFailure>> {
  const dest = join(workDir, `read-${Math.random().toString(36).slice(2)}`);
  const r = await extractIsoFile(iso, path, dest);
  if (!r.ok) return r;
  return ok(readFileSync(dest, "utf8"));
}

/**
 * Extracts the ISO's El Torito EFI boot image (the ESP) into `dir` and returns its path, or
 * undefined when the ISO has none.
 */
export async function extractEsp(
  iso: string,
  dir: string,
): Promise<Result<string | undefined, IsoReadFailure>> {
  mkdirSync(dir, { recursive: true });
  const r = await run({
    argv: ["xorriso", "-osirrox", "on", "-indev", iso, "-extract_boot_images", dir + "/"],
    timeoutMs: 120_000,
  });
  if (!r.ok) return fail(`cannot extract the boot images of ${iso}: ${describeFailure(r.error)}`);
  const names = readdirSync(dir);
  const esp =
    names.find((n) => /^eltorito_img\d+_uefi\.img$/.test(n)) ??
    names.find((n) => /_efi\.img$/.test(n));
  return ok(esp === undefined ? undefined : join(dir, esp));
}

/** Lists the files in one folder of a FAT image (names only). */
export async function listFatDir(image: string, dir: string): Promise<string[]> {
  const r = await run({
    argv: ["mdir", "-b", "-i", image, `::${dir}`],
    captureStdout: true,
    timeoutMs: 30_000,
  });
  if (!r.ok) return [];
  return r.value.stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .map((l) => l.replace(/^::/, ""));
}

/** Reads a text file from a FAT image, or undefined. */
export async function readFatText(image: string, path: string): Promise<string | undefined> {
  const r = await run({
    argv: ["mtype", "-i", image, `::${path}`],
    captureStdout: true,
    timeoutMs: 30_000,
  });
  return r.ok ? r.value.stdout : undefined;
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
