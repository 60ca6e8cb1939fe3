/** The packages of a Portage root with their licences, for manifests. */
import { resolveInRoot } from "../../sandbox/root-path.js";
import { ok } from "../../util/result.js";
import type { DriverResult, PackageRecord } from "../driver.js";
import { readVdb } from "./licences.js";

/** Installed packages from /var/db/pkg/<cat>/<PF>/, licences from their LICENSE files. */
export function listPackages(root: string): DriverResult<readonly PackageRecord[]> {
  const vdb = resolveInRoot(root, "/var/db/pkg");
  if (!vdb.ok) return ok([]);
  return ok(
    readVdb(vdb.value).map((p): PackageRecord => ({
      name: p.name,
      version: p.version,
      licence: p.license === "" ? "unknown" : p.license,
    })),
  );
}
