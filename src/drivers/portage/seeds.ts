/**
 * Gentoo seeds: upstream autobuild stage3 tarballs, fetched and verified the way substrate's
 * `builds/<arch>/<flavour>/Makefile` did (substrate.md §3), with gpgv instead of `gpg -d`:
 *
 * 1. read the clear-signed pointer `releases/<keyword>/autobuilds/latest-stage3-<subarch>-<variant>.txt`
 *    (its signed text holds `<date>/<file> <size>`), unless the seed is pinned to a date;
 * 2. download the tarball (resumable) and its `.DIGESTS` (and `.asc`, `.CONTENTS.gz` when there);
 * 3. check the size against the pointer, the `.DIGESTS` signature (or the tarball's `.asc`) and
 *    its SHA512/BLAKE2B lines;
 * 4. publish the tarball and its side files in the seed's folder and point
 *    `<stage3-name>-latest<ext>` at it, which is what `source_subpath` names.
 *
 * Downloads go to `<cache>/downloads/`; a refused file is deleted there, and nothing reaches
 * `builds/` unless every check passed. An interrupted transfer leaves `<name>.part` for resume.
 */
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Event } from "../../report/events.js";
import { type Result, ok, err } from "../../util/result.js";
import { archEntry, knownSubarches } from "./arch-table.js";
import { type PointerEntry, parsePointer, pointerPath, upstreamVariant } from "./autobuild.js";
import { type DownloadFailure, download, joinUrl } from "./download.js";
import { chooseKeyring, isClearSigned, verifyClearSigned } from "./openpgp.js";
import { type Verified, verifySigned } from "./signed-digests.js";
import type { FailureOf } from "../../report/failure.js";

/** Why a seed could not be provided. */
export type FetchFailure = FailureOf<
  | "not-upstream"
  | "unknown-subarch"
  | "download-failed"
  | "bad-pointer"
  | "bad-signature"
  | "unsigned"
  | "no-digest-line"
  | "digest-mismatch"
  | "size-mismatch"
  | "no-keyring"
  | "gpgv-missing"
  | "unreadable"
  | "cancelled"
>;

/** Settings shared by seed and snapshot fetches. */
export interface FetchSettings {
  /** Mirror base URLs (`https://distfiles.gentoo.org`, `file:///srv/gentoo`), tried in order. */
  readonly mirrors: readonly string[];
  /** The store's cache folder (downloads land in `<cache>/downloads`). */
  readonly cacheDir: string;
  /** OpenPGP keyring file (default: Gentoo's release key where installed). */
  readonly keyring?: string;
  /** Accept input no signature covers (digests are still checked). */
  readonly insecure?: boolean;
  readonly signal?: AbortSignal;
  /** Progress and notes. */
  readonly emit?: (event: Event) => void;
}

/** One seed to provide. */
export interface SeedRequest {
  /** The store path the plan looks for, without extension: `<builds>/<arch>/<flavour>/stage3-<...>-latest`. */
  readonly seedPath: string;
  /** The tree's arch folder (`amd64`, `armv7a`). */
  readonly arch: string;
  readonly subarch: string;
  readonly flavour: string;
  /** Upstream variant (`openrc`, `nomultilib-systemd`); default from {@link upstreamVariant}. */
  readonly variant?: string;
  /** Pin: an autobuild timestamp (`20250105T170325Z`) instead of the latest pointer. */
  readonly date?: string;
  /** Pin: a local stage3 file (its `.DIGESTS` must sit next to it). */
  readonly file?: string;
}

/** A provided seed. */
export interface SeedResult {
  /** The published dated tarball. */
  readonly file: string;
  /** The `-latest` link pointing at it. */
  readonly link: string;
  readonly verified: Verified;
  /** Whether it was already in the store (no download). */
  readonly reused: boolean;
}

function fail(
  reason: FetchFailure["reason"],
  message: string,
  hint?: string,
): { ok: false; error: FetchFailure } {
  return err(hint === undefined ? { reason, message } : { reason, message, hint });
}

function fromDownload(f: DownloadFailure): FetchFailure {
  if (f.reason === "cancelled") return { reason: "cancelled", message: f.message };
  if (f.reason === "size-mismatch") return { reason: "size-mismatch", message: f.message };
  return { reason: "download-failed", message: f.message };
}

/** The keyring to verify with, or undefined with --insecure and no keyring. */
export function resolveKeyring(s: FetchSettings): Result<string | undefined, FetchFailure> {
  const k = chooseKeyring(s.keyring);
  if (k.ok) return k;
  if (s.insecure === true && s.keyring === undefined) return ok(undefined);
  const e = k.error;
  return fail(
    e.reason === "no-keyring" ? "no-keyring" : "unreadable",
    e.message,
    "hint" in e ? e.hint : undefined,
  );
}

