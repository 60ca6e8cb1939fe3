/** Autobuild pointers, upstream variants, dearmoring and kernel names: the pure parts of fetching. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { archEntry } from "../../../src/drivers/portage/arch-table.js";
import { joinUrl } from "../../../src/drivers/portage/download.js";
import {
  distDracutArgv,
  genkernelArgv,
  kernelPlan,
  sanitizeLabel,
  splitArgs,
} from "../../../src/drivers/portage/kernel.js";
import { dearmor } from "../../../src/drivers/portage/openpgp.js";
import {
  parsePointer,
  pointerPath,
  upstreamVariant,
} from "../../../src/drivers/portage/autobuild.js";
import { defaultSnapshotDate, snapshotFileName } from "../../../src/drivers/portage/snapshot.js";

void test("parsePointer reads the signed text of latest-stage3-*.txt", () => {
  const text =
    "# Latest as of Sun, 05 Jan 2025 17:03:25 +0000\n# ts=1736096605\n20250105T170325Z/stage3-amd64-openrc-20250105T170325Z.tar.xz 281578064\n";
  assert.deepEqual(parsePointer(text), [
    { path: "20250105T170325Z/stage3-amd64-openrc-20250105T170325Z.tar.xz", size: 281578064 },
  ]);
  assert.deepEqual(parsePointer("garbage\n../../etc/passwd 12\n"), []);
});

void test("upstream variants and pointer paths follow substrate's Makefiles", () => {
  assert.equal(upstreamVariant("amd64", "systemd"), "nomultilib-systemd");
  assert.equal(upstreamVariant("armv7a_hardfp", "hardfp"), "openrc");
  assert.equal(upstreamVariant("armv7a_hardfp", "systemd"), "systemd");
  assert.equal(upstreamVariant("amd64", "plasma"), "systemd");
  assert.equal(upstreamVariant("amd64", "hardened-openrc"), "hardened-openrc");
  const arm = archEntry("armv7a_hardfp");
  assert.equal(
    pointerPath(arm?.keyword ?? "", "armv7a_hardfp", "openrc"),
    "releases/arm/autobuilds/latest-stage3-armv7a_hardfp-openrc.txt",
  );
  assert.equal(
    joinUrl("https://distfiles.gentoo.org/", "/releases/x"),
    "https://distfiles.gentoo.org/releases/x",
  );
});

void test("snapshot names and the default date (yesterday, UTC)", () => {
  assert.equal(snapshotFileName("20260101.lzo"), "gentoo-20260101.lzo.sqfs");
  assert.equal(snapshotFileName("20260101"), "gentoo-20260101.xz.sqfs");
  assert.equal(defaultSnapshotDate(new Date("2026-03-01T00:30:00Z")), "20260228");
});

void test("dearmor decodes armored key blocks (headers and CRC line dropped)", () => {
  const bytes = Buffer.from([0x99, 0x01, 0x02, 0x03, 0xff]);
  const armored = `-----BEGIN PGP PUBLIC KEY BLOCK-----\nComment: test\n\n${bytes.toString("base64")}\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n`;
  assert.deepEqual(dearmor(armored), bytes);
  assert.equal(dearmor("not armored"), undefined);
});

void test("kernels: labels keep their keys (sanitize only for variables), genkernel and dracut argv", () => {
  assert.equal(sanitizeLabel("gentoo-dist.v2/x"), "gentoo_dist_v2_x");
  assert.deepEqual(splitArgs(`--xz -a "dmsquash-live livenet" --kernel-cmdline='quiet splash'`), [
    "--xz",
    "-a",
    "dmsquash-live livenet",
    "--kernel-cmdline=quiet splash",
  ]);
  const gk = kernelPlan("gentoo-lts", { config: "/k.config" });
  assert.equal(gk.sources, "sys-kernel/gentoo-sources");
  assert.equal(gk.dist, false);
  const argv = genkernelArgv(gk, {
    versionStamp: "vs",
    gkMainargs: [],
    kerncache: false,
    skipInitramfs: true,
  });
  assert.equal(argv.at(-1), "kernel");
  assert.ok(argv.includes("--kernel-config=/var/tmp/gentoo-lts.config"));
  const dist = kernelPlan("dist", { distkernel: "yes", dracut_args: "--xz" });
  assert.equal(dist.sources, "sys-kernel/gentoo-kernel");
  const image = `/usr/src/linux-6.6/${archEntry("armv7a_hardfp")?.kernelImage ?? ""}`;
  assert.deepEqual(distDracutArgv(dist, "6.6", image), [
    "dracut",
    "--xz",
    "--force",
    "--kernel-image=/usr/src/linux-6.6/arch/arm/boot/zImage",
    "--kver=6.6",
  ]);
});
