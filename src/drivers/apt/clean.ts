/** Cleaning a Debian root of what must not ship: package lists, caches, logs, build options. */
import { removeInRoot } from "../../sandbox/root-glob.js";
import { ok } from "../../util/result.js";
import type { DriverResult } from "../driver.js";
import { stepFailed } from "../session.js";
import { MMDEBSTRAP_CONFIG_FILES } from "./mmdebstrap.js";

/**
 * What cleanRoot removes (globs inside the root): package lists and caches, apt and dpkg logs,
 * mmdebstrap's build-time options, backup files of dpkg and debconf.
 */
export const CLEAN_PATTERNS = [
  "/var/lib/apt/lists/*_*",
  "/var/lib/apt/lists/partial/*",
  "/var/lib/apt/lists/auxfiles",
  "/var/cache/apt/*.bin",
  "/var/cache/apt/archives/*.deb",
  "/var/cache/apt/archives/partial/*",
  "/var/log/apt/*",
  "/var/log/dpkg.log",
  "/var/log/alternatives.log",
  "/var/lib/dpkg/*-old",
  "/var/cache/debconf/*-old",
  ...MMDEBSTRAP_CONFIG_FILES,
] as const;

/** Removes {@link CLEAN_PATTERNS} from `root`. */
export function cleanRoot(root: string): DriverResult {
  for (const pattern of CLEAN_PATTERNS) {
    const r = removeInRoot(root, pattern);
    if (!r.ok) return stepFailed("clean", r.error.message);
  }
  return ok(undefined);
}
