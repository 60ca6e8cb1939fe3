/**
 * The Gentoo example chain built with the real Portage, end to end to a booted live ISO
 * (issue 13, item 3): examples/gentoo's amd64 specs, unchanged, on a tree whose mirror is the
 * signed fake autobuild mirror on 127.0.0.1 serving the real-Portage tier's seed and a generated
 * repository with the whole system (test/helpers/deb-bin.ts: ebuilds that install Debian's
 * binary packages; bzip2 and Portage itself are built from their tarballs). stage1 -> stage2 ->
 * stage3 -> stage4, embedded, livecd-stage1, livecd-stage2 (dist kernel + dracut) and
 * livecd-stage3 run the driver's real emerge command lines; the ISO is then booted with
 * `substrate test` under QEMU + OVMF. Needs root, mmdebstrap, QEMU/OVMF and Debian's archive
 * the first time (seed, `.deb`s, bzip2 source); later runs reuse the tier's cache.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  appendFileSync,
  copyFileSync,
  cpSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  statSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, join } from "node:path";
import { after, before, it } from "node:test";
import { readVdb } from "../../../src/drivers/portage/licences.js";
import { REPO_ROOT, runCli } from "../../helpers/cli.js";
import { checkedSbom, containedPackages } from "../../helpers/sbom.js";
import { resolveBinAtoms } from "../../helpers/deb-bin.js";
import {
  type LocalDistfile,
  portageTarball,
  systemEbuilds,
} from "../../helpers/deb-bin-ebuilds.js";
import { debianOrigTarball } from "../../helpers/debian-source.js";
import { FULL_BUILD_PACKAGES, FULL_SYSTEM_PACKAGES } from "../../helpers/portage-repo.js";
import {
  TIER_CACHE,
  type TierMirror,
  repoSnapshot,
  tierMirrorFiles,
  tierSeed,
} from "../../helpers/portage-tier-mirror.js";
import {
  type FakeMirror,
  type TestKey,
  makeKey,
  scratch,
  startMirror,
} from "./autobuild-fixture.js";

const DATE = "20261205";
/** The kerncache rebuild's date (a new version_stamp). */
const DATE2 = "20261206";
const CHAIN = [
  "systemd:stage1",
  "systemd:stage2",
  "systemd:stage3",
  "systemd:stage4",
  "minimal:embedded",
  "systemd:livecd-stage1",
  "systemd:livecd-stage2",
  "systemd:livecd-stage3",
];

let base: string;
let tree: string;
let key: TestKey;
let mirror: FakeMirror;
let published: TierMirror;
let buildOutput = "";
let buildCode: number | null = null;
/** The shared pkgcache of this repository and seed (see before()). */
let binpkgs = "";
/** How long each stage of the chain took (stage id -> ms), from `build --json`. */
const stageMs = new Map<string, number>();

/** sha256 (16 hex digits) over every file's path and bytes under `dir`, in sorted order. */
function treeDigest(dir: string): string {
  const h = createHash("sha256");
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel === "" ? name : `${rel}/${name}`;
      const st = lstatSync(join(dir, r));
      if (st.isDirectory()) walk(r);
      else
        h.update(`${r}\0`)
          .update(readFileSync(join(dir, r)))
          .update("\0");
    }
  };
  walk("");
  return h.digest("hex").slice(0, 16);
}

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
  // SUBSTRATE_CHAIN_BASE (for working on this test): a folder kept from an earlier run, whose
  // key, repository snapshot and store are reused, so fresh stages are not built again.
  const kept = process.env["SUBSTRATE_CHAIN_BASE"];
  base = kept ?? scratch("real-chain");
  key =
    kept !== undefined && existsSync(join(base, "release.asc"))
      ? { home: join(base, "gnupg-release"), publicKey: join(base, "release.asc") }
      : makeKey(base, "release");
  const seed = tierSeed();
  const atoms = resolveBinAtoms(TIER_CACHE);
  const system = systemEbuilds(atoms, portageTarball(REPO_ROOT));
  const sqfs = join(base, "repo.sqfs");
  const snapshot =
    kept !== undefined && existsSync(sqfs)
      ? readFileSync(sqfs)
      : repoSnapshot(join(base, "repo"), sqfs, { system }).data;
  published = tierMirrorFiles({ seed, snapshot, treeish: `${DATE}.lzo`, key });
  mirror = await startMirror(published.files);
  tree = join(base, "tree");
  cpSync(join(REPO_ROOT, "examples", "gentoo"), tree, { recursive: true });
  // Binary packages are kept between runs in the tier's cache, keyed by the repository's
  // content (its Manifests pin every distfile) and the seed, so a warm machine merges from them;
  // a cold one builds them. The specs are the example's with this pkgcache_path added.
  binpkgs = join(
    TIER_CACHE,
    "chain-binpkgs",
    `${basename(seed, ".tar.xz")}-${treeDigest(join(base, "repo"))}`,
  );
  mkdirSync(binpkgs, { recursive: true });
  const specDir = join(tree, "specs", "amd64");
  for (const flavour of readdirSync(specDir))
    for (const name of readdirSync(join(specDir, flavour)))
      appendFileSync(join(specDir, flavour, name), `pkgcache_path: ${binpkgs}\n`);
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
  copyFileSync(
    debianOrigTarball(TIER_CACHE, "bzip2", "1.0.8"),
    join(distdir, "bzip2-1.0.8.tar.gz"),
  );
  for (const e of system) for (const d of e.distfiles) place(d, distdir);
});

