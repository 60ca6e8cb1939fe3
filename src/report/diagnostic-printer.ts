/**
 * Renders a diagnostic as text, compiler style: `file:line:col: severity: message`, the source
 * line with a gutter and an underline (`^~~~`), related places the same way, then the hint.
 * Colour only when asked.
 */
import { createColors } from "picocolors";
import type { Diagnostic, Severity, SourceSpan } from "./diagnostic.js";

/** Returns a file's text for excerpts, or `undefined` when it cannot be read. */
export type SourceReader = (file: string) => string | undefined;

/** Rendering options. */
export interface PrintOptions {
  /** ANSI colours (default off). */
  readonly color?: boolean;
  /** Where source excerpts come from (also accepted as the second argument). */
  readonly readSource?: SourceReader;
}

/** A `SourceReader` that reads each file once (through `read`) and remembers the text. */
export function cachedReader(read: (file: string) => string | undefined): SourceReader {
  const cache = new Map<string, string | undefined>();
  return (file) => {
    if (!cache.has(file)) cache.set(file, read(file));
    return cache.get(file);
  };
}

// The lines of the last few texts excerpts came from: a file with thousands of diagnostics is
// split once, not once per diagnostic.
const linesCache = new Map<string, readonly string[]>();

function linesOf(text: string): readonly string[] {
  let lines = linesCache.get(text);
  if (lines === undefined) {
    lines = text.split(/\r\n|\r|\n/);
    if (linesCache.size >= 8) linesCache.delete(linesCache.keys().next().value ?? "");
    linesCache.set(text, lines);
  }
  return lines;
}

function location(span: SourceSpan): string {
  return `${span.file}:${span.line}:${span.col}`;
}

/**
 * Formats one diagnostic: `formatDiagnostic(d, readSource?, options?)` or
 * `formatDiagnostic(d, options)`. With a source reader, the spanned line is shown with an underline from
 * `col` to `endCol` (at least one `^`); tabs in the line are kept so the underline lines up.
 * The text ends without a newline.
 */
export function formatDiagnostic(
  d: Diagnostic,
  readSourceOrOptions?: SourceReader | PrintOptions,
  options: PrintOptions = {},
): string {
  const opts: PrintOptions =
    typeof readSourceOrOptions === "function"
      ? { ...options, readSource: readSourceOrOptions }
      : { ...options, ...readSourceOrOptions };
  const readSource = opts.readSource;
  const c = createColors(opts.color ?? false);
  const sevColor: Record<Severity, (s: string) => string> = {
    error: (s) => c.bold(c.red(s)),
    warning: (s) => c.bold(c.yellow(s)),
    note: (s) => c.bold(c.cyan(s)),
  };
  const spans = [d.span, ...(d.related ?? []).map((r) => r.span)].filter(
    (s): s is SourceSpan => s !== undefined,
  );
  const width = Math.max(1, ...spans.map((s) => String(s.line).length));
  const excerpt = (span: SourceSpan): string[] => {
    const text = readSource?.(span.file);
    if (text === undefined) return [];
    const raw = linesOf(text)[span.line - 1];
    // A line that is not text (NUL, bytes that are not UTF-8) is not echoed; other control
    // characters (escape sequences) are shown as U+FFFD, one for one so the underline lines up.
    if (raw === undefined || /[\0\uFFFD]/.test(raw)) return [];
    // eslint-disable-next-line no-control-regex
    const line = raw.replace(/[\x01-\x08\x0b-\x1f\x7f-\x9f]/g, "\uFFFD");
    const pad = line
      .slice(0, Math.max(0, span.col - 1))
      .replace(/[^\t]/g, " ")
      .padEnd(Math.max(0, span.col - 1), " ");
    const len = Math.max(1, span.endCol - span.col);
    const mark = "^" + "~".repeat(len - 1);
    const gutter = " ".repeat(width);
    return [
      `    ${String(span.line).padStart(width)} | ${line}`,
      `    ${gutter} | ${pad}${c.green(mark)}`,
    ];
  };
  const out: string[] = [];
  const head = `${sevColor[d.severity](d.severity + ":")} ${c.bold(d.message)}`;
  out.push(d.span ? `${c.bold(location(d.span))}: ${head}` : head);
  if (d.span) out.push(...excerpt(d.span));
  for (const r of d.related ?? []) {
    out.push(`${c.bold(location(r.span))}: ${sevColor.note("note:")} ${r.message}`);
    out.push(...excerpt(r.span));
  }
  if (d.hint !== undefined) {
    const [first, ...rest] = d.hint.split("\n");
    out.push(`  ${c.cyan("hint:")} ${first ?? ""}`);
    for (const l of rest) out.push(`        ${l}`);
  }
  return out.join("\n");
}
