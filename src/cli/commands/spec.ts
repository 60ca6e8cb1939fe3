/**
 * `substrate spec parse FILE... [--json]`: shows what catalyst's parser makes of spec files
 * (no token substitution, no computed keys). `--json` prints one line per file,
 * `{"file": ..., "values": {...}}`; parser diagnostics go to stderr.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { parseSpec, specValues } from "../../spec/parser.js";
import { cachedReader, formatDiagnostic } from "../../report/diagnostic-printer.js";
import { hasErrors } from "../../report/diagnostic.js";
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
    .option("--json", "one JSON object per file: {file, values}")
    .option("--color", "colour diagnostics")
    .action((files: string[], opts: { json?: boolean; color?: boolean }) => {
      let failed = false;
      const texts = new Map<string, string>();
      const read = cachedReader((f) => texts.get(f));
      for (const file of files) {
        let text: string;
        try {
          text = readFileSync(file, "utf8");
        } catch (e) {
          const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(e);
          process.stderr.write(`error: cannot read ${file}: ${why}\n`);
          failed = true;
          continue;
        }
        texts.set(file, text);
        const parsed = parseSpec(file, text);
        for (const d of parsed.diagnostics) {
          process.stderr.write(formatDiagnostic(d, read, { color: opts.color === true }) + "\n\n");
        }
        if (hasErrors(parsed.diagnostics)) failed = true;
        const values = specValues(parsed);
        if (opts.json === true) {
          process.stdout.write(JSON.stringify({ file, values }) + "\n");
          continue;
        }
        const keys = Object.keys(values);
        const width = Math.min(32, Math.max(0, ...keys.map((k) => JSON.stringify(k).length)));
        process.stdout.write(`${file}: ${keys.length} key${keys.length === 1 ? "" : "s"}\n`);
        for (const k of keys) {
          const v = values[k] ?? null;
          const kind = v === null ? "" : typeof v === "string" ? "" : ` [${v.length}]`;
          process.stdout.write(`  ${JSON.stringify(k).padEnd(width)}  ${show(v)}${kind}\n`);
        }
      }
      process.exitCode = failed ? 1 : 0;
    });
}
