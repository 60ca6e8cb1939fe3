/**
 * examples/gentoo's armv7a hard-float chain (stage1 -> stage2 -> stage3) built with the real
 * Portage under qemu-arm (issue 13, item 6): the tier's armhf seed (`SEED_ARCH=armhf
 * scripts/portage-tier/seed.sh`) and a generated repository with the whole system for
 * ARCH=arm (test/helpers/deb-bin.ts resolved for Debian's armhf: ebuilds that install Debian's
 * armhf packages, bzip2 and Portage built from their tarballs) are served by the signed fake
 * autobuild mirror on 127.0.0.1; examples/gentoo's specs/armv7a/hardfp/*.spec, unchanged, run
 * through `substrate fetch` and `substrate build` on this amd64 host, every emerge an ARM Python
 * under qemu-arm-static through binfmt_misc.
 *
 * Not in the default test run (scripts/run-tests.mjs walks test/unit and test/e2e only): every
 * merge is emulated and the chain takes far longer than CI's budget allows. Run it as root with
 * `scripts/soak/real-armv7a-chain.sh` (docs/real-portage-tier.md, "armv7a"). The armv7a
 * stage1 alone is test/nightly/real-armv7a.test.ts (nightly too; scripts/soak/nightly.sh). Needs root, mmdebstrap, qemu-user-static and
 * Debian's archive the first time (seed, armhf `.deb`s, bzip2 source); later runs reuse the
 * tier's cache.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { readVdb } from "../../src/drivers/portage/licences.js";
import { checkInterpreters } from "../../src/sandbox/interpreter.js";
import { REPO_ROOT, runCli } from "../helpers/cli.js";
import { stepTimeLines } from "../helpers/step-times.js";
import { BIN_ATOMS, resolveBinAtoms } from "../helpers/deb-bin.js";
import { type LocalDistfile, portageTarball, systemEbuilds } from "../helpers/deb-bin-ebuilds.js";
import { debianOrigTarball } from "../helpers/debian-source.js";
import { FULL_BUILD_PACKAGES, FULL_SYSTEM_PACKAGES } from "../helpers/portage-repo.js";
import { ARM_CHOST } from "../helpers/portage-repo-arm.js";
import {
  TIER_CACHE,
  TIER_SEEDS,
  type TierMirror,
  repoSnapshot,
  tierMirrorFiles,
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
const DATE = "20261206";
const CHAIN = ["hardfp:stage1:armv7a", "hardfp:stage2:armv7a", "hardfp:stage3:armv7a"];
/** ELF e_machine of 32-bit ARM (EM_ARM). */
const EM_ARM = 40;
/**
 * The atoms stage1..stage3 need: packages.build, @system, what sys-apps/portage builds with
 * and the service manager's provider. The kernel and the stage4/livecd atoms are left out
 * (Debian's armhf kernel is another package, and no arm stage here needs them).
 */
const ARM_ATOMS = new Set<string>([
  ...FULL_SYSTEM_PACKAGES,
  "dev-build/meson",
  "dev-build/ninja",
  "sys-apps/systemd",
]);

let base: string;
let tree: string;
let key: TestKey;
let mirror: FakeMirror;
let published: TierMirror;
let buildCode: number | null = null;
let buildOutput = "";

/** Hard-links (or copies) a distfile into the store's DISTDIR. */
function place(d: LocalDistfile, distdir: string): void {
  const to = join(distdir, d.name);
  if (existsSync(to)) return;
  try {
    linkSync(d.path, to);
  } catch {
    copyFileSync(d.path, to);
  }
}

