/**
 * What a subarch means for the machine it runs on, pure: the kernel's machine name (`uname -m`
 * family), Debian's dpkg architecture and the UEFI removable-media boot file name. The planner
 * compares machines (a livecd-stage3 joining a root and a payload of different machines is
 * refused), the apt driver bootstraps the dpkg architecture, livecd-stage2/3 name the EFI boot
 * loader after it.
 */

/** The machines substrate names (`uname -m` families). */
export type Machine = "x86_64" | "x86" | "arm" | "aarch64" | "ppc64le" | "riscv64";

/**
 * The machine a subarch runs on (`x86_64`, `x86`, `arm`, `aarch64`, ...), or undefined for a
 * subarch this table does not know (then nothing is compared).
 */
export function machineOf(subarch: string): Machine | undefined {
  const s = subarch.toLowerCase();
  if (/^(amd64|x86[-_]64.*|x86_64|k8|nocona|core2|haswell|znver\d*)$/.test(s)) return "x86_64";
  if (/^(x86|i[3-6]86|pentium.*|athlon.*)$/.test(s)) return "x86";
  if (/^(arm64|aarch64|armv8.*|cortex-a5\d|cortex-a7\d)$/.test(s)) return "aarch64";
  if (/^(arm|armel|armhf|armv[4-7].*)$/.test(s)) return "arm";
  if (/^(ppc64le|power\d+le)$/.test(s)) return "ppc64le";
  if (/^(riscv64|rv64.*)$/.test(s)) return "riscv64";
  return undefined;
}

/**
 * Debian's dpkg architecture for a subarch: `amd64`, `i386`, `armhf` (ARMv7 hard-float, what
 * `armv7a*` and `armhf` mean), `arm64`, `ppc64el`, `riscv64`; undefined when Debian has no port
 * for it (`armv6j_hardfp` is not Debian's armhf ABI, `armv5`/`armel` is `armel`).
 */
export function debianArchOf(subarch: string): string | undefined {
  const s = subarch.toLowerCase();
  if (/^(armel|armv[45].*)$/.test(s)) return "armel";
  if (/^armv6/.test(s)) return undefined;
  switch (machineOf(s)) {
    case "x86_64":
      return "amd64";
    case "x86":
      return "i386";
    case "arm":
      return "armhf";
    case "aarch64":
      return "arm64";
    case "ppc64le":
      return "ppc64el";
    case "riscv64":
      return "riscv64";
    case undefined:
      return undefined;
  }
}

/**
 * The UEFI architecture suffix of a machine (`x64`, `ia32`, `arm`, `aa64`, `riscv64`): the
 * removable-media path is `EFI/BOOT/BOOT<SUFFIX>.EFI` and systemd-boot's binary is
 * `systemd-boot<suffix>.efi`. Undefined for a machine without UEFI.
 */
export function efiArchOf(machine: Machine): string | undefined {
  switch (machine) {
    case "x86_64":
      return "x64";
    case "x86":
      return "ia32";
    case "arm":
      return "arm";
    case "aarch64":
      return "aa64";
    case "riscv64":
      return "riscv64";
    case "ppc64le":
      return undefined;
  }
}

/** `BOOTX64.EFI`, `BOOTARM.EFI`, ... for a UEFI architecture suffix. */
export function efiBootFileName(efiArch: string): string {
  return `BOOT${efiArch.toUpperCase()}.EFI`;
}

/** The machine a UEFI boot file name is for (`BOOTARM.EFI` → `arm`), or undefined. */
export function machineOfEfiBootFile(name: string): Machine | undefined {
  const m = /BOOT(X64|IA32|ARM|AA64|RISCV64)\.EFI$/i.exec(name);
  switch (m?.[1]?.toUpperCase()) {
    case "X64":
      return "x86_64";
    case "IA32":
      return "x86";
    case "ARM":
      return "arm";
    case "AA64":
      return "aarch64";
    case "RISCV64":
      return "riscv64";
    default:
      return undefined;
  }
}
