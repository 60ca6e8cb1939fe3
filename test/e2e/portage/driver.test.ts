/**
 * The Portage driver on a fake Gentoo root (busybox-static plus recording stand-ins for emerge,
 * genkernel, dracut and portageq): for each stage kind, the recorded command sequence, the
 * environment, make.conf and repos.conf are compared with what catalyst does
 * (reference/catalyst.md §2.4-2.9, §3, §4). Needs root (namespaces, chroot).
 */
import assert from "node:assert/strict";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PortageDriver } from "../../../src/drivers/portage/portage-driver.js";
import type { SpecValue } from "../../../src/spec/types.js";
import { scratch, tinySnapshot } from "./autobuild-fixture.js";
import { makeContext, makeFakeGentoo, recorded } from "./fake-gentoo.js";

const TREEISH = "20260101.xz";
let work: string;
let cache: string;
let confdir: string;
let overlay: string;

before(() => {
  work = scratch("driver");
  cache = join(work, "cache");
  mkdirSync(join(cache, "snapshots"), { recursive: true });
  const sqfs = join(cache, "snapshots", `gentoo-${TREEISH}.sqfs`);
  writeFileSync(sqfs, tinySnapshot(work));
  // As fetchSnapshot leaves it: the verified digest beside the file.
  writeFileSync(
    `${sqfs}.DIGESTS`,
    "# SHA512 HASH\n" + "0".repeat(128) + `  gentoo-${TREEISH}.sqfs\n`,
  );
  confdir = join(work, "confdir");
  mkdirSync(join(confdir, "package.use"), { recursive: true });
  writeFileSync(join(confdir, "package.use", "releng"), "sys-apps/systemd -sysv-utils\n");
  overlay = join(work, "overlay");
  mkdirSync(join(overlay, "profiles"), { recursive: true });
  writeFileSync(join(overlay, "profiles", "repo_name"), "local-overlay\n");
});

after(() => {
  rmSync(work, { recursive: true, force: true });
});

function values(target: string, extra: Record<string, SpecValue> = {}): Record<string, SpecValue> {
  return {
    target,
    subarch: "amd64",
    profile: "default/linux/amd64/23.0",
    snapshot_treeish: TREEISH,
    portage_confdir: confdir,
    portage_prefix: "releng",
    version_stamp: `systemd-20260101`,
    pkgcache_path: join(work, "packages", "amd64"),
    kerncache_path: join(work, "kerncache"),
    catalyst_use: "bindist",
    ...extra,
  };
}

function freshRoot(name: string): string {
  const root = join(work, name);
  mkdirSync(root, { recursive: true });
  makeFakeGentoo(root);
  return root;
}

const driver = (): PortageDriver => new PortageDriver({ mirrors: [] }, { cores: 2 });
const EMERGE_OPTS =
  "--quiet --jobs 2 --load-average 2 --usepkg --buildpkg --binpkg-respect-use=y --newuse";

