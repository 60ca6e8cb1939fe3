/**
 * What a spec key means for a stage kind: whether a key is valid (`keyRule`, `validKeys`, with
 * the dynamic `boot/kernel/<label>/*` and `netboot/packages/<pkg>/files` keys), which keys are
 * required for a driver, the keys a tree computes, and the keys that reference tree files or
 * other builds' outputs (`referencedPaths`, `storeReferences`), which the planner fingerprints.
 */
import type { SourceSpan } from "../report/diagnostic.js";
import type { DriverName, SpecToken, SpecValue, TargetKindName } from "./types.js";
import { COMMON_KEYS, KERNEL_KEYS } from "./kinds/common.js";
import type { KeyRule, PathKind, Requirement } from "./kinds/define.js";
import { KINDS } from "./kinds/registry.js";
import { itemsOf } from "./values.js";

/** Keys a spec tree computes for every stage (substrate.md §2 step 6); a lone file may omit them. */
export const COMPUTED_KEYS: readonly string[] = [
  "target",
  "version_stamp",
  "rel_type",
  "subarch",
  "snapshot_treeish",
  "pkgcache_path",
  "kerncache_path",
  "common_flags",
];

/** The kernel labels listed in `boot/kernel`. */
export function kernelLabels(values: Readonly<Record<string, SpecValue>>): string[] {
  const v = values["boot/kernel"];
  if (typeof v === "string") return [v];
  return v ? [...v] : [];
}

// The labels of a spec's `boot/kernel` as a set, computed once per values object (a spec with
// thousands of labels checks each of its keys against it).
const labelSets = new WeakMap<object, ReadonlySet<string>>();
export function kernelLabelSet(values: Readonly<Record<string, SpecValue>>): ReadonlySet<string> {
  let set = labelSets.get(values);
  if (set === undefined) {
    set = new Set(kernelLabels(values));
    labelSets.set(values, set);
  }
  return set;
}

/**
 * What `key` accepts for a target kind, given the spec's values (for the dynamic
 * `boot/kernel/<label>/*` and `netboot/packages/<pkg>/files` keys), or `undefined` if invalid.
 */
export function keyRule(
  kind: TargetKindName,
  key: string,
  values: Readonly<Record<string, SpecValue>>,
): KeyRule | undefined {
  const schema = KINDS[kind];
  const direct = schema.keys[key] ?? COMMON_KEYS[key];
  if (direct) return direct;
  if (key.startsWith("boot/kernel/")) {
    const rest = key.slice("boot/kernel/".length);
    const slash = rest.lastIndexOf("/");
    if (slash > 0) {
      const label = rest.slice(0, slash);
      const sub = rest.slice(slash + 1);
      if (kernelLabelSet(values).has(label)) return KERNEL_KEYS[sub];
    }
    return undefined;
  }
  if (kind === "netboot" && key.startsWith("netboot/packages/") && key.endsWith("/files")) {
    const pkg = key.slice("netboot/packages/".length, -"/files".length);
    if (itemsOf(values["netboot/packages"]).includes(pkg)) {
      return {
        doc: "files of the package copied into the image",
        shape: "list",
        origin: "catalyst",
      };
    }
  }
  return undefined;
}

/** Every valid key of a kind for these values (static keys plus dynamic ones). */
export function validKeys(
  kind: TargetKindName,
  values: Readonly<Record<string, SpecValue>>,
): string[] {
  const schema = KINDS[kind];
  const keys = [...Object.keys(COMMON_KEYS), ...Object.keys(schema.keys)];
  if (schema.bootKernel) {
    for (const label of kernelLabels(values)) {
      for (const sub of Object.keys(KERNEL_KEYS)) keys.push(`boot/kernel/${label}/${sub}`);
    }
  }
  if (kind === "netboot") {
    for (const pkg of itemsOf(values["netboot/packages"]))
      keys.push(`netboot/packages/${pkg}/files`);
  }
  return keys;
}

/**
 * The required keys of a kind for a driver. With `driver` undefined (a file checked on its own)
 * only keys every driver requires count, and `standalone` also drops the keys a tree computes.
 */
export function requiredKeys(
  kind: TargetKindName,
  driver: DriverName | undefined,
  standalone: boolean,
): Requirement[] {
  return KINDS[kind].required.filter((r) => {
    if (standalone && COMPUTED_KEYS.includes(r.key)) return false;
    if (r.drivers === undefined) return true;
    return driver !== undefined && r.drivers.includes(driver);
  });
}

/**
 * Whether a kind needs a `source_subpath` with `driver`. A kind that does not starts from
 * nothing (the apt driver's stage3, bootstrapped by mmdebstrap).
 */
export function sourceRequired(kind: TargetKindName, driver: DriverName): boolean {
  return requiredKeys(kind, driver, false).some((r) => r.key === "source_subpath");
}

/** A tree file or folder a spec refers to. */
export interface PathReference {
  readonly key: string;
  /** The path as written (after token substitution). */
  readonly path: string;
  readonly type: PathKind;
  readonly span?: SourceSpan;
}

/**
 * Every file or folder a spec's values reference (root overlays, fsscripts, confdirs, kernel
 * configs, ...), in key order. Paths are as written after token substitution; a relative path is
 * relative to the tree root. `tokens` (e.g. `StageSpec.tokens`) adds spans.
 */
export function referencedPaths(
  kind: TargetKindName,
  values: Readonly<Record<string, SpecValue>>,
  tokens?: ReadonlyMap<string, readonly SpecToken[]>,
): PathReference[] {
  const out: PathReference[] = [];
  for (const [key, value] of Object.entries(values)) {
    const rule = keyRule(kind, key, values);
    if (rule?.path === undefined || value === null) continue;
    const toks = tokens?.get(key);
    itemsOf(value).forEach((item, i) => {
      const span = toks?.[i]?.span;
      const paths =
        rule.pathForm === "user=path"
          ? item.split(",").flatMap((e) => {
              const eq = e.indexOf("=");
              return eq >= 0 && eq < e.length - 1 ? [e.slice(eq + 1)] : [];
            })
          : [item];
      for (const path of paths) {
        out.push({ key, path, type: rule.path ?? "file-or-dir", ...(span ? { span } : {}) });
      }
    });
  }
  return out;
}

/** Another build's output that a spec consumes. */
export interface StoreReference {
  /** `source_subpath`, `livecd/payload` or `livecd/cdtar` (read as `livecd/payload`). */
  readonly key: string;
  /** The store subpath as written, e.g. `amd64/roflmaos/livecd-stage2-amd64-roflmaos-latest`. */
  readonly subpath: string;
  /** `seed` for `source_subpath`, `payload` for livecd-stage3's boot payload. */
  readonly role: "seed" | "payload";
  readonly span?: SourceSpan;
}

/** The outputs of other builds a spec consumes (seed, and for livecd-stage3 the payload). */
export function storeReferences(
  kind: TargetKindName,
  values: Readonly<Record<string, SpecValue>>,
  tokens?: ReadonlyMap<string, readonly SpecToken[]>,
): StoreReference[] {
  const out: StoreReference[] = [];
  for (const [key, value] of Object.entries(values)) {
    const rule = keyRule(kind, key, values);
    if (rule?.storeRef !== true || typeof value !== "string") continue;
    const span = tokens?.get(key)?.[0]?.span;
    out.push({
      key,
      subpath: value,
      role: key === "source_subpath" ? "seed" : "payload",
      ...(span ? { span } : {}),
    });
  }
  return out;
}
