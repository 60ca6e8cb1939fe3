/**
 * catalyst's clean (§2.9) for Portage: the bindist licence gate, the `portage_prefix` files,
 * patches, repos.conf entries of repos not in `keep_repos`, logs and cache mount points, and
 * make.conf rewritten without catalyst_use.
 */
import { readFileInRoot, writeFileInRoot } from "../../sandbox/root-path.js";
import { removeInRoot } from "../../sandbox/root-glob.js";
import { ok } from "../../util/result.js";
import type { DriverResult } from "../driver.js";
import type { RootSession } from "../session.js";
import { refuse, stepFailed } from "../session.js";
import { archEntry } from "./arch-table.js";
import { checkBindist } from "./bindist.js";
import { makeConfInput, parseMakeConf, renderMakeConf } from "./make-conf.js";
import type { PortageSession } from "./portage-session.js";

/** Portage config folders whose `<portage_prefix>` file clean removes (catalyst §2.9). */
export const PREFIX_CONFIG_DIRS = [
  "package.accept_keywords",
  "package.keywords",
  "package.mask",
  "package.unmask",
  "package.use",
  "package.env",
  "env",
  "profile/package.use.force",
  "profile/package.use.mask",
] as const;

/** Files clean removes from every Portage root. */
export const PORTAGE_CLEAN_PATTERNS = [
  "/etc/portage/patches",
  "/var/log/emerge.log",
  "/var/log/emerge-fetch.log",
  "/var/log/portage/elog/*",
  "/var/cache/distfiles/*",
  "/var/cache/binpkgs/*",
  "/etc/sandbox.d/99catalyst",
] as const;

/** The final make.conf of `hostRoot`: the flags the build used, `<prefix>/use`, no catalyst_use. */
export function finalMakeConf(s: RootSession, hostRoot: string): DriverResult {
  const conf = readFileInRoot(hostRoot, "/etc/portage/make.conf");
  if (!conf.ok) return ok(undefined);
  const current = parseMakeConf(conf.value.toString("utf8"));
  const kind = s.kind;
  const input = makeConfInput({
    kind: kind === "stage1" ? "stage3" : kind,
    values: s.values,
    arch: archEntry(s.str("subarch") ?? ""),
    seed: current,
    building: false,
  });
  const w = writeFileInRoot(hostRoot, "/etc/portage/make.conf", renderMakeConf(input));
  return w.ok ? ok(undefined) : refuse("root-write-failed", w.error.message);
}

/** Cleans the session's root (see the module comment) and forgets its prepared state. */
export function cleanRoot(s: PortageSession): DriverResult {
  const root = s.root;
  const p = s.preparedState();
  if (p !== undefined) {
    const lic = checkBindist(s, root, p);
    if (!lic.ok) return lic;
  }
  const prefix = s.str("portage_prefix");
  const patterns: string[] = [...PORTAGE_CLEAN_PATTERNS];
  if (prefix !== undefined && /^[\w.-]+$/.test(prefix)) {
    for (const d of PREFIX_CONFIG_DIRS) patterns.push(`/etc/portage/${d}/${prefix}`);
  }
  const keep = new Set(s.words("keep_repos"));
  for (const r of p?.repos ?? []) {
    if (keep.has(r.name)) continue;
    patterns.push(`/etc/portage/repos.conf/${r.name}.conf`);
  }
  for (const pattern of patterns) {
    const r = removeInRoot(root, pattern);
    if (!r.ok) return stepFailed("clean", r.error.message);
  }
  const fin = finalMakeConf(s, root);
  if (!fin.ok) return fin;
  s.forget();
  return ok(undefined);
}
