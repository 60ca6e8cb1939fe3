/**
 * Real QEMU + OVMF (TCG) boots of small broken ISOs built here, each expected to fail fast with
 * the right reason: nothing bootable (UEFI shell), a boot loader entry naming a missing kernel,
 * and a direct kernel boot that panics. Also `firmware show/fix` through the CLI. Needs
 * qemu-system-x86, ovmf, xorriso, mtools, dosfstools, systemd-boot-efi and a kernel image in
 * /boot (Debian: linux-image-cloud-amd64).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const BIN =
  process.env["SUBSTRATE_BIN"] ??
  fileURLToPath(new URL("../../../src/cli/bin.js", import.meta.url));
const SYSTEMD_BOOT = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi";

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function substrate(args: string[], timeoutMs = 170_000): Run {
  const started = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

function sh(argv: string[]): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8" });
  assert.equal(r.status, 0, `${argv.join(" ")} failed: ${r.stderr}`);
}

function events(stdout: string): { type: string; [k: string]: unknown }[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { type: string });
}

/** An empty newc cpio archive (just the trailer): a valid initramfs with nothing in it. */
function emptyCpio(): Buffer {
  const name = "TRAILER!!!\0";
  const fields = [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, name.length, 0];
  let header = "070701" + fields.map((f) => f.toString(16).padStart(8, "0")).join("") + name;
  while (header.length % 4 !== 0) header += "\0";
  const buf = Buffer.alloc(512);
  buf.write(header, 0, "latin1");
  return buf;
}

/** Makes an ISO from a tree; with `esp`, that FAT image is the El Torito EFI boot image. */
function makeIso(dir: string, tree: string, esp?: string): string {
  const iso = join(dir, "test.iso");
  const argv = [
    "xorriso",
    "-as",
    "mkisofs",
    "-quiet",
    "-o",
    iso,
    "-r",
    "-J",
    "-V",
    "SUBSTRATE_TEST",
  ];
  if (esp !== undefined)
    argv.push("-graft-points", tree, `/efi.img=${esp}`, "-e", "/efi.img", "-no-emul-boot");
  else argv.push(tree);
  sh(argv);
  return iso;
}

function hostKernel(): string {
  const k = readdirSync("/boot")
    .filter((n) => n.startsWith("vmlinuz-"))
    .sort()
    .pop();
  assert.ok(
    k !== undefined,
    "no /boot/vmlinuz-* on this host: install linux-image-cloud-amd64 (CI does)",
  );
  return join("/boot", k);
}

