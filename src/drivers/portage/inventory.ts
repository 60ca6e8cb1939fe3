/**
 * The SBOM inventory of a Portage root, from its VDB (/var/db/pkg/<category>/<PF>/): name,
 * version, the CHOST it was built for as architecture, LICENSE as SPDX (licence-spdx.ts, USE
 * conditionals decided by the package's USE), `Organization: Gentoo` as supplier and a
 * `pkg:ebuild/gentoo/<category>/<name>@<version>?arch=<CHOST>` URL. No checksum: a Portage package is built
 * from source in the root, so there is no package file whose digest a consumer could check (the
 * VDB's CONTENTS digests the installed files, not a package).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveInRoot } from "../../sandbox/root-path.js";
import { ok } from "../../util/result.js";
import type { DriverResult, InventoryOptions, InventoryPackage } from "../driver.js";
import { gentooSpdxLicence } from "./licence-spdx.js";
import { readVdb, type VdbPackage } from "./licences.js";

/** `pkg:ebuild/gentoo/<category>/<name>@<version>` (`?arch=<CHOST>` when known). */
export function gentooPurl(name: string, version: string, chost = ""): string {
  const path = name.split("/").map(encodeURIComponent).join("/");
  const q = chost === "" ? "" : `?arch=${encodeURIComponent(chost)}`;
  return `pkg:ebuild/gentoo/${path}@${encodeURIComponent(version)}${q}`;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** `/usr/lib/x` and `/lib/x` are one file on a merged-/usr root: compare without the prefix. */
function canonical(path: string): string {
  return path.replace(/^\/usr(?=\/(?:s?bin|lib\w*)\/)/, "").replace(/\/+$/, "");
}

/** Whether the VDB's CONTENTS of `p` lists one of `paths` (`obj`, `sym` and `dir` lines). */
function owns(p: VdbPackage, paths: ReadonlySet<string>): boolean {
  const contents = read(join(p.dir, "CONTENTS")) ?? "";
  for (const line of contents.split("\n")) {
    const m = /^(?:obj|sym|dir|fif|dev) (.+?)(?: -> .*| [0-9a-f]{32} \d+)?$/.exec(line);
    if (m !== null && paths.has(canonical(m[1] ?? ""))) return true;
  }
  return false;
}

/** See {@link Driver.inventory}. */
export function inventory(
  root: string,
  options: InventoryOptions,
): DriverResult<readonly InventoryPackage[]> {
  const vdb = resolveInRoot(root, "/var/db/pkg");
  if (!vdb.ok) return ok([]);
  const wanted = options.owning === undefined ? undefined : new Set(options.owning.map(canonical));
  const out: InventoryPackage[] = [];
  for (const p of readVdb(vdb.value)) {
    if (wanted !== undefined && !owns(p, wanted)) continue;
    const licence = gentooSpdxLicence(p.license, new Set(p.use));
    const chost = (read(join(p.dir, "CHOST")) ?? "").trim();
    out.push({
      name: p.name,
      version: p.version,
      architecture: chost,
      ...(licence === undefined ? {} : { licence }),
      supplier: "Organization: Gentoo",
      purl: gentooPurl(p.name, p.version, chost),
    });
  }
  return ok(out);
}
