/**
 * The real-Portage tier through the driver's fetch path (issue 13, items 1 and 2): the tier's
 * seed (scripts/portage-tier/seed.sh, cached by its inputs) and the generated ebuild repository
 * (as a squashfs snapshot) are published in the signed fake autobuild mirror on 127.0.0.1
 * (test/helpers/portage-tier-mirror.ts), and `substrate fetch` on a small Gentoo tree downloads,
 * verifies (gpgv, BLAKE2B and SHA512) and stores both where the plan and the driver look for
 * them; the stored snapshot unpacks to the repository's profile. Then `substrate build --only
 * systemd:stage1` runs the driver's stage1 with the real emerge on what was fetched, and the
 * stage log, the stage1 tarball's VDB (read with the driver's readVdb) and the pkgcache index
 * are checked. A second build of stage1 (a new --date, same packages) must merge both packages
 * from the pkgcache's binary packages (--usepkg) without compiling bzip2 again; the two builds'
 * times are printed as diagnostics. Needs root, mmdebstrap and Debian's archive the first time
 * (the seed, the bzip2 source); later runs reuse the cached seed (about 1.5 minutes in all).
 * `PORTAGE_TIER_CACHE` moves the tier's cache (seed, Debian sources); substrate's own store
 * (builds, logs, cache with the pkgcache) is a scratch folder of each run.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, join } from "node:path";
import { after, before, it } from "node:test";
import { readVdb } from "../../../src/drivers/portage/licences.js";
import { unpackedSnapshot } from "../../../src/drivers/portage/snapshot.js";
import { runCli } from "../../helpers/cli.js";
import { type StepTime, stepTimes } from "../../helpers/step-times.js";
import { debianOrigTarball } from "../../helpers/debian-source.js";
import { PROFILE } from "../../helpers/portage-repo.js";
import {
  TIER_CACHE,
  type TierMirror,
  tierMirrorFiles,
  repoSnapshot,
  tierSeed,
} from "../../helpers/portage-tier-mirror.js";
import {
  type FakeMirror,
  type TestKey,
  makeKey,
  scratch,
  startMirror,
} from "./autobuild-fixture.js";

const DATE = "20261203";
const TREEISH = `${DATE}.xz`;
/** The second build's date: a new version_stamp, so stage1 is built again (same packages). */
const DATE2 = "20261204";

let base: string;
let key: TestKey;
let mirror: FakeMirror;
let published: TierMirror;
/** How long the first stage1 build and its steps took (bzip2 compiled), for the rebuild's diagnostic. */
let firstBuild: { readonly ms: number; readonly steps: readonly StepTime[] } | undefined;

