/**
 * A foreign-arch (armv7a hard-float) stage under qemu-user (recording stand-in emerge): a fake
 * Gentoo root whose busybox is Debian's armhf busybox-static, run through binfmt_misc and
 * qemu-arm-static with `interpreter` set. It stays in CI because it takes seconds: the real-emerge
 * armv7a stage1..stage3 (test/nightly/real-armv7a-chain.test.ts) is too slow under qemu-arm for
 * CI's budget and runs from scripts/soak/real-armv7a-chain.sh; the armv7a stage1 alone (test/nightly/real-armv7a.test.ts) is
 * nightly too. Needs root, qemu-user-static and deb.debian.org for
 * the armhf busybox, which is kept in /var/cache/substrate/portage-test/ between runs. The host
 * is prepared as a user would: `substrate doctor --install examples/gentoo` mounts binfmt_misc
 * and registers qemu-arm when they are missing (a fresh machine).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { PortageDriver } from "../../../src/drivers/portage/portage-driver.js";
import { checkInterpreters } from "../../../src/sandbox/interpreter.js";
import { REPO_ROOT, runCli } from "../../helpers/cli.js";
import { scratch, tinySnapshot } from "./autobuild-fixture.js";
import { makeContext, makeFakeGentoo, recorded } from "./fake-gentoo.js";

const QEMU = "/usr/bin/qemu-arm-static";
const CACHED = "/var/cache/substrate/portage-test/busybox-armhf";
/** The test's folder; empty until before() made it. */
let work = "";

/** Debian's armhf busybox-static, downloaded once (apt with armhf lists, no dpkg change). */
function armhfBusybox(): string {
  if (existsSync(CACHED)) return CACHED;
  const tmp = scratch("armhf-deb");
  try {
    const archs = ["-o", "APT::Architectures::=amd64", "-o", "APT::Architectures::=armhf"];
    try {
      execFileSync("apt-get", [...archs, "update"], { stdio: "ignore" });
    } catch {
      // A partly failed update (one mirror index out of sync) still gives busybox's list.
    }
    execFileSync("apt-get", [...archs, "download", "busybox-static:armhf"], {
      cwd: tmp,
      stdio: "ignore",
    });
    const deb = readdirSync(tmp).find((f) => f.endsWith("_armhf.deb"));
    assert.ok(deb !== undefined, "apt-get download busybox-static:armhf gave no .deb");
    execFileSync("dpkg-deb", ["-x", join(tmp, deb), join(tmp, "x")]);
    mkdirSync(join(CACHED, ".."), { recursive: true });
    copyFileSync(join(tmp, "x", "bin", "busybox"), CACHED);
    return CACHED;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

before(async () => {
  assert.ok(existsSync(QEMU), `${QEMU} is missing: apt-get install qemu-user-static`);
  const doctor = await runCli(["doctor", "--install", join(REPO_ROOT, "examples/gentoo")]);
  assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
  assert.deepEqual(checkInterpreters([QEMU]), { ok: true, value: undefined });
  work = scratch("foreign");
  mkdirSync(join(work, "cache", "snapshots"), { recursive: true });
  const sqfs = join(work, "cache", "snapshots", "gentoo-20260101.xz.sqfs");
  writeFileSync(sqfs, tinySnapshot(work));
  writeFileSync(`${sqfs}.DIGESTS`, `# SHA512 HASH\n${"2".repeat(128)}  gentoo-20260101.xz.sqfs\n`);
});

after(() => {
  if (work !== "") rmSync(work, { recursive: true, force: true });
});

void it("armv7a_hardfp stage3 under qemu-arm in CI: the exact emerge argv and FEATURES environment (namespace sandboxes off), CPU_FLAGS_ARM, the interpreter removed (recording stand-in emerge: the real-emerge armv7a stage3, test/nightly/real-armv7a-chain.test.ts, takes over an hour under qemu-arm, beyond CI's budget, and runs nightly)", async () => {
  const root = join(work, "root");
  mkdirSync(root);
  makeFakeGentoo(root, armhfBusybox());
  // The stand-in records the machine it runs on.
  writeFileSync(
    join(root, "usr", "bin", "etc-update"),
    "#!/bin/sh\nuname -m >> /var/log/record.log\n",
    { mode: 0o755 },
  );
  const ctx = makeContext(work, join(work, "cache"), {
    target: "stage3",
    subarch: "armv7a_hardfp",
    profile: "default/linux/amd64/23.0",
    snapshot_treeish: "20260101.xz",
    interpreter: QEMU,
  });
  const r = await new PortageDriver({ mirrors: [] }, { cores: 2 }).buildStage(ctx, root, "stage3");
  assert.ok(r.ok, JSON.stringify(r) + readFileSync(join(work, "stage.log"), "utf8").slice(-2000));
  const log = recorded(root);
  assert.equal(log[1], "armv7l");
  assert.match(
    log[0] ?? "",
    /^emerge\|ROOT=\|USE=\|INSTALL_MASK=\|repo=gentoo\|--quiet .* -e --update --deep --with-bdeps=y @system$/,
  );
  assert.match(
    recorded(root, "record-env.log")[0] ?? "",
    /FEATURES=-news binpkg-multi-instance clean-logs parallel-install -pid-sandbox -network-sandbox -ipc-sandbox/,
  );
  const conf = readFileSync(join(root, "etc", "portage", "make.conf"), "utf8");
  assert.match(conf, /^CPU_FLAGS_ARM="edsp thumb thumb2 v4 v5 v6 v7 vfp vfp-d32 vfpv3"$/m);
  // The interpreter was copied in for each run only.
  assert.equal(existsSync(join(root, "usr", "bin", "qemu-arm-static")), false);
});