after(async () => {
  await mirror.close();
  if (
    process.env["SUBSTRATE_KEEP_CHAIN"] === undefined &&
    process.env["SUBSTRATE_CHAIN_BASE"] === undefined
  )
    rmSync(base, { recursive: true, force: true });
});

void it("the Gentoo example chain builds with the real emerge (fetch, stage1 ... livecd-stage3)", async (t) => {
  const f = await runCli(
    ["fetch", tree, "--date", DATE, "--variant", "systemd", "--keyring", key.publicKey],
    { cwd: base, timeoutMs: 10 * 60_000 },
  );
  assert.equal(f.code, 0, f.stdout + f.stderr);
  const r = await runCli(["build", tree, "--date", DATE, "--json"], {
    cwd: base,
    timeoutMs: 80 * 60_000,
  });
  buildOutput = r.stdout + r.stderr;
  buildCode = r.code;
  for (const e of r.events)
    if (e["type"] === "stage-succeeded") stageMs.set(String(e["stage"]), Number(e["durationMs"]));
  for (const [stage, ms] of stageMs) t.diagnostic(`${stage}: ${(ms / 1000).toFixed(1)} s`);
  assert.equal(r.code, 0, buildOutput.slice(-20_000));
});

/** The store's folder of a flavour. */
function folderOf(flavour: string): string {
  return join(base, "builds", "amd64", flavour);
}

