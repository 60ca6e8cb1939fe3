/**
 * Building `boot/kernel/<label>` in a Portage root (catalyst's pre-kmerge/pre-distkmerge +
 * kmerge.sh): a dist kernel (emerge the sources with USE=-initramfs, its packages, then dracut
 * unless the caller makes its own initramfs) or genkernel (`kernel` instead of `all` in that
 * case). With `kerncache_path` the kernel and modules are also packed as catalyst does, and a
 * matching packed dist kernel is restored instead of built (see kerncache.ts).
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { inRootPath, lstatInRoot, writeFileInRoot } from "../../sandbox/root-path.js";
import { globInRoot } from "../../sandbox/root-glob.js";
import { ok } from "../../util/result.js";
import type { DriverResult, InstalledKernel, KernelRequest } from "../driver.js";
import { refuse, stepFailed } from "../session.js";
import type { ArchEntry } from "./arch-table.js";
import { KERNCACHE_MOUNT, emergeEnv, emergeOptions } from "./emerge.js";
import {
  type KernelPlan,
  configTarget,
  distDracutArgv,
  genkernelArgv,
  kernelPlan,
  splitArgs,
} from "./kernel.js";
import { kerncacheHit, recordKerncache } from "./kerncache.js";
import { usePrefix } from "./make-conf.js";
import { type PortageSession, type Prepared, checkAtoms, emerge, exec } from "./portage-session.js";
import { prepare } from "./prepare.js";

/** What building one kernel shares between its steps. */
interface KernelBuild {
  readonly s: PortageSession;
  readonly p: Prepared;
  readonly kernel: KernelRequest;
  readonly plan: KernelPlan;
  readonly env: Readonly<Record<string, string>>;
  readonly skipInitramfs: boolean;
}

/** Builds (or restores from the kernel cache) the requested kernel in the session's root. */
export async function installKernel(
  s: PortageSession,
  kernel: KernelRequest,
): Promise<DriverResult<InstalledKernel>> {
  const root = s.root;
  const plan = kernelPlan(kernel.label, kernel.keys);
  const prefix = `boot/kernel/${kernel.label}`;
  if (!/^[\w.+-]+$/.test(kernel.label))
    return refuse("bad-kernel", `boot/kernel: "${kernel.label}" is not a usable kernel name`);
  const atoms = checkAtoms([plan.sources], `${prefix}/sources`);
  if (!atoms.ok) return atoms;
  const p = await prepare(s);
  if (!p.ok) return p;
  const before = new Set(modules(root));
  if (plan.config !== undefined) {
    let text: Buffer;
    try {
      text = readFileSync(plan.config);
    } catch {
      return refuse("bad-kernel", `${prefix}/config: cannot read ${plan.config}`);
    }
    const w = writeFileInRoot(root, configTarget(plan), text);
    if (!w.ok) return refuse("root-write-failed", w.error.message);
  }
  const b: KernelBuild = {
    s,
    p: p.value,
    kernel,
    plan,
    env: emergeEnv(p.value.emerge),
    skipInitramfs: kernel.skipDefaultInitramfs === true,
  };
  // kerncache (dist kernels): reuse the packed kernel when sources, USE and config match.
  const kerncache = plan.dist ? s.str("kerncache_path") : undefined;
  let best: string | undefined;
  let cached: string | undefined;
  if (kerncache !== undefined) {
    const restored = await restoreFromKerncache(b, kerncache);
    if (!restored.ok) return restored;
    ({ best, cached } = restored.value);
  }
  if (cached === undefined) {
    const built = plan.dist ? await buildDist(b) : await buildGenkernel(b);
    if (!built.ok) return built;
  }
  const after = modules(root);
  const fresh = after.filter((v) => !before.has(v));
  const version = cached ?? (fresh.length > 0 ? fresh : after).at(-1);
  if (version === undefined) {
    return stepFailed(
      `kernel ${kernel.label}`,
      `${plan.sources} installed no kernel modules (no /lib/modules/<version>)`,
    );
  }
  const image = findImage(root, version, p.value.arch);
  if (image === undefined) {
    return stepFailed(
      `kernel ${kernel.label}`,
      `no kernel image for ${version} in /boot or /usr/src/linux-${version}`,
    );
  }
  if (plan.dist && !b.skipInitramfs && cached === undefined) {
    const d = await exec(p.value, {
      step: `dracut ${kernel.label}`,
      argv: distDracutArgv(plan, version, image),
      env: b.env,
    });
    if (!d.ok) return d;
  }
  if (kerncache !== undefined && cached === undefined) {
    const k = await packKerncache(b, kerncache, version, best ?? "");
    if (!k.ok) return k;
  }
  if (cached === undefined) {
    const deselect = await emerge(p.value, "deselect sources", ["--deselect", plan.sources]);
    if (!deselect.ok) return deselect;
  }
  const modulesDir = s.canonical(`/lib/modules/${version}`);
  const config = `/boot/config-${version}`;
  return ok({
    label: kernel.label,
    version,
    image,
    modulesDir,
    ...(lstatInRoot(root, config) === undefined ? {} : { config }),
  });
}

