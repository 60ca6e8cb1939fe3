/**
 * The bindist gate: a stage built with `bindist` in its USE may ship only packages whose LICENSE
 * is within the snapshot's @FREE licence group; the others are named in the refusal.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveInRoot } from "../../sandbox/root-path.js";
import { ok } from "../../util/result.js";
import type { DriverResult } from "../driver.js";
import type { RootSession } from "../session.js";
import { refuse } from "../session.js";
import { expandGroup, nonFreePackages, parseLicenseGroups, readVdb } from "./licences.js";
import { isBindist } from "./make-conf.js";
import type { Prepared } from "./portage-session.js";

/** bindist builds: refuse (naming them) packages of `hostRoot` whose LICENSE is not in @FREE. */
export function checkBindist(s: RootSession, hostRoot: string, p: Prepared): DriverResult {
  if (!isBindist(s.values)) return ok(undefined);
  const main = p.repos.find((r) => r.main);
  let groupsText: string;
  try {
    groupsText = readFileSync(join(main?.hostDir ?? "", "profiles", "license_groups"), "utf8");
  } catch {
    return refuse(
      "licence-blocked",
      "bindist: the snapshot has no profiles/license_groups to define @FREE",
    );
  }
  const free = expandGroup(parseLicenseGroups(groupsText), "FREE");
  const vdb = resolveInRoot(hostRoot, "/var/db/pkg");
  const offending = nonFreePackages(vdb.ok ? readVdb(vdb.value) : [], free);
  if (offending.length === 0) return ok(undefined);
  return refuse(
    "licence-blocked",
    `bindist: ${offending.length} package(s) are not under ACCEPT_LICENSE="@FREE": ` +
      offending.map((o) => `${o.name}-${o.version} (${o.licences.join(" ")})`).join(", "),
    "remove them from the stage, or drop bindist from catalyst_use for a build you will not redistribute",
  );
}
