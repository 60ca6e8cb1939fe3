/**
 * The spec language's data model: what parsing a catalyst `.spec` yields, what a spec tree is,
 * and the per-target schemas. This file is the contract between `spec/` (which produces these)
 * and `plan/`, `targets/` and `cli/` (which consume them).
 */
import type { Diagnostic, SourceSpan } from "../report/diagnostic.js";

/** A spec value exactly as catalyst's parser yields it: one token is a string, several a list, `none` is null. */
export type SpecValue = string | readonly string[] | null;

/** One whitespace-separated token of a value, with where it came from. */
export interface SpecToken {
  readonly text: string;
  readonly span: SourceSpan;
}

/** One key of a parsed spec. */
export interface SpecEntry {
  /** The key exactly as catalyst sees it (not stripped: `key : v` gives `"key "`). */
  readonly key: string;
  readonly keySpan: SourceSpan;
  /** The catalyst-exact value. */
  readonly value: SpecValue;
  /** Every token of the value in order, each with its source location. */
  readonly tokens: readonly SpecToken[];
}

/** The result of parsing one spec file. */
export interface ParsedSpec {
  readonly file: string;
  readonly text: string;
  /** Keys in catalyst's dict order (first insertion), values after every parser rule. */
  readonly entries: ReadonlyMap<string, SpecEntry>;
  /** Parser diagnostics (quirks substrate repaired, interpolation errors, ...). */
  readonly diagnostics: readonly Diagnostic[];
}

/** Every stage kind substrate knows. The registry in `targets/` is typed over this list. */
export const TARGET_KINDS = [
  "stage1",
  "stage2",
  "stage3",
  "stage4",
  "embedded",
  "livecd-stage1",
  "livecd-stage2",
  "livecd-stage3",
  "diskimage-stage1",
  "diskimage-stage2",
  "netboot",
] as const;

/** A stage kind, the value of a spec's `target:` key. */
export type TargetKindName = (typeof TARGET_KINDS)[number];

/** The distribution driver a tree builds with. */
export type DriverName = "apt" | "portage";

/** One `flavour:stage[:buildhost]` entry of an arch's build list in the tree config. */
export interface BuildEntry {
  readonly flavour: string;
  /** The spec file stem (`stage3`, `livecd-stage1`, `sso`, ...), not necessarily the target kind. */
  readonly stage: string;
  /** Another arch table to take subarch/cflags/interpreter from (cross builds), if given. */
  readonly buildhost?: string;
  readonly span: SourceSpan;
}

/** One `[arch.<name>]` table of the tree config. */
export interface ArchConfig {
  /** The arch directory name used in paths (`amd64`, `armv7a`). */
  readonly name: string;
  /** Catalyst subarch for `subarch:` (`amd64`, `armv7a_hardfp`). */
  readonly subarch: string;
  /** The `rel` naming suffix rule input, substrate's `<arch><subarch>` logic (see naming in plan/). */
  readonly cflags?: string;
  /** qemu-user interpreter(s) for foreign builds. */
  readonly interpreter?: readonly string[];
  readonly builds: readonly BuildEntry[];
  readonly span: SourceSpan;
}

/** The apt driver's settings (tree-wide defaults; a spec may override with `apt/*` keys). */
export interface AptSettings {
  readonly suite: string;
  readonly mirror: string;
  readonly components: readonly string[];
  /** Keyring file used to verify the archive (default: Debian's archive keyring). */
  readonly keyring?: string;
  /** mmdebstrap `--variant` (default chosen by the driver). */
  readonly variant?: string;
}

/** The parsed tree config (`substrate.toml` at the tree's root). */
export interface TreeConfig {
  /** Absolute path of the config file. */
  readonly file: string;
  /** Absolute path of the tree folder (the config's folder); `@REPO_DIR@` expands to it. */
  readonly root: string;
  readonly name: string;
  readonly driver: DriverName;
  /** Absolute store paths. */
  readonly store: { readonly builds: string; readonly logs: string; readonly cache: string };
  /** User tokens: `@NAME@` in specs expands to `tokens[NAME]`. */
  readonly tokens: Readonly<Record<string, string>>;
  readonly arches: readonly ArchConfig[];
  readonly apt?: AptSettings;
  /** Mirror base URLs for Gentoo seeds and snapshots. */
  readonly mirrors: readonly string[];
  /** `[remote]`: the OCI registry shared as a stage cache (docs/remote.md). */
  readonly remote?: RemoteConfig;
  /** `[secureboot]`: sign live media with the user's own keys (docs/secure-boot.md). */
  readonly secureBoot?: SecureBootSettings;
}

/** `[remote]` of `substrate.toml`: key paths are absolute. */
export interface RemoteConfig {
  /** `host[:port]/prefix`; `build --remote REF` overrides it. */
  readonly ref?: string;
  /** Push stages built here (default true). */
  readonly push: boolean;
  /** Ed25519 private key (PEM) that signs pushed stages. */
  readonly signKey?: string;
  /** Ed25519 public keys (PEM); when any is given, only stages signed by one of them are used. */
  readonly trust: readonly string[];
}

/** The tree's `[secureboot]` table. */
export interface SecureBootSettings {
  /** Absolute path of the key folder `substrate genkey` made (written relative to the tree). */
  readonly keys: string;
}

/**
 * One stage of a tree, ready for planning: the parsed spec, its tokens substituted and the
 * computed keys (`target`, `version_stamp`, `rel_type`, `subarch`, `snapshot_treeish`,
 * `pkgcache_path`, `kerncache_path`, `common_flags`) added where the spec did not set them.
 */
export interface StageSpec {
  /** `<arch>/<flavour>:<stage>`. */
  readonly id: string;
  readonly arch: string;
  readonly flavour: string;
  /** Spec file stem. */
  readonly stage: string;
  /** The `target:` value (kind). */
  readonly kind: TargetKindName;
  readonly file: string;
  readonly parsed: ParsedSpec;
  /** Final values after token substitution and computed keys. */
  readonly values: Readonly<Record<string, SpecValue>>;
  /** Keys whose value substrate computed rather than read from the spec. */
  readonly computed: ReadonlySet<string>;
  /**
   * Final tokens of every key read from the spec (after token substitution), each with the span
   * of the original text; computed keys have no entry. Use it to point diagnostics at values.
   */
  readonly tokens?: ReadonlyMap<string, readonly SpecToken[]>;
  /**
   * substrate's release-name suffix for this stage (`relSuffix(arch, flavour)`, or of the spec
   * file stem when the spec sets its own `target:`), used in output names
   * `<target>-<arch><rel>-<date><ext>`.
   */
  readonly rel?: string;
}

/** A loaded spec tree: config, every stage of every arch build list, and all diagnostics. */
export interface SpecTree {
  readonly config: TreeConfig;
  /** The build date (`YYYYMMDD`), `@latest@`. */
  readonly date: string;
  readonly stages: readonly StageSpec[];
  readonly diagnostics: readonly Diagnostic[];
}
