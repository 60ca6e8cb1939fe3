/**
 * `boot/kernel` handling shared by stage4, embedded and livecd-stage2: one request per label
 * with its `boot/kernel/<label>/*` keys.
 */
import type { InstalledKernel, KernelRequest } from "../drivers/driver.js";
import type { SpecValue } from "../spec/types.js";
import { err, ok, type Result } from "../util/result.js";
import type { StageFailure, TargetContext } from "./target-kind.js";
import { listOf } from "../spec/values.js";

/** The kernels a spec asks for, in `boot/kernel` order. */
export function kernelRequests(values: Readonly<Record<string, SpecValue>>): KernelRequest[] {
  return listOf(values["boot/kernel"]).map((label) => {
    const prefix = `boot/kernel/${label}/`;
    const keys: Record<string, SpecValue> = {};
    for (const [k, v] of Object.entries(values)) {
      if (k.startsWith(prefix)) keys[k.slice(prefix.length)] = v;
    }
    return { label, keys };
  });
}

/** Installs every requested kernel through the driver. */
export async function installKernels(
  ctx: TargetContext,
  root: string,
  options: { readonly skipDefaultInitramfs?: boolean } = {},
): Promise<Result<InstalledKernel[], StageFailure>> {
  const out: InstalledKernel[] = [];
  for (const base of kernelRequests(ctx.values)) {
    // livecd-stage2 builds its own live initramfs: the distribution's default one is wasted work.
    const req =
      options.skipDefaultInitramfs === true ? { ...base, skipDefaultInitramfs: true } : base;
    const r = await ctx.step("kernel", req.label, async () => {
      const k = await ctx.driver.installKernel(ctx, root, req);
      return k.ok ? k : err(k.error);
    });
    if (!r.ok) return r;
    out.push(r.value);
  }
  return ok(out);
}
