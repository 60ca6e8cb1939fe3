/** Installing and removing packages in a Portage root: emerge, unmerge, depclean. */
import { ok } from "../../util/result.js";
import type { DriverResult } from "../driver.js";
import { installArgs } from "./emerge.js";
import { usePrefix } from "./make-conf.js";
import { type PortageSession, checkAtoms, emerge } from "./portage-session.js";
import { prepare } from "./prepare.js";

/** `emerge <packages>` (livecd/diskimage stage1: `--update --deep --newuse`). */
export async function install(
  s: PortageSession,
  packages: readonly string[],
): Promise<DriverResult> {
  if (packages.length === 0) return ok(undefined);
  const c = checkAtoms(packages, "packages");
  if (!c.ok) return c;
  const p = await prepare(s);
  if (!p.ok) return p;
  return emerge(p.value, `emerge ${packages.join(" ")}`, installArgs(p.value.kind, packages));
}

/** `emerge --unmerge <packages>` (catalyst's `emerge -C`). */
export async function remove(
  s: PortageSession,
  packages: readonly string[],
): Promise<DriverResult> {
  if (packages.length === 0) return ok(undefined);
  const c = checkAtoms(packages, "unmerge");
  if (!c.ok) return c;
  const p = await prepare(s);
  if (!p.ok) return p;
  return emerge(p.value, "unmerge", ["--unmerge", ...packages]);
}

/** `emerge --depclean` (`--with-bdeps=y` for `<prefix>/depclean: keepbdeps`, as depclean.sh). */
export async function depclean(s: PortageSession): Promise<DriverResult> {
  const p = await prepare(s);
  if (!p.ok) return p;
  const prefix = usePrefix(p.value.kind);
  const keep = prefix !== undefined && s.str(`${prefix}/depclean`) === "keepbdeps";
  return emerge(p.value, "depclean", ["--depclean", `--with-bdeps=${keep ? "y" : "n"}`]);
}
