/** The packages of a Debian root with their licences, for manifests. */
import { readFileInRoot } from "../../sandbox/root-path.js";
import { ok } from "../../util/result.js";
import type { DriverResult, PackageRecord } from "../driver.js";
import type { AptSession } from "./apt-session.js";
import { licenceOf } from "./copyright.js";
import { bareName } from "./dpkg-status.js";

/**
 * Installed packages from /var/lib/dpkg/status (read directly: works for roots without dpkg),
 * each with the licences of its machine-readable copyright file, or "unknown". A root without
 * a dpkg database (a merge root) lists nothing.
 */
export function listPackages(s: AptSession): DriverResult<readonly PackageRecord[]> {
  return ok(
    s.installed().map((p): PackageRecord => {
      const copyright = readFileInRoot(s.root, `/usr/share/doc/${bareName(p.name)}/copyright`);
      return {
        name: p.name,
        version: p.version,
        licence: licenceOf(copyright.ok ? copyright.value.toString("utf8") : undefined),
      };
    }),
  );
}
