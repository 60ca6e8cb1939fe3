/**
 * The real-Portage tier (docs/real-portage-tier.md) published as a Gentoo mirror, so that its
 * seed and repository reach the Portage driver through the driver's own fetch path (issue 13,
 * items 1 and 2): the tier's seed `stage3-amd64-systemd-<stamp>.tar.xz` in the autobuild layout
 * (clear-signed `latest-stage3-amd64-systemd.txt` pointer, clear-signed `.DIGESTS` with BLAKE2B
 * and SHA512), and the generated ebuild repository as `snapshots/squashfs/gentoo-<treeish>.sqfs`
 * with a clear-signed `sha512sum.txt`, as Gentoo publishes them. The keys, signing and the
 * node:http server are the fake autobuild mirror's (test/e2e/portage/autobuild-fixture.ts).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import {
  type MirrorFiles,
  type TestKey,
  clearSign,
  digestsText,
} from "../e2e/portage/autobuild-fixture.js";
import { REPO_ROOT } from "./cli.js";
import { type EbuildRepo, type RepoOptions, writeEbuildRepo } from "./portage-repo.js";

/** The tier's cache (seed, .debs, Debian sources); `PORTAGE_TIER_CACHE` moves it. */
export const TIER_CACHE = process.env["PORTAGE_TIER_CACHE"] ?? "/var/cache/substrate/portage-tier";

/** The autobuild variant of the tier's seed (what its name and pointer say). */
export const TIER_VARIANT = "systemd";

/** The architectures `seed.sh` builds seeds for (`SEED_ARCH`), with their autobuild names. */
export const TIER_SEEDS = {
  amd64: { name: "stage3-amd64-systemd", keyword: "amd64" },
  armhf: { name: "stage3-armv7a_hardfp-openrc", keyword: "arm" },
} as const;

/** A Debian architecture of {@link TIER_SEEDS}. */
export type TierArch = keyof typeof TIER_SEEDS;

/**
 * The tier's seed: `scripts/portage-tier/seed.sh` builds it, or reuses the one cached under its
 * key (then this takes a second). Needs root, mmdebstrap and Debian's archive the first time;
 * `armhf` also needs qemu-arm in binfmt_misc with the F flag (seed.sh says what to run).
 */
export function tierSeed(cache: string = TIER_CACHE, arch: TierArch = "amd64"): string {
  const out = execFileSync("bash", [join(REPO_ROOT, "scripts/portage-tier/seed.sh")], {
    env: { ...process.env, PORTAGE_TIER_CACHE: cache, SEED_ARCH: arch },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 16 << 20,
  });
  const path = out.trim().split("\n").pop() ?? "";
  if (!new RegExp(`/${TIER_SEEDS[arch].name}-\\d{8}T\\d{6}Z\\.tar\\.xz$`).test(path))
    throw new Error(`seed.sh printed no seed path: ${out}`);
  return path;
}

/** The generated repository (into `dir`, empty) packed as a squashfs snapshot. */
export function repoSnapshot(
  dir: string,
  sqfs: string,
  opts: RepoOptions = {},
): { repo: EbuildRepo; data: Buffer } {
  const repo = writeEbuildRepo(dir, opts);
  execFileSync("mksquashfs", [
    dir,
    sqfs,
    "-noappend",
    "-quiet",
    "-no-progress",
    "-comp",
    "xz",
    "-all-root",
  ]);
  return { repo, data: readFileSync(sqfs) };
}

/** What {@link tierMirrorFiles} published, by name. */
export interface TierMirror {
  readonly files: MirrorFiles;
  /** The autobuild stamp (`20261203T152427Z`) taken from the seed's name. */
  readonly stamp: string;
  readonly seedName: string;
  /** URL path of the seed tarball. */
  readonly seedPath: string;
  readonly pointerPath: string;
  readonly snapshotName: string;
}

/**
 * The mirror's files: the seed at `/releases/<keyword>/autobuilds/<stamp>/<name>` (keyword
 * `amd64` unless given: Gentoo's release folder, `arm` for armv7a) with its clear-signed
 * `.DIGESTS` and pointer `latest-<name without stamp>.txt`, and the snapshot
 * `gentoo-<treeish>.sqfs` with a clear-signed `sha512sum.txt`, all signed with `key`.
 */
export function tierMirrorFiles(opts: {
  readonly seed: string;
  readonly snapshot: Buffer;
  readonly treeish: string;
  readonly key: TestKey;
  readonly keyword?: string;
}): TierMirror {
  const seedName = basename(opts.seed);
  const m = /^(stage3-[\w.-]+)-(\d{8}T\d{6}Z)\.tar\.xz$/.exec(seedName);
  const stamp = m?.[2];
  if (stamp === undefined) throw new Error(`${seedName} is not a stage3-<...>-<stamp>.tar.xz`);
  const seed = readFileSync(opts.seed);
  const base = `/releases/${opts.keyword ?? "amd64"}/autobuilds`;
  const seedPath = `${base}/${stamp}/${seedName}`;
  const pointerPath = `${base}/latest-${m?.[1] ?? ""}.txt`;
  const files: MirrorFiles = new Map();
  files.set(
    pointerPath,
    Buffer.from(
      clearSign(
        opts.key,
        `# Latest as of ${stamp}\n# the real-Portage tier's seed (a Debian root with Portage)\n${stamp}/${seedName} ${seed.length}\n`,
      ),
    ),
  );
  files.set(seedPath, seed);
  files.set(
    `${seedPath}.DIGESTS`,
    Buffer.from(clearSign(opts.key, digestsText([{ name: seedName, data: seed }]))),
  );
  const t = /^\d{8}$/.test(opts.treeish) ? `${opts.treeish}.xz` : opts.treeish;
  const snapshotName = `gentoo-${t}.sqfs`;
  files.set(`/snapshots/squashfs/${snapshotName}`, opts.snapshot);
  files.set(
    "/snapshots/squashfs/sha512sum.txt",
    Buffer.from(
      clearSign(
        opts.key,
        `${createHash("sha512").update(opts.snapshot).digest("hex")}  ${snapshotName}\n`,
      ),
    ),
  );
  return { files, stamp, seedName, seedPath, pointerPath, snapshotName };
}
