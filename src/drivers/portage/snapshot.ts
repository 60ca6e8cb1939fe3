/**
 * Portage tree snapshots: `gentoo-<treeish>.sqfs` (treeish `<YYYYMMDD>.xz` or `.lzo`, catalyst's
 * `snapshot_treeish`) from a mirror's `snapshots/squashfs/`, checked against the clear-signed
 * `sha512sum.txt` published beside them (substrate.md §2 step 4, with the signature checked too).
 * Verified snapshots live in `<cache>/snapshots/`; each is unpacked once with `unsquashfs` into
 * `<cache>/snapshots/trees/<treeish>-<digest>/`, which builds bind read-only at
 * /var/db/repos/gentoo (no loop device, no host /dev needed).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, describeFailure } from "../../sandbox/process.js";
import { type Result, ok, err } from "../../util/result.js";
import { download, joinUrl } from "./download.js";
import { isClearSigned, verifyClearSigned, verifyDetached } from "./openpgp.js";
import { type FetchFailure, type FetchSettings, moveFile, resolveKeyring } from "./seeds.js";
import { verifySigned, type Verified } from "./signed-digests.js";

/** The snapshot file name for a treeish (`20260101.lzo` -> `gentoo-20260101.lzo.sqfs`). */
export function snapshotFileName(treeish: string, repo = "gentoo"): string {
  const t = /^\d{8}$/.test(treeish) ? `${treeish}.xz` : treeish;
  return `${repo}-${t}.sqfs`;
}

/** The date a snapshot is taken by default: yesterday (UTC), as substrate's script did. */
export function defaultSnapshotDate(now: Date = new Date()): string {
  const d = new Date(now.getTime() - 86_400_000);
  return d.toISOString().slice(0, 10).replace(/-/g, "");
}

/** Where verified snapshots are kept. */
export function snapshotDir(cacheDir: string): string {
  return join(cacheDir, "snapshots");
}

/** A provided snapshot. */
export interface SnapshotResult {
  readonly file: string;
  readonly verified: Verified | "already verified";
  readonly reused: boolean;
}

/**
 * Provides `gentoo-<treeish>.sqfs` in the cache: reused when already there with its recorded
 * digest, else downloaded and verified (signature of `sha512sum.txt`, then its SHA512 line).
 */
export async function fetchSnapshot(
  treeish: string,
  s: FetchSettings,
): Promise<Result<SnapshotResult, FetchFailure>> {
  const name = snapshotFileName(treeish);
  const dir = snapshotDir(s.cacheDir);
  const file = join(dir, name);
  if (existsSync(file) && existsSync(`${file}.DIGESTS`)) {
    return ok({ file, verified: "already verified", reused: true });
  }
  const keyring = resolveKeyring(s);
  if (!keyring.ok) return keyring;
  const downloads = join(s.cacheDir, "downloads");
  mkdirSync(downloads, { recursive: true });
  let last: FetchFailure | undefined;
  for (const mirror of s.mirrors) {
    const base = joinUrl(mirror, "snapshots/squashfs");
    const sums = join(downloads, `sha512sum-${treeish}.txt`);
    const local = join(downloads, name);
    const cleanup = (): void => {
      for (const f of [sums, `${sums}.asc`, local]) rmSync(f, { force: true });
    };
    rmSync(sums, { force: true });
    rmSync(`${sums}.part`, { force: true });
    const got = await download({ url: joinUrl(base, "sha512sum.txt"), dest: sums });
    if (!got.ok) {
      last = { reason: "download-failed", message: got.error.message };
      continue;
    }
    let detached: string | undefined;
    if (!isClearSigned(readFileSync(sums, "utf8"))) {
      const asc = await download({
        url: joinUrl(base, "sha512sum.txt.asc"),
        dest: `${sums}.asc`,
        retries: 0,
      });
      if (asc.ok) detached = `${sums}.asc`;
    }
    s.emit?.({ type: "info", message: `fetching snapshot ${name} from ${mirror}` });
    const snap = await download({
      url: joinUrl(base, name),
      dest: local,
      onProgress: (received, total) =>
        s.emit?.({
          type: "stage-progress",
          stage: "fetch",
          message: `${name}: ${(received / (1 << 20)).toFixed(1)} MiB`,
          ...(total === undefined || total === 0
            ? {}
            : { fraction: Math.min(1, received / total) }),
        }),
      ...(s.signal === undefined ? {} : { signal: s.signal }),
    });
    if (!snap.ok) {
      last = {
        reason: snap.error.reason === "cancelled" ? "cancelled" : "download-failed",
        message: snap.error.message,
      };
      if (snap.error.reason === "not-found") {
        cleanup();
        continue;
      }
      return err(last);
    }
    // A detached signature covers sha512sum.txt, not the snapshot: check it here.
    if (detached !== undefined && keyring.value !== undefined) {
      const d = await verifyDetached(detached, sums, keyring.value, s.signal);
      if (!d.ok) {
        cleanup();
        return err({ reason: "bad-signature", message: `sha512sum.txt: ${d.error.message}` });
      }
    }
    const signedText =
      keyring.value !== undefined &&
      detached === undefined &&
      isClearSigned(readFileSync(sums, "utf8"))
        ? await verifyClearSigned(sums, keyring.value, s.signal)
        : undefined;
    if (signedText !== undefined && !signedText.ok) {
      cleanup();
      return err({
        reason: "bad-signature",
        message: `sha512sum.txt: ${signedText.error.message}`,
      });
    }
    const v = await verifySigned({
      file: local,
      digestsFile: sums,
      // Already checked above: verifySigned only parses and hashes now.
      keyring: undefined,
      insecure: true,
      bareLines: true,
      ...(s.signal === undefined ? {} : { signal: s.signal }),
    });
    const unsigned =
      keyring.value !== undefined && signedText === undefined && detached === undefined;
    if (unsigned && s.insecure !== true) {
      cleanup();
      return err({
        reason: "unsigned",
        message: "sha512sum.txt carries no signature",
        hint: "pass --insecure to accept an unsigned snapshot",
      });
    }
    if (!v.ok) {
      cleanup();
      return err(v.error);
    }
    mkdirSync(dir, { recursive: true });
    const trusted = signedText?.ok === true ? signedText.value : readFileSync(sums, "utf8");
    const line =
      trusted
        .split("\n")
        .find((l) => l.trim().endsWith(` ${name}`) || l.trim().endsWith(`*${name}`)) ?? "";
    writeFileSync(`${file}.DIGESTS`, `# SHA512 HASH\n${line.trim()}\n`);
    moveFile(local, file);
    cleanup();
    const signature: Verified["signature"] =
      signedText !== undefined
        ? "clear-signed"
        : detached !== undefined && keyring.value !== undefined
          ? "detached"
          : "skipped (--insecure)";
    s.emit?.({ type: "info", message: `verified snapshot ${name} (${signature}, SHA512)` });
    return ok({ file, verified: { signature, algorithms: v.value.algorithms }, reused: false });
  }
  return err(last ?? { reason: "download-failed", message: "no mirror configured" });
}

