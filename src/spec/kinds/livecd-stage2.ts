/**
 * livecd-stage2 (prefix `livecd`): upstream catalyst builds the kernel and the whole ISO here; in
 * the three-stage design it builds the kernel and boot payload that livecd-stage3 consumes.
 */
import type { KindDefinition } from "./define.js";
import { many, one, prefixed, stageRequired } from "./define.js";

/** Values `livecd/type` takes. */
export const LIVECD_TYPES: readonly string[] = [
  "generic-livecd",
  "gentoo-release-minimal",
  "gentoo-release-livecd",
  "gentoo-release-livedvd",
];

/** Keys livecd-stage2 and livecd-stage3 share. */
export const LIVECD_IMAGE_KEYS = prefixed("livecd", {
  empty: many("folders emptied before packing"),
  fsops: many("options for the squashfs tool (`-comp xz -Xbcj x86`)"),
  fsscript: one("a script run in the chroot", { path: "file" }),
  fstype: one("the live filesystem (`squashfs`)", { values: ["squashfs", "jffs2"] }),
  iso: one("the ISO file name (relative: under the build's output folder)"),
  rm: many("globs deleted before packing"),
  root_overlay: many("folders copied into the live root", { path: "dir" }),
  type: one("the live CD flavour", { values: LIVECD_TYPES, valuesSeverity: "warning" }),
  verify: one("write isoroot_b2sums (`yes` or `blake2`; `no` turns it off)", {
    values: ["yes", "blake2", "no"],
  }),
  volid: many("the ISO volume id (at most 32 characters)", { maxLength: 32 }),
  bootloader: one("substrate: the live media's boot loader (default `systemd-boot`)", {
    values: ["systemd-boot", "grub"],
    origin: "substrate",
  }),
  console: many("substrate: kernel console= values for the boot entries (`ttyS0,115200`)", {
    origin: "substrate",
  }),
});

/** The livecd-stage2 kind: its keys, inputs and output. */
export const livecdStage2: KindDefinition<"livecd-stage2"> = {
  kind: "livecd-stage2",
  prefix: "livecd",
  summary: "the live CD's kernel and boot payload (upstream catalyst: the whole ISO)",
  bootKernel: true,
  inputs: ["source"],
  output: { form: "directory" },
  required: [...stageRequired({}), { key: "boot/kernel" }],
  keys: {
    "boot/kernel": many("kernel labels to build"),
    repos: many("extra repositories", { path: "file-or-dir" }),
    ...LIVECD_IMAGE_KEYS,
    ...prefixed("livecd", {
      bootargs: many("extra kernel command-line words"),
      cdtar: one("a tarball extracted into the ISO root (boot loader skeleton)", { path: "file" }),
      depclean: one("`no` or `keepbdeps` (default: depclean runs)", {
        values: ["yes", "no", "keepbdeps"],
        valuesSeverity: "warning",
      }),
      gk_mainargs: many("genkernel arguments for every kernel"),
      iso_extra_partition: one("size in KiB of an extra xfs partition appended to the ISO"),
      linuxrc: one("a custom linuxrc for genkernel", { path: "file" }),
      modblacklist: many("kernel modules to blacklist"),
      motd: one("the /etc/motd file", { path: "file" }),
      overlay: many("folders copied into the ISO root, outside the squashfs", { path: "dir" }),
      rcadd: many("`service|runlevel` entries to add"),
      rcdel: many("`service|runlevel` entries to remove"),
      readme: one("the ISO root's README.txt", { path: "file" }),
      unmerge: many("packages removed before packing"),
      users: many("users to create"),
    }),
  },
};