/** Moves a file across folders (rename, else copy and delete). */
export function moveFile(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch {
    copyFileSync(from, to);
    rmSync(from, { force: true });
  }
}

function progress(
  s: FetchSettings,
  what: string,
): (received: number, total: number | undefined) => void {
  let last = -1;
  return (received, total) => {
    const pct = total === undefined || total === 0 ? undefined : received / total;
    const step = pct === undefined ? Math.floor(received / (16 << 20)) : Math.floor(pct * 20);
    if (step === last) return;
    last = step;
    const mib = (received / (1 << 20)).toFixed(1);
    s.emit?.({
      type: "stage-progress",
      stage: "fetch",
      message: `${what}: ${mib} MiB${total === undefined ? "" : ` of ${(total / (1 << 20)).toFixed(1)} MiB`}`,
      ...(pct === undefined ? {} : { fraction: Math.min(1, pct) }),
    });
  };
}

/** Points `<seedPath><ext>` at `file` (a sibling), replacing older `-latest` links. */
export function linkLatest(seedPath: string, file: string): string {
  const dir = dirname(seedPath);
  const base = basename(seedPath);
  const ext = /(\.tar\.\w+)$/.exec(basename(file))?.[1] ?? "";
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(`${base}.`)) continue;
    if (lstatSync(join(dir, name)).isSymbolicLink()) rmSync(join(dir, name));
  }
  const link = `${seedPath}${ext}`;
  symlinkSync(basename(file), link);
  return link;
}

/**
 * Provides one upstream stage3 seed (see the file header). Verification failures delete what was
 * downloaded and name the reason; nothing is published unless every check passed.
 */
