/**
 * The QEMU command line for a UEFI VM: q35, the chosen OVMF CODE read-only plus a private copy
 * of its VARS, the ISO as a CD-ROM, optionally a direct kernel boot, no network unless asked,
 * and the serial console on stdio (muxed with the monitor for interactive use).
 */
import type { FirmwareChoice } from "./firmware.js";

/** Everything that shapes the VM. */
export interface VmSpec {
  /** Emulator binary (default qemu-system-x86_64). */
  readonly qemu?: string;
  readonly accel: "kvm" | "tcg";
  readonly memoryMiB: number;
  readonly cpus: number;
  readonly firmware: FirmwareChoice;
  /** The VM's private, writable copy of the VARS template. */
  readonly varsFile: string;
  /** Attached as a CD-ROM (also with a direct kernel boot: the live root lives on it). */
  readonly iso?: string;
  readonly direct?: { readonly kernel: string; readonly initrd?: string; readonly cmdline: string };
  readonly network: boolean;
  /**
   * `interactive`: `-nographic -serial mon:stdio` (Ctrl-A X quits, Ctrl-A C is the monitor);
   * `headless`: serial on stdio only, no monitor, for a test driving the console.
   */
  readonly console: "interactive" | "headless";
}

/** Builds the argv (argv[0] is the emulator). */
export function qemuArgv(spec: VmSpec): string[] {
  const smm = spec.firmware.requiresSmm;
  const argv = [
    spec.qemu ?? "qemu-system-x86_64",
    "-machine",
    smm ? "q35,smm=on" : "q35",
    "-accel",
    spec.accel,
    "-cpu",
    "max",
    "-m",
    String(spec.memoryMiB),
    "-smp",
    String(spec.cpus),
    "-nodefaults",
    "-no-user-config",
  ];
  // A test must see a reset (it ends QEMU); a person at the console may want to reboot.
  if (spec.console === "headless") argv.push("-no-reboot");
  if (smm && spec.firmware.secureBoot) {
    argv.push("-global", "driver=cfi.pflash01,property=secure,value=on");
  }
  argv.push(
    "-drive",
    `if=pflash,format=raw,unit=0,readonly=on,file=${escapeDriveValue(spec.firmware.code)}`,
    "-drive",
    `if=pflash,format=raw,unit=1,file=${escapeDriveValue(spec.varsFile)}`,
  );
  if (spec.iso !== undefined) {
    argv.push(
      "-drive",
      `if=none,id=live,media=cdrom,readonly=on,format=raw,file=${escapeDriveValue(spec.iso)}`,
    );
    argv.push("-device", "ide-cd,drive=live,bootindex=1");
  }
  if (spec.direct !== undefined) {
    argv.push("-kernel", spec.direct.kernel);
    if (spec.direct.initrd !== undefined) argv.push("-initrd", spec.direct.initrd);
    argv.push("-append", spec.direct.cmdline);
  }
  argv.push("-device", "virtio-rng-pci");
  argv.push("-nic", spec.network ? "user,model=virtio-net-pci" : "none");
  if (spec.console === "interactive") {
    argv.push("-nographic", "-serial", "mon:stdio");
  } else {
    argv.push(
      "-display",
      "none",
      "-monitor",
      "none",
      "-chardev",
      "stdio,id=console,signal=off",
      "-serial",
      "chardev:console",
    );
  }
  return argv;
}

/** QEMU's -drive option values escape commas by doubling them. */
export function escapeDriveValue(path: string): string {
  return path.replace(/,/g, ",,");
}

/** Adds `console=ttyS0` (115200 baud) to a command line unless it names ttyS0 already. */
export function withSerialConsole(cmdline: string): string {
  return /\bconsole=ttyS0\b/.test(cmdline) ? cmdline : `${cmdline} console=ttyS0,115200`.trim();
}
