/**
 * Package repositories inside a build (catalyst.md §2.4 process_repos, §2.5 mounts): the snapshot
 * is the main repo at /var/db/repos/<name>; every `repos` (and catalyst 3's `portage_overlay`)
 * entry is another repo, mounted read-only at /var/db/repos/<name> and declared in
 * `/etc/portage/repos.conf/<name>.conf`. A repo's name is read from `profiles/repo_name`, else
 * `metadata/layout.conf`'s `repo-name`. Pure, except {@link repoNameOf}, which reads files.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Where repos live inside a root (catalyst's `repo_basedir`). */
export const REPO_BASEDIR = "/var/db/repos";

/** A repo made available to a build: a host folder and its name. */
export interface RepoMount {
  readonly name: string;
  /** Host folder (an unpacked snapshot or overlay). */
  readonly hostDir: string;
  /** Is it the main (snapshot) repo. */
  readonly main: boolean;
}

/** The repo name a tree declares, or undefined when it declares none. */
export function repoNameOf(dir: string): string | undefined {
  try {
    const name = readFileSync(join(dir, "profiles", "repo_name"), "utf8")
      .trim()
      .split("\n")[0]
      ?.trim();
    if (name !== undefined && name !== "") return name;
  } catch {
    // fall through to layout.conf
  }
  try {
    const layout = readFileSync(join(dir, "metadata", "layout.conf"), "utf8");
    const m = /^\s*repo-name\s*=\s*(\S+)/m.exec(layout);
    if (m?.[1] !== undefined) return m[1];
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * The repos.conf files to write, by file name under /etc/portage/repos.conf: one per repo other
 * than `gentoo` at its default place, and `[DEFAULT] main-repo=` when the main repo is not
 * `gentoo`. substrate also writes `auto-sync = no`: a build never syncs.
 */
export function reposConfFiles(repos: readonly RepoMount[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const r of repos) {
    if (r.main && r.name === "gentoo") continue;
    const lines: string[] = [];
    if (r.main) lines.push("[DEFAULT]", `main-repo = ${r.name}`, "");
    lines.push(`[${r.name}]`, `location = ${REPO_BASEDIR}/${r.name}`, "auto-sync = no");
    files.set(`${r.name}.conf`, lines.join("\n") + "\n");
  }
  return files;
}
