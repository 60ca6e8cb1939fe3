/**
 * `/etc/portage/make.conf` the way catalyst's `chroot_setup` writes it (catalyst.md §2.6): the
 * compiler flags and CHOST from the arch table, overridden by the seed's own make.conf for every
 * stage after stage1 (so flags set at stage1 travel down the chain), the spec's flag keys only for
 * stage1 (all) and stage2 (chost, cflags, cxxflags, ldflags), `USE` as the sorted union of
 * `catalyst_use` (during the build only) and `<prefix>/use`, and `LC_MESSAGES=C.UTF-8`.
 * substrate adds `CPU_FLAGS_*` from the arch table when the seed has none, and, for bindist
 * builds, `ACCEPT_LICENSE="@FREE"` while building. The final rewrite (clean) drops the build-only
 * lines, as catalyst does unless `sticky-config`. Pure.
 */
import type { SpecValue, TargetKindName } from "../../spec/types.js";
import { stringOf, wordsOf } from "../../spec/values.js";
import type { ArchEntry } from "./arch-table.js";

/** The flag variables catalyst carries, in the order it writes them. */
export const FLAG_VARIABLES = ["CFLAGS", "CXXFLAGS", "FCFLAGS", "FFLAGS"] as const;

/** What a make.conf is rendered from. */
export interface MakeConfInput {
  readonly commonFlags?: string;
  /** CFLAGS, CXXFLAGS, FCFLAGS, FFLAGS, LDFLAGS, ASFLAGS when set. */
  readonly flags: Readonly<Record<string, string>>;
  readonly chost?: string;
  readonly cbuild?: string;
  readonly cpuFlags: Readonly<Record<string, readonly string[]>>;
  /** `catalyst_use` (build only), already including `livecd`/`diskimage` for those kinds. */
  readonly catalystUse: readonly string[];
  /** `<prefix>/use`: stays in the final make.conf. */
  readonly use: readonly string[];
  /** Write the build-time lines (catalyst_use, ACCEPT_LICENSE for bindist, `features`). */
  readonly building: boolean;
  /**
   * Build-time FEATURES (the driver's sandbox opt-outs). Written to make.conf as well as the
   * environment: for `ROOT != /` emerges Portage builds the `/` config without the caller's
   * environment, so only make.conf reaches it.
   */
  readonly features?: readonly string[];
}

/** Parses make.conf text like catalyst's bash-dict reader: `K=v`, `K="v"`, `K='v'`, `${K}` expanded. */
export function parseMakeConf(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  const joined = text.replace(/\\\n/g, " ");
  const expand = (v: string): string =>
    v.replace(
      /\$\{(\w+)\}|\$(\w+)/g,
      (_m, a: string | undefined, b: string | undefined) => vars[a ?? b ?? ""] ?? "",
    );
  for (const raw of joined.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_]\w*)=(.*)$/.exec(line);
    if (m === null) continue;
    const key = m[1] ?? "";
    let value = (m[2] ?? "").trim();
    if (value.startsWith('"')) {
      const end = value.indexOf('"', 1);
      value = expand(end === -1 ? value.slice(1) : value.slice(1, end));
    } else if (value.startsWith("'")) {
      const end = value.indexOf("'", 1);
      value = end === -1 ? value.slice(1) : value.slice(1, end);
    } else {
      value = expand(value.split(/\s+#/)[0]?.trim() ?? "");
    }
    vars[key] = value;
  }
  return vars;
}

/** How a stage kind shapes make.conf (catalyst's per-target rules). */
interface KindMakeConf {
  /** The seed's make.conf is the base (every kind but stage1, which starts from the arch table). */
  readonly fromSeed: boolean;
  /** The spec's flag keys written over it (stage1 all of them, stage2 the compiler flags). */
  readonly flagKeys: readonly string[];
  /** The spec's `chost` applies (the bootstrap stages build a new toolchain). */
  readonly chost: boolean;
  /** The spec prefix whose `/use` goes into make.conf (`stage4`, `livecd`, ...). */
  readonly usePrefix?: string;
  /** What catalyst adds to `catalyst_use` (`livecd`, `diskimage` for those stage1 kinds). */
  readonly catalystUse: readonly string[];
}

/** A kind built on a seed's make.conf, with its own `<prefix>/use`. */
const onSeed = (usePrefix?: string, catalystUse: readonly string[] = []): KindMakeConf => ({
  fromSeed: true,
  flagKeys: [],
  chost: false,
  ...(usePrefix === undefined ? {} : { usePrefix }),
  catalystUse,
});

/** Every kind's make.conf rules; typed over every kind, so a new kind must say. */
const MAKE_CONF: Readonly<Record<TargetKindName, KindMakeConf>> = {
  stage1: {
    fromSeed: false,
    flagKeys: ["common_flags", "cflags", "cxxflags", "fcflags", "fflags", "ldflags"],
    chost: true,
    catalystUse: [],
  },
  stage2: {
    fromSeed: true,
    flagKeys: ["cflags", "cxxflags", "ldflags"],
    chost: true,
    catalystUse: [],
  },
  stage3: onSeed(),
  stage4: onSeed("stage4"),
  embedded: onSeed("embedded"),
  "livecd-stage1": onSeed("livecd", ["livecd"]),
  "livecd-stage2": onSeed("livecd"),
  "livecd-stage3": onSeed("livecd"),
  "diskimage-stage1": onSeed("diskimage", ["diskimage"]),
  "diskimage-stage2": onSeed("diskimage"),
  netboot: onSeed("netboot"),
};

/** The spec prefix whose `/use` goes into make.conf (`stage4`, `livecd`, `embedded`, ...). */
export function usePrefix(kind: TargetKindName): string | undefined {
  return MAKE_CONF[kind].usePrefix;
}

