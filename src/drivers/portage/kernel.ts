/**
 * Kernels with catalyst's meaning (catalyst.md §4, `kmerge.sh`): a dist kernel
 * (`boot/kernel/<k>/distkernel: yes`, default sources sys-kernel/gentoo-kernel, then dracut) or
 * genkernel (default sys-kernel/gentoo-sources). Two catalyst bugs are fixed here:
 *
 * - catalyst passes labels through `sanitize_name` (`.`, `-`, `/` become `_`) before looking their
 *   keys up, so `boot/kernel/gentoo-dist/config` is silently lost; substrate looks keys up by the
 *   label as written and uses the sanitised form only for `clst_boot_kernel_<k>_*` variables.
 * - catalyst never sets `clst_basearch`, so dracut gets `--kernel-image=.../unsupported`
 *   (gentoo/catalyst#19); substrate takes the image path from the arch table.
 *
 * Pure: argv and environment only; the driver runs them.
 */
import type { SpecValue } from "../../spec/types.js";
import { stringOf } from "../../spec/values.js";

/** catalyst's sanitize_name, for variable names only. */
export function sanitizeLabel(label: string): string {
  return label.replace(/[.\-/]/g, "_");
}

/** Splits an argument list like a shell does (kmerge.sh `eval`s them): quotes group, parts join. */
export function splitArgs(text: string | undefined): string[] {
  if (text === undefined) return [];
  const out: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (const ch of text) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else word = (word ?? "") + ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word ??= "";
    } else if (/\s/.test(ch)) {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else {
      word = (word ?? "") + ch;
    }
  }
  if (word !== undefined) out.push(word);
  return out;
}

/** The kernel settings of one label, read by the label as written. */
export interface KernelPlan {
  readonly label: string;
  readonly dist: boolean;
  readonly sources: string;
  /** `boot/kernel/<k>/packages`: may hold emerge flags (`--usepkg n pkg ...`). */
  readonly packages: readonly string[];
  readonly use: readonly string[];
  /** Host path of `boot/kernel/<k>/config`. */
  readonly config?: string;
  readonly gkKernargs: readonly string[];
  readonly dracutArgs: readonly string[];
  readonly extraversion?: string;
}

/** Reads a label's keys. */
export function kernelPlan(label: string, keys: Readonly<Record<string, SpecValue>>): KernelPlan {
  const dist = (stringOf(keys["distkernel"]) ?? "no").toLowerCase() === "yes";
  const config = stringOf(keys["config"]);
  const extraversion = stringOf(keys["extraversion"]);
  return {
    label,
    dist,
    sources:
      stringOf(keys["sources"]) ??
      (dist ? "sys-kernel/gentoo-kernel" : "sys-kernel/gentoo-sources"),
    packages: splitArgs(stringOf(keys["packages"])),
    use: splitArgs(stringOf(keys["use"])),
    ...(config === undefined ? {} : { config }),
    gkKernargs: splitArgs(stringOf(keys["gk_kernargs"])),
    dracutArgs: splitArgs(stringOf(keys["dracut_args"])),
    ...(extraversion === undefined ? {} : { extraversion }),
  };
}

/** Where a kernel config goes inside the root. */
export function configTarget(plan: KernelPlan): string {
  return plan.dist ? `/etc/kernel/config.d/${plan.label}.config` : `/var/tmp/${plan.label}.config`;
}

/** genkernel's argv (kmerge.sh), with `kernel` instead of `all` when the caller makes its own initramfs. */
export function genkernelArgv(
  plan: KernelPlan,
  opts: {
    readonly versionStamp: string;
    readonly gkMainargs: readonly string[];
    readonly kerncache: boolean;
    readonly skipInitramfs: boolean;
    readonly emergeCallback?: string;
  },
): string[] {
  const kc = "/tmp/kerncache";
  const argv = [
    "genkernel",
    ...plan.gkKernargs,
    `--cachedir=${kc}/${plan.label}-genkernel_cache-${opts.versionStamp}`,
    "--no-mountboot",
    "--kerneldir=/usr/src/linux",
    `--modulespackage=${kc}/${plan.label}-modules-${opts.versionStamp}.tar.bz2`,
    `--minkernpackage=${kc}/${plan.label}-kernel-initrd-${opts.versionStamp}.tar.bz2`,
  ];
  if (opts.kerncache)
    argv.push(`--kerncache=${kc}/${plan.label}-kerncache-${opts.versionStamp}.tar.bz2`);
  if (plan.config !== undefined) argv.push(`--kernel-config=${configTarget(plan)}`);
  if (opts.emergeCallback !== undefined) argv.push(`--callback=${opts.emergeCallback}`);
  argv.push(opts.skipInitramfs ? "kernel" : "all", ...opts.gkMainargs);
  return argv;
}

/** dracut's argv for a dist kernel's own initramfs (kmerge.sh, with the image path fixed). */
export function distDracutArgv(plan: KernelPlan, version: string, imagePath: string): string[] {
  return [
    "dracut",
    ...plan.dracutArgs,
    "--force",
    `--kernel-image=${imagePath}`,
    `--kver=${version}`,
  ];
}
