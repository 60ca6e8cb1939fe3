/**
 * The profile stack of a Gentoo repo and what stage1 builds from it (catalyst's stage1
 * `build.py`, catalyst.md §3 stage1): the stacked `packages.build` list, with versions swapped in
 * from the stacked `packages` entries and leading `*` removed. Lines starting with `-` remove an
 * earlier entry (portage's incremental stacking). Reads the unpacked snapshot on the host.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, join, normalize } from "node:path";
import { type Result, ok, err } from "../../util/result.js";
import type { FailureOf } from "../../report/failure.js";

/** Why the profile could not be read. */
export type ProfileFailure = FailureOf<"missing-profile" | "empty-build-list">;

function readLines(file: string): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  return text
    .split("\n")
    .map((l) => l.replace(/#.*$/, "").trim())
    .filter((l) => l !== "");
}

/**
 * The profile folders from the root of the stack to `profile` (parents first). `repos` maps a
 * repo name to its host folder, for `repo:path` parents.
 */
export function profileStack(
  repoDir: string,
  profile: string,
  repos: Readonly<Record<string, string>> = {},
): Result<string[], ProfileFailure> {
  const colon = /^([\w-]+):(.*)$/.exec(profile);
  const start =
    colon === null
      ? join(repoDir, "profiles", profile)
      : join(repos[colon[1] ?? ""] ?? repoDir, "profiles", colon[2] ?? "");
  const stack: string[] = [];
  const seen = new Set<string>();
  const visit = (dir: string): boolean => {
    if (seen.has(dir)) return true;
    seen.add(dir);
    const parents = readLines(join(dir, "parent")) ?? [];
    for (const p of parents) {
      const m = /^([\w-]+):(.*)$/.exec(p);
      const next =
        m !== null
          ? join(repos[m[1] ?? ""] ?? repoDir, "profiles", m[2] ?? "")
          : isAbsolute(p)
            ? p
            : normalize(join(dir, p));
      if (!visit(next)) return false;
    }
    stack.push(dir);
    return true;
  };
  try {
    readFileSync(join(start, "parent"));
  } catch {
    // a profile folder without a parent file is fine if it exists at all
    if (
      readLines(join(start, "make.defaults")) === undefined &&
      readLines(join(start, "packages.build")) === undefined &&
      readLines(join(start, "packages")) === undefined &&
      readLines(join(start, "eapi")) === undefined
    ) {
      return err({
        reason: "missing-profile",
        message: `the snapshot has no profile ${profile} (${start})`,
      });
    }
  }
  visit(start);
  return ok(stack);
}

/** Incremental stacking: `-atom` removes an earlier `atom`; `-*` clears. */
function stack(lists: readonly (readonly string[])[]): string[] {
  const out: string[] = [];
  for (const list of lists) {
    for (const entry of list) {
      if (entry === "-*") out.length = 0;
      else if (entry.startsWith("-")) {
        const i = out.indexOf(entry.slice(1));
        if (i >= 0) out.splice(i, 1);
      } else if (!out.includes(entry)) out.push(entry);
    }
  }
  return out;
}

/** `category/name` of an atom (`>=sys-libs/glibc-2.38`, `*sys-apps/baselayout`). */
export function atomKey(atom: string): string {
  const bare = atom
    .replace(/^[*]?[<>=~!]*/, "")
    .replace(/:.*$/, "")
    .replace(/\[.*$/, "");
  const m = /^([\w+.-]+\/[\w+-]+?)(?:-\d.*)?$/.exec(bare);
  return m?.[1] ?? bare;
}

/** stage1's package list for `profile` (build.py's output). */
export function stage1Packages(
  repoDir: string,
  profile: string,
  repos: Readonly<Record<string, string>> = {},
): Result<string[], ProfileFailure> {
  const dirs = profileStack(repoDir, profile, repos);
  if (!dirs.ok) return dirs;
  const build = stack(dirs.value.map((d) => readLines(join(d, "packages.build")) ?? []));
  const system = stack(dirs.value.map((d) => readLines(join(d, "packages")) ?? [])).map((a) =>
    a.replace(/^\*/, ""),
  );
  const versioned = new Map<string, string>();
  for (const atom of system) {
    if (/^[<>=~]/.test(atom)) versioned.set(atomKey(atom), atom);
  }
  const list = build.map((a) => versioned.get(atomKey(a)) ?? a.replace(/^\*/, ""));
  if (list.length === 0) {
    return err({
      reason: "empty-build-list",
      message: `profile ${profile} lists no packages.build packages (catalyst: "profile broken")`,
    });
  }
  return ok(list);
}
