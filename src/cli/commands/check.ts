/**
 * `substrate check [TREE | FILE...] [--json] [--date D]`: validates a spec tree (no argument:
 * the current folder; one folder or substrate.toml: that tree) or spec files on their own, prints
 * every diagnostic and a summary line. Exit 1 on any error, 0 otherwise, 2 for usage errors.
 */
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { checkFiles, checkTree, orderDiagnostics, summarize } from "../../spec/check.js";
import { resolveGraph } from "../../plan/graph.js";
import { isDateStamp, loadTree } from "../../spec/tree.js";
import { cachedReader, formatDiagnostic } from "../../report/diagnostic-printer.js";
import { hasErrors } from "../../report/diagnostic.js";
import type { Diagnostic } from "../../report/diagnostic.js";

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
    .option("--color", "colour the output")
    .action((paths: string[], opts: CheckOptions) => {
      const usage = (msg: string): void => {
        process.stderr.write(`error: ${msg}\n(run \`substrate check --help\` for usage)\n`);
        process.exitCode = 2;
      };
      if (opts.date !== undefined && !isDateStamp(opts.date)) {
        usage(`--date must be a date written YYYYMMDD, got "${opts.date}"`);
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
        usage("pass either one tree folder or spec files, not both");
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
      if (opts.json === true) {
        for (const diagnostic of diagnostics) {
          const event = { type: "diagnostic", time: new Date().toISOString(), diagnostic };
          process.stdout.write(JSON.stringify(event) + "\n");
        }
        const done = { type: "info", time: new Date().toISOString(), message: summary };
        process.stdout.write(JSON.stringify(done) + "\n");
      } else {
        const read = cachedReader((f) => {
          try {
            return readFileSync(f, "utf8");
          } catch {
            return undefined;
          }
        });
        for (const d of diagnostics) {
          process.stdout.write(formatDiagnostic(d, read, { color: opts.color === true }) + "\n\n");
        }
        process.stdout.write(summary + "\n");
      }
      process.exitCode = hasErrors(diagnostics) ? 1 : 0;
    });
}
