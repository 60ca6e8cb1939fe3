/** Host programs the Portage driver needs, for `substrate doctor`. */
import { basename } from "node:path";
import type { TargetKindName } from "../../spec/types.js";
import type { HostTool } from "../driver.js";

/** What a stage of `kind` needs on the host with the Portage driver. */
export function portageHostTools(kind: TargetKindName): readonly HostTool[] {
  const tools: HostTool[] = [
    { command: "gpgv", debianPackage: "gpgv", why: "verify Gentoo's signed seeds and snapshots" },
    {
      command: "unsquashfs",
      debianPackage: "squashfs-tools",
      why: "unpack the Portage snapshot once into the cache",
    },
    { command: "tar", debianPackage: "tar", why: "unpack seeds" },
    { command: "xz", debianPackage: "xz-utils", why: "decompress .tar.xz seeds" },
  ];
  if (kind === "livecd-stage3") return [];
  return tools;
}

/**
 * Extra host programs for foreign-arch builds: each `interpreter` (a host path, copied into the
 * root), from qemu-user-static. binfmt_misc itself is checked by `checkInterpreters`.
 */
export function portageForeignHostTools(interpreters: readonly string[]): readonly HostTool[] {
  return interpreters.map((path) => ({
    command: path,
    debianPackage: "qemu-user-static",
    why: `runs the root's ${basename(path).replace(/^qemu-|-static$/g, "")} programs (binfmt_misc)`,
  }));
}
