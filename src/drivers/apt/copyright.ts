/**
 * Licences from a package's `/usr/share/doc/<pkg>/copyright`. Only machine-readable files
 * (DEP-5, `Format: .../copyright-format/1.0/`) state licences in a form a program can read;
 * for anything else the licence is "unknown" rather than a guess. Pure.
 */
import { parseDeb822 } from "./deb822.js";

/** The licence recorded when a package's copyright file is missing or not machine-readable. */
export const UNKNOWN_LICENCE = "unknown";

/** True when the text is a DEP-5 machine-readable copyright file. */
export function isMachineReadable(text: string): boolean {
  const first = parseDeb822(text)[0];
  const format = first?.fields.find((f) => f.name.toLowerCase() === "format")?.first ?? "";
  return /copyright-format\/1\.0/.test(format) || /\/dep5\b/i.test(format);
}

/**
 * The licence expression of a copyright file: every distinct short licence name from its
 * `License:` fields, in first-seen order, joined with " AND " (a name that is itself an
 * expression with `or`/`and` is parenthesised). "unknown" when the file is not
 * machine-readable or names no licence.
 */
export function licenceOf(copyrightText: string | undefined): string {
  if (copyrightText === undefined || !isMachineReadable(copyrightText)) return UNKNOWN_LICENCE;
  const names: string[] = [];
  for (const paragraph of parseDeb822(copyrightText)) {
    for (const f of paragraph.fields) {
      if (f.name.toLowerCase() !== "license") continue;
      const name = f.first.replace(/\s+/g, " ").trim();
      if (name !== "" && !names.includes(name)) names.push(name);
    }
  }
  if (names.length === 0) return UNKNOWN_LICENCE;
  if (names.length === 1) return names[0] ?? UNKNOWN_LICENCE;
  return names.map((n) => (/\s(or|and|with)\s/i.test(n) ? `(${n})` : n)).join(" AND ");
}