void describe("portage driver stages (recording stand-in emerge, genkernel, dracut: the real tier's repository has only baselayout and bzip2, not the Gentoo toolchain, @system or kernel ebuilds these stages emerge, and no Gentoo mirror is reachable for them)", () => {
  void it("stage1: seed update, baselayout and packages.build into /tmp/stage1root, as catalyst's chroot.sh (stand-in: Gentoo's packages.build with gcc and binutils, which no reachable mirror serves; real-fetch and real-chain run the tier's packages.build for real)", async () => {
    const root = freshRoot("stage1");
    const ctx = makeContext(
      work,
      cache,
      values("stage1", {
        update_seed: "yes",
        chost: "x86_64-pc-linux-gnu",
        common_flags: "-O2 -pipe -march=x86-64",
      }),
    );
    const r = await driver().buildStage(ctx, root, "stage1");
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.captureRoot, join(root, "tmp", "stage1root"));
    const log = recorded(root);
    assert.deepEqual(log, [
      `emerge|ROOT=|USE=bindist|INSTALL_MASK=|repo=gentoo|--quiet --jobs 2 --load-average 2 --buildpkg=n --update --deep --newuse @world`,
      `emerge|ROOT=/tmp/stage1root|USE=build|INSTALL_MASK=|repo=gentoo|${EMERGE_OPTS} --oneshot --nodeps sys-apps/baselayout`,
      `emerge|ROOT=/tmp/stage1root|USE=|INSTALL_MASK=|repo=gentoo|${EMERGE_OPTS} --implicit-system-deps=n --oneshot sys-apps/baselayout >=sys-libs/glibc-2.40 sys-apps/portage sys-devel/gcc:14`,
      `locale-gen|ROOT=|USE=|INSTALL_MASK=|repo=gentoo|--destdir /tmp/stage1root/ --config /tmp/stage1root/etc/locale.gen`,
    ]);
    // The CATALYST_USE lines were in make.conf only for the packages.build emerge.
    const env = recorded(root, "record-env.log");
    assert.match(env[2] ?? "", /CATALYST_USE=1$/);
    assert.match(env[1] ?? "", /CATALYST_USE=0$/);
    assert.match(
      env[0] ?? "",
      /FEATURES=-news binpkg-multi-instance clean-logs parallel-install -pid-sandbox -network-sandbox -ipc-sandbox -sandbox -usersandbox\|MAKEOPTS=-j4 -l2\|CONFIG_PROTECT=-\*/,
      "namespace sandboxes off (no CAP_SYS_ADMIN); the busybox root has no sandbox binary",
    );
    const conf = readFileSync(join(root, "etc", "portage", "make.conf"), "utf8");
    assert.doesNotMatch(conf, /CATALYST_USE/);
    // For ROOT=/tmp/stage1root emerges Portage's / config reads make.conf, not the environment.
    assert.match(
      conf,
      /^FEATURES="-pid-sandbox -network-sandbox -ipc-sandbox -sandbox -usersandbox"$/m,
    );
    // stage1 reads the spec's flags, not the seed's.
    assert.match(conf, /^COMMON_FLAGS="-O2 -pipe -march=x86-64"$/m);
    const sub = join(root, "tmp", "stage1root");
    const subConf = readFileSync(join(sub, "etc", "portage", "make.conf"), "utf8");
    assert.doesNotMatch(subConf, /bindist|ACCEPT_LICENSE|FEATURES/);
    assert.equal(
      readlinkSync(join(sub, "etc", "portage", "make.profile")),
      "../../var/db/repos/gentoo/profiles/default/linux/amd64/23.0",
    );
    assert.equal(readFileSync(join(sub, "etc", "locale.gen"), "utf8"), "C.UTF-8 UTF-8\n");
    assert.equal(readFileSync(join(sub, "var", "lib", "portage", "world"), "utf8"), "");
    assert.equal(readlinkSync(join(sub, "etc", "localtime")), "../usr/share/zoneinfo/Factory");
    // The read-only snapshot bind left no trace on disk.
    assert.equal(existsSync(join(root, "var", "db", "repos", "gentoo")), false);
  });

  void it("stage1 via bootstrap() makes /tmp/stage1root the root (catalyst's clean_stage1)", async () => {
    const root = freshRoot("stage1b");
    const ctx = makeContext(work, cache, values("stage1"));
    const r = await driver().bootstrap(ctx, root, []);
    assert.ok(r.ok, JSON.stringify(r));
    assert.ok(existsSync(join(root, "var", "db", "pkg", "sys-devel", "gcc-1.0")));
    assert.equal(
      existsSync(join(root, "var", "db", "pkg", "sys-apps", "baselayout-2.15")),
      false,
      "the seed is gone, the new system is the root",
    );
  });

  void it("stage2: the snapshot's scripts/bootstrap.sh with -q -r (pkgcache), then cleanup_stages (stand-in: Gentoo's bootstrap.sh rebuilds gcc, glibc and binutils, and the real tier has no toolchain; real-chain.test.ts runs the tier's bootstrap.sh)", async () => {
    const root = freshRoot("stage2");
    const r = await driver().buildStage(makeContext(work, cache, values("stage2")), root, "stage2");
    assert.ok(r.ok, JSON.stringify(r));
    const log = recorded(root);
    assert.deepEqual(log, [
      "bootstrap -q -r",
      "etc-update|ROOT=|USE=|INSTALL_MASK=|repo=gentoo|--automode -5",
    ]);
    assert.equal(readFileSync(join(root, "var", "lib", "portage", "world"), "utf8"), "");
  });

  void it("stage3: emerge -e @system, etc-update, depclean --with-bdeps=y, world reset; clean drops catalyst_use (stand-in: etc-update and the world reset are checked as recorded commands; real-chain.test.ts runs the real emerge -e @system and depclean)", async () => {
    const root = freshRoot("stage3");
    // A Gentoo seed has Portage's sandbox binary: then the driver leaves FEATURES=sandbox alone.
    mkdirSync(join(root, "usr", "bin"), { recursive: true });
    writeFileSync(join(root, "usr", "bin", "sandbox"), "#!/bin/sh\n", { mode: 0o755 });
    const d = driver();
    const ctx = makeContext(work, cache, values("stage3", { cflags: "-O3" }));
    const r = await d.buildStage(ctx, root, "stage3");
    assert.ok(r.ok, JSON.stringify(r));
    assert.match(
      recorded(root, "record-env.log")[0] ?? "",
      /FEATURES=-news binpkg-multi-instance clean-logs parallel-install -pid-sandbox -network-sandbox -ipc-sandbox\|/,
    );
    assert.deepEqual(recorded(root), [
      `emerge|ROOT=|USE=|INSTALL_MASK=|repo=gentoo|${EMERGE_OPTS} -e --update --deep --with-bdeps=y @system`,
      "etc-update|ROOT=|USE=|INSTALL_MASK=|repo=gentoo|--automode -5",
      `emerge|ROOT=|USE=|INSTALL_MASK=|repo=gentoo|${EMERGE_OPTS} --depclean --with-bdeps=y`,
    ]);
    const during = readFileSync(join(root, "etc", "portage", "make.conf"), "utf8");
    // After stage1 the seed's flags win and spec cflags are ignored (catalyst §2.6).
    assert.match(during, /^COMMON_FLAGS="-O2 -pipe -march=x86-64-v2"$/m);
    assert.match(during, /^CFLAGS="\$\{COMMON_FLAGS\}"$/m);
    assert.match(during, /^CHOST="x86_64-pc-linux-gnu"$/m);
    assert.match(during, /^CPU_FLAGS_X86="mmx mmxext sse sse2"$/m);
    assert.match(during, /^USE="bindist"$/m);
    assert.match(during, /^ACCEPT_LICENSE="@FREE"$/m);
    assert.match(during, /^LC_MESSAGES=C.UTF-8$/m);
    assert.match(during, /^FEATURES="-pid-sandbox -network-sandbox -ipc-sandbox"$/m);
    assert.equal(
      readFileSync(join(root, "etc", "portage", "package.use", "releng"), "utf8"),
      "sys-apps/systemd -sysv-utils\n",
    );
    const c = await d.cleanRoot(ctx, root);
    assert.ok(c.ok, JSON.stringify(c));
    const final = readFileSync(join(root, "etc", "portage", "make.conf"), "utf8");
    assert.doesNotMatch(final, /bindist|ACCEPT_LICENSE|FEATURES/);
    assert.match(final, /^COMMON_FLAGS="-O2 -pipe -march=x86-64-v2"$/m);
    assert.equal(
      existsSync(join(root, "etc", "portage", "package.use", "releng")),
      false,
      "portage_prefix files go",
    );
  });

  void it("stage4: emerge -u @system then the packages (catalyst's stage4 chroot.sh), extra repos in repos.conf, genkernel kernel (stand-in: genkernel compiles gentoo-sources, whose distfiles no reachable mirror has)", async () => {
    const root = freshRoot("stage4");
    const d = driver();
    const ctx = makeContext(
      work,
      cache,
      values("stage4", { repos: overlay, "stage4/use": "-X ipv6", "stage4/gk_mainargs": "--lvm" }),
    );
    const b = await d.buildStage(ctx, root, "stage4");
    assert.ok(b.ok, JSON.stringify(b));
    const i = await d.install(ctx, root, ["app-editors/nano"]);
    assert.ok(i.ok, JSON.stringify(i));
    const k = await d.installKernel(ctx, root, {
      label: "gentoo-lts",
      keys: { use: "-firmware", gk_kernargs: "--no-clean" },
    });
    assert.ok(k.ok, JSON.stringify(k));
    assert.deepEqual(k.value, {
      label: "gentoo-lts",
      version: "6.6.58-gentoo",
      image: "/boot/vmlinuz-6.6.58-gentoo",
      modulesDir: "/lib/modules/6.6.58-gentoo",
    });
    const log = recorded(root);
    assert.deepEqual(log, [
      `emerge|ROOT=|USE=|INSTALL_MASK=|repo=gentoo|${EMERGE_OPTS} -u @system`,
      `emerge|ROOT=|USE=|INSTALL_MASK=|repo=gentoo|${EMERGE_OPTS} app-editors/nano`,
      `emerge|ROOT=|USE=|INSTALL_MASK=|repo=gentoo|${EMERGE_OPTS} --oneshot --update sys-kernel/genkernel`,
      `emerge|ROOT=|USE=symlink -firmware|INSTALL_MASK=|repo=gentoo|${EMERGE_OPTS} --update sys-kernel/gentoo-sources`,
      "genkernel|ROOT=|USE=|INSTALL_MASK=|repo=gentoo|--no-clean --cachedir=/tmp/kerncache/gentoo-lts-genkernel_cache-systemd-20260101 --no-mountboot --kerneldir=/usr/src/linux --modulespackage=/tmp/kerncache/gentoo-lts-modules-systemd-20260101.tar.bz2 --minkernpackage=/tmp/kerncache/gentoo-lts-kernel-initrd-systemd-20260101.tar.bz2 --kerncache=/tmp/kerncache/gentoo-lts-kerncache-systemd-20260101.tar.bz2 all --lvm",
      `emerge|ROOT=|USE=|INSTALL_MASK=|repo=gentoo|${EMERGE_OPTS} --deselect sys-kernel/gentoo-sources`,
    ]);
    assert.equal(
      readFileSync(join(root, "etc", "portage", "repos.conf", "local-overlay.conf"), "utf8"),
      "[local-overlay]\nlocation = /var/db/repos/local-overlay\nauto-sync = no\n",
    );
    const conf = readFileSync(join(root, "etc", "portage", "make.conf"), "utf8");
    assert.match(conf, /^USE="-X bindist ipv6"$/m);
    const c = await d.cleanRoot(ctx, root);
    assert.ok(c.ok, JSON.stringify(c));
    assert.match(
      readFileSync(join(root, "etc", "portage", "make.conf"), "utf8"),
      /^USE="-X ipv6"$/m,
      "<prefix>/use stays, catalyst_use goes",
    );
    assert.equal(
      existsSync(join(root, "etc", "portage", "repos.conf", "local-overlay.conf")),
      false,
    );
  });

  void it("embedded: dependencies into /, then ROOT=/tmp/mergeroot emerge --oneshot --nodeps with INSTALL_MASK", async () => {
    const root = freshRoot("embedded");
    const target = join(work, "mergeroot-out");
    const ctx = makeContext(
      work,
      cache,
      values("embedded", { "embedded/install_mask": "/usr/share/doc" }),
    );
    const r = await driver().mergeRoot(ctx, root, target, ["sys-apps/busybox"]);
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(recorded(root), [
      `emerge|ROOT=|USE=|INSTALL_MASK=|repo=gentoo|${EMERGE_OPTS} --onlydeps sys-apps/busybox`,
      `emerge|ROOT=/tmp/mergeroot|USE=|INSTALL_MASK=/usr/share/doc|repo=gentoo|${EMERGE_OPTS} --oneshot --nodeps sys-apps/busybox`,
    ]);
    assert.ok(lstatSync(join(target, "var", "db", "pkg", "sys-apps", "busybox-1.0")).isDirectory());
  });

  void it("livecd-stage1: only the packages, with --update --deep --newuse (catalyst's chroot.sh, no @world update), and USE=livecd while building", async () => {
    const root = freshRoot("livecd1");
    const d = driver();
    const ctx = makeContext(
      work,
      cache,
      values("livecd-stage1", { catalyst_use: null, "livecd/use": "branding" }),
    );
    assert.ok((await d.buildStage(ctx, root, "livecd-stage1")).ok);
    assert.ok((await d.install(ctx, root, ["sys-apps/usbutils"])).ok);
    assert.ok((await d.depclean(ctx, root)).ok);
    assert.deepEqual(recorded(root), [
      `emerge|ROOT=|USE=|INSTALL_MASK=|repo=gentoo|${EMERGE_OPTS} --update --deep --newuse sys-apps/usbutils`,
      `emerge|ROOT=|USE=|INSTALL_MASK=|repo=gentoo|${EMERGE_OPTS} --depclean --with-bdeps=n`,
    ]);
    assert.match(
      readFileSync(join(root, "etc", "portage", "make.conf"), "utf8"),
      /^USE="branding livecd"$/m,
    );
  });

  void it("livecd-stage2: dist kernel (dracut, USE=-initramfs, config snippet) and the live initramfs (stand-in: the config snippet and USE reach a source-built gentoo-kernel only here; real-chain.test.ts installs the tier's prebuilt dist kernel and runs the real dracut)", async () => {
    const root = freshRoot("livecd2");
    const d = driver();
    const kconfig = join(work, "livecd.config");
    writeFileSync(kconfig, "CONFIG_SQUASHFS=y\n");
    const ctx = makeContext(work, cache, values("livecd-stage2", { catalyst_use: null }));
    const k = await d.installKernel(ctx, root, {
      label: "gentoo-dist",
      keys: {
        distkernel: "yes",
        config: kconfig,
        dracut_args: "--xz -a dmsquash-live",
        packages: "--usepkg n sys-fs/zfs",
      },
      skipDefaultInitramfs: true,
    });
    assert.ok(k.ok, JSON.stringify(k));
    assert.deepEqual(k.value, {
      label: "gentoo-dist",
      version: "6.6.58-gentoo-dist",
      image: "/boot/vmlinuz-6.6.58-gentoo-dist",
      modulesDir: "/lib/modules/6.6.58-gentoo-dist",
      config: "/boot/config-6.6.58-gentoo-dist",
    });
    // The label keeps its dash: catalyst's sanitize_name would have lost this config.
    assert.equal(
      readFileSync(join(root, "etc", "kernel", "config.d", "gentoo-dist.config"), "utf8"),
      "CONFIG_SQUASHFS=y\n",
    );
    assert.ok(existsSync(join(root, "etc", "kernel", "install.d", "05-check-chroot.install")));
    const init = await d.liveInitramfs(ctx, root, {
      kernel: k.value,
      output: "/boot/gentoo-dist.igz",
      extraArgs: ["--xz"],
    });
    assert.ok(init.ok, JSON.stringify(init));
    const log = recorded(root).map((l) =>
      l.replace(/\|ROOT=\|USE=\|INSTALL_MASK=\|repo=gentoo\|/, " "),
    );
    assert.deepEqual(log, [
      "portageq best_visible / sys-kernel/gentoo-kernel",
      `emerge ${EMERGE_OPTS} --oneshot --update sys-kernel/dracut`,
      `emerge|ROOT=|USE=-initramfs|INSTALL_MASK=|repo=gentoo|${EMERGE_OPTS} --update sys-kernel/gentoo-kernel`,
      `emerge ${EMERGE_OPTS} --usepkg n sys-fs/zfs`,
      `emerge ${EMERGE_OPTS} --deselect sys-kernel/gentoo-kernel`,
      "dracut --force --no-hostonly --no-hostonly-cmdline --reproducible --add dmsquash-live --omit plymouth --compress zstd -q -T0 -3 --tmpdir /tmp --xz --kver 6.6.58-gentoo-dist /boot/gentoo-dist.igz",
    ]);
    assert.ok(existsSync(join(root, "boot", "gentoo-dist.igz")));
    // kerncache: catalyst's tarball names for livecd-stage3's extract_modules.
    assert.ok(existsSync(join(work, "kerncache", "gentoo-dist-modules-systemd-20260101.tar.bz2")));
    assert.equal(
      readFileSync(join(work, "kerncache", "gentoo-dist", "VERSION"), "utf8"),
      "sys-kernel/gentoo-kernel-6.6.58\n",
    );

    // A later build with the same sources, USE and config reuses the packed kernel.
    const again = freshRoot("livecd2-again");
    const ctx2 = makeContext(
      work,
      cache,
      values("livecd-stage2", { catalyst_use: null, version_stamp: "systemd-20260102" }),
    );
    const k2 = await driver().installKernel(ctx2, again, {
      label: "gentoo-dist",
      keys: { distkernel: "yes", config: kconfig, dracut_args: "--xz -a dmsquash-live" },
      skipDefaultInitramfs: true,
    });
    assert.ok(k2.ok, JSON.stringify(k2));
    assert.deepEqual(k2.value, k.value);
    assert.deepEqual(
      recorded(again).map((l) => l.replace(/\|ROOT=\|USE=\|INSTALL_MASK=\|repo=gentoo\|/, " ")),
      ["portageq best_visible / sys-kernel/gentoo-kernel"],
      "no emerge: the kernel came from the kernel cache",
    );
    assert.ok(existsSync(join(again, "lib", "modules", "6.6.58-gentoo-dist")));
    // A changed config builds again.
    writeFileSync(kconfig, "CONFIG_SQUASHFS=m\n");
    const third = freshRoot("livecd2-third");
    const k3 = await driver().installKernel(ctx2, third, {
      label: "gentoo-dist",
      keys: { distkernel: "yes", config: kconfig },
      skipDefaultInitramfs: true,
    });
    assert.ok(k3.ok, JSON.stringify(k3));
    assert.ok(recorded(third).some((l) => l.includes("--update sys-kernel/gentoo-kernel")));
  });

  void it("dist kernel without skipDefaultInitramfs runs dracut with the arch table's image path", async () => {
    const root = freshRoot("distdracut");
    const ctx = makeContext(work, cache, values("stage4", { catalyst_use: null }));
    const k = await driver().installKernel(ctx, root, {
      label: "dist",
      keys: { distkernel: "yes", dracut_args: "--xz" },
    });
    assert.ok(k.ok, JSON.stringify(k));
    const dracut = recorded(root).filter((l) => l.startsWith("dracut"));
    assert.deepEqual(dracut, [
      "dracut|ROOT=|USE=|INSTALL_MASK=|repo=gentoo|--xz --force --kernel-image=/boot/vmlinuz-6.6.58-gentoo-dist --kver=6.6.58-gentoo-dist",
    ]);
  });
});

