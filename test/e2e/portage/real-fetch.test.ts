/**
 * The real-Portage tier through the driver's fetch path (issue 13, items 1 and 2): the tier's
 * seed (scripts/portage-tier/seed.sh, cached by its inputs) and the generated ebuild repository
 * (as a squashfs snapshot) are published in the signed fake autobuild mirror on 127.0.0.1
 * (test/helpers/portage-tier-mirror.ts), and `substrate fetch` on a small Gentoo tree downloads,
 * verifies (gpgv, BLAKE2B and SHA512) and stores both where the plan and the driver look for
 * them; the stored snapshot unpacks to the repository's profile. Needs root, mmdebstrap and
 * Debian's archive the first time (the seed); later runs reuse the cached seed.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { unpackedSnapshot } from "../../../src/drivers/portage/snapshot.js";
import { runCli } from "../../helpers/cli.js";
import { PROFILE } from "../../helpers/portage-repo.js";
import {
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
