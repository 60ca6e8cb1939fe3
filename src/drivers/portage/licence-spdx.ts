/**
 * Portage's LICENSE as SPDX: the VDB's LICENSE of a package, with its USE conditionals
 * (`flag? ( ... )`, `!flag? ( ... )`) decided by the USE flags it was built with, `|| ( ... )`
 * as OR and everything else as AND; each Gentoo licence name mapped to its SPDX identifier where
 * one exists (`GPL-2` is `GPL-2.0-only`, `BSD` is `BSD-3-Clause`), else
 * `LicenseRef-Gentoo-<name>` (its text is the repository's `licenses/<name>`). Pure.
 */
import {
  joinLicences,
  licenceTable,
  mapLicenceName,
  SPDX_IDS,
  type SpdxLicence,
} from "../spdx-licence.js";

/** Gentoo licence names (the repository's licenses/ folder) with an SPDX identifier. */
const GENTOO_NAMES = licenceTable({
  ...Object.fromEntries(SPDX_IDS.map((id) => [id, id])),
  "AGPL-3": "AGPL-3.0-only",
  "AGPL-3+": "AGPL-3.0-or-later",
  "Apache-2.0-with-LLVM-exceptions": "Apache-2.0 WITH LLVM-exception",
  "Artistic-2": "Artistic-2.0",
  BSD: "BSD-3-Clause",
  "BSD-1": "BSD-1-Clause",
  "BSD-2": "BSD-2-Clause",
  "BSD-4": "BSD-4-Clause",
  "Boost-1.0": "BSL-1.0",
  "CC-BY-SA-4.0": "CC-BY-SA-4.0",
  "FDL-1.2": "GFDL-1.2-only",
  "FDL-1.2+": "GFDL-1.2-or-later",
  "FDL-1.3": "GFDL-1.3-only",
  "FDL-1.3+": "GFDL-1.3-or-later",
  "GPL-1": "GPL-1.0-only",
  "GPL-1+": "GPL-1.0-or-later",
  "GPL-2": "GPL-2.0-only",
  "GPL-2+": "GPL-2.0-or-later",
  "GPL-3": "GPL-3.0-only",
  "GPL-3+": "GPL-3.0-or-later",
  "LGPL-2": "LGPL-2.0-only",
  "LGPL-2+": "LGPL-2.0-or-later",
  "LGPL-2.1": "LGPL-2.1-only",
  "LGPL-2.1+": "LGPL-2.1-or-later",
  "LGPL-3": "LGPL-3.0-only",
  "LGPL-3+": "LGPL-3.0-or-later",
  libpng2: "libpng-2.0",
  "MPL-2.0": "MPL-2.0",
  openssl: "OpenSSL",
  "PSF-2": "PSF-2.0",
  tcltk: "TCL",
  "UoI-NCSA": "NCSA",
  ZLIB: "Zlib",
  ZPL: "ZPL-2.1",
});

function where(name: string): string {
  return `Gentoo's licence "${name}"; its text is the Gentoo repository's licenses/${name}`;
}

/**
 * The SPDX licence of a Portage LICENSE value built with `use`; undefined for an empty one
 * (NOASSERTION).
 */
export function gentooSpdxLicence(
  license: string,
  use: ReadonlySet<string>,
): SpdxLicence | undefined {
  const tokens = license.split(/\s+/).filter((t) => t !== "");
  let i = 0;
  // A sequence of items until ")" (or the end), all required: AND.
  const allOf = (): SpdxLicence[] => {
    const parts: SpdxLicence[] = [];
    while (i < tokens.length && tokens[i] !== ")") {
      const p = item();
      if (p !== undefined) parts.push(p);
    }
    i += 1; // ")" (or past the end)
    return parts;
  };
  const item = (): SpdxLicence | undefined => {
    const t = tokens[i++] ?? "";
    if (t === "||") {
      if (tokens[i] === "(") i += 1;
      return joinLicences(allOf(), "OR");
    }
    if (t === "(") return joinLicences(allOf(), "AND");
    const cond = /^(!?)(.+)\?$/.exec(t);
    if (cond !== null) {
      if (tokens[i] === "(") i += 1;
      const inner = joinLicences(allOf(), "AND");
      const on = use.has(cond[2] ?? "");
      return (cond[1] === "!" ? !on : on) ? inner : undefined;
    }
    return mapLicenceName(t, GENTOO_NAMES, "Gentoo", where);
  };
  const top: SpdxLicence[] = [];
  while (i < tokens.length) {
    if (tokens[i] === ")") {
      i += 1;
      continue;
    }
    const p = item();
    if (p !== undefined) top.push(p);
  }
  return joinLicences(top, "AND");
}
