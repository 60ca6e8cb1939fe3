/**
 * What a chroot run swaps into its build root for its duration and puts back afterwards: the
 * host's /etc/resolv.conf (runs with the network) and qemu-user interpreters (foreign roots).
 * Concurrent runs in one root share one swap ({@link swapIntoRoot} counts them); a run that was
 * killed before it could put things back is repaired by {@link recoverRoot}, which every first
 * run in a root calls. The swaps themselves are swap.ts's and interpreter.ts's.
 */
import { readdirSync, readFileSync } from "node:fs";
import { type Result, ok, err } from "../util/result.js";
import {
  type InstalledInterpreters,
  installInterpreters,
  removeInterpreters,
} from "./interpreter.js";
import { resolveInRoot } from "./root-path.js";
import { type Swap, recoverSwap, restoreSwap, swapIn } from "./swap.js";

/** Per-root count of runs in progress in this process, so swaps happen once per root. */
const activeRuns = new Map<string, number>();

/**
 * Swaps resolv.conf (with `network`) and `interpreters` into `root` unless another run in this
 * process already holds them, first recovering a killed run's leftovers. Returns the function
 * that ends this run's hold (putting everything back when it was the last), or why the swap
 * failed (nothing is left swapped in then).
 */
export function swapIntoRoot(
  root: string,
  opts: { readonly network: boolean; readonly interpreters: readonly string[] },
): Result<() => void, string> {
  const active = activeRuns.get(root) ?? 0;
  let resolvSwap: Swap | undefined;
  let interps: InstalledInterpreters | undefined;
  if (active === 0) {
    recoverRoot(root, opts.interpreters);
    if (opts.network) {
      let hostResolv: Buffer | undefined;
      try {
        hostResolv = readFileSync("/etc/resolv.conf");
      } catch {
        hostResolv = undefined; // a host without resolv.conf: nothing to copy
      }
      if (hostResolv !== undefined) {
        const swapped = swapIn(root, "/etc/resolv.conf", hostResolv, 0o644);
        if (!swapped.ok) return err(`cannot copy /etc/resolv.conf in: ${swapped.error.message}`);
        resolvSwap = swapped.value;
      }
    }
    if (opts.interpreters.length > 0) {
      const installed = installInterpreters(root, opts.interpreters);
      if (!installed.ok) {
        if (resolvSwap !== undefined) restoreSwap(resolvSwap, false);
        return err(installed.error.message);
      }
      interps = installed.value;
    }
  }
  activeRuns.set(root, active + 1);
  return ok(() => {
    const left = (activeRuns.get(root) ?? 1) - 1;
    if (left === 0) activeRuns.delete(root);
    else activeRuns.set(root, left);
    if (resolvSwap !== undefined) restoreSwap(resolvSwap, true);
    if (interps !== undefined) removeInterpreters(interps);
  });
}

/** Folders where qemu-user interpreters usually live (scanned by {@link recoverRoot}). */
const INTERPRETER_DIRS = ["/usr/bin", "/bin", "/usr/local/bin", "/usr/libexec/qemu-binfmt"];

/**
 * Puts back what a killed run left swapped in a root: `/etc/resolv.conf`, the given interpreter
 * paths, and any `*.substrate-orig` / `*.substrate-none` in the usual interpreter folders. Every
 * `runInChroot` does this itself first; call it before capturing a root that may have been
 * used by a run that never finished. Returns the in-root paths restored.
 */
export function recoverRoot(root: string, interpreters: readonly string[] = []): string[] {
  const paths = new Set<string>(["/etc/resolv.conf", ...interpreters]);
  for (const dir of INTERPRETER_DIRS) {
    const resolved = resolveInRoot(root, dir);
    if (!resolved.ok) continue;
    let names: string[];
    try {
      names = readdirSync(resolved.value);
    } catch {
      continue;
    }
    for (const name of names) {
      const m = /^(.+)\.substrate-(?:orig|none)$/.exec(name);
      if (m?.[1] !== undefined) paths.add(`${dir}/${m[1]}`);
    }
  }
  const restored: string[] = [];
  for (const path of [...paths].sort()) {
    const r = recoverSwap(root, path);
    if (r.ok && r.value) restored.push(path);
  }
  return restored;
}
