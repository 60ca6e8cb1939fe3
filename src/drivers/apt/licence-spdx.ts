/**
 * Debian's licence data as SPDX: the `License:` short names of a machine-readable (DEP-5)
 * `/usr/share/doc/<pkg>/copyright` file, mapped to SPDX identifiers where Debian's name has one
 * (`GPL-2+` is `GPL-2.0-or-later`, `Expat` is `MIT`), else `LicenseRef-Debian-<name>`. A file that
 * is not machine-readable (or missing) states no licence a program can read: undefined, which the
 * SBOM writes as NOASSERTION. Pure.
 */
import {
  joinLicences,
  licenceTable,
  mapLicenceName,
  SPDX_IDS,
  type SpdxLicence,
} from "../spdx-licence.js";
import { isMachineReadable } from "./copyright.js";
import { parseDeb822 } from "./deb822.js";

/** DEP-5 short names (copyright-format 1.0, "License specification") and common variants. */
const DEBIAN_NAMES = licenceTable({
  ...Object.fromEntries(SPDX_IDS.map((id) => [id, id])),
  "AGPL-3": "AGPL-3.0-only",
  "AGPL-3+": "AGPL-3.0-or-later",
  "Apache-2": "Apache-2.0",
  "Artistic-2": "Artistic-2.0",
  "BSD-2-clause": "BSD-2-Clause",
  "BSD-3-clause": "BSD-3-Clause",
  "BSD-4-clause": "BSD-4-Clause",
  CC0: "CC0-1.0",
  Expat: "MIT",
  "GFDL-1.2": "GFDL-1.2-only",
  "GFDL-1.2+": "GFDL-1.2-or-later",
  "GFDL-1.3": "GFDL-1.3-only",
  "GFDL-1.3+": "GFDL-1.3-or-later",
  "GPL-1": "GPL-1.0-only",
  "GPL-1+": "GPL-1.0-or-later",
  "GPL-2": "GPL-2.0-only",
  "GPL-2+": "GPL-2.0-or-later",
  "GPL-2.0+": "GPL-2.0-or-later",
  "GPL-3": "GPL-3.0-only",
  "GPL-3+": "GPL-3.0-or-later",
  "GPL-3.0+": "GPL-3.0-or-later",
  "LGPL-2": "LGPL-2.0-only",
  "LGPL-2+": "LGPL-2.0-or-later",
  "LGPL-2.1": "LGPL-2.1-only",
  "LGPL-2.1+": "LGPL-2.1-or-later",
  "LGPL-2.1-or-later": "LGPL-2.1-or-later",
  "LGPL-3": "LGPL-3.0-only",
  "LGPL-3+": "LGPL-3.0-or-later",
  "MPL-2": "MPL-2.0",
  "PSF-2": "PSF-2.0",
  zlib: "Zlib",
  "Zope-2.1": "ZPL-2.1",
});

/** DEP-5 `with <name> exception` names that are SPDX licence exceptions. */
const EXCEPTIONS = licenceTable({
  "Autoconf-exception-3.0": "Autoconf-exception-3.0",
  "Bison-exception-2.2": "Bison-exception-2.2",
  "Classpath-exception-2.0": "Classpath-exception-2.0",
  Font: "Font-exception-2.0",
  "GCC-exception-3.1": "GCC-exception-3.1",
  "Libtool-exception": "Libtool-exception",
  Libtool: "Libtool-exception",
  "Linux-syscall-note": "Linux-syscall-note",
});

/**
 * One licence term: a short name, or `<name> with <exception> exception`, which is SPDX's
 * `<id> WITH <exception>` when both have SPDX identifiers, else one LicenseRef for the whole.
 */
function termLicence(term: string, pkg: string): SpdxLicence {
  const m = /^(.+?)\s+with\s+(.+?)\s+exception$/i.exec(term);
  if (m !== null) {
    const base = mapLicenceName(m[1] ?? "", DEBIAN_NAMES, "Debian", where(pkg));
    const exception = EXCEPTIONS[(m[2] ?? "").toLowerCase()];
    if (base.refs.length === 0 && exception !== undefined && !/\s/.test(base.expression))
      return { expression: `${base.expression} WITH ${exception}`, refs: [] };
  }
  return mapLicenceName(term, DEBIAN_NAMES, "Debian", where(pkg));
}

function where(pkg: string): (name: string) => string {
  return (name) =>
    `Debian's licence short name "${name}" (DEP-5); its text is in /usr/share/doc/${pkg}/copyright`;
}

/**
 * One `License:` value (`GPL-2+ or Artistic-2.0`, `LGPL-2.1+ and BSD-3-clause`): `or` and `and`
 * become OR and AND (`and` binds tighter, as in DEP-5); a name with an exception is
 * `<id> WITH <exception>` when SPDX has both (`GPL-2 with Linux-syscall-note exception`), else
 * one LicenseRef (`GPL-2+ with OpenSSL exception`).
 */
function fieldLicence(value: string, pkg: string): SpdxLicence | undefined {
  const alternatives = value
    .replace(/,/g, " ")
    .split(/\s+or\s+/i)
    .map((alt) => {
      const terms = alt
        .split(/\s+and\s+/i)
        .map((t) => t.trim())
        .filter((t) => t !== "")
        .map((t) => termLicence(t, pkg));
      return joinLicences(terms, "AND");
    })
    .filter((l): l is SpdxLicence => l !== undefined);
  return joinLicences(alternatives, "OR");
}

/**
 * The licence of a package from its copyright file text: every distinct `License:` value of the
 * file (the files' paragraphs and stand-alone licence paragraphs) joined with AND, since the
 * package's files are under all of them. Undefined when not machine-readable or naming none.
 */
export function debianSpdxLicence(
  copyrightText: string | undefined,
  pkg: string,
): SpdxLicence | undefined {
  if (copyrightText === undefined || !isMachineReadable(copyrightText)) return undefined;
  const parts: SpdxLicence[] = [];
  const seen = new Set<string>();
  for (const paragraph of parseDeb822(copyrightText)) {
    for (const f of paragraph.fields) {
      if (f.name.toLowerCase() !== "license") continue;
      const value = f.first.replace(/\s+/g, " ").trim();
      if (value === "" || seen.has(value)) continue;
      seen.add(value);
      const l = fieldLicence(value, pkg);
      if (l !== undefined) parts.push(l);
    }
  }
  return joinLicences(parts, "AND");
}
