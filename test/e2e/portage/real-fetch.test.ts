/**
 * The real-Portage tier through the driver's fetch path (issue 13, items 1 and 2): the tier's
 * seed (scripts/portage-tier/seed.sh, cached by its inputs) and the generated ebuild repository
 * (as a squashfs snapshot) are published in the signed fake autobuild mirror on 127.0.0.1
 * (test/helpers/portage-tier-mirror.ts), and `substrate fetch` on a small Gentoo tree downloads,
 * verifies (gpgv, BLAKE2B and SHA512) and stores both where the plan and the driver look for
 * them; the stored snapshot unpacks to the repository's profile. Then `substrate build --only
 * systemd:stage1` runs the driver's stage1 with the real emerge on what was fetched, and the
 * stage log, the stage1 tarball's VDB (read with the driver's readVdb) and the pkgcache index
 * are checked. Needs root, mmdebstrap and Debian's archive the first time (the seed, the bzip2
 * source); later runs reuse the cached seed (about 35 s in all).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, join } from "node:path";
import { after, before, it } from "node:test";
import { readVdb } from "../../../src/drivers/portage/licences.js";
import { unpackedSnapshot } from "../../../src/drivers/portage/snapshot.js";
import { runCli } from "../../helpers/cli.js";
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

let base: string;
let key: TestKey;
let mirror: FakeMirror;
let published: TierMirror;

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
  const r = await runCli(
    ["build", join(base, "tree"), "--date", DATE, "--only", "systemd:stage1"],
    {
      cwd: base,
      timeoutMs: 30 * 60_000,
    },
  );
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
  mkdirSync(unpacked);
  execFileSync("tar", ["-xJf", stage1, "-C", unpacked]);
  const vdb = readVdb(join(unpacked, "var/db/pkg"));
  assert.deepEqual(
    vdb.map((p) => [p.name, p.version, p.license]),
    [
      ["app-arch/bzip2", "1.0.8", "BZIP2"],
      ["sys-apps/baselayout", "2.17", "GPL-2"],
    ],
  );
  assert.ok(vdb.find((p) => p.name === "sys-apps/baselayout")?.use.includes("build"));
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
