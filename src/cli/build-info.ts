/**
 * What `substrate --version` says: the version and the git commit the build was made from,
 * which `npm run build` records in `dist/build-info.json` (scripts/write-build-info.mjs).
 * Without that file (an unusual build) the commit is "unknown". The fingerprints record
 * {@link VERSION} alone, so a new commit does not make every output stale.
 */
import { readFileSync } from "node:fs";
import { VERSION } from "../version.js";

/** The commit recorded at build time, or "unknown". */
export function buildCommit(file = new URL("../../build-info.json", import.meta.url)): string {
  try {
    const info = JSON.parse(readFileSync(file, "utf8")) as { commit?: unknown };
    return typeof info.commit === "string" && info.commit !== "" ? info.commit : "unknown";
  } catch {
    return "unknown";
  }
}

/** `0.1.0 (commit 0123456789ab)`. */
export function versionText(): string {
  return `${VERSION} (commit ${buildCommit()})`;
}