before(async () => {
  assert.ok(existsSync(QEMU), `${QEMU} is missing: apt-get install qemu-user-static`);
  const doctor = await runCli(["doctor", "--install", join(REPO_ROOT, "examples/gentoo")]);
  assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
  assert.deepEqual(checkInterpreters([QEMU]), { ok: true, value: undefined });
  // SUBSTRATE_ARM_CHAIN_BASE (scripts/soak/real-armv7a-chain.sh sets it): a folder kept between
  // runs, whose key, snapshot and store are reused, so stages already built are not built again.
  const kept = process.env["SUBSTRATE_ARM_CHAIN_BASE"];
  if (kept !== undefined) mkdirSync(kept, { recursive: true });
  base = kept ?? scratch("real-armv7a-chain");
  key =
    kept !== undefined && existsSync(join(base, "release.asc"))
      ? { home: join(base, "gnupg-release"), publicKey: join(base, "release.asc") }
      : makeKey(base, "release");
  const seed = tierSeed(TIER_CACHE, "armhf");
  const atoms = resolveBinAtoms(
    TIER_CACHE,
    "armhf",
    BIN_ATOMS.filter((a) => ARM_ATOMS.has(a.atom)),
  );
  const system = systemEbuilds(atoms, portageTarball(REPO_ROOT));
  const sqfs = join(base, "repo.sqfs");
  const snapshot =
    kept !== undefined && existsSync(sqfs)
      ? readFileSync(sqfs)
      : repoSnapshot(join(base, "repo"), sqfs, { system }).data;
  published = tierMirrorFiles({
    seed,
    snapshot,
    treeish: `${DATE}.lzo`,
    key,
    keyword: TIER_SEEDS.armhf.keyword,
  });
  mirror = await startMirror(published.files);
  tree = join(base, "tree");
  rmSync(tree, { recursive: true, force: true });
  cpSync(join(REPO_ROOT, "examples", "gentoo"), tree, { recursive: true });
  const toml = readFileSync(join(tree, "substrate.toml"), "utf8")
    .replace(/^mirrors = .*$/m, `mirrors = ["${mirror.url}"]`)
    .replace(/^builds = \[[\s\S]*?\]\n/m, `builds = ${JSON.stringify(CHAIN)}\n`);
  writeFileSync(
    join(tree, "substrate.toml"),
    toml.replace(
      /^\[arch\.amd64\]/m,
      [
        "[store]",
        `builds = "${join(base, "builds")}"`,
        `logs = "${join(base, "logs")}"`,
        `cache = "${join(base, "cache")}"`,
        "",
        "[arch.amd64]",
      ].join("\n"),
    ),
  );
  const distdir = join(base, "cache", "distfiles");
  mkdirSync(distdir, { recursive: true });
  place(
    {
      name: "bzip2-1.0.8.tar.gz",
      path: debianOrigTarball(TIER_CACHE, "bzip2", "1.0.8"),
      size: 0,
      blake2b: "",
      sha512: "",
    },
    distdir,
  );
  for (const e of system) for (const d of e.distfiles) place(d, distdir);
});

after(async () => {
  await mirror.close();
  if (process.env["SUBSTRATE_ARM_CHAIN_BASE"] === undefined)
    rmSync(base, { recursive: true, force: true });
});

