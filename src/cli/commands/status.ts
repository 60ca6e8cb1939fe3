/**
 * `substrate status [TREE] [--json]`: what the tree has in its store. Every output of the tree's
 * stages, whatever date it was built for, with its date, size, fingerprint and whether it is
 * fresh or stale and why (the planner's decision for that date: `plan --date <date>`), the
 * files of its dated folders no stage made, the kept roots, work folders and package caches of
 * its cache folder with their sizes and who uses them, and its logs. Reads only.
 * `--json` prints one JSON document (sidecars and lock paths included).
 */
import { relative, resolve } from "node:path";
import type { Command } from "commander";
import { toolVersionFor } from "../tool-version.js";
import { storedOutputs, type StoredOutput } from "../stored-outputs.js";
import { loadTree } from "../../spec/tree.js";
import { hasErrors } from "../../report/diagnostic.js";
import { writeOutput } from "../../report/output.js";
import { createReporter } from "../../report/reporter.js";
import { cacheInventory, type CacheEntry } from "../../store/cache-inventory.js";
import { diskUsage, formatBytes } from "../../store/usage.js";

interface StatusOptions {
  json?: boolean;
  cache?: string;
}

function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" || rel.startsWith("..") ? path : rel;
}

/** `fresh`, or `stale: <the planner's reason>` (`blocked: ...` for a stage that cannot build). */
export function stateOf(o: Pick<StoredOutput, "decision">): string {
  const d = o.decision;
  return d.kind === "fresh"
    ? "fresh"
    : d.kind === "build"
      ? `stale: ${d.reason}`
      : `blocked: ${d.reason}`;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) =>
    (
      "  " + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ")
    ).trimEnd(),
  );
}

function cacheLines(title: string, entries: readonly CacheEntry[]): string[] {
  if (entries.length === 0) return [`${title}: none`];
  const total = entries.reduce((n, e) => n + e.bytes, 0);
  return [
    `${title} (${entries.length}, ${formatBytes(total)}):`,
    ...table(
      entries.map((e) => [
        formatBytes(e.bytes),
        e.inUse ?? "not in use",
        display(e.path) + (e.of !== undefined ? `  (root of ${display(e.of)})` : ""),
      ]),
    ),
  ];
}

/** Registers `substrate status`. */
export function registerStatus(program: Command): void {
  program
    .command("status")
    .description(
      "Show what a tree has in its store: every output with date, size, fingerprint, fresh or stale and why; kept roots, work folders, caches and logs",
    )
    .argument("[tree]", "the spec tree folder (default: the current folder)")
    .option(
      "--cache <dir>",
      "the cache folder builds were given with --cache (default: the tree's)",
    )
    .option("--json", "print one JSON document (with sidecars and locks) instead of text")
    .action(async (treeArg: string | undefined, opts: StatusOptions) => {
      const tree = loadTree(resolve(treeArg ?? "."));
      if (hasErrors(tree.diagnostics)) {
        const reporter = createReporter({ json: opts.json === true, text: {} });
        for (const diagnostic of tree.diagnostics)
          reporter.emit({ type: "diagnostic", diagnostic });
        reporter.close();
        process.exitCode = 1;
        return;
      }
      const found = storedOutputs(tree, await toolVersionFor(tree));
      const cacheDir = opts.cache === undefined ? tree.config.store.cache : resolve(opts.cache);
      const cache = cacheInventory(cacheDir);
      const logBytes = found.logs.reduce((n, l) => n + diskUsage(l.path).bytes, 0);
      const store = { ...tree.config.store, cache: cacheDir };
      if (opts.json === true) {
        writeOutput(
          JSON.stringify({
            tree: tree.config.root,
            store,
            outputs: found.outputs.map((o) => ({ ...o, state: stateOf(o) })),
            others: found.others,
            cache,
            logs: { files: found.logs.map((l) => l.path), bytes: logBytes },
          }) + "\n",
        );
        return;
      }
      const lines = [
        `store of ${display(tree.config.root) || "."}: builds ${display(store.builds)}, logs ${display(store.logs)}, cache ${display(store.cache)}`,
      ];
      if (found.outputs.length === 0) lines.push("outputs: none");
      else {
        lines.push(`outputs (${found.outputs.length}):`);
        lines.push(
          ...table(
            found.outputs.map((o) => [
              o.date,
              o.stage,
              formatBytes(o.size),
              (o.fingerprint ?? "no stamp").slice(0, 12),
              display(o.path) + (o.latest ? " (latest)" : ""),
              stateOf(o),
            ]),
          ),
        );
      }
      if (found.others.length > 0) {
        lines.push(`not made by this tree's stages (kept by clean):`);
        for (const p of found.others) lines.push(`  ${display(p)}`);
      }
      lines.push(
        ...cacheLines(
          "kept roots",
          cache.filter((e) => e.kind === "root"),
        ),
      );
      lines.push(
        ...cacheLines(
          "work folders",
          cache.filter((e) => e.kind === "work" || e.kind === "leftover"),
        ),
      );
      lines.push(
        ...cacheLines(
          "caches",
          cache.filter((e) => e.kind === "cache"),
        ),
      );
      lines.push(
        `logs: ${found.logs.length} file(s), ${formatBytes(logBytes)} in ${display(store.logs)}`,
      );
      writeOutput(lines.join("\n") + "\n");
    });
}
