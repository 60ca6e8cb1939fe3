/**
 * `substrate check`: validation of standalone spec files (driver unknown, tree-computed keys
 * optional) and of whole trees (everything `loadTree` found, plus cross-stage checks), with the
 * diagnostics ordered for printing and a one-line summary.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { Diagnostic, SourceSpan } from "../report/diagnostic.js";
import type { SpecTree } from "./types.js";
import { parseSpec } from "./parser.js";
import { substituteTokens } from "./tokens.js";
import { validateSpec } from "./validate.js";
import { firstLineSpan, todayStamp } from "./tree.js";

/** Options of a standalone check. */
export interface CheckFilesOptions {
  /** The date `@latest@` expands to (default: today, UTC). */
  readonly date?: string;
}

/** The stem of a spec file name (`livecd-stage3` for `x/livecd-stage3.spec`). */
export function specStem(file: string): string {
  const base = basename(file);
  return base.endsWith(".spec") ? base.slice(0, -".spec".length) : base;
}

/**
 * Checks spec files on their own: each is parsed, `@latest@` substituted (other tokens stay, an
 * unknown one warns), and validated for either driver, not requiring the keys a tree computes.
 * `files` are shown in diagnostics as given.
 */
export function checkFiles(files: readonly string[], opts: CheckFilesOptions = {}): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      out.push({
        severity: "error",
        code: "unreadable-file",
        message: `cannot read ${file}${code === "ENOENT" ? ": no such file" : code === "EISDIR" ? ": it is a folder (pass a folder alone to check it as a tree)" : ""}`,
      });
      continue;
    }
    const parsed = parseSpec(file, text);
    out.push(...parsed.diagnostics);
    if (parsed.diagnostics.some((d) => d.code === "not-text")) continue;
    const sub = substituteTokens(parsed, { date: opts.date ?? todayStamp(), mode: "standalone" });
    out.push(...sub.diagnostics);
    const keySpans = new Map<string, SourceSpan>();
    for (const [k, e] of parsed.entries) keySpans.set(k, e.keySpan);
    const v = validateSpec(
      {
        file,
        stem: specStem(file),
        values: sub.values,
        keySpans,
        tokens: sub.tokens,
        firstLine: firstLineSpan(file, text),
      },
      { standalone: true },
    );
    out.push(...v.diagnostics);
  }
  return orderDiagnostics(out);
}

/**
 * Every diagnostic of a loaded tree plus cross-stage checks: `livecd/volid` on a livecd-stage2
 * does nothing in substrate (the payload names no volume id; each livecd-stage3 writes the boot
 * entries with its own), so a catalyst spec that sets it there is told where it belongs.
 */
export function checkTree(tree: SpecTree): Diagnostic[] {
  const out: Diagnostic[] = [...tree.diagnostics];
  for (const s2 of tree.stages) {
    if (s2.kind !== "livecd-stage2") continue;
    const span = s2.parsed.entries.get("livecd/volid")?.keySpan;
    if (span === undefined) continue;
    out.push({
      severity: "warning",
      code: "volid-unused",
      message: `${s2.id}: livecd/volid has no effect on a livecd-stage2: the payload names no volume id`,
      span,
      hint: "set livecd/volid on the livecd-stage3 specs that use this payload, and remove it here",
    });
  }
  return orderDiagnostics(out);
}

/**
 * Orders diagnostics for printing: those without a place first, then grouped by file in order of
 * first appearance, by line and column within a file. Stable otherwise.
 */
export function orderDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const fileOrder = new Map<string, number>();
  for (const d of diagnostics) {
    if (d.span && !fileOrder.has(d.span.file)) fileOrder.set(d.span.file, fileOrder.size);
  }
  return diagnostics
    .map((d, i) => ({ d, i }))
    .sort((a, b) => {
      const sa = a.d.span;
      const sb = b.d.span;
      if (!sa || !sb) return (sa ? 1 : 0) - (sb ? 1 : 0) || a.i - b.i;
      return (
        (fileOrder.get(sa.file) ?? 0) - (fileOrder.get(sb.file) ?? 0) ||
        sa.line - sb.line ||
        sa.col - sb.col ||
        a.i - b.i
      );
    })
    .map((x) => x.d);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The summary line: `3 errors, 1 warning in 2 files`. */
export function summarize(diagnostics: readonly Diagnostic[], files: number): string {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.filter((d) => d.severity === "warning").length;
  return `${plural(errors, "error")}, ${plural(warnings, "warning")} in ${plural(files, "file")}`;
}
