/**
 * The guest architecture table (boot/arch.ts): QEMU's argv per architecture, firmware selection
 * for ARM guests from QEMU's descriptors, the ISO's architecture from what it carries, and the
 * `uname -m` check.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BOOT_ARCHES,
  archOfEfiBootFile,
  bootArchProfile,
  isoBootArch,
  mayUseKvm,
  parseBootArch,
} from "../../../src/boot/arch.js";
import { judgeMachine, standardChecks } from "../../../src/boot/checks.js";
import {
  defaultDescriptorDirs,
  discoverFirmware,
  selectFirmware,
  usableFor,
} from "../../../src/boot/firmware.js";
import { qemuArgv, withSerialConsole } from "../../../src/boot/qemu-args.js";
import { planFirmwareFix } from "../../../src/boot/firmware-fix.js";
import { virtInstallArgv } from "../../../src/boot/virt-install.js";
import type { FirmwareChoice } from "../../../src/boot/firmware.js";

const FW: FirmwareChoice = {
  description: "test",
  code: "/fw/CODE.fd",
  varsTemplate: "/fw/VARS.fd",
  secureBoot: false,
  enrolledKeys: false,
  requiresSmm: false,
  notes: [],
};

function after(argv: readonly string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i < 0 ? undefined : argv[i + 1];
}

void test("each architecture has its emulator, machine, CPU, console and uname", () => {
  assert.deepEqual(BOOT_ARCHES, ["x86_64", "arm", "aarch64"]);
  const arm = bootArchProfile("arm");
  assert.equal(arm.qemu, "qemu-system-arm");
  assert.equal(arm.machine, "virt,highmem=off");
  assert.equal(arm.cpu, "cortex-a15");
  assert.equal(arm.console, "ttyAMA0");
  assert.deepEqual(arm.uname, ["armv7l"]);
  assert.equal(bootArchProfile("aarch64").qemu, "qemu-system-aarch64");
  assert.equal(bootArchProfile("aarch64").console, "ttyAMA0");
  assert.equal(bootArchProfile().qemu, "qemu-system-x86_64");
  // Emulated ARM gets a longer default limit than x86_64.
  assert.ok(arm.defaultTimeoutMs > bootArchProfile("x86_64").defaultTimeoutMs);
  assert.equal(mayUseKvm(arm, "x64"), false);
  assert.equal(mayUseKvm(bootArchProfile("x86_64"), "x64"), true);
  assert.equal(mayUseKvm(bootArchProfile("aarch64"), "arm64"), true);
});

void test("parseBootArch takes QEMU, Debian and substrate names", () => {
  assert.equal(parseBootArch("armv7a"), "arm");
  assert.equal(parseBootArch("armhf"), "arm");
  assert.equal(parseBootArch("arm"), "arm");
  assert.equal(parseBootArch("arm64"), "aarch64");
  assert.equal(parseBootArch("AMD64"), "x86_64");
  assert.equal(parseBootArch("sparc"), undefined);
});

void test("the x86_64 argv is unchanged: q35, -cpu max, an IDE CD", () => {
  const argv = qemuArgv({
    accel: "tcg",
    memoryMiB: 2048,
    cpus: 2,
    firmware: FW,
    varsFile: "/tmp/VARS.fd",
    iso: "/b/x.iso",
    network: false,
    console: "headless",
  });
  assert.equal(argv[0], "qemu-system-x86_64");
  assert.equal(after(argv, "-machine"), "q35");
  assert.equal(after(argv, "-cpu"), "max");
  assert.ok(argv.includes("ide-cd,drive=live,bootindex=1"));
});

void test("an arm guest runs qemu-system-arm -machine virt,highmem=off with a virtio-scsi CD", () => {
  const argv = qemuArgv({
    arch: "arm",
    accel: "tcg",
    memoryMiB: 1024,
    cpus: 2,
    firmware: FW,
    varsFile: "/tmp/VARS.fd",
    iso: "/b/roflmaOS-20261204-armv7a.iso",
    network: false,
    console: "headless",
  });
  assert.equal(argv[0], "qemu-system-arm");
  assert.equal(after(argv, "-machine"), "virt,highmem=off");
  assert.equal(after(argv, "-cpu"), "cortex-a15");
  assert.ok(!argv.some((a) => a.startsWith("ide-cd")), "virt has no IDE");
  assert.ok(argv.includes("virtio-scsi-pci,id=scsi0"));
  assert.ok(argv.includes("scsi-cd,bus=scsi0.0,drive=live,bootindex=1"));
  assert.ok(argv.includes("if=pflash,format=raw,unit=0,readonly=on,file=/fw/CODE.fd"));
  // A USB stick and a disk attach the same way as on x86_64.
  const usb = qemuArgv({
    arch: "arm",
    accel: "tcg",
    memoryMiB: 1024,
    cpus: 1,
    firmware: FW,
    varsFile: "/v",
    iso: "/i.iso",
    medium: "usb",
    network: false,
    console: "headless",
  });
  assert.ok(usb.includes("qemu-xhci,id=xhci"));
  // An explicit emulator wins over the table.
  assert.equal(
    qemuArgv({
      arch: "aarch64",
      qemu: "/opt/qemu-system-aarch64",
      accel: "tcg",
      memoryMiB: 1024,
      cpus: 1,
      firmware: FW,
      varsFile: "/v",
      network: false,
      console: "headless",
    })[0],
    "/opt/qemu-system-aarch64",
  );
});

void test("a direct kernel boot names the architecture's serial console", () => {
  assert.equal(withSerialConsole("root=live:x"), "root=live:x console=ttyS0,115200");
  assert.equal(withSerialConsole("root=live:x", "ttyAMA0"), "root=live:x console=ttyAMA0,115200");
  assert.equal(
    withSerialConsole("a console=ttyAMA0,115200", "ttyAMA0"),
    "a console=ttyAMA0,115200",
  );
});

void test("the ISO's architecture comes from the manifest's machine, its EFI binary, or the ESP", () => {
  assert.deepEqual(isoBootArch({ manifestMachine: "arm" }).arch, "arm");
  assert.deepEqual(isoBootArch({ manifestEfiBinary: "efi/BOOTAA64.EFI" }).arch, "aarch64");
  assert.deepEqual(isoBootArch({ espBootFiles: ["BOOTARM.EFI"] }), {
    arch: "arm",
    source: "BOOTARM.EFI",
  });
  assert.equal(isoBootArch({ manifestEfiBinary: "efi/BOOTX64.EFI" }).arch, "x86_64");
  assert.equal(isoBootArch({}).arch, "x86_64");
  assert.equal(archOfEfiBootFile("EFI/BOOT/bootarm.efi"), "arm");
  assert.equal(archOfEfiBootFile("grubx64.efi"), undefined);
});

void test("firmware for an arm guest: the descriptor of architecture arm on virt, not OVMF", () => {
  const root = mkdtempSync(join(tmpdir(), "substrate-arch-fw-"));
  try {
    const dirs = defaultDescriptorDirs(root, { HOME: "/home/t" });
    const distro = dirs[0]!.path;
    mkdirSync(distro, { recursive: true });
    mkdirSync(join(root, "fw"));
    const file = (n: string): string => {
      const p = join(root, "fw", n);
      writeFileSync(p, "fw");
      return p;
    };
    const desc = (code: string, vars: string, arch: string, machines: string[]): string =>
      JSON.stringify({
        description: `${arch} firmware`,
        "interface-types": ["uefi"],
        mapping: {
          device: "flash",
          executable: { filename: code, format: "raw" },
          "nvram-template": { filename: vars, format: "raw" },
        },
        targets: [{ architecture: arch, machines }],
        features: [],
        tags: [],
      });
    writeFileSync(
      join(distro, "60-edk2-x86_64.json"),
      desc(file("OVMF_CODE.fd"), file("OVMF_VARS.fd"), "x86_64", ["pc-q35-*"]),
    );
    writeFileSync(
      join(distro, "60-edk2-arm.json"),
      desc(file("AAVMF32_CODE.fd"), file("AAVMF32_VARS.fd"), "arm", ["virt-*"]),
    );
    // aarch64's descriptor points at a file that is not there: not chosen, not for arm anyway.
    writeFileSync(
      join(distro, "60-edk2-aarch64.json"),
      desc(join(root, "fw", "missing.fd"), file("AAVMF_VARS.fd"), "aarch64", ["virt-*"]),
    );
    const inv = discoverFirmware(dirs);
    const arm = selectFirmware(inv, { secureBoot: false, arch: "arm", candidates: [] });
    assert.ok(arm.ok, JSON.stringify(arm));
    assert.match(arm.value.code, /AAVMF32_CODE\.fd$/);
    const x86 = selectFirmware(inv, { secureBoot: false, candidates: [] });
    assert.ok(x86.ok);
    assert.match(x86.value.code, /OVMF_CODE\.fd$/);
    const armEntry = inv.entries.find((e) => e.name === "60-edk2-arm.json")!;
    assert.equal(usableFor(armEntry, "arm"), true);
    assert.equal(usableFor(armEntry, "x86_64"), false);
    assert.equal(usableFor(armEntry, "aarch64"), false);
    const a64 = selectFirmware(inv, { secureBoot: false, arch: "aarch64", candidates: [] });
    assert.ok(!a64.ok);
    assert.match(a64.error.message, /no usable aarch64 UEFI firmware/);
    assert.match(a64.error.hint, /qemu-efi-aarch64/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

void test("the architecture check compares uname -m with the ISO's and runs after the kernel's", async () => {
  assert.deepEqual(judgeMachine("armv7l\n", ["armv7l"]), { ok: true, detail: "armv7l" });
  const bad = judgeMachine("x86_64", ["armv7l"]);
  assert.equal(bad.ok, false);
  assert.match(bad.detail, /runs x86_64, the ISO is for armv7l/);
  const names = standardChecks({ machine: ["armv7l"], commandTimeoutMs: 1000 }).map((c) => c.name);
  assert.deepEqual(names.slice(0, 3), ["system-running", "kernel-version", "architecture"]);
  assert.ok(
    !standardChecks({ commandTimeoutMs: 1000 }).some((c) => c.name === "architecture"),
    "no expectation, no check",
  );
  const check = standardChecks({ machine: ["armv7l"], commandTimeoutMs: 1000 }).find(
    (c) => c.name === "architecture",
  )!;
  const v = await check.run({
    run: (cmd) => {
      assert.match(cmd, /^uname -m /);
      return Promise.resolve({ ok: true, value: { output: "armv7l\n", status: 0 } });
    },
  });
  assert.equal(v.ok, true);
});

void test("firmware fix repairs an ARM descriptor with AAVMF, never with OVMF", () => {
  const root = mkdtempSync(join(tmpdir(), "substrate-arch-fix-"));
  try {
    const dirs = defaultDescriptorDirs(root, { HOME: "/home/t" });
    mkdirSync(dirs[0]!.path, { recursive: true });
    mkdirSync(join(root, "fw"));
    const file = (n: string): string => {
      const p = join(root, "fw", n);
      writeFileSync(p, "fw");
      return p;
    };
    // Debian's qemu-efi-aarch64 names AAVMF_CODE.secboot.fd, which it does not ship.
    writeFileSync(
      join(dirs[0]!.path, "50-edk2-aarch64-secure.json"),
      JSON.stringify({
        description: "UEFI firmware for aarch64, with Secure Boot",
        "interface-types": ["uefi"],
        mapping: {
          device: "flash",
          executable: { filename: join(root, "fw", "AAVMF_CODE.secboot.fd"), format: "raw" },
          "nvram-template": { filename: file("AAVMF_VARS.fd"), format: "raw" },
        },
        targets: [{ architecture: "aarch64", machines: ["virt-*"] }],
        features: ["secure-boot"],
        tags: [],
      }),
    );
    const ovmf = {
      code: file("OVMF_CODE.secboot.fd"),
      vars: file("OVMF_VARS.fd"),
      secureBoot: true,
      enrolledKeys: false,
      requiresSmm: true,
      origin: "test",
    };
    const plan = planFirmwareFix({
      user: false,
      prefix: root,
      env: { HOME: "/home/t" },
      candidates: [ovmf],
      armCandidates: { aarch64: [] },
    });
    const c = plan.changes.find((x) => x.path.endsWith("50-edk2-aarch64-secure.json"));
    assert.ok(c, JSON.stringify(plan));
    assert.equal(c.content, "", "disabled: no Secure Boot AAVMF is installed");
    assert.doesNotMatch(c.summary, /OVMF/, "no OVMF for an ARM target");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

void test("virt-install for an arm ISO names --arch armv7l, the virt machine and ttyAMA0", () => {
  const argv = virtInstallArgv({
    iso: "/b/roflmaOS-armv7a.iso",
    memoryMiB: 2048,
    cpus: 2,
    secureBoot: false,
    network: false,
    arch: "arm",
  });
  assert.equal(after(argv, "--arch"), "armv7l");
  assert.equal(after(argv, "--machine"), "virt");
  assert.equal(after(argv, "--virt-type"), "qemu");
  const x86 = virtInstallArgv({
    iso: "/b/x.iso",
    memoryMiB: 2048,
    cpus: 2,
    secureBoot: false,
    network: false,
  });
  assert.equal(after(x86, "--machine"), "q35");
  assert.ok(!x86.includes("--arch"));
});
