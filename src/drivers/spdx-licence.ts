/**
 * What the drivers share to turn a distribution's licence words into SPDX licence expressions
 * (for the SBOM, src/image/sbom.ts): `LicenseRef-` ids for names
 * the SPDX licence list lacks, and the joining of alternatives and conjunctions. Pure.
 */

/** A licence name the SPDX list lacks, written as a `LicenseRef-` in the document. */
export interface LicenceRef {
  /** `LicenseRef-<Distribution>-<name>`. */
  readonly id: string;
  /** The distribution's own name for it (`public-domain`, `BSD`). */
  readonly name: string;
  /** Where its text is (the document's extractedText: the text itself is not copied). */
  readonly text: string;
}

/** An SPDX licence expression with the `LicenseRef-`s it uses. */
export interface SpdxLicence {
  readonly expression: string;
  readonly refs: readonly LicenceRef[];
}

/** `LicenseRef-<prefix>-<name>` with everything outside `[A-Za-z0-9.-]` spelled or replaced. */
export function licenceRefId(prefix: string, name: string): string {
  const id = name
    .replace(/\+/g, "-plus")
    .replace(/[^A-Za-z0-9.-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  return `LicenseRef-${prefix}-${id === "" ? "unnamed" : id}`;
}

/** Parenthesises an expression that holds a top-level operator, for use inside another. */
export function grouped(expression: string): string {
  return /\s(AND|OR)\s/.test(expression) ? `(${expression})` : expression;
}

/** Joins parts with ` AND ` or ` OR `, dropping repeats; undefined for no parts. */
export function joinLicences(
  parts: readonly SpdxLicence[],
  operator: "AND" | "OR",
): SpdxLicence | undefined {
  const expressions: string[] = [];
  const refs = new Map<string, LicenceRef>();
  for (const p of parts) {
    if (!expressions.includes(p.expression)) expressions.push(p.expression);
    for (const r of p.refs) refs.set(r.id, r);
  }
  if (expressions.length === 0) return undefined;
  const expression =
    expressions.length === 1
      ? (expressions[0] ?? "")
      : expressions.map(grouped).join(` ${operator} `);
  return { expression, refs: [...refs.values()] };
}

/**
 * Maps one licence name through a distribution table (case-insensitive) to an SPDX expression;
 * an unknown name becomes a `LicenseRef-<prefix>-<name>` whose text is `where(name)`.
 */
export function mapLicenceName(
  name: string,
  table: Readonly<Record<string, string>>,
  prefix: string,
  where: (name: string) => string,
): SpdxLicence {
  const known = table[name.toLowerCase()];
  if (known !== undefined) return { expression: known, refs: [] };
  const id = licenceRefId(prefix, name);
  return { expression: id, refs: [{ id, name, text: where(name) }] };
}

/** Lower-cased keys, for {@link mapLicenceName}'s case-insensitive lookup. */
export function licenceTable(entries: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(entries)) out[k.toLowerCase()] = v;
  return out;
}

/**
 * SPDX identifiers that distributions also use verbatim: they map to themselves. A subset of the
 * SPDX licence list (the ones seen in Debian and Gentoo data).
 */
export const SPDX_IDS: readonly string[] = [
  "0BSD",
  "AGPL-3.0-only",
  "AGPL-3.0-or-later",
  "Apache-1.1",
  "Apache-2.0",
  "Artistic-1.0",
  "Artistic-1.0-Perl",
  "Artistic-2.0",
  "BSD-1-Clause",
  "BSD-2-Clause",
  "BSD-3-Clause",
  "BSD-4-Clause",
  "BSL-1.0",
  "bzip2-1.0.6",
  "CC-BY-3.0",
  "CC-BY-4.0",
  "CC-BY-SA-3.0",
  "CC-BY-SA-4.0",
  "CC0-1.0",
  "curl",
  "EPL-1.0",
  "EPL-2.0",
  "FSFAP",
  "FSFUL",
  "FSFULLR",
  "FTL",
  "GFDL-1.2-only",
  "GFDL-1.2-or-later",
  "GFDL-1.3-only",
  "GFDL-1.3-or-later",
  "GPL-1.0-only",
  "GPL-1.0-or-later",
  "GPL-2.0-only",
  "GPL-2.0-or-later",
  "GPL-3.0-only",
  "GPL-3.0-or-later",
  "HPND",
  "ISC",
  "LGPL-2.0-only",
  "LGPL-2.0-or-later",
  "LGPL-2.1-only",
  "LGPL-2.1-or-later",
  "LGPL-3.0-only",
  "LGPL-3.0-or-later",
  "Libpng",
  "libpng-2.0",
  "LPPL-1.3c",
  "MIT",
  "MIT-0",
  "MPL-1.1",
  "MPL-2.0",
  "NCSA",
  "OFL-1.1",
  "OpenSSL",
  "PSF-2.0",
  "Python-2.0",
  "Sleepycat",
  "TCL",
  "Unicode-DFS-2016",
  "Unicode-3.0",
  "Unlicense",
  "Vim",
  "W3C",
  "WTFPL",
  "X11",
  "Zlib",
  "ZPL-2.1",
];
