/**
 * `substrate spec parse FILE... [--json]`: shows what catalyst's parser makes of spec files
 * (no token substitution, no computed keys). `--json` prints one line per file,
 * `{"file": ..., "values": {...}}`; parser diagnostics go to stderr.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { parseSpec, specValues } from "../../spec/parser.js";
import { hasErrors } from "../../report/diagnostic.js";
import { writeOutput } from "../../report/output.js";
import { createReporter } from "../../report/reporter.js";
import type { SpecValue } from "../../spec/types.js";

function show(value: SpecValue): string {
  if (value === null) return "none (null)";
  if (typeof value === "string") return value;
  return value.join(" ");
}

/** Registers the `spec` command and its `parse` subcommand. */
export function registerSpecCommands(program: Command): void {
  const spec = program.command("spec").description("Work with single catalyst .spec files");
  spec
    .command("parse")
    .description("Show the keys and values catalyst's parser reads from spec files")
    .argument("<files...>", "spec files")
    .option("--json", "print one JSON object per file: {file, values}")
    .option("--color", "colour the diagnostics")
    .action((files: string[], opts: { json?: boolean; color?: boolean }) => {
      let failed = false;
      // Diagnostics go to stderr; stdout holds the listing (or the JSON lines).
      const reporter = createReporter({
        text: { diagnostics: "stderr", color: opts.color === true },
      });
      for (const file of files) {
        let text: string;
        try {
          text = readFileSync(file, "utf8");
        } catch (e) {
          const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(e);
          reporter.emit({ type: "error", message: `cannot read ${file}: ${why}` });
          failed = true;
          continue;
        }
        const parsed = parseSpec(file, text);
        for (const diagnostic of parsed.diagnostics)
          reporter.emit({ type: "diagnostic", diagnostic });
        if (hasErrors(parsed.diagnostics)) failed = true;
        const values = specValues(parsed);
        if (opts.json === true) {
          writeOutput(JSON.stringify({ file, values }) + "\n");
          continue;
        }
        const keys = Object.keys(values);
        const width = Math.min(32, Math.max(0, ...keys.map((k) => JSON.stringify(k).length)));
        const lines = [`${file}: ${keys.length} key${keys.length === 1 ? "" : "s"}`];
        for (const k of keys) {
          const v = values[k] ?? null;
          const kind = v === null ? "" : typeof v === "string" ? "" : ` [${v.length}]`;
          lines.push(`  ${JSON.stringify(k).padEnd(width)}  ${show(v)}${kind}`);
        }
        writeOutput(lines.join("\n") + "\n");
      }
      reporter.close();
      process.exitCode = failed ? 1 : 0;
    });
}