before(async () => {
  base = scratch("real-fetch");
  key = makeKey(base, "release");
  const seed = tierSeed();
  const snap = repoSnapshot(join(base, "repo"), join(base, "repo.sqfs"));
  published = tierMirrorFiles({ seed, snapshot: snap.data, treeish: TREEISH, key });
  mirror = await startMirror(published.files);
  const specs = join(base, "tree", "specs", "amd64", "systemd");
  mkdirSync(specs, { recursive: true });
  writeFileSync(
    join(base, "tree", "substrate.toml"),
    [
      'name = "real-portage"',
      'driver = "portage"',
      `mirrors = ["${mirror.url}"]`,
      "[store]",
      `builds = "${join(base, "builds")}"`,
      `logs = "${join(base, "logs")}"`,
      `cache = "${join(base, "cache")}"`,
      "[arch.amd64]",
      'subarch = "amd64"',
      'builds = ["systemd:stage1"]',
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(specs, "stage1.spec"),
    [
      "source_subpath: amd64/systemd/stage3-amd64-systemd-latest",
      `profile: ${PROFILE}`,
      `snapshot_treeish: ${TREEISH}`,
      "compression_mode: xz",
      "update_seed: no",
      "",
    ].join("\n"),
  );
});

after(async () => {
  await mirror.close();
  rmSync(base, { recursive: true, force: true });
});

void it("substrate fetch verifies and stores the real-Portage seed and the generated repository snapshot (signed fake mirror)", async () => {
  const r = await runCli(
    [
      "fetch",
      join(base, "tree"),
      "--date",
      DATE,
      "--variant",
      "systemd",
      "--keyring",
      key.publicKey,
    ],
    { cwd: base, timeoutMs: 10 * 60_000 },
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const out = r.stdout + r.stderr;
  // Both were checked against a signature and both digests.
  assert.match(
    out,
    new RegExp(
      `verified ${published.seedName} \\(clear-signed, (BLAKE2B SHA512|SHA512 BLAKE2B)\\)`,
    ),
  );
  assert.match(
    out,
    new RegExp(
      `seed systemd/stage3-amd64-systemd-latest -> ${published.seedName} \\(clear-signed\\)`,
    ),
  );
  assert.match(
    out,
    new RegExp(`verified snapshot ${published.snapshotName} \\(clear-signed, SHA512\\)`),
  );

  // The seed sits where source_subpath points, byte for byte the tier's seed.
  const folder = join(base, "builds", "amd64", "systemd");
  assert.equal(
    readlinkSync(join(folder, "stage3-amd64-systemd-latest.tar.xz")),
    published.seedName,
  );
  const stored = readFileSync(join(folder, published.seedName));
  assert.ok(stored.equals(published.files.get(published.seedPath) ?? Buffer.alloc(0)));
  assert.match(
    readFileSync(join(folder, `${published.seedName}.DIGESTS`), "utf8"),
    /BEGIN PGP SIGNED MESSAGE/,
  );

  // The snapshot is in the cache with its recorded digest and unpacks to the tier's repository.
  const sqfs = join(base, "cache", "snapshots", published.snapshotName);
  assert.ok(existsSync(`${sqfs}.DIGESTS`));
  const tree = await unpackedSnapshot(sqfs, join(base, "cache"));
  assert.ok(tree.ok, JSON.stringify(tree));
  assert.equal(readFileSync(join(tree.value, "profiles/repo_name"), "utf8"), "gentoo\n");
  assert.ok(existsSync(join(tree.value, "profiles", PROFILE, "parent")));
  assert.match(
    readFileSync(join(tree.value, "app-arch/bzip2/Manifest"), "utf8"),
    /^DIST bzip2-1\.0\.8\.tar\.gz 810029 /m,
  );
  assert.deepEqual([...mirror.ranges], [], "nothing was resumed: each file came whole");
});

void it("substrate build --only systemd:stage1 runs the real emerge on the fetched seed and snapshot: baselayout and bzip2 in the stage1 VDB", async () => {
  // The bzip2 distfile (Debian's byte-identical orig tarball) in the store's distfiles cache;
  // Portage checks it against the Manifest's pinned BLAKE2B and SHA512.
  const distfiles = join(base, "cache", "distfiles");
  mkdirSync(distfiles, { recursive: true });
  copyFileSync(
    debianOrigTarball(TIER_CACHE, "bzip2", "1.0.8"),
    join(distfiles, "bzip2-1.0.8.tar.gz"),
  );
  const t0 = performance.now();
  const r = await runCli(
    ["build", join(base, "tree"), "--date", DATE, "--only", "systemd:stage1", "--json"],
    {
      cwd: base,
      timeoutMs: 30 * 60_000,
    },
  );
  firstBuild = { ms: performance.now() - t0, steps: stepTimes(r.stdout) };
  const out = r.stdout.slice(-6000) + r.stderr.slice(-6000);
  assert.equal(r.code, 0, out);
  const folder = join(base, "builds", "amd64", "systemd");
  const stage1 = join(folder, DATE, `stage1-amd64-systemd-${DATE}.tar.xz`);
  assert.equal(
    readlinkSync(join(folder, "stage1-amd64-systemd-latest.tar.xz")),
    `${DATE}/${basename(stage1)}`,
  );

  // The stage log holds the driver's emerge command lines and the real Portage's answers.
  const log = readFileSync(
    join(base, "logs", "systemd", `stage1-amd64-systemd-${DATE}.log`),
    "utf8",
  );
  const emerges = log
    .split("\n")
    .filter((l) => l.includes(" substrate-run emerge "))
    .map((l) => [
      /ROOT=(\S+)/.exec(l)?.[1],
      / USE=(\S+)/.exec(l)?.[1],
      / substrate-run emerge (.*?); status=/.exec(l)?.[1]?.replace(/^.*--newuse /, ""),
    ]);
  assert.deepEqual(emerges, [
    ["/tmp/stage1root", "build", "--oneshot --nodeps sys-apps/baselayout"],
    [
      "/tmp/stage1root",
      undefined,
      "--implicit-system-deps=n --oneshot sys-apps/baselayout app-arch/bzip2",
    ],
  ]);
  for (const line of [
    ">>> Completed (1 of 1) sys-apps/baselayout-2.17::gentoo to /tmp/stage1root/",
    ">>> Completed (1 of 1) app-arch/bzip2-1.0.8::gentoo to /tmp/stage1root/",
  ])
    assert.ok(log.includes(line), `the stage log lacks "${line}"`);

  // The stage1 tarball is /tmp/stage1root: the VDB Portage wrote, read with the driver's reader.
  const unpacked = join(base, "stage1-unpacked");
  unpackStage1Vdb(stage1, unpacked);
  assert.equal(
    readFileSync(join(unpacked, "var/db/pkg/sys-apps/baselayout-2.17/repository"), "utf8").trim(),
    "gentoo",
  );
  const contents = readFileSync(join(unpacked, "var/db/pkg/app-arch/bzip2-1.0.8/CONTENTS"), "utf8");
  assert.match(contents, /^obj \/usr\/bin\/bzip2 [0-9a-f]{32} \d+$/m);
  assert.match(contents, /^obj \/usr\/lib64\/libbz2\.so\.1\.0\.8 [0-9a-f]{32} \d+$/m);
  assert.ok(existsSync(join(unpacked, "usr/include/bzlib.h")), "the compiled bzip2's header");
  // Nothing of the seed (a Debian root) is in the stage: no dpkg database, no apt.
  assert.equal(existsSync(join(unpacked, "var/lib/dpkg")), false);

  // --buildpkg left real binary packages and their Packages index in the pkgcache.
  const index = readFileSync(join(base, "cache", "packages", "amd64", "Packages"), "utf8");
  assert.match(index, /^CPV: app-arch\/bzip2-1\.0\.8$/m);
  assert.match(index, /^CPV: sys-apps\/baselayout-2\.17$/m);
});

/** The pkgcache's files (path relative to it) with their size and mtime. */
function pkgcacheFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const st = statSync(join(dir, name));
    if (st.isFile()) out.set(name, `${st.size} ${st.mtimeMs}`);
  }
  return out;
}

