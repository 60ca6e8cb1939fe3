/**
 * catalyst's kernel cache (`kerncache_path`): a built kernel and its modules packed as
 * `<k>-kernel-initrd-<version_stamp>.tar.bz2` and `<k>-modules-<version_stamp>.tar.bz2`, with a
 * record `<kerncache>/<k>/{USE,VERSION,CONFIG}` (plus KVER, STAMP and INITRAMFS, which substrate
 * needs to reuse the tarballs across version stamps). A later build reuses the tarballs when the
 * record matches its sources, USE, config and initramfs choice.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { KernelPlan } from "./kernel.js";

/** What a kerncache record says about the kernel packed beside it. */
export interface KerncacheRecord {
  /** `portageq best_visible` of the sources when it was built. */
  readonly best: string;
  /** The kernel release (`uname -r`). */
  readonly kver: string;
  /** The version_stamp in the tarball names. */
  readonly stamp: string;
  /** Whether the packed /boot holds the distribution's initramfs. */
  readonly initramfs: boolean;
}

/** The packed kernel a record points at. */
export interface KerncacheHit {
  readonly kver: string;
  readonly kernelTar: string;
  readonly modulesTar: string;
}

function configDigest(plan: KernelPlan): string {
  return plan.config === undefined
    ? ""
    : createHash("sha256").update(readFileSync(plan.config)).digest("hex");
}

/** Writes the record of a kernel just packed into `kerncache`. */
export function recordKerncache(kerncache: string, plan: KernelPlan, r: KerncacheRecord): void {
  const dir = join(kerncache, plan.label);
  writeFileAtomic(join(dir, "USE"), plan.use.join(" ") + "\n");
  writeFileAtomic(join(dir, "VERSION"), r.best + "\n");
  writeFileAtomic(join(dir, "CONFIG"), configDigest(plan) + "\n");
  writeFileAtomic(join(dir, "KVER"), r.kver + "\n");
  writeFileAtomic(join(dir, "STAMP"), r.stamp + "\n");
  writeFileAtomic(join(dir, "INITRAMFS"), (r.initramfs ? "yes" : "no") + "\n");
}

/** The packed kernel to reuse, when the record matches the sources, USE, config and initramfs. */
export function kerncacheHit(
  kerncache: string,
  plan: KernelPlan,
  best: string,
  skipInitramfs: boolean,
): KerncacheHit | undefined {
  const dir = join(kerncache, plan.label);
  const read = (name: string): string | undefined => {
    try {
      return readFileSync(join(dir, name), "utf8").trim();
    } catch {
      return undefined;
    }
  };
  if (
    read("VERSION") !== best ||
    read("USE") !== plan.use.join(" ") ||
    read("CONFIG") !== configDigest(plan)
  ) {
    return undefined;
  }
  if (read("INITRAMFS") !== (skipInitramfs ? "no" : "yes")) return undefined;
  const kver = read("KVER");
  const stamp = read("STAMP");
  if (kver === undefined || kver === "" || stamp === undefined) return undefined;
  const kernelTar = `${plan.label}-kernel-initrd-${stamp}.tar.bz2`;
  const modulesTar = `${plan.label}-modules-${stamp}.tar.bz2`;
  if (!existsSync(join(kerncache, kernelTar)) || !existsSync(join(kerncache, modulesTar)))
    return undefined;
  return { kver, kernelTar, modulesTar };
}

function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}
