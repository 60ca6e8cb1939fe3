/**
 * Installed packages and their licences (Portage's VDB, /var/db/pkg/<category>/<PF>/) and the
 * bindist check: a stage built for binary distribution must contain only packages whose LICENSE
 * is satisfied by `ACCEPT_LICENSE="@FREE"`. LICENSE expressions are evaluated with the USE flags
 * the package was built with (`flag? ( ... )`, `!flag? ( ... )`, `|| ( ... )`); groups
 * (`@FREE`) come from the repo's `profiles/license_groups`. Pure, except the readers.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** One installed package as the VDB records it. */
export interface VdbPackage {
  /** `category/name`. */
  readonly name: string;
  readonly version: string;
  /** The LICENSE expression ("" when the package declares none). */
  readonly license: string;
  /** The USE flags it was built with. */
  readonly use: readonly string[];
  /** Its VDB folder (a host path), `<vdb>/<category>/<PF>`. */
  readonly dir: string;
}

/** Splits a PF (`glibc-2.39-r6`) into name and version. */
export function splitPf(pf: string): { name: string; version: string } {
  const m = /^(.+?)-(\d+(?:\.\d+)*[a-z]?(?:_(?:alpha|beta|pre|rc|p)\d*)*(?:-r\d+)?)$/.exec(pf);
  return m === null ? { name: pf, version: "" } : { name: m[1] ?? pf, version: m[2] ?? "" };
}

function readTrim(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Reads every package of the VDB at `vdbDir` (a host path), sorted by name. */
export function readVdb(vdbDir: string): VdbPackage[] {
  const out: VdbPackage[] = [];
  let cats: string[];
  try {
    cats = readdirSync(vdbDir);
  } catch {
    return [];
  }
  for (const cat of cats.sort()) {
    let pfs: string[];
    try {
      pfs = readdirSync(join(vdbDir, cat));
    } catch {
      continue;
    }
    for (const pf of pfs.sort()) {
      if (pf.startsWith("-MERGING-")) continue;
      const dir = join(vdbDir, cat, pf);
      const recordedPf = readTrim(join(dir, "PF")) ?? pf;
      const { name, version } = splitPf(recordedPf);
      out.push({
        name: `${cat}/${name}`,
        version,
        license: (readTrim(join(dir, "LICENSE")) ?? "").replace(/\s+/g, " "),
        use: (readTrim(join(dir, "USE")) ?? "").split(/\s+/).filter((w) => w !== ""),
        dir,
      });
    }
  }
  return out;
}

/** Parses `profiles/license_groups` text into group name -> members (may name `@groups`). */
export function parseLicenseGroups(text: string): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") continue;
    const [name, ...members] = line.split(/\s+/);
    if (name !== undefined) groups.set(name, [...(groups.get(name) ?? []), ...members]);
  }
  return groups;
}

/** The licences of `group` with nested groups expanded (`FREE` -> every free licence). */
export function expandGroup(
  groups: ReadonlyMap<string, readonly string[]>,
  group: string,
): Set<string> {
  const out = new Set<string>();
  const seen = new Set<string>();
  const walk = (g: string): void => {
    if (seen.has(g)) return;
    seen.add(g);
    for (const m of groups.get(g) ?? []) {
      if (m.startsWith("@")) walk(m.slice(1));
      else out.add(m);
    }
  };
  walk(group);
  return out;
}

/**
 * Whether a LICENSE expression is satisfied by the accepted set, with `use` deciding
 * conditional groups. Returns the licences that are not accepted (empty when it is satisfied).
 */
export function unacceptedLicences(
  expr: string,
  use: ReadonlySet<string>,
  accepted: ReadonlySet<string>,
): string[] {
  const tokens = expr.split(/\s+/).filter((t) => t !== "");
  let i = 0;
  // Parses a sequence until ")" and returns the missing licences for an all-of group.
  const allOf = (): string[] => {
    const missing: string[] = [];
    while (i < tokens.length && tokens[i] !== ")") missing.push(...item());
    return missing;
  };
  const group = (): string[][] => {
    // after "(": a list of items, each evaluated separately (for ||)
    const alternatives: string[][] = [];
    while (i < tokens.length && tokens[i] !== ")") alternatives.push(item());
    i += 1; // ")"
    return alternatives;
  };
  const item = (): string[] => {
    const t = tokens[i] ?? "";
    i += 1;
    if (t === "||") {
      i += 1; // "("
      const alts = group();
      return alts.some((a) => a.length === 0) || alts.length === 0 ? [] : (alts[0] ?? []);
    }
    if (t.endsWith("?")) {
      const flag = t.slice(0, -1);
      const on = flag.startsWith("!") ? !use.has(flag.slice(1)) : use.has(flag);
      i += 1; // "("
      const inner = group().flat();
      return on ? inner : [];
    }
    if (t === "(") return group().flat();
    return accepted.has(t) ? [] : [t];
  };
  const missing = allOf();
  return [...new Set(missing)];
}

/** One package a bindist build must not ship, with the licences that are not free. */
export interface NonFreePackage {
  readonly name: string;
  readonly version: string;
  readonly licences: readonly string[];
}

/** The packages whose licence is not within `@FREE`. */
export function nonFreePackages(
  packages: readonly Omit<VdbPackage, "dir">[],
  free: ReadonlySet<string>,
): NonFreePackage[] {
  const out: NonFreePackage[] = [];
  for (const p of packages) {
    const missing = unacceptedLicences(p.license, new Set(p.use), free);
    if (missing.length > 0) out.push({ name: p.name, version: p.version, licences: missing });
  }
  return out;
}
