/**
 * The real Portage under qemu-arm (issue 13, item 6, stage1): the tier's armhf seed
 * (`SEED_ARCH=armhf scripts/portage-tier/seed.sh`: mmdebstrap --arch=armhf bookworm with the
 * vendored Portage, cached by its inputs) is published as Gentoo's
 * `stage3-armv7a_hardfp-openrc-<stamp>.tar.xz` in the signed fake autobuild mirror on 127.0.0.1
 * (`releases/arm/autobuilds/`, what the driver's arch table and autobuild names ask for), with
 * the generated repository as a snapshot; `substrate fetch` stores both, then `substrate build
 * --only hardfp:stage1` (the tree lists `hardfp:stage1:armv7a` under amd64, as examples/gentoo does)
 * runs the driver's stage1 with the real emerge, an ARM Python and ARM gcc, on this amd64 host
 * through binfmt_misc and qemu-arm-static: bzip2 is compiled for ARM. Checked: the emerge lines
 * in the stage log, the VDB in the stage1 tarball (readVdb), `/usr/bin/bzip2` there is a 32-bit
 * ARM ELF (e_machine 40), and the pkgcache's `Packages`. Needs root, mmdebstrap,
 * qemu-user-static and Debian's archive the first time; the host is prepared as a user would
 * (`substrate doctor --install examples/gentoo`).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  closeSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { readVdb } from "../../src/drivers/portage/licences.js";
import { checkInterpreters } from "../../src/sandbox/interpreter.js";
import { REPO_ROOT, runCli } from "../helpers/cli.js";
import { stepTimeLines } from "../helpers/step-times.js";
import { debianOrigTarball } from "../helpers/debian-source.js";
import { ARM_CHOST, ARM_PROFILE } from "../helpers/portage-repo-arm.js";
import {
  TIER_CACHE,
  TIER_SEEDS,
  type TierMirror,
  tierMirrorFiles,
  repoSnapshot,
  tierSeed,
} from "../helpers/portage-tier-mirror.js";
import {
  type FakeMirror,
  type TestKey,
  makeKey,
  scratch,
  startMirror,
} from "../e2e/portage/autobuild-fixture.js";

const QEMU = "/usr/bin/qemu-arm-static";
const DATE = "20261203";
const TREEISH = `${DATE}.xz`;
/** ELF e_machine of 32-bit ARM (EM_ARM). */
const EM_ARM = 40;
/**
 * The tree's armv7a cflags, which the driver writes into make.conf as COMMON_FLAGS:
 * examples/gentoo's with a `-mtune` added, so that they differ from the arch table's and the
 * profile's CFLAGS (dropping the tree's flags from make.conf makes the test fail).
 */
const CFLAGS = "-O2 -pipe -march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=hard -mtune=cortex-a8";

let base: string;
let key: TestKey;
let mirror: FakeMirror;
let published: TierMirror;
let seedMs = 0;

