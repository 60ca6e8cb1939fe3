/**
 * Globs inside a build root and the two catalyst operations built on them: `rm` (delete every
 * match, {@link removeInRoot}) and `empty` (re-create a directory empty, {@link emptyInRoot}).
 * Every path is resolved inside the root first (root-path.ts), so neither `..` nor a symlink in
 * the root can make them touch a host file.
 */
import { chmodSync, chownSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { type Result, ok, err } from "../util/result.js";
import {
  type RootPathFailure,
  canonicalRoot,
  inRootPath,
  ioFailure,
  lstatOrUndefined,
  resolveInRoot,
  splitComponents,
} from "./root-path.js";

/** True when `pattern` component holds glob characters. */
function isGlob(component: string): boolean {
  return /[*?[]/.test(component);
}

/** Translates one glob component (`*`, `?`, `[...]`, `[!...]`) to an anchored RegExp. */
export function globComponentToRegExp(component: string): RegExp {
  let source = "";
  for (let i = 0; i < component.length; i++) {
    const c = component[i] ?? "";
    if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else if (c === "[") {
      const close = component.indexOf("]", i + 2);
      if (close === -1) {
        source += "\\[";
        continue;
      }
      let body = component.slice(i + 1, close);
      const negate = body.startsWith("!") || body.startsWith("^");
      if (negate) body = body.slice(1);
      source += `[${negate ? "^" : ""}${body.replace(/[\\\]]/g, "\\$&")}]`;
      i = close;
    } else source += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/**
 * Expands a glob (shell style, per component; `*` does not match a leading dot unless the
 * pattern component starts with one, as in Python's glob) inside the root. Intermediate symlinks
 * are followed inside the root; the matches themselves are not followed. Returns the in-root
 * paths of existing matches, sorted.
 */
export function globInRoot(root: string, pattern: string): Result<string[], RootPathFailure> {
  let prefixes = ["/"];
  const components = splitComponents(pattern);
  for (let index = 0; index < components.length; index++) {
    const component = components[index] ?? "";
    const isLast = index === components.length - 1;
    const next: string[] = [];
    for (const prefix of prefixes) {
      if (component === ".." || !isGlob(component)) {
        const candidate = prefix === "/" ? `/${component}` : `${prefix}/${component}`;
        // Normalise through the resolver so `..` and intermediate links stay inside the root.
        const resolved = resolveInRoot(root, candidate, { followLastSymlink: !isLast });
        if (!resolved.ok) return resolved;
        if (lstatOrUndefined(resolved.value) !== undefined) {
          next.push(inRootPath(root, resolved.value));
        }
        continue;
      }
      const dir = resolveInRoot(root, prefix);
      if (!dir.ok) return dir;
      let entries: string[];
      try {
        entries = readdirSync(dir.value);
      } catch {
        continue; // not a directory, or missing: no matches
      }
      const re = globComponentToRegExp(component);
      const dirInRoot = inRootPath(root, dir.value);
      for (const entry of entries.sort()) {
        if (entry.startsWith(".") && !component.startsWith(".")) continue;
        if (re.test(entry)) next.push(dirInRoot === "/" ? `/${entry}` : `${dirInRoot}/${entry}`);
      }
    }
    prefixes = [...new Set(next)];
  }
  // A pattern that is only "/" (or only `..`) names the root itself: never a match to delete.
  return ok(prefixes.filter((p) => p !== "/").sort());
}

/**
 * catalyst's `rm`: deletes every match of `pattern` inside the root. A matched symlink is deleted
 * as a link (its target is untouched); a matched directory is deleted recursively without
 * following symlinks inside it. `..` never leaves the root, and the root itself is never deleted.
 * Returns the in-root paths removed.
 */
export function removeInRoot(root: string, pattern: string): Result<string[], RootPathFailure> {
  const matches = globInRoot(root, pattern);
  if (!matches.ok) return matches;
  const removed: string[] = [];
  for (const match of matches.value) {
    const resolved = resolveInRoot(root, match, { followLastSymlink: false });
    if (!resolved.ok) return resolved;
    if (resolved.value === canonicalRoot(root)) continue;
    try {
      rmSync(resolved.value, { recursive: true, force: true });
    } catch (e) {
      return ioFailure(match, e);
    }
    removed.push(match);
  }
  return ok(removed);
}

/** What {@link emptyInRoot} did. */
export type EmptyOutcome = "emptied" | "skipped-missing" | "skipped-symlink" | "skipped-not-dir";

/**
 * catalyst's `empty`: deletes a directory inside the root and re-creates it with the same owner
 * and mode. A symlink, a missing path or a non-directory is skipped (and said so).
 */
export function emptyInRoot(root: string, dir: string): Result<EmptyOutcome, RootPathFailure> {
  const resolved = resolveInRoot(root, dir, { followLastSymlink: false });
  if (!resolved.ok) return resolved;
  if (resolved.value === canonicalRoot(root)) {
    return err({ reason: "io-error", path: dir, message: `refusing to empty the whole root` });
  }
  const st = lstatOrUndefined(resolved.value);
  if (st === undefined) return ok("skipped-missing");
  if (st.isSymbolicLink()) return ok("skipped-symlink");
  if (!st.isDirectory()) return ok("skipped-not-dir");
  try {
    rmSync(resolved.value, { recursive: true, force: true });
    mkdirSync(resolved.value);
    chownSync(resolved.value, st.uid, st.gid);
    chmodSync(resolved.value, st.mode & 0o7777);
  } catch (e) {
    return ioFailure(dir, e);
  }
  return ok("emptied");
}
