/**
 * The payload contract between livecd-stage2 (which writes it) and livecd-stage3 (which reads
 * it): a folder holding the kernel, the live initramfs, a squashfs of the kernel's modules, the
 * boot loader's EFI binary and `payload.json`. Nothing in it depends on the root it will be
 * joined with: the volume id and root= argument are added by livecd-stage3.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { InventoryPackage } from "../drivers/driver.js";
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
  /** The machine the payload boots (`x86_64`, `arm`, `aarch64`; spec/machine.ts), when known. */
  readonly machine?: string;
  readonly kernels: readonly PayloadKernel[];
  /** `systemd-boot` or `grub`. */
  readonly bootloader: "systemd-boot" | "grub";
  /** The EFI boot loader binary, named as on the ESP: `efi/BOOTX64.EFI`, `efi/BOOTARM.EFI`. */
  readonly efiBinary: string;
  /** memtest86+ EFI binary when included. */
  readonly memtest?: string;
  /**
   * The build environment's packages the payload's files come from (the kernel's, the boot
   * loader's, dracut), for the ISO's SBOM. Absent in payloads of older versions.
   */
  readonly packages?: readonly InventoryPackage[];
  /** Present when the tree has `[secureboot] keys`: what was signed, and the enrolment files. */
  readonly secureBoot?: PayloadSecureBoot;
}

/** What livecd-stage2 signed with the tree's db key (docs/secure-boot.md). */
export interface PayloadSecureBoot {
  /** The certificate the signatures verify with (`sbverify --cert`). */
  readonly certificate: { readonly subject: string; readonly sha256: string };
  /** Files signed (payload paths) and how many earlier signatures each had removed. */
  readonly signed: readonly { readonly path: string; readonly removedSignatures: number }[];
  /**
   * Files the firmware does not check: the initramfs of a type #1 boot entry (systemd-boot
   * loads it without a signature check) and the modules image.
   */
  readonly unchecked: readonly string[];
  /** Public enrolment files (authenticated variables), by variable, as payload paths. */
  readonly enrol: { readonly PK: string; readonly KEK: string; readonly db: string };
  /** Certificates of the three keys (subject and SHA-256 of the DER form). */
  readonly certificates: Readonly<
    Record<"PK" | "KEK" | "db", { readonly subject: string; readonly sha256: string }>
  >;
}

/** Where the ESP (and the ISO) carries the enrolment files for systemd-boot's `secure-boot-enroll`. */
export const ENROL_DIR = "loader/keys/auto";

/** Reads and checks a payload folder's manifest. */
export function readPayload(dir: string): Result<PayloadManifest, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(join(dir, PAYLOAD_MANIFEST), "utf8"));
  } catch (e) {
    return err(
      `${dir} is not a livecd-stage2 payload (no readable ${PAYLOAD_MANIFEST}: ${String(e)})`,
    );
  }
  const m = parsed as Partial<PayloadManifest>;
  if (
    m.format !== 1 ||
    !Array.isArray(m.kernels) ||
    m.kernels.length === 0 ||
    typeof m.efiBinary !== "string"
  ) {
    return err(
      `${join(dir, PAYLOAD_MANIFEST)} is not a format-1 payload manifest with at least one kernel`,
    );
  }
  return ok(m as PayloadManifest);
}

/**
 * dracut arguments for a small live initramfs (docs/live-media.md, "The initramfs"): no boot
 * splash, GPU, network or storage layers a live medium never sits on, only the file systems
 * that can hold or form the live root, and no server HBA, RAID, wireless or sound drivers.
 * Kernel + initramfs must fit the El Torito EFI image (32 MiB); this gives about 19 MB instead
 * of 33 MB. `boot/kernel/<k>/dracut_args` come after these and can add things back.
 */
export const LIVE_DRACUT_ARGS: readonly string[] = [
  "--omit",
  "plymouth i18n btrfs crypt lvm mdraid dmraid multipath nbd nfs iscsi fcoe fcoe-uefi cifs resume bluetooth shutdown drm network network-legacy ifcfg",
  "--filesystems",
  "squashfs isofs overlay vfat ext4 nls_utf8 nls_cp437 nls_iso8859_1",
  "--omit-drivers",
  [
    "lpfc qla2xxx qla4xxx qed.* bfa cxgb.* csiostor bnx2.* be2iscsi fnic snic mpt3sas mpi3mr",
    "megaraid.* pm80xx aic7.* aic94xx isci ipr aacraid smartpqi hpsa esas2r scsi_debug libfc",
    "libfcoe fcoe qedf qedi ib_.* rdma.* iw_.* mlx.* libertas wacom bcache raid.* md-mod dm-raid",
    "hisi_sas.* mvsas mvumi arcmsr 3w-.* BusLogic dc395x initio pmcraid stex hptiop myrb myrs",
    "a100u2w advansys am53c974 atp870u dmx3191d fdomain.* qlogicfas408 sym53c8xx wd719x ips",
    "cfg80211 mac80211 drm drm_.* libceph rbd target_core.* dlm intel_qat qat_.* ubi rts5208",
    "surface_.* snd.* soundcore",
  ].join(" "),
];

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
install() {
    inst_hook pre-mount 50 "$moddir/substrate-overlayfs-dirs.sh"
    inst_hook pre-pivot 50 "$moddir/substrate-live-modules.sh"
}
`;

/**
 * The pre-mount hook: dracut 059's generated sysroot.mount for `rd.live.overlay.overlayfs` can
 * start before /run/overlayfs exists (a failed mount in the log, then a retry); create it first.
 */
export const OVERLAYFS_DIRS_HOOK_SH = `#!/bin/sh
type getargbool >/dev/null 2>&1 || . /lib/dracut-lib.sh
if getargbool 0 rd.live.overlay.overlayfs; then
    mkdir -m 0755 -p /run/overlayfs /run/ovlwork
fi
`;

/** The pre-pivot hook: loop-mounts `LiveOS/modules-<uname -r>.img` at the new root's module folder. */
export const MODULES_HOOK_SH = `#!/bin/sh
# substrate: the live root carries no kernel modules; the medium has them as a squashfs
# (LiveOS/modules-<version>.img). Mount it read-only where the new root looks for modules:
# lib/modules is the real folder on split-/usr roots and a link into usr/lib on merged ones.
kver="$(uname -r)"
img="/run/initramfs/live/LiveOS/modules-$kver.img"
if [ -f "$img" ] && [ -n "$NEWROOT" ]; then
    mkdir -p "$NEWROOT/lib/modules/$kver"
    mount -t squashfs -o ro,loop "$img" "$NEWROOT/lib/modules/$kver" \\
        || echo "substrate: could not mount $img" >&2
fi
`;
