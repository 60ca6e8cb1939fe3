/**
 * The guest architectures `substrate test` and `substrate boot` know, one row each: the QEMU
 * binary, machine and CPU, the serial console the kernel names, the firmware descriptor's
 * architecture and machine, how a CD is attached, what `uname -m` says in the guest and a default
 * overall boot-test limit. The ISO's own architecture picks the row (its payload manifest, or the
 * ESP's `EFI/BOOT/BOOT<ARCH>.EFI`). Pure.
 */
import { machineGlobMatches } from "./firmware-descriptor.js";

/** The guest machines substrate boots (QEMU's firmware-descriptor architecture names). */
export type BootArch = "x86_64" | "arm" | "aarch64";

/** Every {@link BootArch}. */
export const BOOT_ARCHES: readonly BootArch[] = ["x86_64", "arm", "aarch64"];

/** One row of the table. */
export interface BootArchProfile {
  readonly arch: BootArch;
  /** The emulator (`qemu-system-x86_64`, `qemu-system-arm`, `qemu-system-aarch64`). */
  readonly qemu: string;
  /** Debian's package of {@link qemu}, for hints. */
  readonly qemuPackage: string;
  /** `-machine` without Secure Boot's `smm=on`. */
  readonly machine: string;
  /** A versioned machine name the descriptor's `machines` globs must accept. */
  readonly firmwareMachine: string;
  /** `-cpu` under TCG (with KVM the host's CPU). */
  readonly cpu: string;
  /** The kernel's serial console device. */
  readonly console: string;
  /** `uname -m` values of a guest of this architecture. */
  readonly uname: readonly string[];
  /** The CD-ROM device: `ide-cd` on q35, `scsi-cd` on a virtio-scsi controller on virt. */
  readonly cd: "ide" | "virtio-scsi";
  /** Debian's firmware package for hints. */
  readonly firmwarePackage: string;
  /** Default limit of a whole boot test (emulated 32-bit ARM is several times slower). */
  readonly defaultTimeoutMs: number;
  /** The host CPUs (`process.arch`) that run it natively, so KVM may work. */
  readonly nativeOn: readonly string[];
}

/**
 * The table. arm: QEMU's `virt` machine with `highmem=off`, so a non-LPAE kernel
 * (Debian's `linux-image-armmp`) reaches all of its devices (virt's high PCI window lies above
 * 4 GiB otherwise); a cortex-a15 is an ARMv7-A with the virtualisation extensions Debian's
 * armhf userland and kernel expect. virt has no IDE: a CD is a `scsi-cd` on `virtio-scsi-pci`,
 * which ArmVirtQemu's UEFI boots from (El Torito). The PL011 UART is `ttyAMA0`.
 */
export const BOOT_ARCH_TABLE: Readonly<Record<BootArch, BootArchProfile>> = {
  x86_64: {
    arch: "x86_64",
    qemu: "qemu-system-x86_64",
    qemuPackage: "qemu-system-x86",
    machine: "q35",
    firmwareMachine: "pc-q35-9.2",
    cpu: "max",
    console: "ttyS0",
    uname: ["x86_64"],
    cd: "ide",
    firmwarePackage: "ovmf",
    defaultTimeoutMs: 900_000,
    nativeOn: ["x64"],
  },
  arm: {
    arch: "arm",
    qemu: "qemu-system-arm",
    qemuPackage: "qemu-system-arm",
    machine: "virt,highmem=off",
    firmwareMachine: "virt-7.2",
    cpu: "cortex-a15",
    console: "ttyAMA0",
    uname: ["armv7l"],
    cd: "virtio-scsi",
    firmwarePackage: "qemu-efi-arm",
    defaultTimeoutMs: 1_800_000,
    nativeOn: [],
  },
  aarch64: {
    arch: "aarch64",
    qemu: "qemu-system-aarch64",
    qemuPackage: "qemu-system-arm",
    machine: "virt",
    firmwareMachine: "virt-7.2",
    cpu: "cortex-a57",
    console: "ttyAMA0",
    uname: ["aarch64"],
    cd: "virtio-scsi",
    firmwarePackage: "qemu-efi-aarch64",
    defaultTimeoutMs: 1_800_000,
    nativeOn: ["arm64"],
  },
};

/** The row of an architecture. */
export function bootArchProfile(arch: BootArch = "x86_64"): BootArchProfile {
  return BOOT_ARCH_TABLE[arch];
}

/** Parses `--arch` and manifest values (`x86_64`/`amd64`, `arm`/`armv7a`/`armhf`, `aarch64`/`arm64`). */
export function parseBootArch(text: string): BootArch | undefined {
  const s = text.toLowerCase();
  if (/^(x86_64|amd64|x64)$/.test(s)) return "x86_64";
  if (/^(arm64|aarch64|aa64)$/.test(s)) return "aarch64";
  if (/^(arm|armhf|armv7.*)$/.test(s)) return "arm";
  return undefined;
}

/**
 * The architecture of an ISO from what it carries: the payload manifest's `machine` (or, for a
 * manifest without it, its `efiBinary` name), else the ESP's `EFI/BOOT/BOOT*.EFI` names. The
 * first clue wins; no clue means x86_64 (every ISO before the table existed).
 */
export function isoBootArch(clues: {
  readonly manifestMachine?: string;
  readonly manifestEfiBinary?: string;
  readonly espBootFiles?: readonly string[];
}): { arch: BootArch; source: string } {
  if (clues.manifestMachine !== undefined) {
    const a = parseBootArch(clues.manifestMachine);
    if (a !== undefined) return { arch: a, source: "boot/payload.json (machine)" };
  }
  const efi = [
    ...(clues.manifestEfiBinary === undefined ? [] : [clues.manifestEfiBinary]),
    ...(clues.espBootFiles ?? []),
  ];
  for (const f of efi) {
    const a = archOfEfiBootFile(f);
    if (a !== undefined) return { arch: a, source: f };
  }
  return { arch: "x86_64", source: "default (no architecture recorded on the ISO)" };
}

/** `BOOTX64.EFI` → x86_64, `BOOTARM.EFI` → arm, `BOOTAA64.EFI` → aarch64. */
export function archOfEfiBootFile(path: string): BootArch | undefined {
  const m = /BOOT(X64|ARM|AA64)\.EFI$/i.exec(path);
  switch (m?.[1]?.toUpperCase()) {
    case "X64":
      return "x86_64";
    case "ARM":
      return "arm";
    case "AA64":
      return "aarch64";
    default:
      return undefined;
  }
}

/** True when a descriptor's target list accepts this architecture's machine. */
export function targetMatches(
  targets: readonly { readonly architecture: string; readonly machines: readonly string[] }[],
  profile: BootArchProfile,
): boolean {
  const base = profile.machine.split(",")[0] ?? profile.machine;
  return targets.some(
    (t) =>
      t.architecture === profile.arch &&
      t.machines.some(
        (g) => g === base || machineGlobMatches(g, profile.firmwareMachine) || g === "virt",
      ),
  );
}

/** True when the host may run this guest with KVM. */
export function mayUseKvm(profile: BootArchProfile, hostCpu: string = process.arch): boolean {
  return profile.nativeOn.includes(hostCpu);
}
