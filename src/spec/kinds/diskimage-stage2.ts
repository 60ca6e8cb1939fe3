/** diskimage-stage2 (prefix `diskimage`): kernel, configuration and the qcow2 image. */
import type { KindDefinition } from "./define.js";
import { many, one, prefixed, stageRequired } from "./define.js";

/** The diskimage-stage2 kind: its keys, inputs and output. */
export const diskimageStage2: KindDefinition<"diskimage-stage2"> = {
  kind: "diskimage-stage2",
  prefix: "diskimage",
  summary: "a bootable qcow2 disk image (UEFI) with a kernel",
  bootKernel: true,
  inputs: ["source"],
  output: { form: "qcow2", nameKey: "diskimage/qcow2" },
  required: [...stageRequired({}), { key: "boot/kernel" }],
  keys: {
    "boot/kernel": many("kernel labels to build"),
    repos: many("extra repositories", { path: "file-or-dir" }),
    ...prefixed("diskimage", {
      bootargs: many("extra kernel command-line words"),
      depclean: one("`no` or `keepbdeps`", {
        values: ["yes", "no", "keepbdeps"],
        valuesSeverity: "warning",
      }),
      empty: many("folders emptied at the end"),
      fsops: many("filesystem tool options"),
      fsscript: one("a script run in the chroot", { path: "file" }),
      gk_mainargs: many("genkernel arguments"),
      modblacklist: many("kernel modules to blacklist"),
      motd: one("the /etc/motd file", { path: "file" }),
      qcow2: one("the image file name (relative: under the output folder)"),
      qcow2_size: one("image size (default 20GiB)"),
      qcow2_efisize: one("ESP size (default 512MiB)"),
      qcow2_roottype: one("root filesystem type (default xfs; the fork's key)"),
      rcadd: many("`service|runlevel` entries to add"),
      rcdel: many("`service|runlevel` entries to remove"),
      readme: one("a README file", { path: "file" }),
      rm: many("globs deleted at the end"),
      type: one("image flavour", {
        values: ["generic", "console", "ssh", "cloud-init", "cloudinit"],
        valuesSeverity: "warning",
      }),
      sshkey: one("public key for root (type `ssh`)", { path: "file" }),
      unmerge: many("packages removed at the end"),
      users: many("users to create"),
      verify: one("write b2sums (`yes` or `blake2`)", { values: ["yes", "blake2", "no"] }),
      volid: many("volume id (at most 32 characters)", { maxLength: 32 }),
    }),
  },
};
