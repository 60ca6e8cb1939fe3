/**
 * The QEMU command line for a UEFI VM: q35, the chosen OVMF CODE read-only plus a private copy
 * of its VARS, the ISO as a CD-ROM (or as a USB stick or a disk: the same hybrid file), optionally
 * a direct kernel boot, no network unless asked, and the serial console on stdio (muxed with the
 * monitor for interactive use).
 */
import { type BootArch, bootArchProfile } from "./arch.js";
import type { FirmwareChoice } from "./firmware.js";

/**
 * How the ISO is attached: `cd` (an IDE CD-ROM: the firmware boots the El Torito EFI image),
 * `usb` (a USB mass-storage stick on an xHCI controller, as after `dd` to a stick: the firmware
 * boots the GPT's EFI System partition) or `disk` (a virtio disk: the same GPT path).
 */
export type BootMedium = "cd" | "usb" | "disk";

/** The media `--medium` takes. */
export const BOOT_MEDIA: readonly BootMedium[] = ["cd", "usb", "disk"];

/** Everything that shapes the VM. */
export interface VmSpec {
  /** Emulator binary (default: the architecture's, qemu-system-x86_64). */
  readonly qemu?: string;
  /** The guest's architecture (default x86_64): machine, CPU and CD device (arch.ts). */
  readonly arch?: BootArch;
  readonly accel: "kvm" | "tcg";
  readonly memoryMiB: number;
  /**
   * Touch all guest memory before the guest starts (`-mem-prealloc`). A mitigation, not a fix:
   * under TCG on this project's machines module loads in the guest stall for 20-60 s now and
   * then; with preallocation 4 boots of 22 stalled, without it 7 of 20 (docs/boot-testing.md,
   * "Why one ISO's boot time varies").
   */
  readonly preallocate?: boolean;
  readonly cpus: number;
  readonly firmware: FirmwareChoice;
  /** The VM's private, writable copy of the VARS template. */
  readonly varsFile: string;
  /** Attached as `medium` (also with a direct kernel boot: the live root lives on it). */
  readonly iso?: string;
  /** How the ISO is attached (default `cd`). */
  readonly medium?: BootMedium;
  readonly direct?: { readonly kernel: string; readonly initrd?: string; readonly cmdline: string };
  readonly network: boolean;
  /**
   * `interactive`: `-nographic -serial mon:stdio` (Ctrl-A X quits, Ctrl-A C is the monitor);
   * `headless`: serial on stdio only, no monitor, for a test driving the console.
   */
  readonly console: "interactive" | "headless";
}

/**
 * Whether a VM preallocates its memory: under TCG only (KVM faults guest pages in without
 * stopping the other vCPUs), and only while the host has twice the guest's memory available,
 * so a busy host is not pushed into reclaim by a test VM.
 */
export function shouldPreallocate(
  accel: "kvm" | "tcg",
  memoryMiB: number,
  hostAvailableMiB: number | undefined,
): boolean {
  return accel === "tcg" && hostAvailableMiB !== undefined && hostAvailableMiB >= 2 * memoryMiB;
}

/** Builds the argv (argv[0] is the emulator). */
export function qemuArgv(spec: VmSpec): string[] {
  const smm = spec.firmware.requiresSmm;
  const a = bootArchProfile(spec.arch);
  const argv = [
    spec.qemu ?? a.qemu,
    "-machine",
    smm ? `${a.machine},smm=on` : a.machine,
    "-accel",
    spec.accel,
    "-cpu",
    // Under KVM an ARM guest gets the host's CPU; TCG emulates the table's.
    spec.accel === "kvm" && a.arch !== "x86_64" ? "host" : a.cpu,
    "-m",
    String(spec.memoryMiB),
    ...(spec.preallocate === true ? ["-mem-prealloc"] : []),
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
  if (spec.iso !== undefined) argv.push(...mediumArgs(spec.iso, spec.medium ?? "cd", a.cd));
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

/** The drive and device options that attach the ISO as `medium`, read-only, first to boot. */
export function mediumArgs(
  iso: string,
  medium: BootMedium,
  cd: "ide" | "virtio-scsi" = "ide",
): string[] {
  const file = escapeDriveValue(iso);
  switch (medium) {
    case "cd":
      // ARM's virt machine has no IDE: the CD sits on a virtio-scsi controller.
      if (cd === "virtio-scsi")
        return [
          "-drive",
          `if=none,id=live,media=cdrom,readonly=on,format=raw,file=${file}`,
          "-device",
          "virtio-scsi-pci,id=scsi0",
          "-device",
          "scsi-cd,bus=scsi0.0,drive=live,bootindex=1",
        ];
      return [
        "-drive",
        `if=none,id=live,media=cdrom,readonly=on,format=raw,file=${file}`,
        "-device",
        "ide-cd,drive=live,bootindex=1",
      ];
    case "usb":
      return [
        "-drive",
        `if=none,id=live,readonly=on,format=raw,file=${file}`,
        "-device",
        "qemu-xhci,id=xhci",
        "-device",
        "usb-storage,bus=xhci.0,drive=live,removable=on,bootindex=1",
      ];
    case "disk":
      return [
        "-drive",
        `if=none,id=live,readonly=on,format=raw,file=${file}`,
        "-device",
        "virtio-blk-pci,drive=live,bootindex=1",
      ];
  }
}

/** Words for a medium in messages. */
export function mediumWords(medium: BootMedium): string {
  return medium === "cd" ? "as a CD" : medium === "usb" ? "as a USB stick" : "as a disk";
}

/** QEMU's -drive option values escape commas by doubling them. */
export function escapeDriveValue(path: string): string {
  return path.replace(/,/g, ",,");
}

/**
 * Adds `console=<tty>` (115200 baud; default ttyS0, ttyAMA0 on ARM's virt) to a command line
 * unless it names that console already.
 */
export function withSerialConsole(cmdline: string, tty = "ttyS0"): string {
  return new RegExp(`\\bconsole=${tty}\\b`).test(cmdline)
    ? cmdline
    : `${cmdline} console=${tty},115200`.trim();
}
