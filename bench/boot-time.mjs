#!/usr/bin/env node
// Benchmark helper (not a test): boots an ISO under QEMU + OVMF with fixed settings and prints
// the seconds from QEMU's start to the first login prompt on the serial console. Used by
// bench/iso.sh to boot substrate's and live-build's ISOs the same way.
//
//   node bench/boot-time.mjs <iso> [--accel tcg|kvm] [--timeout 600] [--console FILE] [--vga]
//                            [--cpu MODEL] [--smp N] [--wait-for-menu] [--no-prealloc]
//
// Like `substrate test`, it presses Enter once at a boot menu's countdown (systemd-boot's
// "Boot in 3 s.", GRUB's "executed automatically in 3s"), so neither ISO waits out its menu;
// --wait-for-menu lets both time out.
//
// --console writes the serial console to FILE, each line prefixed with the seconds since start.
//
// Settings (the same for every ISO, and those of substrate's own boot tests, src/boot/
// qemu-args.ts): q35, `-cpu max`, 2 vCPUs, 2 GiB (preallocated under TCG), `-nodefaults` (no
// VGA: the console is the serial port), OVMF 4M with a fresh VARS copy, the ISO on an IDE
// CD-ROM, virtio-rng, no network. TCG by default: KVM is not reliable on the machines this project runs on, and both
// ISOs must meet the same CPU. `--vga` adds QEMU's standard VGA: under TCG on this project's
// machine the guest's bochs-drm framebuffer set-up then sometimes stalls for 20-50 s (an RCU
// stall in clear_page), which makes single boot times noisy (docs/performance.md).
import { spawn } from "node:child_process";
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { clearTimeout, setTimeout } from "node:timers";

const args = process.argv.slice(2);
const iso = args[0];
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const accel = opt("--accel", "tcg");
const timeoutSec = Number(opt("--timeout", "600"));
const consoleFile = opt("--console", undefined);
const vga = args.includes("--vga");
const cpu = opt("--cpu", accel === "kvm" ? "host" : "max");
const smp = opt("--smp", "2");
const waitForMenu = args.includes("--wait-for-menu");
// QEMU's stdin on /dev/null, as this script had it until 2026-12: `-serial stdio` then reads
// end-of-file over and over, and boots of one ISO ranged from 28 s to 106 s (docs/performance.md).
// Kept to show that evidence again; never for a measurement.
const stdinNull = args.includes("--stdin-null");
// Guest memory is preallocated under TCG, as substrate test does (src/boot/qemu-args.ts):
// fewer boots stalled for 20-60 s in the guest with it, though some still do
// (docs/boot-testing.md). --no-prealloc boots without it, to compare (bench/boot-ab.sh).
const prealloc = accel === "tcg" && !args.includes("--no-prealloc");
const extra = (process.env.BOOT_TIME_QEMU_EXTRA ?? "").split(" ").filter((x) => x !== "");
if (iso === undefined || !existsSync(iso)) {
  process.stderr.write("usage: node bench/boot-time.mjs <iso> [--accel tcg|kvm] [--timeout 600]\n");
  process.exit(2);
}
const code = ["/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_CODE.fd"].find(existsSync);
const vars = ["/usr/share/OVMF/OVMF_VARS_4M.fd", "/usr/share/OVMF/OVMF_VARS.fd"].find(existsSync);
if (code === undefined || vars === undefined) {
  process.stderr.write("boot-time: OVMF is not installed (apt-get install ovmf)\n");
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), "substrate-boot-time-"));
copyFileSync(vars, join(dir, "vars.fd"));
const started = process.hrtime.bigint();
const qemu = spawn(
  "qemu-system-x86_64",
  [
    ...["-machine", "q35", "-accel", accel, "-cpu", cpu],
    ...["-smp", smp, "-m", "2048", ...(prealloc ? ["-mem-prealloc"] : [])],
    ...["-nodefaults", "-no-user-config"],
    ...["-drive", `if=pflash,format=raw,unit=0,readonly=on,file=${code}`],
    ...["-drive", `if=pflash,format=raw,unit=1,file=${join(dir, "vars.fd")}`],
    ...["-drive", `if=none,id=live,media=cdrom,readonly=on,format=raw,file=${iso}`],
    ...["-device", "ide-cd,drive=live,bootindex=1", "-device", "virtio-rng-pci"],
    ...["-serial", "stdio", "-display", "none", "-monitor", "none", "-nic", "none"],
    ...(vga ? ["-vga", "std"] : []),
    "-no-reboot",
    ...extra,
  ],
  { stdio: [stdinNull ? "ignore" : "pipe", "pipe", "inherit"] },
);
let console_ = "";
let menuAnswered = false;
let done = false;
const finish = (status, message) => {
  if (done) return;
  done = true;
  qemu.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
  if (status === 0) process.stdout.write(`${message}\n`);
  else process.stderr.write(`boot-time: ${message}\n`);
  process.exit(status);
};
const timer = setTimeout(() => {
  finish(1, `no login prompt within ${timeoutSec} s; console tail:\n${console_.slice(-2000)}`);
}, timeoutSec * 1000);
if (consoleFile !== undefined) writeFileSync(consoleFile, "");
let partial = "";
qemu.stdout.on("data", (d) => {
  console_ += d.toString("latin1");
  if (consoleFile !== undefined) {
    const at = (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1);
    const lines = (partial + d.toString("latin1")).split("\n");
    partial = lines.pop() ?? "";
    for (const l of lines) appendFileSync(consoleFile, `[${at}] ${l}\n`);
  }
  if (console_.length > 1_000_000) console_ = console_.slice(-100_000);
  if (!waitForMenu && !stdinNull && !menuAnswered) {
    // eslint-disable-next-line no-control-regex
    const plain = console_.slice(-4000).replace(/\x1b\[[0-9;?=]*[A-Za-z]/g, " ");
    if (/Boot in \d+ s\.|executed automatically in \d+ ?s/.test(plain)) {
      menuAnswered = true;
      qemu.stdin.write("\r");
    }
  }
  if (/login: *$/m.test(console_)) {
    clearTimeout(timer);
    const sec = Number(process.hrtime.bigint() - started) / 1e9;
    finish(0, sec.toFixed(1));
  }
});
qemu.on("exit", (c) => {
  clearTimeout(timer);
  finish(1, `QEMU exited (${c}) before a login prompt; console tail:\n${console_.slice(-2000)}`);
});