export async function fetchSeed(
  req: SeedRequest,
  s: FetchSettings,
): Promise<Result<SeedResult, FetchFailure>> {
  if (!basename(req.seedPath).startsWith("stage3-")) {
    return fail(
      "not-upstream",
      `${basename(req.seedPath)} is not an upstream stage3: Gentoo publishes stage3 seeds only`,
      "build it from a stage3 seed first, or point source_subpath at a stage3",
    );
  }
  const arch = archEntry(req.subarch);
  if (arch === undefined) {
    return fail(
      "unknown-subarch",
      `unknown subarch ${req.subarch}`,
      `known: ${knownSubarches().join(", ")}`,
    );
  }
  const keyring = resolveKeyring(s);
  if (!keyring.ok) return keyring;
  const destDir = dirname(req.seedPath);
  const downloads = join(s.cacheDir, "downloads");
  mkdirSync(downloads, { recursive: true });
  const variant = req.variant ?? upstreamVariant(req.subarch, req.flavour);

  if (req.file !== undefined) {
    const digests = `${req.file}.DIGESTS`;
    const v = await verifySigned({
      file: req.file,
      digestsFile: digests,
      ...(existsSync(`${req.file}.asc`) ? { detachedSig: `${req.file}.asc` } : {}),
      keyring: keyring.value,
      insecure: s.insecure === true,
      ...(s.signal === undefined ? {} : { signal: s.signal }),
    });
    if (!v.ok) return err(v.error);
    mkdirSync(destDir, { recursive: true });
    const target = join(destDir, basename(req.file));
    if (target !== req.file) {
      copyFileSync(req.file, `${target}.tmp`);
      renameSync(`${target}.tmp`, target);
      copyFileSync(digests, `${target}.DIGESTS`);
    }
    return ok({
      file: target,
      link: linkLatest(req.seedPath, target),
      verified: v.value,
      reused: true,
    });
  }

  const autobuilds = `releases/${arch.keyword}/autobuilds`;
  let lastFailure: FetchFailure | undefined;
  for (const mirror of s.mirrors) {
    let entry: PointerEntry;
    if (req.date !== undefined) {
      entry = { path: `${req.date}/stage3-${req.subarch}-${variant}-${req.date}.tar.xz` };
    } else {
      const pointerUrl = joinUrl(mirror, pointerPath(arch.keyword, req.subarch, variant));
      const pointerFile = join(downloads, basename(pointerUrl));
      rmSync(pointerFile, { force: true });
      rmSync(`${pointerFile}.part`, { force: true });
      const got = await download({
        url: pointerUrl,
        dest: pointerFile,
        ...(s.signal === undefined ? {} : { signal: s.signal }),
      });
      if (!got.ok) {
        lastFailure = fromDownload(got.error);
        continue;
      }
      let text = readFileSync(pointerFile, "utf8");
      if (keyring.value !== undefined) {
        const v = await verifyClearSigned(pointerFile, keyring.value, s.signal);
        rmSync(pointerFile, { force: true });
        if (!v.ok) {
          return fail(
            v.error.reason === "gpgv-missing" ? "gpgv-missing" : "bad-signature",
            `${basename(pointerUrl)} from ${mirror}: ${v.error.message}`,
            "hint" in v.error ? v.error.hint : undefined,
          );
        }
        text = v.value;
      } else {
        rmSync(pointerFile, { force: true });
        if (!isClearSigned(text))
          s.emit?.({
            type: "warning",
            message: `${basename(pointerUrl)} is not signed (accepted: --insecure)`,
          });
      }
      const entries = parsePointer(text);
      const picked = entries.find((e) => e.path.endsWith(".tar.xz")) ?? entries[0];
      if (picked === undefined) return fail("bad-pointer", `${pointerUrl} names no stage3 tarball`);
      entry = picked;
    }
    const name = basename(entry.path);
    const published = join(destDir, name);
    if (existsSync(published) && existsSync(`${published}.DIGESTS`)) {
      // Already in the store (a pinned or repeated fetch): check it again, offline.
      const v = await verifySigned({
        file: published,
        digestsFile: `${published}.DIGESTS`,
        keyring: keyring.value,
        insecure: s.insecure === true,
        ...(existsSync(`${published}.asc`) ? { detachedSig: `${published}.asc` } : {}),
      });
      if (v.ok)
        return ok({
          file: published,
          link: linkLatest(req.seedPath, published),
          verified: v.value,
          reused: true,
        });
    }
    const base = joinUrl(mirror, `${autobuilds}/${entry.path}`);
    const local = join(downloads, name);
    const side = (ext: string): string => `${local}${ext}`;
    const cleanup = (): void => {
      for (const f of [
        local,
        side(".DIGESTS"),
        side(".DIGESTS.asc"),
        side(".asc"),
        side(".CONTENTS.gz"),
      ])
        rmSync(f, { force: true });
    };
    s.emit?.({ type: "info", message: `fetching ${name} from ${mirror}` });
    const tar = await download({
      url: base,
      dest: local,
      ...(entry.size === undefined ? {} : { expectedSize: entry.size }),
      onProgress: progress(s, name),
      ...(s.signal === undefined ? {} : { signal: s.signal }),
    });
    if (!tar.ok) {
      lastFailure = fromDownload(tar.error);
      if (tar.error.reason === "size-mismatch") {
        cleanup();
        return err(lastFailure);
      }
      if (tar.error.reason === "cancelled") return err(lastFailure);
      continue;
    }
    for (const f of [side(".DIGESTS"), side(".asc"), side(".CONTENTS.gz")])
      rmSync(f, { force: true });
    const dig = await download({ url: `${base}.DIGESTS`, dest: side(".DIGESTS") });
    if (!dig.ok) {
      cleanup();
      return fail("no-digest-line", `${name}.DIGESTS could not be fetched: ${dig.error.message}`);
    }
    const asc = await download({ url: `${base}.asc`, dest: side(".asc"), retries: 0 });
    await download({ url: `${base}.CONTENTS.gz`, dest: side(".CONTENTS.gz"), retries: 0 });
    // Autobuilds before 2022 signed the digests in a separate clear-signed `.DIGESTS.asc`.
    if (!asc.ok && !isClearSigned(readFileSync(side(".DIGESTS"), "utf8"))) {
      const old = await download({
        url: `${base}.DIGESTS.asc`,
        dest: side(".DIGESTS.asc"),
        retries: 0,
      });
      if (old.ok) {
        if (isClearSigned(readFileSync(side(".DIGESTS.asc"), "utf8")))
          moveFile(side(".DIGESTS.asc"), side(".DIGESTS"));
        else rmSync(side(".DIGESTS.asc"), { force: true });
      }
    }
    const v = await verifySigned({
      file: local,
      digestsFile: side(".DIGESTS"),
      ...(asc.ok ? { detachedSig: side(".asc") } : {}),
      keyring: keyring.value,
      insecure: s.insecure === true,
      ...(s.signal === undefined ? {} : { signal: s.signal }),
    });
    if (!v.ok) {
      cleanup();
      return err(v.error);
    }
    mkdirSync(destDir, { recursive: true });
    for (const ext of [".DIGESTS", ".asc", ".CONTENTS.gz"]) {
      if (existsSync(side(ext))) moveFile(side(ext), `${published}${ext}`);
    }
    moveFile(local, published);
    s.emit?.({
      type: "info",
      message: `verified ${name} (${v.value.signature}, ${v.value.algorithms.join(" ")})`,
    });
    return ok({
      file: published,
      link: linkLatest(req.seedPath, published),
      verified: v.value,
      reused: false,
    });
  }
  return err(lastFailure ?? { reason: "download-failed", message: "no mirror configured" });
}
