/**
 * The payload contract between livecd-stage2 (which writes it) and livecd-stage3 (which reads
 * it): a folder holding the kernel, the live initramfs, a squashfs of the kernel's modules, the
 * boot loader's EFI binary and `payload.json`. Nothing in it depends on the root it will be
 * joined with: the volume id and root= argument are added by livecd-stage3.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Result, ok, err } from "../util/result.js";

/** The manifest's file name inside the payload folder. */
export const PAYLOAD_MANIFEST = "payload.json";

/** One kernel of a payload. Paths are relative to the payload folder. */
export interface PayloadKernel {
  readonly label: string;
  /** `uname -r`. */
  readonly version: string;
  /** `boot/<label>`. */
  readonly kernel: string;
  /** `boot/<label>.igz`. */
  readonly initrd: string;
  /** `modules/<version>.squashfs`: mounted over /usr/lib/modules/<version> by the initramfs. */
  readonly modules: string;
  /** Kernel arguments from `livecd/bootargs` and `boot/kernel/<label>/console`. */
  readonly bootargs: readonly string[];
}

/** `payload.json`. */
export interface PayloadManifest {
  readonly format: 1;
  /** The stage that produced it. */
  readonly stage: string;
  readonly arch: string;
  readonly kernels: readonly PayloadKernel[];
  /** `systemd-boot` or `grub`. */
  readonly bootloader: "systemd-boot" | "grub";
  /** The EFI boot loader binary, e.g. `efi/BOOTX64.EFI`. */
  readonly efiBinary: string;
  /** memtest86+ EFI binary when included. */
  readonly memtest?: string;
}

/** Reads and checks a payload folder's manifest. */
export function readPayload(dir: string): Result<PayloadManifest, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(join(dir, PAYLOAD_MANIFEST), "utf8"));
  } catch (e) {
    return err(`${dir} is not a livecd-stage2 payload (no readable ${PAYLOAD_MANIFEST}: ${String(e)})`);
  }
  const m = parsed as Partial<PayloadManifest>;
  if (m.format !== 1 || !Array.isArray(m.kernels) || m.kernels.length === 0 || typeof m.efiBinary !== "string") {
    return err(`${join(dir, PAYLOAD_MANIFEST)} is not a format-1 payload manifest with at least one kernel`);
  }
  return ok(m as PayloadManifest);
}

/** The dracut module livecd-stage2 installs so the live system finds the payload's modules. */
export const MODULES_DRACUT_MODULE = "95substrate-live-modules";

/** Where the ISO carries each kernel's modules image (relative to the medium's root). */
export function isoModulesPath(version: string): string {
  return `LiveOS/modules-${version}.img`;
}

/** `module-setup.sh` of the dracut module. */
export const MODULE_SETUP_SH = `#!/bin/bash
# substrate: mount the payload's kernel modules over the live root (see docs/live-media.md).
check() { return 0; }
depends() { echo dmsquash-live; }
installkernel() { hostonly='' instmods squashfs loop overlay; }
install() { inst_hook pre-pivot 50 "$moddir/substrate-live-modules.sh"; }
`;

/** The pre-pivot hook: loop-mounts `LiveOS/modules-<uname -r>.img` at the new root's module folder. */
export const MODULES_HOOK_SH = `#!/bin/sh
# substrate: the live root carries no kernel modules; the medium has them as a squashfs
# (LiveOS/modules-<version>.img). Mount it read-only where the new root looks for modules.
kver="$(uname -r)"
img="/run/initramfs/live/LiveOS/modules-$kver.img"
if [ -f "$img" ] && [ -n "$NEWROOT" ]; then
    mkdir -p "$NEWROOT/usr/lib/modules/$kver"
    mount -t squashfs -o ro,loop "$img" "$NEWROOT/usr/lib/modules/$kver" \\
        || echo "substrate: could not mount $img" >&2
fi
`;
