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
import { basename, join } from "node:path";
import { run, describeFailure } from "../../sandbox/process.js";
import { type Result, ok, err } from "../../util/result.js";
import { download, joinUrl } from "./download.js";
import { isClearSigned, verifyClearSigned, verifyDetached } from "./openpgp.js";
import { type FetchFailure, type FetchSettings, moveFile, resolveKeyring } from "./seeds.js";
import { verifySigned, type Verified } from "./signed-digests.js";
import type { FailureOf } from "../../report/failure.js";

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
    const sig = (file: string): string => `${file}.sig`;
    const cleanup = (): void => {
      for (const f of [sums, sig(sums), local, sig(local)]) rmSync(f, { force: true });
    };
    cleanup();
    rmSync(`${sums}.part`, { force: true });
    const got = await download({ url: joinUrl(base, "sha512sum.txt"), dest: sums });
    if (!got.ok) {
      last = { reason: "download-failed", message: got.error.message };
      continue;
    }
    const clear = isClearSigned(readFileSync(sums, "utf8"));
    // Without a clear signature: a detached one over sha512sum.txt, else over the snapshot.
    const sumsSig =
      !clear &&
      (await download({ url: joinUrl(base, "sha512sum.txt.asc"), dest: sig(sums), retries: 0 })).ok;
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
      last =
        snap.error.reason === "cancelled"
          ? { reason: "cancelled", message: snap.error.message }
          : { reason: "download-failed", message: snap.error.message };
      if (snap.error.reason === "not-found") {
        cleanup();
        continue;
      }
      return err(last);
    }
    const fileSig =
      !clear &&
      !sumsSig &&
      (await download({ url: joinUrl(base, `${name}.gpgsig`), dest: sig(local), retries: 0 })).ok;
    let trusted = readFileSync(sums, "utf8");
    let signature: Verified["signature"] = "skipped (--insecure)";
    if (keyring.value !== undefined) {
      if (clear) {
        const v = await verifyClearSigned(sums, keyring.value, s.signal);
        if (!v.ok) {
          cleanup();
          return err({ reason: "bad-signature", message: `sha512sum.txt: ${v.error.message}` });
        }
        trusted = v.value;
        signature = "clear-signed";
      } else if (sumsSig || fileSig) {
        const [sigFile, signed] = sumsSig ? [sig(sums), sums] : [sig(local), local];
        const v = await verifyDetached(sigFile, signed, keyring.value, s.signal);
        if (!v.ok) {
          cleanup();
          return err({
            reason: "bad-signature",
            message: `${basename(signed)}: ${v.error.message}`,
          });
        }
        signature = "detached";
      }
    }
    if (signature === "skipped (--insecure)" && s.insecure !== true) {
      cleanup();
      return err({
        reason: "unsigned",
        message: "sha512sum.txt carries no signature and the snapshot has none",
        hint: "pass --insecure to accept an unsigned snapshot",
      });
    }
    // The digest line comes from the signed text only.
    writeFileSync(sums, trusted);
    const v = await verifySigned({
      file: local,
      digestsFile: sums,
      keyring: undefined,
      insecure: true,
      bareLines: true,
      ...(s.signal === undefined ? {} : { signal: s.signal }),
    });
    if (!v.ok) {
      cleanup();
      return err(v.error);
    }
    mkdirSync(dir, { recursive: true });
    const line = trusted.split("\n").find((l) => / \*?(\S+)$/.exec(l.trim())?.[1] === name) ?? "";
    writeFileSync(`${file}.DIGESTS`, `# SHA512 HASH\n${line.trim()}\n`);
    moveFile(local, file);
    cleanup();
    s.emit?.({ type: "info", message: `verified snapshot ${name} (${signature}, SHA512)` });
    return ok({ file, verified: { signature, algorithms: v.value.algorithms }, reused: false });
  }
  return err(last ?? { reason: "download-failed", message: "no mirror configured" });
}

/** Why a snapshot could not be unpacked. */
export type UnpackFailure = FailureOf<"missing-snapshot" | "unpack-failed">;

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
