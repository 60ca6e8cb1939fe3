/**
 * Keys every stage target accepts (catalyst reference §3, "every stage target may also set"),
 * substrate's `apt/*` keys, and the per-kernel `boot/kernel/<label>/*` keys.
 */
import { MMDEBSTRAP_VARIANTS } from "../apt-variants.js";
import { DECOMPRESSOR_NAMES, SPEC_COMPRESSION_MODES } from "../compression.js";
import type { KeyRule } from "./define.js";
import { many, one } from "./define.js";

/** Keys valid in every stage spec. */
export const COMMON_KEYS: Readonly<Record<string, KeyRule>> = {
  // The seven keys catalyst requires of every stage (the tree computes most of them).
  target: one(
    "the stage kind: stage1..4, embedded, livecd-stage1/2/3, diskimage-stage1/2, netboot",
  ),
  subarch: one("the catalyst sub-architecture (`amd64`, `armv7a_hardfp`); computed in a tree"),
  version_stamp: one(
    "the build identifier in output names; computed in a tree (`<flavour>-<date>`)",
  ),
  rel_type: one("the output folder under builds/; computed in a tree (`<arch>/<flavour>/<date>`)"),
  profile: one("the Portage profile, relative to profiles/ (`repo:path` selects another repo)"),
  snapshot_treeish: one("which package-tree snapshot to use; computed in a tree"),
  source_subpath: one("the seed: a store subpath under builds/ (extension optional)", {
    storeRef: true,
  }),
  asflags: many("assembler flags (accepted, unused by catalyst)"),
  binrepo_path: one("binary package repository path for the build"),
  catalyst_use: many("USE flags for the build only (overwritten by catalyst: a known quirk)"),
  cbuild: one("the CBUILD tuple"),
  cflags: many("CFLAGS for the stage's make.conf"),
  common_flags: many("COMMON_FLAGS for make.conf; a tree fills it from the arch's cflags"),
  compression_mode: one(
    "how the output is packed (catalyst §2.10: pixz, lbzip2, ...; substrate adds zstd)",
    { values: SPEC_COMPRESSION_MODES },
  ),
  cxxflags: many("CXXFLAGS"),
  decompressor_search_order: many("the order decompressors are tried to unpack the seed", {
    values: DECOMPRESSOR_NAMES,
    valuesSeverity: "warning",
  }),
  fcflags: many("FCFLAGS"),
  fflags: many("FFLAGS"),
  hostuse: many("accepted for compatibility; unused by catalyst"),
  install_mask: many("INSTALL_MASK entries"),
  interpreter: many("qemu-user interpreter(s) copied into the chroot for foreign builds"),
  keep_repos: many("repository names whose repos.conf stays in the output"),
  kerncache_path: one("the kernel cache folder; computed in a tree (`<cache>/kerncache`)"),
  ldflags: many("LDFLAGS"),
  pkgcache_path: one("the binary package cache folder; computed in a tree"),
  portage_confdir: many("folder(s) copied into /etc/portage (a list is the fork's extension)", {
    path: "dir",
  }),
  portage_prefix: one("name of the per-build files in /etc/portage/package.* removed at the end"),
  rename_regexp: one("a sed -E expression applied to the output file name"),
  repos: many("extra repositories, as folders or .sqfs files", { path: "file-or-dir" }),
  fsops: many("filesystem tool options (added dynamically by catalyst)"),
  // substrate: the apt driver.
  "apt/suite": one("apt driver: the Debian suite to bootstrap (`bookworm`)", {
    origin: "substrate",
    driver: "apt",
  }),
  "apt/mirror": one("apt driver: the archive mirror URL", { origin: "substrate", driver: "apt" }),
  "apt/components": many("apt driver: archive components (`main contrib`)", {
    origin: "substrate",
    driver: "apt",
  }),
  "apt/keyring": one("apt driver: the keyring that verifies the archive", {
    origin: "substrate",
    driver: "apt",
    path: "file",
  }),
  "apt/recommends": one("apt driver: install Recommends too (`yes`; default `no`)", {
    origin: "substrate",
    driver: "apt",
    values: ["yes", "no"],
  }),
  "apt/variant": one("apt driver: mmdebstrap's --variant", {
    origin: "substrate",
    driver: "apt",
    values: MMDEBSTRAP_VARIANTS,
  }),
};

/** The keys each `boot/kernel/<label>/` may set (for labels listed in `boot/kernel`). */
export const KERNEL_KEYS: Readonly<Record<string, KeyRule>> = {
  aliases: many("kernel aliases"),
  config: one("the kernel .config (genkernel) or config snippet (dist kernel)", { path: "file" }),
  console: many("console= values (boot menu entries per console)"),
  distkernel: one("build a distribution kernel with dracut instead of genkernel", {
    values: ["yes", "no"],
    // catalyst treats anything but `yes` as `no`: flag it, but accept it.
    valuesSeverity: "warning",
  }),
  dracut_args: many("arguments for dracut (dist kernels)"),
  extraversion: one("a suffix for the kernel's uname -r"),
  gk_action: one("genkernel action (default `all`)"),
  gk_kernargs: many("genkernel arguments for this kernel only"),
  initramfs_overlay: many("files added to the initramfs", { path: "file-or-dir" }),
  packages: many("external modules built against this kernel (may carry emerge options)"),
  softlevel: one("the OpenRC softlevel of the boot entry"),
  sources: one("the kernel sources atom (`sys-kernel/gentoo-sources`)"),
  use: many("USE for the kernel and its packages"),
  package: one("apt driver: the Debian kernel package (default `linux-image-amd64`)", {
    origin: "substrate",
    driver: "apt",
  }),
};
