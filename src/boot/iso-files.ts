/**
 * Reading files out of an ISO without mounting it (no iso9660 mounts here): listing with
 * xorriso, extracting with osirrox, the El Torito EFI image with `-extract_boot_images`, and
 * files inside that FAT image with mtools. A stand-in until `src/image/iso.ts` offers the same.
 */
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describeFailure, run } from "../sandbox/process.js";
import { type Result, ok, err } from "../util/result.js";
import type { FailureOf } from "../report/failure.js";

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
