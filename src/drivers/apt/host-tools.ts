/**
 * The host programs the apt driver itself needs per stage kind, with the Debian packages that
 * provide them (for `substrate doctor` and CI). Tools a stage kind needs for its own outputs
 * (mksquashfs, xorriso, mtools) are the target's business and listed there.
 */
import type { TargetKindName } from "../../spec/types.js";
import type { HostTool } from "../driver.js";

const MMDEBSTRAP: HostTool = {
  command: "mmdebstrap",
  debianPackage: "mmdebstrap",
  why: "bootstraps Debian roots from the archive",
};
const GPG: HostTool = {
  command: "gpg",
  debianPackage: "gnupg",
  why: "mmdebstrap checks the archive keyring with it",
};
const KEYRING_TOOL: HostTool = {
  command: "gpgv",
  debianPackage: "gpgv",
  why: "apt verifies the archive's signatures with it",
};
const DPKG_QUERY: HostTool = {
  command: "dpkg-query",
  debianPackage: "dpkg",
  why: "reports the versions of mmdebstrap, apt and dpkg for fingerprints",
};
const UNSHARE: HostTool = {
  command: "unshare",
  debianPackage: "util-linux",
  why: "runs apt inside the build root in private namespaces",
};
const SETPRIV: HostTool = {
  command: "setpriv",
  debianPackage: "util-linux",
  why: "ties the sandbox's lifetime to substrate's",
};

const TAR: HostTool = {
  command: "tar",
  debianPackage: "tar",
  why: "unpacks and packs stage tarballs",
};
const ZSTD: HostTool = {
  command: "zstd",
  debianPackage: "zstd",
  why: "compresses stage tarballs (the apt driver's default compression)",
};

/** Every tool that running apt in a chroot needs. */
const CHROOT_TOOLS: readonly HostTool[] = [UNSHARE, SETPRIV];
/** Tools for stages that start from nothing (mmdebstrap). */
const BOOTSTRAP_TOOLS: readonly HostTool[] = [
  MMDEBSTRAP,
  GPG,
  KEYRING_TOOL,
  DPKG_QUERY,
  ...CHROOT_TOOLS,
];

/** Tools for stages that start from a stage tarball and run apt inside it. */
const TARBALL_TOOLS: readonly HostTool[] = [DPKG_QUERY, ...CHROOT_TOOLS, TAR, ZSTD];

/** What each kind needs with the apt driver; typed over every kind, so a new kind must say. */
const BY_KIND: Readonly<Record<TargetKindName, readonly HostTool[]>> = {
  // Not meaningful with apt: the stage fails before it needs anything.
  stage1: [],
  stage2: [],
  stage3: BOOTSTRAP_TOOLS,
  stage4: TARBALL_TOOLS,
  embedded: TARBALL_TOOLS,
  "livecd-stage1": TARBALL_TOOLS,
  "livecd-stage2": TARBALL_TOOLS,
  // Assembles the ISO from earlier outputs; no package manager runs.
  "livecd-stage3": [],
  "diskimage-stage1": TARBALL_TOOLS,
  "diskimage-stage2": TARBALL_TOOLS,
  netboot: TARBALL_TOOLS,
};

/** The apt driver's host tools for a stage kind. */
export function aptHostTools(kind: TargetKindName): readonly HostTool[] {
  return BY_KIND[kind];
}