before(async () => {
  assert.ok(existsSync(QEMU), `${QEMU} is missing: apt-get install qemu-user-static`);
  const doctor = await runCli(["doctor", "--install", join(REPO_ROOT, "examples/gentoo")]);
  assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
  assert.deepEqual(checkInterpreters([QEMU]), { ok: true, value: undefined });
  base = scratch("real-armv7a");
  key = makeKey(base, "release");
  const t0 = performance.now();
  const seed = tierSeed(TIER_CACHE, "armhf");
  seedMs = performance.now() - t0;
  const snap = repoSnapshot(join(base, "repo"), join(base, "repo.sqfs"));
  published = tierMirrorFiles({
    seed,
    snapshot: snap.data,
    treeish: TREEISH,
    key,
    keyword: TIER_SEEDS.armhf.keyword,
  });
  mirror = await startMirror(published.files);
  const specs = join(base, "tree", "specs", "armv7a", "hardfp");
  mkdirSync(specs, { recursive: true });
  writeFileSync(
    join(base, "tree", "substrate.toml"),
    [
      'name = "real-portage-armv7a"',
      'driver = "portage"',
      `mirrors = ["${mirror.url}"]`,
      "[store]",
      `builds = "${join(base, "builds")}"`,
      `logs = "${join(base, "logs")}"`,
      `cache = "${join(base, "cache")}"`,
      "[arch.amd64]",
      'subarch = "amd64"',
      'builds = ["hardfp:stage1:armv7a"]',
      "[arch.armv7a]",
      'subarch = "armv7a_hardfp"',
      `cflags = "${CFLAGS}"`,
      `interpreter = ["${QEMU}"]`,
      "builds = []",
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(specs, "stage1.spec"),
    [
      "source_subpath: armv7a/hardfp/stage3-armv7a_hardfp-latest",
      `profile: ${ARM_PROFILE}`,
      `snapshot_treeish: ${TREEISH}`,
      `chost: ${ARM_CHOST}`,
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

/** The ELF class, byte order and e_machine of `file`. */
function elfHeader(file: string): { cls: number; data: number; machine: number } {
  const b = Buffer.alloc(20);
  const fd = openSync(file, "r");
  try {
    readSync(fd, b, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  assert.ok(b.subarray(0, 4).equals(Buffer.from("\x7fELF", "latin1")), `${file} is not an ELF`);
  return { cls: b[4] ?? 0, data: b[5] ?? 0, machine: b.readUInt16LE(18) };
}

void it("seed.sh refuses to build the armhf seed without qemu-arm in binfmt_misc (with F), naming what to run", () => {
  // A fresh cache (nothing to reuse) and a stand-in binfmt_misc folder.
  const dir = join(base, "binfmt");
  const cache = join(base, "no-cache");
  mkdirSync(dir);
  const refusal = (): string => {
    try {
      execFileSync("bash", [join(REPO_ROOT, "scripts/portage-tier/seed.sh")], {
        env: {
          ...process.env,
          SEED_ARCH: "armhf",
          PORTAGE_TIER_CACHE: cache,
          SEED_BINFMT_DIR: dir,
        },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (e) {
      return (e as { stderr: string }).stderr;
    }
    assert.fail("seed.sh built a seed without binfmt_misc");
  };
  assert.match(
    refusal(),
    /binfmt_misc is not mounted at .*: run `substrate doctor --install examples\/gentoo` as root/,
  );
  writeFileSync(join(dir, "status"), "enabled\n");
  assert.match(refusal(), /binfmt_misc has no qemu-arm handler/);
  writeFileSync(join(dir, "qemu-arm"), "enabled\ninterpreter /usr/bin/qemu-arm-static\nflags: \n");
  assert.match(
    refusal(),
    /binfmt_misc's qemu-arm handler lacks the F flag: run `substrate doctor --install/,
  );
  assert.equal(existsSync(join(cache, "seeds")), false, "nothing was built");
});

void it("substrate fetch stores the armhf seed (stage3-armv7a_hardfp-openrc, releases/arm) and the snapshot from the signed fake mirror", async (t) => {
  t.diagnostic(`armhf seed (seed.sh, cached when its inputs are): ${(seedMs / 1000).toFixed(1)} s`);
  const r = await runCli(
    ["fetch", join(base, "tree"), "--date", DATE, "--keyring", key.publicKey],
    { cwd: base, timeoutMs: 10 * 60_000 },
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const out = r.stdout + r.stderr;
  assert.match(
    published.pointerPath,
    /^\/releases\/arm\/autobuilds\/latest-stage3-armv7a_hardfp-openrc\.txt$/,
  );
  assert.match(
    out,
    new RegExp(
      `verified ${published.seedName} \\(clear-signed, (BLAKE2B SHA512|SHA512 BLAKE2B)\\)`,
    ),
  );
  assert.match(
    out,
    new RegExp(`verified snapshot ${published.snapshotName} \\(clear-signed, SHA512\\)`),
  );
  const folder = join(base, "builds", "armv7a", "hardfp");
  assert.equal(
    readlinkSync(join(folder, "stage3-armv7a_hardfp-latest.tar.xz")),
    published.seedName,
  );
});

void it("substrate build --only hardfp:stage1 (armv7a, listed under amd64) runs the real emerge under qemu-arm: bzip2 compiled for ARM in the stage1 VDB and tarball", async (t) => {
  const distfiles = join(base, "cache", "distfiles");
  mkdirSync(distfiles, { recursive: true });
  copyFileSync(
    debianOrigTarball(TIER_CACHE, "bzip2", "1.0.8"),
    join(distfiles, "bzip2-1.0.8.tar.gz"),
  );
  const t0 = performance.now();
  const r = await runCli(
    ["build", join(base, "tree"), "--date", DATE, "--only", "hardfp:stage1", "--json"],
    {
      cwd: base,
      timeoutMs: 45 * 60_000,
    },
  );
  t.diagnostic(
    `armv7a stage1 build (real emerge under qemu-arm): ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  for (const st of stepTimeLines(r.stdout)) t.diagnostic(`  ${st}`);
  assert.equal(r.code, 0, r.stdout.slice(-6000) + r.stderr.slice(-6000));
  const folder = join(base, "builds", "armv7a", "hardfp");
  const stage1 = join(folder, DATE, `stage1-armv7a_hardfp-${DATE}.tar.xz`);
  assert.ok(existsSync(stage1), `${stage1} was made`);

  // The driver's emerge lines and the real Portage's answers, in the stage log.
  const log = readFileSync(
    join(base, "logs", "hardfp", `stage1-armv7a_hardfp-${DATE}.log`),
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
    ">>> Emerging (1 of 1) sys-apps/baselayout-2.17::gentoo for /tmp/stage1root/",
    ">>> Completed (1 of 1) sys-apps/baselayout-2.17::gentoo to /tmp/stage1root/",
    ">>> Emerging (1 of 1) app-arch/bzip2-1.0.8::gentoo for /tmp/stage1root/",
    ">>> Completed (1 of 1) app-arch/bzip2-1.0.8::gentoo to /tmp/stage1root/",
  ])
    assert.ok(log.includes(line), `the stage log lacks "${line}"`);

  // The stage1 tarball: the VDB Portage wrote, and an ARM bzip2 (libdir lib, as arch/arm says).
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
  const pkg = (cpv: string, file: string): string =>
    readFileSync(join(unpacked, "var/db/pkg", cpv, file), "utf8").trim();
  assert.equal(pkg("app-arch/bzip2-1.0.8", "CHOST"), ARM_CHOST);
  // Portage built it with the driver's make.conf (the tree's cflags), natively under qemu-arm.
  assert.equal(pkg("app-arch/bzip2-1.0.8", "CFLAGS"), CFLAGS);
  assert.equal(pkg("app-arch/bzip2-1.0.8", "CBUILD"), ARM_CHOST);
  assert.match(pkg("app-arch/bzip2-1.0.8", "USE"), /\barm\b/);
  assert.equal(pkg("app-arch/bzip2-1.0.8", "repository"), "gentoo");
  const contents = pkg("app-arch/bzip2-1.0.8", "CONTENTS");
  assert.match(contents, /^obj \/usr\/bin\/bzip2 [0-9a-f]{32} \d+$/m);
  assert.match(contents, /^obj \/usr\/lib\/libbz2\.so\.1\.0\.8 [0-9a-f]{32} \d+$/m);
  for (const f of ["usr/bin/bzip2", "usr/lib/libbz2.so.1.0.8"])
    assert.deepEqual(elfHeader(join(unpacked, f)), { cls: 1, data: 1, machine: EM_ARM }, f);
  assert.equal(existsSync(join(unpacked, "var/lib/dpkg")), false, "nothing of the Debian seed");

  // --buildpkg: the binary packages and their index in the pkgcache.
  const index = execFileSync("find", [join(base, "cache", "packages"), "-name", "Packages"], {
    encoding: "utf8",
  })
    .trim()
    .split("\n");
  assert.equal(index.length, 1, index.join(", "));
  const packages = readFileSync(index[0] ?? "", "utf8");
  t.diagnostic(`pkgcache index: ${index[0] ?? ""}`);
  assert.match(packages, /^CPV: app-arch\/bzip2-1\.0\.8$/m);
  assert.match(packages, /^CPV: sys-apps\/baselayout-2\.17$/m);
  assert.match(packages, /^ARCH: arm$/m);
  assert.match(packages, new RegExp(`^CHOST: ${ARM_CHOST}$`, "m"));
});
