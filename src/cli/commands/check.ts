/**
 * `substrate check [TREE | FILE...] [--json] [--date D]`: validates a spec tree (no argument:
 * the current folder; one folder or substrate.toml: that tree) or spec files on their own, prints
 * every diagnostic and a summary line. Exit 1 on any error, 0 otherwise, 2 for usage errors.
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { checkFiles, checkTree, orderDiagnostics, summarize } from "../../spec/check.js";
import { resolveGraph } from "../../plan/graph.js";
import { isDateStamp, loadTree } from "../../spec/tree.js";
import { hasErrors } from "../../report/diagnostic.js";
import type { Diagnostic } from "../../report/diagnostic.js";
import { createReporter } from "../../report/reporter.js";
import { usageError } from "../usage.js";

interface CheckOptions {
  json?: boolean;
  date?: string;
  color?: boolean;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Registers the `check` command. */
export function registerCheck(program: Command): void {
  program
    .command("check")
    .description(
      "Check a spec tree (default: the current folder) or spec files on their own, reporting every problem",
    )
    .argument("[paths...]", "a tree folder, or .spec files")
    .option("--json", "print NDJSON events instead of text")
    .option("--date <YYYYMMDD>", "build date for @latest@ and computed keys (default: today, UTC)")
    .option("--color", "colour the diagnostics")
    .action((paths: string[], opts: CheckOptions) => {
      if (opts.date !== undefined && !isDateStamp(opts.date)) {
        usageError("check", `--date must be a date written YYYYMMDD, got "${opts.date}"`);
        return;
      }
      const treeArg =
        paths.length === 0
          ? "."
          : paths.length === 1 &&
              (isDirectory(paths[0] ?? "") || (paths[0] ?? "").endsWith(".toml"))
            ? paths[0]
            : undefined;
      if (treeArg === undefined && paths.some(isDirectory)) {
        usageError("check", "pass either one tree folder or spec files, not both");
        return;
      }
      let diagnostics: Diagnostic[];
      let files: number;
      if (treeArg !== undefined) {
        const tree = loadTree(resolve(treeArg), opts.date !== undefined ? { date: opts.date } : {});
        // The graph too (inputs no stage builds, cycles): every problem `plan` would find.
        diagnostics = orderDiagnostics([...checkTree(tree), ...resolveGraph(tree).diagnostics]);
        files = tree.stages.length + (diagnostics.some((d) => d.code === "no-tree-config") ? 0 : 1);
      } else {
        diagnostics = checkFiles(paths, opts.date !== undefined ? { date: opts.date } : {});
        files = paths.length;
      }
      const summary = summarize(diagnostics, files);
      const reporter = createReporter({
        json: opts.json === true,
        text: { diagnostics: "stdout", color: opts.color === true },
      });
      for (const diagnostic of diagnostics) reporter.emit({ type: "diagnostic", diagnostic });
      reporter.emit({ type: "info", message: summary });
      reporter.close();
      process.exitCode = hasErrors(diagnostics) ? 1 : 0;
    });
}
