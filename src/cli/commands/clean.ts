/**
 * `substrate clean [TREE] [--builds] [--work] [--roots] [--caches] [--logs] [--all] [--dry-run]
 * [--yes] [--json]`: deletes what the store holds for a tree, listing it first. Without `--yes`
 * (and always with `--dry-run`) it only lists what it would delete, with sizes, and deletes
 * nothing: a terminal or not, deleting needs the explicit word. Without a category it cleans
 * `--builds` and `--work`. Every path is computed from the store's layout and checked by
 * `store/clean.ts` (inside the store, no symlink leading out, no mount point, its lock free)
 * before it goes; what a running build holds is skipped.
 */
import { rmdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { toolVersionFor } from "../tool-version.js";
import { storedOutputs } from "../stored-outputs.js";
import { loadTree } from "../../spec/tree.js";
import type { SpecTree } from "../../spec/types.js";
import { hasErrors } from "../../report/diagnostic.js";
import { writeOutput } from "../../report/output.js";
import { createReporter } from "../../report/reporter.js";
import { cacheInUse, cacheInventory } from "../../store/cache-inventory.js";
import {
  checkCandidate,
  deleteCandidates,
  storeFolderProblem,
  type CheckedCandidate,
  type CleanCandidate,
} from "../../store/clean.js";
import { formatBytes } from "../../store/usage.js";
import { EXIT_FAILED } from "../exit-codes.js";

interface CleanOptions {
  builds?: boolean;
  work?: boolean;
  roots?: boolean;
  caches?: boolean;
  logs?: boolean;
  all?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
  cache?: string;
}

/** The categories `clean` deletes. */
export type CleanCategory = "builds" | "work" | "roots" | "caches" | "logs";

/** The categories the options ask for (default: builds and work; `--all`: every one). */
export function categoriesOf(opts: CleanOptions): CleanCategory[] {
  const all: CleanCategory[] = ["builds", "work", "roots", "caches", "logs"];
  if (opts.all === true) return all;
  const asked = all.filter((c) => opts[c] === true);
  return asked.length > 0 ? asked : ["builds", "work"];
}

function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" || rel.startsWith("..") ? path : rel;
}

/** Every candidate of the categories, checked (reads only). */
async function candidatesFor(
  tree: SpecTree,
  store: SpecTree["config"]["store"],
  categories: readonly CleanCategory[],
): Promise<{ checked: CheckedCandidate[]; kept: { path: string; why: string }[] }> {
  const list: CleanCandidate[] = [];
  const kept: { path: string; why: string }[] = [];
  const extra: CheckedCandidate[] = [];
  if (categories.includes("builds") || categories.includes("logs")) {
    const found = storedOutputs(tree, await toolVersionFor(tree));
    if (categories.includes("builds")) {
      for (const o of found.outputs) {
        if (o.fingerprint === undefined) {
          kept.push({ path: o.path, why: "not made by substrate (no stamp)" });
          continue;
        }
        const base = { within: store.builds, lock: o.lock };
        list.push({ what: "output", path: o.path, ...base });
        for (const s of o.sidecars) list.push({ what: "sidecar", path: s, ...base });
        if (o.publishFolder !== undefined)
          list.push({ what: "generations", path: o.publishFolder, ...base });
        if (o.latest) {
          list.push({ what: "latest link", path: o.latestLink, ...base });
          list.push({ what: "pointer", path: o.pointer, ...base });
        }
      }
      for (const p of found.others) kept.push({ path: p, why: "not an output of this tree" });
    }
    if (categories.includes("logs"))
      for (const l of found.logs)
        list.push({ what: "log", path: l.path, within: store.logs, lock: l.lock });
  }
  const cache = cacheInventory(store.cache);
  const busy = cacheInUse(cache);
  for (const e of cache) {
    const category: CleanCategory | undefined =
      e.kind === "work"
        ? "work"
        : e.kind === "root" || e.kind === "leftover"
          ? "roots"
          : e.kind === "cache"
            ? "caches"
            : undefined;
    if (category === undefined || !categories.includes(category)) continue;
    const c: CleanCandidate = {
      what: e.kind === "cache" ? "cache" : e.kind === "work" ? "work folder" : "kept root",
      path: e.path,
      within: store.cache,
      ...(e.lock !== undefined ? { lock: e.lock } : {}),
    };
    if (e.inUse !== undefined)
      extra.push({ ...c, verdict: "in-use", why: e.inUse, bytes: e.bytes });
    else if (category === "caches" && busy !== undefined)
      extra.push({
        ...c,
        verdict: "in-use",
        why: `a build uses this cache: ${busy}`,
        bytes: e.bytes,
      });
    else list.push(c);
  }
  return { checked: [...list.map((c) => checkCandidate(c)), ...extra], kept };
}