/** `portageq best_visible` of the sources, and the kernel restored from the cache on a hit. */
async function restoreFromKerncache(
  b: KernelBuild,
  kerncache: string,
): Promise<DriverResult<{ best: string | undefined; cached: string | undefined }>> {
  const { p, plan, kernel } = b;
  const q = await exec(
    p,
    {
      step: "portageq best_visible",
      argv: ["portageq", "best_visible", "/", plan.sources],
      env: b.env,
    },
    [],
    true,
  );
  const best = q.ok ? q.value.trim().split("\n").pop() : undefined;
  const hit =
    best === undefined || best === ""
      ? undefined
      : kerncacheHit(kerncache, plan, best, b.skipInitramfs);
  if (hit === undefined) return ok({ best, cached: undefined });
  const x = await exec(p, {
    step: `kerncache ${kernel.label} (reused)`,
    script: [
      "mkdir -p /boot",
      `tar -xjpf ${KERNCACHE_MOUNT}/${hit.kernelTar} -C /boot`,
      `tar -xjpf ${KERNCACHE_MOUNT}/${hit.modulesTar} -C /`,
    ].join("\n"),
  });
  if (!x.ok) return x;
  return ok({ best, cached: hit.kver });
}

function useWith(plan: KernelPlan, extra: string): string {
  return [extra, ...plan.use].join(" ").trim();
}

/** A dist kernel: dracut, the installkernel chroot check, the sources, the kernel's packages. */
async function buildDist(b: KernelBuild): Promise<DriverResult> {
  const { p, plan, kernel } = b;
  const pre = await emerge(p, "dracut", ["--oneshot", "--update", "sys-kernel/dracut"]);
  if (!pre.ok) return pre;
  const touch = await exec(p, {
    step: "installkernel chroot check",
    script: "mkdir -p /etc/kernel/install.d && : > /etc/kernel/install.d/05-check-chroot.install",
  });
  if (!touch.ok) return touch;
  const src = await emerge(
    p,
    `kernel ${kernel.label}: ${plan.sources}`,
    ["--update", plan.sources],
    {
      USE: useWith(plan, "-initramfs"),
    },
  );
  if (!src.ok) return src;
  if (plan.packages.length > 0) {
    const pk = await emerge(p, `kernel ${kernel.label}: packages`, plan.packages);
    if (!pk.ok) return pk;
  }
  return ok(undefined);
}

/** A genkernel kernel: genkernel and the sources emerged, then genkernel run. */
async function buildGenkernel(b: KernelBuild): Promise<DriverResult> {
  const { s, p, plan, kernel } = b;
  const pre = await emerge(p, "genkernel", ["--oneshot", "--update", "sys-kernel/genkernel"]);
  if (!pre.ok) return pre;
  const src = await emerge(
    p,
    `kernel ${kernel.label}: ${plan.sources}`,
    ["--update", plan.sources],
    {
      USE: useWith(plan, "symlink"),
    },
  );
  if (!src.ok) return src;
  const callback =
    plan.packages.length > 0
      ? `emerge ${[...emergeOptions(p.emerge), ...plan.packages].join(" ")}`
      : undefined;
  const argv = genkernelArgv(plan, {
    versionStamp: s.str("version_stamp") ?? kernel.label,
    gkMainargs: splitArgs(s.str(`${usePrefix(p.kind) ?? "livecd"}/gk_mainargs`)),
    kerncache: s.str("kerncache_path") !== undefined,
    skipInitramfs: b.skipInitramfs,
    ...(callback === undefined ? {} : { emergeCallback: callback }),
  });
  const gk = await exec(p, {
    step: `genkernel ${kernel.label}`,
    argv,
    env: {
      ...b.env,
      ...(plan.extraversion === undefined ? {} : { clst_kextraversion: plan.extraversion }),
    },
  });
  return gk.ok ? ok(undefined) : gk;
}

/** Packs /boot and the modules into the kernel cache and writes the record. */
async function packKerncache(
  b: KernelBuild,
  kerncache: string,
  version: string,
  best: string,
): Promise<DriverResult> {
  const { s, p, plan, kernel } = b;
  const vs = s.str("version_stamp") ?? kernel.label;
  const k = await exec(p, {
    step: `kerncache ${kernel.label}`,
    script: [
      `cd /boot && tar -cjf ${KERNCACHE_MOUNT}/${kernel.label}-kernel-initrd-${vs}.tar.bz2 $(ls -d System.map* config* initramfs* vmlinuz* vmlinux* kernel-* 2>/dev/null)`,
      `cd / && tar -cjf ${KERNCACHE_MOUNT}/${kernel.label}-modules-${vs}.tar.bz2 lib/modules/${version}`,
    ].join("\n"),
  });
  if (!k.ok) return k;
  recordKerncache(kerncache, plan, {
    best,
    kver: version,
    stamp: vs,
    initramfs: !b.skipInitramfs,
  });
  return ok(undefined);
}

function modules(root: string): string[] {
  const found = new Set<string>();
  for (const pattern of ["/lib/modules/*", "/usr/lib/modules/*"]) {
    const g = globInRoot(root, pattern);
    if (g.ok) for (const p of g.value) found.add(basename(p));
  }
  return [...found].sort();
}

function findImage(root: string, version: string, arch: ArchEntry): string | undefined {
  const candidates = [
    `/boot/vmlinuz-${version}`,
    `/boot/kernel-${version}`,
    `/boot/vmlinux-${version}`,
    `/usr/src/linux-${version}/${arch.kernelImage}`,
  ];
  const hit = candidates.find((c) => lstatInRoot(root, c) !== undefined);
  if (hit !== undefined) return hit;
  // genkernel's older names: kernel-genkernel-<arch>-<version>.
  const g = globInRoot(root, `/boot/*-${version}`);
  const named = g.ok
    ? g.value.map((h) => inRootPath(root, h)).find((h) => /\/(kernel|vmlinuz)-/.test(h))
    : undefined;
  return named;
}