void it("examples/gentoo's armv7a chain (stage1, stage2, stage3) builds with the real emerge under qemu-arm", async (t) => {
  const f = await runCli(["fetch", tree, "--date", DATE, "--keyring", key.publicKey], {
    cwd: base,
    timeoutMs: 10 * 60_000,
  });
  assert.equal(f.code, 0, f.stdout + f.stderr);
  const t0 = performance.now();
  const r = await runCli(["build", tree, "--date", DATE, "--json"], {
    cwd: base,
    timeoutMs: 240 * 60_000,
  });
  t.diagnostic(`armv7a chain build: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  for (const st of stepTimeLines(r.stdout)) t.diagnostic(`  ${st}`);
  buildOutput = r.stdout + r.stderr;
  buildCode = r.code;
  assert.equal(r.code, 0, buildOutput.slice(-20_000));
});

/** The store's folder of this run's stages. */
function folder(): string {
  return join(base, "builds", "armv7a", "hardfp", DATE);
}

/** The file name of a stage tarball of this run. */
function tarballOf(stage: string): string {
  const name = readdirSync(folder()).find(
    (n) => n.startsWith(`${stage}-armv7a_hardfp-${DATE}`) && /\.tar\.\w+$/.test(n),
  );
  assert.ok(name !== undefined, `no ${stage} tarball in ${folder()}`);
  return name;
}

/** Unpacks `members` of a stage tarball of this run into `unpacked-<stage>/` and returns it. */
function unpack(stage: string, members: readonly string[]): string {
  const name = tarballOf(stage);
  const out = join(base, `unpacked-${stage}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  execFileSync("tar", ["-xf", join(folder(), name), "-C", out, ...members.map((m) => `./${m}`)], {
    stdio: "ignore",
  });
  return out;
}

/** The text of a stage's log. */
function logOf(stage: string): string {
  return readFileSync(join(base, "logs", "hardfp", `${stage}-armv7a_hardfp-${DATE}.log`), "utf8");
}

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

void it("stage1 is packages.build merged into ROOT=/tmp/stage1root after the seed update", () => {
  assert.equal(buildCode, 0, "the chain did not build");
  const dir = unpack("stage1", ["var/db/pkg"]);
  const names = new Set(readVdb(join(dir, "var/db/pkg")).map((p) => p.name));
  for (const atom of FULL_BUILD_PACKAGES) assert.ok(names.has(atom), `stage1 lacks ${atom}`);
  assert.ok(!names.has("sys-apps/util-linux"), "stage1 is packages.build only");
  const log = logOf("stage1");
  assert.match(log, /emerge [^\n]*--update --deep --newuse @world/, "update_seed ran");
  assert.match(log, /ROOT=\/tmp\/stage1root/);
  assert.match(log, /--implicit-system-deps=n --oneshot sys-apps\/baselayout sys-libs\/glibc/);
  assert.match(
    log,
    />>> Completed \(\d+ of \d+\) app-arch\/bzip2-1\.0\.8::gentoo to \/tmp\/stage1root\//,
  );
});

void it("stage2 runs the repository's bootstrap.sh", () => {
  assert.equal(buildCode, 0, "the chain did not build");
  const log = logOf("stage2");
  assert.match(log, /scripts\/bootstrap\.sh -q -r/);
  assert.match(log, /bootstrap\.sh: emerge --oneshot --quiet --usepkg --buildpkg sys-libs\/glibc/);
});

void it("stage3's tarball is @system rebuilt (-e --update --deep --with-bdeps=y @system, depclean): ARM binaries and the VDB", () => {
  assert.equal(buildCode, 0, "the chain did not build");
  const files = ["usr/bin/bash", "usr/bin/bzip2", "usr/lib/libbz2.so.1.0.8"];
  const dir = unpack("stage3", [
    "var/db/pkg",
    "var/lib/portage",
    "etc/portage/make.conf",
    ...files,
  ]);
  const vdb = readVdb(join(dir, "var/db/pkg"));
  const names = new Set(vdb.map((p) => p.name));
  for (const atom of FULL_SYSTEM_PACKAGES) assert.ok(names.has(atom), `stage3 lacks ${atom}`);
  const field = (p: { name: string; version: string }, f: string): string =>
    readFileSync(join(dir, "var/db/pkg", `${p.name}-${p.version}`, f), "utf8").trim();
  for (const p of vdb) {
    assert.equal(field(p, "repository"), "gentoo", `${p.name}'s repository`);
    assert.equal(field(p, "CHOST"), ARM_CHOST, `${p.name}'s CHOST`);
  }
  for (const f of files)
    assert.deepEqual(elfHeader(join(dir, f)), { cls: 1, data: 1, machine: EM_ARM }, f);
  // The arch table's CPU flags reached the final make.conf; the interpreter was not left behind.
  assert.match(
    readFileSync(join(dir, "etc/portage/make.conf"), "utf8"),
    /^CPU_FLAGS_ARM="edsp thumb thumb2 v4 v5 v6 v7 vfp vfp-d32 vfpv3"$/m,
  );
  const listing = execFileSync("tar", ["-tf", join(folder(), tarballOf("stage3"))], {
    encoding: "utf8",
    maxBuffer: 256 << 20,
  });
  assert.doesNotMatch(listing, /qemu-arm/, "no qemu-arm-static in the stage3 tarball");
  const log = logOf("stage3");
  assert.match(log, /emerge [^\n]*-e --update --deep --with-bdeps=y @system/);
  assert.match(log, /emerge [^\n]*--depclean --with-bdeps=y/);
  assert.match(log, />>> (Emerging|Completed) [^\n]*sys-libs\/glibc-[\d.]+::gentoo/);
});

void it("the pkgcache holds arm binary packages, indexed in Packages with ARCH: arm", () => {
  assert.equal(buildCode, 0, "the chain did not build");
  const pkgdir = join(base, "cache", "packages", "armv7a");
  const index = readFileSync(join(pkgdir, "Packages"), "utf8");
  assert.match(index, /^ARCH: arm$/m);
  assert.match(index, new RegExp(`^CHOST: ${ARM_CHOST}$`, "m"));
  for (const cpv of ["sys-libs/glibc-", "app-arch/bzip2-1.0.8", "sys-apps/portage-3.0.82"])
    assert.match(index, new RegExp(`^CPV: ${cpv.replace(/[.+]/g, "\\$&")}`, "m"), cpv);
  assert.ok(existsSync(join(pkgdir, "app-arch", "bzip2")), "bzip2's gpkg is in the pkgcache");
});