/** Removes the dated folders a clean emptied (and nothing that still holds a file). */
function removeEmptyDateFolders(flavourDirs: readonly string[], deleted: readonly string[]): void {
  const dirs = new Set(deleted.map((p) => join(p, "..")));
  for (const d of dirs) {
    if (!flavourDirs.some((f) => join(d, "..") === f)) continue;
    try {
      rmdirSync(d); // fails unless empty
    } catch {
      // not empty: kept
    }
  }
}

/** Registers `substrate clean`. */
export function registerClean(program: Command): void {
  program
    .command("clean")
    .description(
      "Delete what the store holds for a tree (default: --builds --work): lists it first, deletes only with --yes",
    )
    .argument("[tree]", "the spec tree folder (default: the current folder)")
    .option(
      "--builds",
      "this tree's outputs (every date), their sidecars, -latest links and pointers",
    )
    .option("--work", "work folders in the cache not in use (any tree's: they are scratch)")
    .option("--roots", "kept roots in the cache not in use (the next livecd-stage3 unsquashes)")
    .option(
      "--caches",
      "package caches (apt, distfiles, packages, snapshots, downloads, kerncache)",
    )
    .option("--logs", "this tree's stage logs")
    .option("--all", "all of the above")
    .option(
      "--cache <dir>",
      "the cache folder builds were given with --cache (default: the tree's)",
    )
    .option("-n, --dry-run", "list what would be deleted, delete nothing (even with --yes)")
    .option("-y, --yes", "delete (without it, clean only lists)")
    .option("--json", "print one JSON document instead of text")
    .action(async (treeArg: string | undefined, opts: CleanOptions) => {
      const tree = loadTree(resolve(treeArg ?? "."));
      if (hasErrors(tree.diagnostics)) {
        const reporter = createReporter({ json: opts.json === true, text: {} });
        for (const diagnostic of tree.diagnostics)
          reporter.emit({ type: "diagnostic", diagnostic });
        reporter.close();
        process.exitCode = 1;
        return;
      }
      const store = {
        ...tree.config.store,
        ...(opts.cache === undefined ? {} : { cache: resolve(opts.cache) }),
      };
      const problems = [store.builds, store.logs, store.cache].flatMap((f) => {
        const p = storeFolderProblem(f);
        return p === undefined ? [] : [p];
      });
      if (problems.length > 0) {
        const reporter = createReporter({ json: opts.json === true, text: {} });
        for (const message of problems)
          reporter.emit({
            type: "error",
            message,
            hint: "point [store] in substrate.toml at folders of their own",
          });
        reporter.close();
        process.exitCode = EXIT_FAILED;
        return;
      }
      const categories = categoriesOf(opts);
      const { checked, kept } = await candidatesFor(tree, store, categories);
      const go = checked.filter((c) => c.verdict === "delete");
      const left = checked.flatMap((c) =>
        c.verdict === "delete" || (c.verdict === "refuse" && c.why === "gone") ? [] : [c],
      );
      const bytes = go.reduce((n, c) => n + c.bytes, 0);
      const deleting = opts.yes === true && opts.dryRun !== true;
      const results = deleting ? deleteCandidates(go) : [];
      if (deleting) {
        const flavourDirs = [
          ...new Set(
            checked.filter((c) => c.what === "output").map((c) => join(c.path, "..", "..")),
          ),
        ];
        removeEmptyDateFolders(
          flavourDirs,
          results.filter((r) => r.deleted).map((r) => r.path),
        );
      }
      const failed = results.filter((r) => !r.deleted);
      if (opts.json === true) {
        writeOutput(
          JSON.stringify({
            categories,
            deleted: deleting,
            candidates: checked.map(({ within: _w, ...c }) => c),
            kept,
            results,
          }) + "\n",
        );
      } else {
        const lines: string[] = [];
        const head = deleting ? "deleting" : "would delete";
        lines.push(
          go.length === 0
            ? `nothing to delete (${categories.join(", ")})`
            : `${head} ${go.length} path(s), ${formatBytes(bytes)} (${categories.join(", ")}):`,
        );
        for (const c of go)
          lines.push(
            `  ${formatBytes(c.bytes).padStart(10)}  ${c.what.padEnd(11)}  ${display(c.path)}`,
          );
        if (left.length + kept.length > 0) lines.push("kept:");
        for (const c of left)
          lines.push(
            `  ${display(c.path)}: ${c.verdict === "in-use" ? c.why : `refused: ${c.why}`}`,
          );
        for (const k of kept) lines.push(`  ${display(k.path)}: ${k.why}`);
        for (const f of failed) lines.push(`not deleted: ${display(f.path)}: ${f.why ?? ""}`);
        if (!deleting && go.length > 0)
          lines.push(
            opts.dryRun === true
              ? "dry run: nothing deleted"
              : "nothing deleted yet: run again with --yes to delete these",
          );
        else if (deleting) lines.push(`deleted ${results.length - failed.length} path(s)`);
        writeOutput(lines.join("\n") + "\n");
      }
      process.exitCode = failed.length > 0 ? 1 : 0;
    });
}
