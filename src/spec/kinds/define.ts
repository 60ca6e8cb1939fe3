/**
 * The vocabulary kind modules are written in: what a key accepts (`KeyRule`), what a target
 * requires (`Requirement`), a target's keys (`TargetSchema`), its whole pure definition
 * (`KindDefinition`: schema, inputs, output), and small builders.
 */
import type { DriverName, TargetKindName } from "../types.js";

/** What a path-valued key points at, for fingerprinting referenced tree contents. */
export type PathKind = "file" | "dir" | "file-or-dir";

/** Where a key comes from: upstream catalyst, the 0xdc catalyst fork, or substrate itself. */
export type KeyOrigin = "catalyst" | "fork" | "substrate";

/** What one spec key accepts. */
export interface KeyRule {
  /** One line saying what the key means. */
  readonly doc: string;
  /** `single`: exactly one token (catalyst needs a string); `list`: any number of tokens. */
  readonly shape: "single" | "list";
  /** Allowed values (compared case-sensitively, as catalyst does). */
  readonly values?: readonly string[];
  /** How bad a value outside `values` is (default `error`). */
  readonly valuesSeverity?: "error" | "warning";
  /** Maximum length of the value (tokens joined by one space), e.g. 32 for ISO volume ids. */
  readonly maxLength?: number;
  /** The value names files or folders of the tree (or the host) whose contents shape the build. */
  readonly path?: PathKind;
  /** `user=path` entries (comma-separated in a single string, catalyst-style), path after `=`. */
  readonly pathForm?: "user=path";
  /** The value is a store subpath of another build's output (`source_subpath`, `livecd/payload`). */
  readonly storeRef?: boolean;
  /** The key only means something to this driver (others ignore it, with a warning). */
  readonly driver?: DriverName;
  readonly origin: KeyOrigin;
}

/** One required key (or one of several alternative keys). */
export interface Requirement {
  readonly key: string;
  /** Other keys that satisfy the requirement as well (e.g. `livecd/cdtar` for `livecd/payload`). */
  readonly alternatives?: readonly string[];
  /** Only these drivers require the key; absent: every driver. */
  readonly drivers?: readonly DriverName[];
}

/** The schema of one target kind. */
export interface TargetSchema<K extends TargetKindName = TargetKindName> {
  readonly kind: K;
  /** Catalyst's spec prefix (`livecd` for livecd-stage1/2/3, `diskimage`, else the kind). */
  readonly prefix: string;
  /** One line describing the stage. */
  readonly summary: string;
  /** Keys of this kind beyond the keys every stage accepts (`COMMON_KEYS`). */
  readonly keys: Readonly<Record<string, KeyRule>>;
  /** Every required key, common ones included. */
  readonly required: readonly Requirement[];
  /** Whether `boot/kernel` (and so `boot/kernel/<label>/*`) is accepted. */
  readonly bootKernel: boolean;
}

/** The role of a stage's input: its seed or parent (`source_subpath`), or a boot payload. */
export type InputRole = "source" | "payload";

/**
 * What a kind's main output is. `compressed`: a tarball, squashfs or folder as its
 * `compression_mode` says (plan/layout.ts); `iso` and `qcow2` are named by the spec's `nameKey`.
 */
export type KindOutput =
  | { readonly form: "compressed" }
  | { readonly form: "squashfs" }
  | { readonly form: "directory" }
  | { readonly form: "iso" | "qcow2"; readonly nameKey: string };

/**
 * Everything spec/ and plan/ know about a stage kind, in one module per kind
 * (`spec/kinds/<kind>.ts`): its keys, its input roles and its output. What the kind does when
 * built is its target module (`targets/<kind>.ts`).
 */
export interface KindDefinition<K extends TargetKindName = TargetKindName> extends TargetSchema<K> {
  /** The inputs it consumes: `source` (`source_subpath`) and, for livecd-stage3, `payload`. */
  readonly inputs: readonly InputRole[];
  readonly output: KindOutput;
}

/** A catalyst key taking exactly one token. */
export function one(doc: string, extra: Partial<KeyRule> = {}): KeyRule {
  return { doc, shape: "single", origin: "catalyst", ...extra };
}

/** A catalyst key taking any number of tokens. */
export function many(doc: string, extra: Partial<KeyRule> = {}): KeyRule {
  return { doc, shape: "list", origin: "catalyst", ...extra };
}

/** `yes`/`no`. */
export const YES_NO = ["yes", "no"] as const;

/** The required keys of every catalyst stage target, adjusted per driver. */
export function stageRequired(opts: {
  /** With the apt driver, `source_subpath` may be absent (mmdebstrap bootstraps from nothing). */
  readonly sourceOptionalForApt?: boolean;
  /** The fork's livecd-stage3 needs no profile and no snapshot (it runs no package manager). */
  readonly noPackageManager?: boolean;
}): Requirement[] {
  const req: Requirement[] = [];
  if (opts.noPackageManager !== true) {
    req.push({ key: "profile", drivers: ["portage"] });
  }
  req.push({ key: "rel_type" });
  if (opts.noPackageManager !== true) {
    req.push({ key: "snapshot_treeish", drivers: ["portage"] });
  }
  req.push(
    opts.sourceOptionalForApt === true
      ? { key: "source_subpath", drivers: ["portage"] }
      : { key: "source_subpath" },
  );
  req.push({ key: "subarch" }, { key: "target" }, { key: "version_stamp" });
  return req;
}

/** Prefixes every key of `keys` with `<prefix>/`. */
export function prefixed(prefix: string, keys: Record<string, KeyRule>): Record<string, KeyRule> {
  const out: Record<string, KeyRule> = {};
  for (const [k, v] of Object.entries(keys)) out[`${prefix}/${k}`] = v;
  return out;
}