/** The VDB in a stage tarball of this run (read with the driver's readVdb). */
function vdbOf(flavour: string, stage: string, prefix = ""): ReturnType<typeof readVdb> {
  const folder = join(folderOf(flavour), DATE);
  const tarball = readdirSync(folder).find(
    (n) => n.startsWith(`${stage}-amd64-${flavour}-${DATE}`) && /\.tar\.\w+$/.test(n),
  );
  assert.ok(
    tarball !== undefined,
    `no ${stage} tarball in ${folder}: ${readdirSync(folder).join(" ")}`,
  );
  const out = join(base, `vdb-${flavour}-${stage}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  execFileSync(
    "tar",
    [
      "-xf",
      join(folder, tarball),
      "-C",
      out,
      `./${prefix}var/db/pkg`,
      `./${prefix}var/lib/portage`,
    ],
    {
      stdio: "ignore",
    },
  );
  return readVdb(join(out, prefix, "var", "db", "pkg"));
}

function namesOf(vdb: ReturnType<typeof readVdb>): Set<string> {
  return new Set(vdb.map((p) => p.name));
}

/** The text of a stage's log. */
function logOf(flavour: string, stage: string): string {
  return readFileSync(join(base, "logs", flavour, `${stage}-amd64-${flavour}-${DATE}.log`), "utf8");
}

void it("stage1's tarball is packages.build merged into ROOT=/tmp/stage1root; stage3's is @system rebuilt", () => {
  assert.equal(buildCode, 0, "the chain did not build");
  const stage1 = namesOf(vdbOf("systemd", "stage1"));
  for (const atom of FULL_BUILD_PACKAGES) assert.ok(stage1.has(atom), `stage1 lacks ${atom}`);
  assert.ok(!stage1.has("sys-apps/systemd"), "stage1 is packages.build only");
  const stage3 = vdbOf("systemd", "stage3");
  const names3 = namesOf(stage3);
  for (const atom of FULL_SYSTEM_PACKAGES) assert.ok(names3.has(atom), `stage3 lacks ${atom}`);
  const repoOf = (p: { name: string; version: string }): string =>
    readFileSync(
      join(base, "vdb-systemd-stage3", "var", "db", "pkg", `${p.name}-${p.version}`, "repository"),
      "utf8",
    ).trim();
  for (const p of stage3) assert.equal(repoOf(p), "gentoo", `${p.name} from ${repoOf(p)}`);
  const log1 = logOf("systemd", "stage1");
  assert.match(log1, /ROOT=\/tmp\/stage1root/);
  assert.match(log1, /--implicit-system-deps=n --oneshot sys-apps\/baselayout sys-libs\/glibc/);
  assert.match(
    log1,
    />>> Completed \(\d+ of \d+\) app-arch\/bzip2-1\.0\.8::gentoo to \/tmp\/stage1root\//,
  );
  const log2 = logOf("systemd", "stage2");
  assert.match(log2, /scripts\/bootstrap\.sh -q -r/);
  assert.match(log2, /bootstrap\.sh: emerge --oneshot --quiet --usepkg --buildpkg sys-libs\/glibc/);
  const log3 = logOf("systemd", "stage3");
  assert.match(log3, /emerge [^\n]*-e --update --deep --with-bdeps=y @system/);
  assert.match(log3, /emerge [^\n]*--depclean --with-bdeps=y/);
});

void it("stage4 runs catalyst's sequence (emerge -u @system, then the spec's packages) and records them in the world file", () => {
  assert.equal(buildCode, 0, "the chain did not build");
  const names = namesOf(vdbOf("systemd", "stage4"));
  const wanted = ["app-admin/sudo", "app-editors/nano", "sys-fs/btrfs-progs", "sys-fs/dosfstools"];
  for (const atom of wanted) assert.ok(names.has(atom), `stage4 lacks ${atom}`);
  const world = readFileSync(
    join(base, "vdb-systemd-stage4", "var", "lib", "portage", "world"),
    "utf8",
  );
  for (const atom of wanted) assert.match(world, new RegExp(`^${atom}$`, "m"), `world: ${world}`);
  const log = logOf("systemd", "stage4");
  const system = log.search(/emerge [^\n]* -u @system/);
  const packages = log.search(
    /emerge [^\n]*app-admin\/sudo app-editors\/nano sys-fs\/btrfs-progs sys-fs\/dosfstools/,
  );
  assert.ok(system >= 0, "stage4 ran emerge -u @system");
  assert.ok(packages > system, "stage4 emerged its packages after @system");
  assert.doesNotMatch(log, /--newuse @world/);
});

void it("livecd-stage1 installs its packages with --update --deep --newuse and depcleans (catalyst's chroot.sh: no @world update)", () => {
  assert.equal(buildCode, 0, "the chain did not build");
  const log = logOf("systemd", "livecd-stage1");
  assert.match(
    log,
    /emerge [^\n]*--update --deep --newuse sys-apps\/kexec-tools sys-apps\/usbutils sys-boot\/efibootmgr/,
  );
  assert.doesNotMatch(log, /--newuse @world/);
  assert.match(log, /emerge [^\n]*--depclean/);
});

void it("embedded merges its packages alone into ROOT=/tmp/mergeroot (catalyst's --onlydeps, then --nodeps)", () => {
  assert.equal(buildCode, 0, "the chain did not build");
  const names = namesOf(vdbOf("minimal", "embedded"));
  assert.deepEqual([...names].sort(), ["sys-apps/busybox", "sys-apps/kbd", "sys-apps/systemd"]);
  const log = logOf("minimal", "embedded");
  assert.match(log, /--onlydeps sys-apps\/systemd sys-apps\/busybox sys-apps\/kbd/);
  assert.match(log, /ROOT=\/tmp\/mergeroot/);
  assert.match(log, /--oneshot --nodeps sys-apps\/systemd sys-apps\/busybox sys-apps\/kbd/);
  assert.match(log, />>> Completed \(3 of 3\) sys-apps\/kbd-[\d.]+::gentoo to \/tmp\/mergeroot\//);
});

void it("the snapshot was unpacked once (by the first stage that needed it) and every stage used that tree", () => {
  assert.equal(buildCode, 0, "the chain did not build");
  const trees = readdirSync(join(base, "cache", "snapshots", "trees"));
  assert.equal(trees.length, 1, trees.join(" "));
  const tree0 = join(base, "cache", "snapshots", "trees", trees[0] ?? "");
  const stages = [
    ["systemd", "stage1"],
    ["systemd", "stage2"],
    ["systemd", "stage3"],
    ["systemd", "stage4"],
    ["minimal", "embedded"],
    ["systemd", "livecd-stage1"],
    ["systemd", "livecd-stage2"],
  ] as const;
  const unpacks = stages.map(([flavour, stage]) => ({
    stage,
    count: (logOf(flavour, stage).match(/^\$ unsquashfs /gm) ?? []).length,
  }));
  const total = unpacks.reduce((n, u) => n + u.count, 0);
  assert.ok(total <= 1, JSON.stringify(unpacks));
  if (total === 1)
    assert.equal(unpacks[0]?.count, 1, `only stage1 unpacks: ${JSON.stringify(unpacks)}`);
  for (const [flavour, stage] of stages)
    assert.ok(logOf(flavour, stage).includes(tree0), `${stage} binds the unpacked tree`);
});

void it("the pkgcache holds the binary packages Portage made, indexed in Packages", () => {
  assert.equal(buildCode, 0, "the chain did not build");
  const pkgdir = binpkgs;
  const index = readFileSync(join(pkgdir, "Packages"), "utf8");
  for (const cpv of [
    "sys-libs/glibc-2.36",
    "app-arch/bzip2-1.0.8",
    "sys-apps/portage-3.0.82",
    "app-admin/sudo-",
  ])
    assert.match(index, new RegExp(`^CPV: ${cpv.replace(/[.+]/g, "\\$&")}`, "m"), cpv);
  assert.ok(existsSync(join(pkgdir, "app-arch", "bzip2")), "bzip2's gpkg is in the pkgcache");
});

void it("every tarball, squashfs and ISO has a valid SPDX SBOM listing the VDB's packages", (t) => {
  assert.equal(buildCode, 0, "the chain did not build");
  const dated = join(folderOf("systemd"), DATE);
  const named = (prefix: string): string => {
    const n = readdirSync(dated).find(
      (f) =>
        f.startsWith(prefix) && !/\.(DIGESTS|CONTENTS\.gz|sha256|stamp|spdx\.json|tsv)$/.test(f),
    );
    assert.ok(n !== undefined, `no ${prefix}* in ${dated}`);
    return join(dated, n);
  };
  for (const stage of ["stage1", "stage3", "stage4"]) {
    const { doc, bytes } = checkedSbom(named(`${stage}-amd64-systemd-${DATE}.tar`));
    const listed = containedPackages(doc);
    t.diagnostic(`SBOM ${stage}: ${bytes} bytes, ${listed.length} packages`);
    // Exactly the VDB's packages and versions, supplied by Gentoo, with ebuild purls.
    const vdb = vdbOf("systemd", stage);
    assert.deepEqual(
      listed.map((p) => `${p.name}-${p.versionInfo ?? ""}`).sort(),
      vdb.map((p) => `${p.name}-${p.version}`).sort(),
      `${stage}'s SBOM lists its VDB`,
    );
    for (const p of listed) {
      assert.equal(p.supplier, "Organization: Gentoo");
      assert.match(
        p.externalRefs?.[0]?.referenceLocator ?? "",
        /^pkg:ebuild\/gentoo\/[^/]+\/[^@]+@/,
      );
    }
  }
  const squashfs = checkedSbom(named(`livecd-stage1-amd64-systemd-${DATE}.squashfs`));
  const iso = checkedSbom(join(dated, `roflmaOS-${DATE}.iso`));
  for (const [k, d] of [
    ["squashfs", squashfs],
    ["iso", iso],
  ] as const)
    t.diagnostic(`SBOM ${k}: ${d.bytes} bytes, ${containedPackages(d.doc).length} packages`);
  const isoNames = new Set(containedPackages(iso.doc).map((p) => p.name));
  assert.ok(isoNames.has("sys-apps/systemd"), "the ISO's SBOM lists systemd");
  // The payload's packages (kernel sources or dist kernel, systemd's boot loader, dracut) as the
  // VDB's CONTENTS names their files; listed for the record.
  const payload = containedPackages(iso.doc).filter((p) => /boot payload/.test(p.comment ?? ""));
  t.diagnostic(`ISO payload packages: ${payload.map((p) => p.name).join(" ")}`);
});

