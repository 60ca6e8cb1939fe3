/**
 * Well-known OVMF locations: the CODE/VARS pairs the common distributions install, with what
 * each build is (plain UEFI, Secure Boot, Secure Boot with Microsoft keys enrolled). Pure data;
 * firmware.ts falls back on it when no descriptor works, firmware-fix.ts writes descriptors
 * from it.
 */

/** A CODE/VARS pair found at a well-known path (the fallback and `firmware fix`'s source). */
export interface KnownFirmwarePair {
  readonly code: string;
  readonly vars: string;
  readonly secureBoot: boolean;
  readonly enrolledKeys: boolean;
  readonly requiresSmm: boolean;
  /** Which distribution ships it there. */
  readonly origin: string;
}

/** Well-known OVMF locations, preferred first within each kind. */
export const KNOWN_FIRMWARE_PAIRS: readonly KnownFirmwarePair[] = [
  pair("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd", "", "Debian/Ubuntu"),
  pair("/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd", "", "Debian/Ubuntu (2M)"),
  pair("/usr/share/edk2/ovmf/OVMF_CODE.fd", "/usr/share/edk2/ovmf/OVMF_VARS.fd", "", "Fedora"),
  pair("/usr/share/edk2/x64/OVMF_CODE.4m.fd", "/usr/share/edk2/x64/OVMF_VARS.4m.fd", "", "Arch"),
  pair("/usr/share/edk2-ovmf/OVMF_CODE.fd", "/usr/share/edk2-ovmf/OVMF_VARS.fd", "", "Gentoo"),
  pair(
    "/usr/share/edk2/OvmfX64/OVMF_CODE.fd",
    "/usr/share/edk2/OvmfX64/OVMF_VARS.fd",
    "",
    "Gentoo (newer)",
  ),
  pair(
    "/usr/share/qemu/edk2-x86_64-code.fd",
    "/usr/share/qemu/edk2-i386-vars.fd",
    "",
    "QEMU upstream",
  ),
  pair(
    "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd",
    "/usr/share/OVMF/OVMF_VARS_4M.fd",
    "s",
    "Debian/Ubuntu",
  ),
  pair(
    "/usr/share/edk2/ovmf/OVMF_CODE.secboot.fd",
    "/usr/share/edk2/ovmf/OVMF_VARS.fd",
    "s",
    "Fedora",
  ),
  pair(
    "/usr/share/edk2/x64/OVMF_CODE.secboot.4m.fd",
    "/usr/share/edk2/x64/OVMF_VARS.4m.fd",
    "s",
    "Arch",
  ),
  pair(
    "/usr/share/edk2-ovmf/OVMF_CODE.secboot.fd",
    "/usr/share/edk2-ovmf/OVMF_VARS.fd",
    "s",
    "Gentoo",
  ),
  pair(
    "/usr/share/qemu/edk2-x86_64-secure-code.fd",
    "/usr/share/qemu/edk2-i386-vars.fd",
    "s",
    "QEMU upstream",
  ),
  pair(
    "/usr/share/OVMF/OVMF_CODE_4M.ms.fd",
    "/usr/share/OVMF/OVMF_VARS_4M.ms.fd",
    "se",
    "Debian/Ubuntu",
  ),
  pair(
    "/usr/share/edk2/ovmf/OVMF_CODE.secboot.fd",
    "/usr/share/edk2/ovmf/OVMF_VARS.secboot.fd",
    "se",
    "Fedora",
  ),
];

/**
 * Well-known AAVMF (ArmVirtQemu) locations for ARM guests of QEMU's virt machine, by QEMU
 * architecture: Debian's qemu-efi-arm and qemu-efi-aarch64, Fedora's edk2-arm/edk2-aarch64.
 */
export const KNOWN_ARM_FIRMWARE_PAIRS: Readonly<
  Record<"arm" | "aarch64", readonly KnownFirmwarePair[]>
> = {
  arm: [
    pair(
      "/usr/share/AAVMF/AAVMF32_CODE.fd",
      "/usr/share/AAVMF/AAVMF32_VARS.fd",
      "",
      "Debian/Ubuntu",
    ),
    pair(
      "/usr/share/edk2/arm/QEMU_EFI-pflash.raw",
      "/usr/share/edk2/arm/vars-template-pflash.raw",
      "",
      "Fedora",
    ),
  ],
  aarch64: [
    pair("/usr/share/AAVMF/AAVMF_CODE.fd", "/usr/share/AAVMF/AAVMF_VARS.fd", "", "Debian/Ubuntu"),
    pair(
      "/usr/share/edk2/aarch64/QEMU_EFI-pflash.raw",
      "/usr/share/edk2/aarch64/vars-template-pflash.raw",
      "",
      "Fedora",
    ),
  ],
};

function pair(
  code: string,
  vars: string,
  kind: "" | "s" | "se",
  origin: string,
): KnownFirmwarePair {
  const secureBoot = kind !== "";
  return { code, vars, secureBoot, enrolledKeys: kind === "se", requiresSmm: secureBoot, origin };
}
