/**
 * Foreign-architecture apt roots: subarch → dpkg architecture and UEFI names (spec/machine.ts),
 * mmdebstrap's --architectures, the interpreter a foreign root needs, the refusal of a build
 * whose host lacks it (before any work), and livecd-stage2's boot loader per machine.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_APT_SETTINGS, resolveAptOptions } from "../../../src/drivers/apt/apt-options.js";
import { mmdebstrapArgv } from "../../../src/drivers/apt/mmdebstrap.js";
import {
  nativeDebianArches,
  qemuUserStatic,
  rootInterpreters,
} from "../../../src/drivers/apt/foreign.js";
import { checkInterpreters } from "../../../src/sandbox/interpreter.js";
import {
  debianArchOf,
  efiArchOf,
  efiBootFileName,
  machineOf,
  machineOfEfiBootFile,
} from "../../../src/spec/machine.js";
import { bootLoaderFor, isGzip } from "../../../src/targets/livecd-stage2.js";

void test("subarchs map to Debian architectures and UEFI boot file names", () => {
  assert.equal(debianArchOf("armv7a"), "armhf");
  assert.equal(debianArchOf("armv7a_hardfp"), "armhf");
  assert.equal(debianArchOf("armhf"), "armhf");
  assert.equal(debianArchOf("arm64"), "arm64");
  assert.equal(debianArchOf("amd64"), "amd64");
  assert.equal(debianArchOf("i686"), "i386");
  assert.equal(debianArchOf("armv5tel"), "armel");
  assert.equal(debianArchOf("armv6j_hardfp"), undefined, "Raspbian's ABI is not Debian armhf");
  assert.equal(debianArchOf("sparc64"), undefined);
  assert.equal(efiBootFileName(efiArchOf("arm")!), "BOOTARM.EFI");
  assert.equal(efiBootFileName(efiArchOf("aarch64")!), "BOOTAA64.EFI");
  assert.equal(efiBootFileName(efiArchOf("x86_64")!), "BOOTX64.EFI");
  assert.equal(machineOfEfiBootFile("efi/BOOTARM.EFI"), "arm");
  assert.equal(machineOf("armv7a"), "arm");
});

void test("the stage's subarch becomes mmdebstrap --architectures; an unknown one is refused", () => {
  const arm = resolveAptOptions(DEFAULT_APT_SETTINGS, { subarch: "armv7a" });
  assert.ok(arm.ok);
  assert.equal(arm.value.architecture, "armhf");
  const argv = mmdebstrapArgv({ options: arm.value, root: "/r", packages: [], hookDirs: [] });
  assert.ok(argv.includes("--architectures=armhf"));
  const none = resolveAptOptions(DEFAULT_APT_SETTINGS, {});
  assert.ok(none.ok);
  assert.ok(
    !mmdebstrapArgv({ options: none.value, root: "/r", packages: [], hookDirs: [] }).some((a) =>
      a.startsWith("--architectures"),
    ),
  );
  const bad = resolveAptOptions(DEFAULT_APT_SETTINGS, { subarch: "armv6j_hardfp" });
  assert.ok(!bad.ok);
  assert.match(bad.error.message, /no Debian architecture/);
});

void test("a foreign root needs Debian's qemu-user-static interpreter unless the tree names one", () => {
  assert.deepEqual(nativeDebianArches("x64"), ["amd64", "i386"]);
  assert.equal(qemuUserStatic("armhf"), "/usr/bin/qemu-arm-static");
  assert.equal(qemuUserStatic("arm64"), "/usr/bin/qemu-aarch64-static");
  assert.deepEqual(rootInterpreters({ subarch: "armv7a" }, "x64"), ["/usr/bin/qemu-arm-static"]);
  assert.deepEqual(rootInterpreters({ subarch: "arm64" }, "x64"), ["/usr/bin/qemu-aarch64-static"]);
  assert.deepEqual(rootInterpreters({ subarch: "amd64" }, "x64"), []);
  assert.deepEqual(rootInterpreters({ subarch: "armv7a" }, "arm64"), [], "arm64 runs armhf");
  assert.deepEqual(rootInterpreters({ subarch: "armv7a", interpreter: ["/opt/qemu-arm"] }, "x64"), [
    "/opt/qemu-arm",
  ]);
});

void test("a host without binfmt_misc is refused with a precise reason and what to run", () => {
  const host = mkdtempSync(join(tmpdir(), "substrate-foreign-"));
  try {
    const c = checkInterpreters(["/usr/bin/qemu-arm-static"], {
      hostRoot: host,
      installCommand: "substrate doctor --install examples/roflmaos/armv7a.toml",
    });
    assert.ok(!c.ok);
    assert.match(c.error.message, /qemu-arm-static/);
    assert.match(
      "hint" in c.error ? c.error.hint : "",
      /substrate doctor --install examples\/roflmaos\/armv7a\.toml/,
    );
  } finally {
    rmSync(host, { recursive: true, force: true });
  }
});

void test("livecd-stage2 takes systemd-boot's binary of the stage's machine", () => {
  const x64 = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi";
  const arm = bootLoaderFor(x64, "armv7a");
  assert.deepEqual(arm, {
    ok: true,
    value: {
      efi: "/usr/lib/systemd/boot/efi/systemd-bootarm.efi",
      bootFile: "BOOTARM.EFI",
      machine: "arm",
    },
  });
  const a64 = bootLoaderFor(x64, "arm64");
  assert.ok(a64.ok);
  assert.equal(a64.value.efi, "/usr/lib/systemd/boot/efi/systemd-bootaa64.efi");
  assert.equal(a64.value.bootFile, "BOOTAA64.EFI");
  const amd = bootLoaderFor(x64, "amd64");
  assert.ok(amd.ok);
  assert.equal(amd.value.efi, x64);
  assert.equal(amd.value.bootFile, "BOOTX64.EFI");
  assert.deepEqual(bootLoaderFor(x64, undefined), {
    ok: true,
    value: { efi: x64, bootFile: "BOOTX64.EFI" },
  });
  assert.equal(bootLoaderFor(x64, "ppc64le").ok, false);
});

void test("a gzip-compressed kernel image (Debian's arm64 vmlinuz) is recognised for decompression", () => {
  const dir = mkdtempSync(join(tmpdir(), "substrate-gzip-"));
  try {
    writeFileSync(join(dir, "gz"), gzipSync(Buffer.from("MZ arm64 Image")));
    writeFileSync(join(dir, "zimage"), Buffer.from([0x00, 0x00, 0xa0, 0xe1]));
    writeFileSync(join(dir, "short"), Buffer.from([0x1f]));
    assert.equal(isGzip(join(dir, "gz")), true);
    assert.equal(isGzip(join(dir, "zimage")), false);
    assert.equal(isGzip(join(dir, "short")), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