/** `catalyst_use` for a stage: the spec's list plus `livecd`/`diskimage` for those stage1 kinds. */
export function catalystUse(
  kind: TargetKindName,
  values: Readonly<Record<string, SpecValue>>,
): string[] {
  return [...wordsOf(values["catalyst_use"]), ...MAKE_CONF[kind].catalystUse];
}

/** True when the stage builds for binary distribution (`bindist` in `catalyst_use`). */
export function isBindist(values: Readonly<Record<string, SpecValue>>): boolean {
  return wordsOf(values["catalyst_use"]).includes("bindist");
}

/**
 * The make.conf input for a stage: arch table, then the seed's make.conf (every kind but
 * stage1), then the spec's flag keys (stage1 all of them, stage2 chost/cflags/cxxflags/ldflags).
 */
export function makeConfInput(opts: {
  readonly kind: TargetKindName;
  readonly values: Readonly<Record<string, SpecValue>>;
  readonly arch: ArchEntry | undefined;
  /** The seed's make.conf variables (parsed), when it has one. */
  readonly seed: Readonly<Record<string, string>>;
  readonly building: boolean;
  /** Build-time FEATURES ({@link MakeConfInput.features}). */
  readonly features?: readonly string[];
}): MakeConfInput {
  const { kind, values, arch, seed } = opts;
  const rules = MAKE_CONF[kind];
  let commonFlags = arch?.commonFlags;
  let chost = arch?.chost;
  let cbuild: string | undefined;
  const flags: Record<string, string> = {};
  if (rules.fromSeed) {
    commonFlags = seed["COMMON_FLAGS"] ?? commonFlags;
    chost = seed["CHOST"] ?? chost;
    cbuild = seed["CBUILD"];
    for (const k of [...FLAG_VARIABLES, "LDFLAGS", "ASFLAGS"]) {
      const v = seed[k];
      if (v !== undefined) flags[k] = v;
    }
  }
  for (const key of rules.flagKeys) {
    const v = stringOf(values[key]);
    if (v === undefined) continue;
    if (key === "common_flags") commonFlags = v;
    else flags[key.toUpperCase()] = v;
  }
  if (rules.chost) chost = stringOf(values["chost"]) ?? chost;
  cbuild = stringOf(values["cbuild"]) ?? cbuild;
  const cpuFlags: Record<string, readonly string[]> = {};
  for (const [k, v] of Object.entries(arch?.cpuFlags ?? {})) {
    const fromSeed = seed[k];
    cpuFlags[k] = fromSeed === undefined ? v : fromSeed.split(/\s+/).filter((w) => w !== "");
  }
  const prefix = rules.usePrefix;
  return {
    ...(commonFlags === undefined ? {} : { commonFlags }),
    flags,
    ...(chost === undefined ? {} : { chost }),
    ...(cbuild === undefined ? {} : { cbuild }),
    cpuFlags,
    catalystUse: catalystUse(kind, values),
    use: prefix === undefined ? [] : wordsOf(values[`${prefix}/use`]),
    building: opts.building,
    ...(opts.features === undefined ? {} : { features: opts.features }),
  };
}

const q = (s: string): string => `"${s.replace(/(["\\$`])/g, "\\$1")}"`;

/** Renders make.conf text. */
export function renderMakeConf(input: MakeConfInput): string {
  const lines: string[] = [
    "# Written by substrate (catalyst-compatible) when it built this stage.",
    "# See /usr/share/portage/config/make.conf.example for every setting.",
  ];
  if (input.commonFlags !== undefined) {
    lines.push(`COMMON_FLAGS=${q(input.commonFlags)}`);
    for (const k of FLAG_VARIABLES) {
      const v = input.flags[k];
      lines.push(
        v === undefined || v === input.commonFlags ? `${k}="\${COMMON_FLAGS}"` : `${k}=${q(v)}`,
      );
    }
  } else {
    for (const k of FLAG_VARIABLES) {
      const v = input.flags[k];
      if (v !== undefined) lines.push(`${k}=${q(v)}`);
    }
  }
  for (const k of ["LDFLAGS", "ASFLAGS"]) {
    const v = input.flags[k];
    if (v !== undefined) lines.push(`${k}=${q(v)}`);
  }
  for (const [k, v] of Object.entries(input.cpuFlags).sort(([a], [b]) => a.localeCompare(b))) {
    if (v.length > 0) lines.push(`${k}=${q(v.join(" "))}`);
  }
  if (input.cbuild !== undefined) lines.push(`CBUILD=${q(input.cbuild)}`);
  if (input.chost !== undefined) {
    lines.push(
      "# Changing CHOST is not done lightly: https://wiki.gentoo.org/wiki/Changing_the_CHOST_variable",
    );
    lines.push(`CHOST=${q(input.chost)}`);
  }
  const use = [...new Set([...(input.building ? input.catalystUse : []), ...input.use])].sort();
  if (use.length > 0) {
    lines.push("# USE flags this stage was built with, on top of the profile's.");
    lines.push(`USE=${q(use.join(" "))}`);
  }
  if (input.building && input.catalystUse.includes("bindist")) {
    lines.push("# NOTE: this stage is built with USE=bindist: free licences only.");
    lines.push(`ACCEPT_LICENSE="@FREE"`);
  }
  if (input.building && input.features !== undefined && input.features.length > 0) {
    lines.push("# Portage sandboxes substrate's chroot cannot run (while building only).");
    lines.push(`FEATURES=${q(input.features.join(" "))}`);
  }
  lines.push(
    "",
    "# Build output in English: keep this when reporting bugs.",
    "LC_MESSAGES=C.UTF-8",
  );
  return lines.join("\n") + "\n";
}