function workDir(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "substrate-boot-e2e-"));
  return {
    dir,
    done: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

void test("an ISO with nothing bootable fails fast: the firmware drops to the UEFI shell", () => {
  const w = workDir();
  try {
    mkdirSync(join(w.dir, "tree"));
    writeFileSync(join(w.dir, "tree", "README"), "nothing to boot here\n");
    const iso = makeIso(w.dir, join(w.dir, "tree"));
    const log = join(w.dir, "console.log");
    const junit = join(w.dir, "junit.xml");
    const vmDirs = (): string[] =>
      readdirSync(tmpdir()).filter(
        (n) => n.startsWith("substrate-boot-") && existsSync(join(tmpdir(), n, "OVMF_VARS.fd")),
      );
    const before = vmDirs();
    const r = substrate([
      "test",
      iso,
      "--json",
      "--timeout",
      "170",
      "--log",
      log,
      "--junit",
      junit,
      "--accel",
      "auto",
      "--memory",
      "512",
    ]);
    assert.equal(r.status, 1, r.stderr + r.stdout);
    const finished = events(r.stdout).find((e) => e.type === "boot-finished");
    assert.ok(finished !== undefined, r.stdout);
    assert.equal(finished["ok"], false);
    assert.match(String(finished["reason"]), /UEFI shell/);
    assert.ok(r.ms < 100_000, `took ${r.ms} ms`);
    assert.match(readFileSync(log, "utf8"), /EFI Internal Shell/);
    assert.match(
      readFileSync(junit, "utf8"),
      /<failure message="known-failure: the firmware found nothing to boot/,
    );
    // The VM's private VARS copy is gone.
    assert.deepEqual(
      vmDirs().filter((n) => !before.includes(n)),
      [],
    );
  } finally {
    w.done();
  }
});

void test("a boot entry naming a missing kernel fails fast with the boot loader's error; that CD-only ISO is refused as a USB stick", () => {
  const w = workDir();
  try {
    const esp = join(w.dir, "esp.img");
    sh(["mkfs.vfat", "-C", esp, "8192"]);
    sh(["mmd", "-i", esp, "::/EFI", "::/EFI/BOOT", "::/loader", "::/loader/entries"]);
    sh(["mcopy", "-i", esp, SYSTEMD_BOOT, "::/EFI/BOOT/BOOTX64.EFI"]);
    writeFileSync(join(w.dir, "loader.conf"), "timeout 0\ndefault broken.conf\n");
    writeFileSync(
      join(w.dir, "broken.conf"),
      "title broken\nlinux /boot/missing\ninitrd /boot/missing.igz\noptions console=ttyS0\n",
    );
    sh(["mcopy", "-i", esp, join(w.dir, "loader.conf"), "::/loader/loader.conf"]);
    sh(["mcopy", "-i", esp, join(w.dir, "broken.conf"), "::/loader/entries/broken.conf"]);
    mkdirSync(join(w.dir, "tree"));
    writeFileSync(join(w.dir, "tree", "README"), "broken entry\n");
    const iso = makeIso(w.dir, join(w.dir, "tree"), esp);
    const r = substrate([
      "test",
      iso,
      "--json",
      "--timeout",
      "170",
      "--log",
      join(w.dir, "console.log"),
      "--accel",
      "tcg",
      "--memory",
      "512",
    ]);
    assert.equal(r.status, 1, r.stderr + r.stdout);
    const finished = events(r.stdout).find((e) => e.type === "boot-finished");
    assert.match(
      String(finished?.["reason"]),
      /boot loader (could not load the kernel|found no entry it could boot)/,
      r.stdout,
    );
    assert.ok(r.ms < 120_000, `took ${r.ms} ms`);
    // This ISO has an El Torito EFI image but no GPT: as a stick it cannot boot, and the test
    // says so before QEMU starts (no console log is written).
    const usbLog = join(w.dir, "usb-console.log");
    const usb = substrate(["test", iso, "--medium", "usb", "--log", usbLog, "--accel", "tcg"]);
    assert.equal(usb.status, 2, usb.stderr + usb.stdout);
    assert.match(
      usb.stderr + usb.stdout,
      /cannot boot as a USB stick: it has no GPT with an EFI System partition, only an El Torito EFI image/,
    );
    assert.match(usb.stderr + usb.stdout, /--medium cd/);
    assert.ok(!existsSync(usbLog), "no VM was started");
    const bad = substrate(["test", iso, "--medium", "floppy"]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--medium is cd, usb, disk, got "floppy"/);
  } finally {
    w.done();
  }
});

void test("a direct kernel boot without a root fails fast with the kernel panic", () => {
  const w = workDir();
  try {
    const tree = join(w.dir, "tree");
    mkdirSync(join(tree, "boot"), { recursive: true });
    mkdirSync(join(tree, "loader", "entries"), { recursive: true });
    copyFileSync(hostKernel(), join(tree, "boot", "test"));
    writeFileSync(join(tree, "boot", "test.igz"), emptyCpio());
    writeFileSync(
      join(tree, "loader", "entries", "test.conf"),
      "title panic\nlinux /boot/test\ninitrd /boot/test.igz\noptions root=/dev/nonexistent panic=-1 console=ttyS0\n",
    );
    const iso = makeIso(w.dir, tree);
    const r = substrate([
      "test",
      iso,
      "--direct-kernel",
      "--json",
      "--timeout",
      "170",
      "--log",
      join(w.dir, "console.log"),
      "--accel",
      "tcg",
      "--memory",
      "512",
    ]);
    assert.equal(r.status, 1, r.stderr + r.stdout);
    const ev = events(r.stdout);
    const finished = ev.find((e) => e.type === "boot-finished");
    assert.match(
      String(finished?.["reason"]),
      /kernel panicked: .*Kernel panic - not syncing/,
      r.stdout,
    );
    assert.ok(
      ev.some((e) => e.type === "boot-phase" && e["phase"] === "firmware"),
      "the firmware phase was timed",
    );
    assert.ok(r.ms < 150_000, `took ${r.ms} ms`);
  } finally {
    w.done();
  }
});

void test("virt-install prints the --location command for a direct kernel boot", () => {
  const w = workDir();
  try {
    const tree = join(w.dir, "tree");
    mkdirSync(join(tree, "boot"), { recursive: true });
    mkdirSync(join(tree, "loader", "entries"), { recursive: true });
    writeFileSync(join(tree, "boot", "debian"), "kernel");
    writeFileSync(join(tree, "boot", "debian.igz"), "initrd");
    writeFileSync(
      join(tree, "loader", "entries", "debian.conf"),
      "linux /boot/debian\noptions root=live:CDLABEL=SUBSTRATE_TEST rd.live.image\n",
    );
    const iso = makeIso(w.dir, tree);
    const r = substrate(["virt-install", iso, "--direct-kernel"]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(
      r.stdout.includes(
        `--location ${iso},kernel=boot/debian,initrd=boot/debian.igz --extra-args 'root=live:CDLABEL=SUBSTRATE_TEST rd.live.image console=ttyS0,115200'`,
      ),
      r.stdout,
    );
    assert.match(r.stdout, /--boot uefi/);
  } finally {
    w.done();
  }
});

void test("firmware fix --prefix repairs Gentoo-style descriptors and is idempotent; show lists the result", () => {
  const w = workDir();
  try {
    const distro = join(w.dir, "usr/share/qemu/firmware");
    mkdirSync(distro, { recursive: true });
    mkdirSync(join(w.dir, "etc/libvirt"), { recursive: true });
    writeFileSync(
      join(distro, "60-edk2-x86_64.json"),
      JSON.stringify({
        description: "UEFI firmware for x86_64",
        "interface-types": ["uefi"],
        mapping: {
          device: "flash",
          executable: { filename: "/usr/share/qemu/edk2-x86_64-code.fd.not-here", format: "raw" },
          "nvram-template": {
            filename: "/usr/share/qemu/edk2-i386-vars.fd.not-here",
            format: "raw",
          },
        },
        targets: [{ architecture: "x86_64", machines: ["pc-i440fx-*", "pc-q35-*"] }],
        features: ["acpi-s3"],
        tags: [],
      }),
    );
    const before = substrate(["firmware", "show", "--prefix", w.dir]);
    assert.match(before.stdout, /\(MISSING\)/);
    const first = substrate(["firmware", "fix", "--prefix", w.dir]);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /created: .*etc\/qemu\/firmware\/60-edk2-x86_64\.json/);
    const written = JSON.parse(
      readFileSync(join(w.dir, "etc/qemu/firmware/60-edk2-x86_64.json"), "utf8"),
    ) as {
      mapping: { executable: { filename: string } };
    };
    assert.ok(existsSync(written.mapping.executable.filename), written.mapping.executable.filename);
    const second = substrate(["firmware", "fix", "--prefix", w.dir]);
    assert.match(second.stdout, /Nothing to change\./);
    const shown = substrate(["firmware", "show", "--json", "--prefix", w.dir]);
    const doc = JSON.parse(shown.stdout) as { selected: { descriptor: string } | null };
    assert.equal(doc.selected?.descriptor, join(w.dir, "etc/qemu/firmware/60-edk2-x86_64.json"));
  } finally {
    w.done();
  }
});