void it("the Portage-made live ISO boots under QEMU + OVMF and passes substrate test", async (t) => {
  assert.equal(buildCode, 0, "the chain did not build");
  const iso = join(folderOf("systemd"), DATE, `roflmaOS-${DATE}.iso`);
  assert.ok(
    existsSync(iso),
    `${iso} exists: ${readdirSync(join(folderOf("systemd"), DATE)).join(" ")}`,
  );
  const r = await runCli(["test", iso, "--json", "--timeout", "900"], {
    cwd: base,
    timeoutMs: 20 * 60_000,
  });
  const fin = r.events.find((e) => e["type"] === "boot-finished");
  assert.equal(fin?.["ok"], true, `boot failed: ${JSON.stringify(fin)}\n${r.stderr.slice(-4000)}`);
  const checks = r.events.filter((e) => e["type"] === "boot-check");
  assert.ok(checks.length >= 4 && checks.every((c) => c["ok"] === true), JSON.stringify(checks));
  const os = checks.find((c) => c["check"] === "os-release");
  assert.match(String(os?.["detail"]), /real-Portage tier/);
  t.diagnostic(
    `ISO ${(statSync(iso).size / 1e6).toFixed(1)} MB; boot to the checks' end ${(Number(fin["durationMs"]) / 1000).toFixed(1)} s`,
  );
});

