/**
 * Which installed kernel a `boot/kernel/<label>/package` means. Debian's kernel metapackages
 * (`linux-image-amd64`) depend on one versioned package (`linux-image-6.1.0-28-amd64`) whose
 * version string is the kernel's `uname -r`. Pure.
 */
import type { InstalledPackage } from "./dpkg-status.js";
import { bareName } from "./dpkg-status.js";
import type { FailureOf } from "../../report/failure.js";

/** The kernel package installed when a spec names none and the root's architecture is unknown. */
export const DEFAULT_KERNEL_PACKAGE = "linux-image-amd64";

/** Debian's generic kernel metapackage per dpkg architecture. */
const KERNEL_BY_ARCH: Readonly<Record<string, string>> = {
  amd64: "linux-image-amd64",
  arm64: "linux-image-arm64",
  armhf: "linux-image-armmp",
  armel: "linux-image-marvell",
  i386: "linux-image-686",
  ppc64el: "linux-image-powerpc64le",
  riscv64: "linux-image-riscv64",
  s390x: "linux-image-s390x",
};

/**
 * The generic kernel package for a root whose `dpkg` package has architecture `arch`
 * (armhf, the armv7a arch, gets the multiplatform `linux-image-armmp`).
 */
export function defaultKernelPackage(arch: string | undefined): string {
  return (arch === undefined ? undefined : KERNEL_BY_ARCH[arch]) ?? DEFAULT_KERNEL_PACKAGE;
}

/** Why no single kernel version could be chosen. */
export type KernelPickFailure = FailureOf<"none" | "ambiguous">;

/**
 * Picks the kernel version for `pkg` among `candidates` (versions that have both a modules
 * folder and a `/boot/vmlinuz-<version>`). Tries, in order: the package's own name
 * (`linux-image-<version>`), the `linux-image-<version>` packages the package depends on, and a
 * lone candidate.
 */
export function pickKernelVersion(
  pkg: string,
  candidates: readonly string[],
  installed: readonly InstalledPackage[],
): { ok: true; value: string } | { ok: false; error: KernelPickFailure } {
  if (candidates.length === 0) {
    return {
      ok: false,
      error: {
        reason: "none",
        message: `no kernel with modules and /boot/vmlinuz-* after installing ${pkg}`,
      },
    };
  }
  const own = pkg.startsWith("linux-image-") ? pkg.slice("linux-image-".length) : undefined;
  if (own !== undefined && candidates.includes(own)) return { ok: true, value: own };
  const meta = installed.find((p) => bareName(p.name) === pkg);
  if (meta !== undefined) {
    for (const dep of meta.depends.split(/[,|]/)) {
      const name = dep.trim().split(/[\s(:]/)[0] ?? "";
      if (!name.startsWith("linux-image-")) continue;
      const version = name.slice("linux-image-".length);
      if (candidates.includes(version)) return { ok: true, value: version };
    }
  }
  if (candidates.length === 1 && candidates[0] !== undefined)
    return { ok: true, value: candidates[0] };
  return {
    ok: false,
    error: {
      reason: "ambiguous",
      message: `${candidates.length} kernels are installed (${candidates.join(", ")}) and ${pkg} does not say which one it is`,
      candidates,
    },
  };
}