/** Why a snapshot could not be unpacked. */
export interface UnpackFailure {
  readonly reason: "missing-snapshot" | "unpack-failed";
  readonly message: string;
  readonly hint?: string;
}

/**
 * The unpacked tree of `sqfs` under `<cache>/snapshots/trees/`, made once (unsquashfs into a
 * temporary folder renamed into place) and shared by every build that uses the same file.
 */
export async function unpackedSnapshot(
  sqfs: string,
  cacheDir: string,
  logFile?: string,
  signal?: AbortSignal,
): Promise<Result<string, UnpackFailure>> {
  if (!existsSync(sqfs)) {
    return err({
      reason: "missing-snapshot",
      message: `the Portage snapshot ${sqfs} is not in the store`,
      hint: "run `substrate fetch` for this tree (or --date to pick the snapshot day)",
    });
  }
  let key: string;
  const recorded = existsSync(`${sqfs}.DIGESTS`)
    ? /([0-9a-f]{128})/.exec(readFileSync(`${sqfs}.DIGESTS`, "utf8"))?.[1]
    : undefined;
  if (recorded !== undefined) key = recorded.slice(0, 16);
  else key = createHash("sha512").update(readFileSync(sqfs)).digest("hex").slice(0, 16);
  const name = sqfs.replace(/^.*\//, "").replace(/\.sqfs$/, "");
  const trees = join(snapshotDir(cacheDir), "trees");
  const dest = join(trees, `${name}-${key}`);
  if (existsSync(dest)) return ok(dest);
  mkdirSync(trees, { recursive: true });
  const temp = `${dest}.tmp-${process.pid}-${Date.now()}`;
  const r = await run({
    argv: ["unsquashfs", "-no-xattrs", "-quiet", "-no-progress", "-d", temp, sqfs],
    ...(logFile === undefined ? {} : { logFile }),
    ...(signal === undefined ? {} : { signal }),
  });
  if (!r.ok) {
    rmSync(temp, { recursive: true, force: true });
    return err({
      reason: "unpack-failed",
      message: `unsquashfs ${sqfs}: ${describeFailure(r.error)}`,
    });
  }
  try {
    renameSync(temp, dest);
  } catch {
    // Another build unpacked the same snapshot meanwhile: use theirs.
    rmSync(temp, { recursive: true, force: true });
  }
  return ok(dest);
}
