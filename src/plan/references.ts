/**
 * Which spec values name files or folders a stage reads (overlays, fsscripts, confdirs, kernel
 * configs), so their contents go into the stage's fingerprint. The spec layer's schemas say
 * which keys are paths; inputs that are other stages or seeds (`source_subpath`,
 * `livecd/payload`, `livecd/cdtar`) are tracked as inputs instead.
 */
import { resolve } from "node:path";
import { referencedPaths as schemaPaths } from "../spec/keys.js";
import type { StageSpec } from "../spec/types.js";

/** One key whose value names host paths. */
export interface ReferencedPaths {
  readonly key: string;
  /** Absolute host paths (relative ones are taken from the tree root, as the spec layer does). */
  readonly paths: readonly string[];
}

/** Every key of a stage whose value names files or folders, with the paths, sorted by key. */
export function referencedPaths(spec: StageSpec, treeRoot: string): ReferencedPaths[] {
  const byKey = new Map<string, string[]>();
  for (const ref of schemaPaths(spec.kind, spec.values)) {
    const list = byKey.get(ref.key) ?? [];
    list.push(resolve(treeRoot, ref.path));
    byKey.set(ref.key, list);
  }
  return [...byKey.keys()].sort().map((key) => ({ key, paths: byKey.get(key) ?? [] }));
}