/**
 * A second tree on the same store with one stage4 on the chain's stage3 that merges
 * sys-kernel/linux-firmware (LICENSE="linux-fw-redistributable no-source-code", outside
 * @FREE), accepted by the confdir's package.license; `bindist` decides whether it may ship.
 */
function firmwareTree(name: string, bindist: boolean): string {
  const dir = join(base, name);
  const specs = join(dir, "specs", "amd64", "firmware");
  mkdirSync(specs, { recursive: true });
  mkdirSync(join(dir, "confdir"), { recursive: true });
  writeFileSync(
    join(dir, "confdir", "package.license"),
    "sys-kernel/linux-firmware linux-fw-redistributable no-source-code\n",
  );
  writeFileSync(
    join(dir, "substrate.toml"),
    [
      `name = "${name}"`,
      'driver = "portage"',
      `mirrors = ["${mirror.url}"]`,
      "[store]",
      `builds = "${join(base, "builds")}"`,
      `logs = "${join(base, "logs-" + name)}"`,
      `cache = "${join(base, "cache")}"`,
      "[arch.amd64]",
      'subarch = "amd64"',
      'builds = ["firmware:stage4"]',
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(specs, "stage4.spec"),
    [
      "source_subpath: amd64/systemd/stage3-amd64-systemd-latest",
      "profile: default/linux/amd64/23.0/no-multilib/systemd",
      `snapshot_treeish: ${DATE}.lzo`,
      "portage_confdir: @REPO_DIR@/confdir",
      ...(bindist ? ["catalyst_use: bindist"] : []),
      "stage4/packages: sys-kernel/linux-firmware",
      `pkgcache_path: ${binpkgs}`,
      "compression_mode: xz",
      "",
    ].join("\n"),
  );
  return dir;
}

void it("the bindist gate refuses a stage with linux-firmware (real LICENSE metadata) and names it; without bindist it builds", async () => {
  assert.equal(buildCode, 0, "the chain did not build");
  const refused = await runCli(["build", firmwareTree("fw-bindist", true), "--date", DATE], {
    cwd: base,
    timeoutMs: 20 * 60_000,
  });
  const out = refused.stdout + refused.stderr;
  assert.notEqual(refused.code, 0, out);
  assert.match(
    out,
    /not under ACCEPT_LICENSE="@FREE": sys-kernel\/linux-firmware-\d+ \(linux-fw-redistributable no-source-code\)/,
  );
  const fwDir = join(folderOf("firmware"), DATE);
  assert.ok(
    !existsSync(fwDir) || !readdirSync(fwDir).some((n) => /^stage4-.*\.tar\.xz$/.test(n)),
    "the refused stage4 was not published",
  );
  const allowed = await runCli(["build", firmwareTree("fw-allowed", false), "--date", DATE], {
    cwd: base,
    timeoutMs: 20 * 60_000,
  });
  assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
  assert.ok(namesOf(vdbOf("firmware", "stage4")).has("sys-kernel/linux-firmware"));
});

void it("a second livecd-stage2 reuses the kernel from kerncache and merges dracut from binary packages", async (t) => {
  assert.equal(buildCode, 0, "the chain did not build");
  // A tree on the same store whose livecd-stage2 takes the chain's stage3 as a plain seed, so
  // only livecd-stage2 is built again (a new date: a new version_stamp, the same kernel).
  const dir = join(base, "kc");
  mkdirSync(join(dir, "specs", "amd64", "systemd"), { recursive: true });
  cpSync(join(tree, "kconfig"), join(dir, "kconfig"), { recursive: true });
  cpSync(join(tree, "confdirs"), join(dir, "confdirs"), { recursive: true });
  writeFileSync(
    join(dir, "substrate.toml"),
    [
      'name = "kc"',
      'driver = "portage"',
      `mirrors = ["${mirror.url}"]`,
      "[store]",
      `builds = "${join(base, "builds-kc")}"`,
      `logs = "${join(base, "logs-kc")}"`,
      `cache = "${join(base, "cache")}"`,
      "[arch.amd64]",
      'subarch = "amd64"',
      'builds = ["systemd:livecd-stage2"]',
      "",
    ].join("\n"),
  );
  const seedDir = join(base, "builds-kc", "amd64", "systemd");
  mkdirSync(seedDir, { recursive: true });
  const stage3 = join(folderOf("systemd"), DATE, `stage3-amd64-systemd-${DATE}.tar.xz`);
  // The published name is a link into the atomic publish folder; link the file itself.
  place(
    {
      name: "stage3-amd64-systemd-latest.tar.xz",
      path: realpathSync(stage3),
      size: 0,
      blake2b: "",
      sha512: "",
    },
    seedDir,
  );
  const spec = readFileSync(join(tree, "specs", "amd64", "systemd", "livecd-stage2.spec"), "utf8");
  writeFileSync(
    join(dir, "specs", "amd64", "systemd", "livecd-stage2.spec"),
    `${spec}snapshot_treeish: ${DATE}.lzo\n`,
  );
  const r = await runCli(["build", dir, "--date", DATE2, "--json"], {
    cwd: base,
    timeoutMs: 20 * 60_000,
  });
  assert.equal(r.code, 0, (r.stdout + r.stderr).slice(-10_000));
  const log = readFileSync(
    join(base, "logs-kc", "systemd", `livecd-stage2-amd64-systemd-${DATE2}.log`),
    "utf8",
  );
  assert.match(
    log,
    /tar -xjpf \/tmp\/kerncache\/gentoo-kernel-initrd-systemd-\d{8}\.tar\.bz2 -C \/boot/,
  );
  assert.doesNotMatch(log, /Emerging \(\d+ of \d+\) sys-kernel\/gentoo-kernel/);
  assert.match(log, /Emerging binary \(\d+ of \d+\) sys-kernel\/dracut-/);
  const first = [...stageMs].find(([id]) => id.endsWith("systemd:livecd-stage2"))?.[1];
  const again = r.events.find((e) => e["type"] === "stage-succeeded")?.["durationMs"];
  t.diagnostic(
    `livecd-stage2: ${((first ?? 0) / 1000).toFixed(1)} s in the chain, ${(Number(again) / 1000).toFixed(1)} s again with kerncache and binary packages`,
  );
});