void it("a second substrate build of stage1 (new --date) merges baselayout and bzip2 from the pkgcache's binary packages (--usepkg): bzip2 is not compiled again", async (t) => {
  assert.ok(firstBuild !== undefined, "the first stage1 build ran");
  const pkgdir = join(base, "cache", "packages", "amd64");
  const before = pkgcacheFiles(pkgdir);
  const binpkgs = [...before.keys()].filter((n) => n.endsWith(".gpkg.tar"));
  assert.equal(
    binpkgs.length,
    2,
    `one binary package each for baselayout and bzip2: ${binpkgs.join(", ")}`,
  );

  const t0 = performance.now();
  const r = await runCli(
    ["build", join(base, "tree"), "--date", DATE2, "--only", "systemd:stage1", "--json"],
    { cwd: base, timeoutMs: 30 * 60_000 },
  );
  const secondMs = performance.now() - t0;
  assert.equal(r.code, 0, r.stdout.slice(-6000) + r.stderr.slice(-6000));
  // The figures, not a target (timings belong in bench/): the whole build, then step by step.
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  t.diagnostic(
    `stage1 build: first (bzip2 compiled) ${s(firstBuild.ms)}, second (binary packages) ${s(secondMs)}`,
  );
  const steps = stepTimes(r.stdout);
  steps.forEach((st, i) => {
    const was = firstBuild?.steps[i];
    const same = was?.step.split(" ")[0] === st.step.split(" ")[0];
    t.diagnostic(`  ${st.step}: ${was !== undefined && same ? s(was.ms) : "?"} -> ${s(st.ms)}`);
  });

  const logOf = (date: string): string =>
    readFileSync(join(base, "logs", "systemd", `stage1-amd64-systemd-${date}.log`), "utf8");
  const first = logOf(DATE);
  const second = logOf(DATE2);
  const merges = (log: string): string[] =>
    log
      .split("\n")
      .map((l) => /^(?:.*\| )?>>> (Emerging(?: binary)? \(1 of 1\) \S+ for \S+)/.exec(l)?.[1])
      .filter((m): m is string => m !== undefined);
  t.diagnostic(`first build: ${merges(first).join("; ")}`);
  t.diagnostic(`second build: ${merges(second).join("; ")}`);
  // The first build compiled both from their ebuilds; the second merged both from binaries.
  assert.deepEqual(merges(first), [
    "Emerging (1 of 1) sys-apps/baselayout-2.17::gentoo for /tmp/stage1root/",
    "Emerging (1 of 1) app-arch/bzip2-1.0.8::gentoo for /tmp/stage1root/",
  ]);
  assert.deepEqual(merges(second), [
    "Emerging binary (1 of 1) sys-apps/baselayout-2.17::gentoo for /tmp/stage1root/",
    "Emerging binary (1 of 1) app-arch/bzip2-1.0.8::gentoo for /tmp/stage1root/",
  ]);
  for (const line of [
    ">>> Completed (1 of 1) sys-apps/baselayout-2.17::gentoo to /tmp/stage1root/",
    ">>> Completed (1 of 1) app-arch/bzip2-1.0.8::gentoo to /tmp/stage1root/",
  ])
    assert.ok(second.includes(line), `the second stage log lacks "${line}"`);

  // The stage1 tarball's VDB is the first one's, and bzip2's BUILD_TIME is the binary package's:
  // a compile would have stamped a new one.
  const unpacked = join(base, "stage1-unpacked-2");
  unpackStage1Vdb(
    join(base, "builds", "amd64", "systemd", DATE2, `stage1-amd64-systemd-${DATE2}.tar.xz`),
    unpacked,
  );
  const buildTime = (root: string, cpv: string): string =>
    readFileSync(join(root, "var/db/pkg", cpv, "BUILD_TIME"), "utf8").trim();
  for (const cpv of ["app-arch/bzip2-1.0.8", "sys-apps/baselayout-2.17"])
    assert.equal(
      buildTime(unpacked, cpv),
      buildTime(join(base, "stage1-unpacked"), cpv),
      `${cpv}'s BUILD_TIME is the first build's`,
    );
  assert.match(
    readFileSync(join(unpacked, "var/db/pkg/app-arch/bzip2-1.0.8/CONTENTS"), "utf8"),
    /^obj \/usr\/lib64\/libbz2\.so\.1\.0\.8 [0-9a-f]{32} \d+$/m,
  );

  // No new binary package instance was made and the existing ones were not rewritten.
  const afterFiles = pkgcacheFiles(pkgdir);
  for (const name of binpkgs)
    assert.equal(afterFiles.get(name), before.get(name), `${name} is unchanged`);
  assert.deepEqual(
    [...afterFiles.keys()].filter((n) => n.endsWith(".gpkg.tar")).sort(),
    [...binpkgs].sort(),
  );
});

/**
 * Unpacks a stage1 tarball into `dir` and checks the VDB Portage wrote there (read with the
 * driver's reader): bzip2 and baselayout with their licences, baselayout merged with USE=build.
 */
function unpackStage1Vdb(tarball: string, dir: string): void {
  mkdirSync(dir);
  execFileSync("tar", ["-xJf", tarball, "-C", dir]);
  const vdb = readVdb(join(dir, "var/db/pkg"));
  assert.deepEqual(
    vdb.map((p) => [p.name, p.version, p.license]),
    [
      ["app-arch/bzip2", "1.0.8", "BZIP2"],
      ["sys-apps/baselayout", "2.17", "GPL-2"],
    ],
  );
  assert.ok(vdb.find((p) => p.name === "sys-apps/baselayout")?.use.includes("build"));
}
