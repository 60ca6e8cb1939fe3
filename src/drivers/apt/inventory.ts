/**
 * The SBOM inventory of a Debian root: every package dpkg's status file lists as present, with
 * its SPDX licence from the machine-readable copyright file (licence-spdx.ts), `Organization:
 * Debian` as supplier, a `pkg:deb/debian/...` URL and, when the shared archive cache holds the
 * very `.deb` that was installed (`<name>_<version>_<arch>.deb`, apt's own file name), the
 * SHA256 of that file: the checksum Debian's signed Packages index records for it. dpkg's
 * md5sums digest files, not the package, so it is not used.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readFileInRoot } from "../../sandbox/root-path.js";
import { ok } from "../../util/result.js";
import type { DriverResult, InventoryOptions, InventoryPackage } from "../driver.js";
import type { AptSession } from "./apt-session.js";
import { bareName, type InstalledPackage } from "./dpkg-status.js";
import { debianSpdxLicence } from "./licence-spdx.js";

/** apt's file name for a package in /var/cache/apt/archives (`:` of an epoch as `%3a`). */
export function debFileName(name: string, version: string, architecture: string): string {
  return `${bareName(name)}_${version.replace(/:/g, "%3a")}_${architecture}.deb`;
}

/** `pkg:deb/debian/<name>@<version>?arch=<arch>&distro=<suite>` (purl's deb type). */
export function debianPurl(
  name: string,
  version: string,
  architecture: string,
  suite: string | undefined,
): string {
  const q = [`arch=${encodeURIComponent(architecture)}`];
  if (suite !== undefined && suite !== "") q.push(`distro=${encodeURIComponent(suite)}`);
  return `pkg:deb/debian/${encodeURIComponent(bareName(name))}@${encodeURIComponent(version)}?${q.join("&")}`;
}

/** `/usr/bin/x` and `/bin/x` are one file on a merged-/usr root: compare without the prefix. */
function canonical(path: string): string {
  return path.replace(/^\/usr(?=\/(?:s?bin|lib\w*)\/)/, "").replace(/\/+$/, "");
}

/** Whether dpkg's file list of `p` names one of `paths`. */
function owns(root: string, p: InstalledPackage, paths: ReadonlySet<string>): boolean {
  const names = [`${p.name}.list`, `${bareName(p.name)}:${p.architecture}.list`];
  for (const n of names) {
    const list = readFileInRoot(root, `/var/lib/dpkg/info/${n}`);
    if (!list.ok) continue;
    return list.value
      .toString("utf8")
      .split("\n")
      .some((l) => paths.has(canonical(l)));
  }
  return false;
}

function sha256Of(file: string): string | undefined {
  try {
    return createHash("sha256").update(readFileSync(file)).digest("hex");
  } catch {
    return undefined;
  }
}

/** See {@link Driver.inventory}. */
export function inventory(
  s: AptSession,
  options: InventoryOptions,
): DriverResult<readonly InventoryPackage[]> {
  const opts = s.options();
  const suite = opts.ok ? opts.value.suite : undefined;
  const archives = s.archives();
  const wanted = options.owning === undefined ? undefined : new Set(options.owning.map(canonical));
  const out: InventoryPackage[] = [];
  for (const p of s.installed()) {
    if (wanted !== undefined && !owns(s.root, p, wanted)) continue;
    const copyright = readFileInRoot(s.root, `/usr/share/doc/${bareName(p.name)}/copyright`);
    const licence = debianSpdxLicence(
      copyright.ok ? copyright.value.toString("utf8") : undefined,
      bareName(p.name),
    );
    const sha256 = sha256Of(join(archives, debFileName(p.name, p.version, p.architecture)));
    out.push({
      name: p.name,
      version: p.version,
      architecture: p.architecture,
      ...(licence === undefined ? {} : { licence }),
      supplier: "Organization: Debian",
      purl: debianPurl(p.name, p.version, p.architecture, suite),
      ...(sha256 === undefined
        ? {}
        : { checksum: { algorithm: "SHA256" as const, value: sha256 } }),
    });
  }
  return ok(out);
}