void describe("portage driver licences and refusals (recording stand-in emerge: the real tier's repository has no non-free package yet, and refusals happen before any emerge)", () => {
  void it("bindist: clean refuses non-free packages and names them; listPackages reads LICENSE", async () => {
    const root = freshRoot("bindist");
    const d = driver();
    const ctx = makeContext(work, cache, values("stage4"));
    assert.ok((await d.install(ctx, root, ["sys-kernel/firmware-blob", "app-misc/free-tool"])).ok);
    const list = await d.listPackages(ctx, root);
    assert.ok(list.ok);
    assert.deepEqual(
      list.value.map((p) => `${p.name} ${p.version} ${p.licence}`),
      [
        "app-misc/free-tool 1.0 GPL-2",
        "sys-apps/baselayout 2.15 GPL-2",
        "sys-kernel/firmware-blob 1.0 linux-fw-redistributable no-source-code",
      ],
    );
    const c = await d.cleanRoot(ctx, root);
    assert.equal(c.ok, false);
    assert.equal(c.error.reason, "licence-blocked");
    assert.match(
      c.error.message,
      /sys-kernel\/firmware-blob-1\.0 \(linux-fw-redistributable no-source-code\)/,
    );
    assert.doesNotMatch(c.error.message, /free-tool/);
  });

  void it("refuses an unknown profile, a bad update_seed, a missing snapshot and an interpreter without binfmt", async () => {
    const root = freshRoot("refusals");
    const cases: [Record<string, SpecValue>, string, RegExp][] = [
      [
        { profile: "default/linux/amd64/99.0" },
        "profile-missing",
        /profile default\/linux\/amd64\/99\.0 does not exist/,
      ],
      [{ update_seed: "maybe" }, "bad-setting", /update_seed must be yes or no/],
      [
        { snapshot_treeish: "19990101.xz" },
        "snapshot-unavailable",
        /gentoo-19990101\.xz\.sqfs is not in the store/,
      ],
      [
        { interpreter: "/nonexistent/qemu-arm" },
        "interpreter-unusable",
        /interpreter \/nonexistent\/qemu-arm does not exist/,
      ],
      [{ subarch: "pdp11" }, "unknown-subarch", /unknown subarch "pdp11"/],
      // An existing file no binfmt_misc handler runs (armv7a builds need qemu-user-static); on a
      // fresh machine binfmt_misc itself is not mounted, and that is the reason given.
      [
        { interpreter: "/bin/true" },
        "interpreter-unusable",
        /no enabled binfmt_misc handler runs \/bin\/true \(qemu-true is not registered\)|binfmt_misc is not mounted at \/proc\/sys\/fs\/binfmt_misc: the kernel cannot run the root's programs through \/bin\/true/,
      ],
    ];
    for (const [extra, reason, message] of cases) {
      const r = await driver().buildStage(
        makeContext(work, cache, values("stage1", extra)),
        root,
        "stage1",
      );
      assert.equal(r.ok, false);
      assert.equal(r.error.reason, reason, r.error.message);
      assert.match(r.error.message, message);
    }
    assert.deepEqual(recorded(root), [], "nothing ran");
  });
});
