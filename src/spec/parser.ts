/**
 * The catalyst `.spec` parser, rule for rule as `catalyst/config.py` (`SpecParser`) reads a spec,
 * with source spans for every key and value token. Where catalyst crashes or silently misreads,
 * substrate keeps what the author meant and says so in a diagnostic (see docs/spec-language.md):
 * a literal `%`, a `%(key)s` reference to a later or unknown key, a slot/repo atom on a
 * continuation line, text before the first key, an empty key name, a byte-order mark.
 */
import type { Diagnostic, SourceSpan } from "../report/diagnostic.js";
import type { ParsedSpec, SpecEntry, SpecToken, SpecValue } from "./types.js";
import { isSlotOrRepoAtom } from "./atom.js";
import { isPySpace, pyReprList, pySplit, pyStripRange, splitLines } from "./text.js";

/** One key while parsing: its tokens so far and where it was (last) set. */
interface WorkingKey {
  key: string;
  keySpan: SourceSpan;
  tokens: SpecToken[];
}

/** A `%(name)s` whose key was not defined above it; resolved into a message after parsing. */
interface PendingReference {
  readonly name: string;
  readonly key: string;
  readonly span: SourceSpan;
}

/** The value text of a key line after interpolation, with the source columns of every char. */
interface Interpolated {
  readonly text: string;
  readonly starts: number[];
  readonly ends: number[];
}

/**
 * One error for a file that is not text (a NUL byte, or bytes that are not UTF-8, which reading
 * as UTF-8 turned into U+FFFD), at the first such character; undefined for a text file.
 */
export function notTextDiagnostic(file: string, text: string): Diagnostic | undefined {
  const at = text.search(/[\0\uFFFD]/);
  if (at === -1) return undefined;
  const before = text.slice(0, at);
  const breaks = before.match(/\r\n|\r|\n/g)?.length ?? 0;
  const lineStart = Math.max(before.lastIndexOf("\n"), before.lastIndexOf("\r")) + 1;
  const col = at - lineStart + 1;
  return {
    severity: "error",
    code: "not-text",
    message: `not a text spec: it has ${text[at] === "\0" ? "a NUL byte" : "bytes that are not UTF-8"}`,
    span: { file, line: breaks + 1, col, endCol: col + 1 },
    hint: "a .spec file is UTF-8 text (key: value lines); is this the file you meant?",
  };
}

/**
 * Parses one spec file the way catalyst does. `file` is used in spans as given; `text` is the
 * file's content. Never throws for bad input: problems become diagnostics.
 */
export function parseSpec(file: string, text: string): ParsedSpec {
  const binary = notTextDiagnostic(file, text);
  if (binary !== undefined) return { file, text, entries: new Map(), diagnostics: [binary] };
  const diagnostics: Diagnostic[] = [];
  let body = text;
  if (body.charCodeAt(0) === 0xfeff) {
    body = body.slice(1);
    diagnostics.push({
      severity: "warning",
      code: "byte-order-mark",
      message:
        "file starts with a UTF-8 byte-order mark; catalyst would read it as part of the first key",
      span: { file, line: 1, col: 1, endCol: 1 },
      hint: "save the file without a byte-order mark",
    });
  }
  const lines = splitLines(body);
  const keys = new Map<string, WorkingKey>();
  /** Where each key was set, for "set again" warnings. */
  const lastSet = new Map<string, SourceSpan>();
  const pending: PendingReference[] = [];
  let current: WorkingKey | undefined;
  /** True while continuation lines belong to an empty key name, which is dropped. */
  let currentDropped = false;

  for (let li = 0; li < lines.length; li++) {
    const raw = lines[li] ?? "";
    const lineNo = li + 1;
    let [a, b] = pyStripRange(raw);
    const hash = raw.indexOf("#", a);
    if (hash !== -1 && hash < b) [a, b] = pyStripRange(raw, a, hash);
    if (a >= b) continue;
    const span = (from: number, to: number): SourceSpan => ({
      file,
      line: lineNo,
      col: from + 1,
      endCol: to + 1,
    });
    const colon = raw.indexOf(":", a);
    const isKeyLine = colon !== -1 && colon < b && !continuesWithAtom(raw, a, b, colon);

    if (isKeyLine) {
      const key = raw.slice(a, colon);
      const keySpan = span(a, colon);
      if (key === "") {
        diagnostics.push({
          severity: "error",
          code: "empty-key-name",
          message: "line has a value but no key name before `:`",
          span: span(a, b),
          hint: "write the key before the colon, e.g. `subarch: amd64`",
        });
        current = undefined;
        currentDropped = true;
        continue;
      }
      currentDropped = false;
      const previous = lastSet.get(key);
      if (previous !== undefined) {
        diagnostics.push({
          severity: "warning",
          code: "repeated-key",
          message: `key "${key}" is set again; the value from line ${previous.line} is replaced`,
          span: keySpan,
          related: [{ message: `"${key}" was first set here`, span: previous }],
        });
      }
      lastSet.set(key, keySpan);
      let [va, vb] = pyStripRange(raw, colon + 1, b);
      while (va < vb && raw[va] === '"') va++;
      while (vb > va && raw[vb - 1] === '"') vb--;
      const tokens: SpecToken[] = [];
      const pct = raw.indexOf("%", va);
      if (va < vb && (pct === -1 || pct >= vb)) {
        // No `%`: the value is the source text itself (the common case, kept allocation-free).
        for (const piece of pySplit(raw.slice(va, vb))) {
          tokens.push({ text: piece.text, span: span(va + piece.start, va + piece.end) });
        }
      } else if (va < vb) {
        const value = interpolate(raw, va, vb, file, lineNo, key, keys, pending, diagnostics);
        for (const piece of pySplit(value.text)) {
          let col = Infinity;
          let endCol = 0;
          for (let k = piece.start; k < piece.end; k++) {
            col = Math.min(col, value.starts[k] ?? col);
            endCol = Math.max(endCol, value.ends[k] ?? endCol);
          }
          tokens.push({ text: piece.text, span: { file, line: lineNo, col, endCol } });
        }
      }
      const existing = keys.get(key);
      if (existing) {
        existing.keySpan = keySpan;
        existing.tokens = tokens;
        current = existing;
      } else {
        current = { key, keySpan, tokens };
        keys.set(key, current);
      }
      continue;
    }

    // A continuation line: its tokens are appended to the current key, without interpolation.
    if (currentDropped) continue;
    const pieces = pySplit(raw.slice(a, b)).map((p): SpecToken => ({
      text: p.text,
      span: span(a + p.start, a + p.end),
    }));
    if (current === undefined) {
      const first = pieces[0]?.text ?? "";
      diagnostics.push({
        severity: "warning",
        code: "text-before-first-key",
        message: `line ${lineNo} comes before any key and is ignored (catalyst would read it as a key "${first}")`,
        span: span(a, b),
        hint: "start the value with a `key:` line, or comment the line out with `#`",
      });
      continue;
    }
    if (colon !== -1 && colon < b) {
      const tok = pieces.find((p) => p.span.col - 1 <= colon && colon < p.span.endCol - 1);
      if (tok !== undefined) {
        const bogus = raw.slice(a, colon);
        diagnostics.push({
          severity: "warning",
          code: "slot-atom-continuation",
          message: `"${tok.text}" continues the value of "${current.key}"; catalyst would misread this line as a new key "${bogus}"`,
          span: tok.span,
          hint: `catalyst starts a new key at any line holding \`:\`; to stay compatible, put atoms with a slot or repository on the \`${current.key}:\` line itself`,
        });
      }
    }
    for (const p of pieces) {
      if (p.text.includes("%(") && /%\([^)]*\)s/.test(p.text)) {
        diagnostics.push({
          severity: "warning",
          code: "interpolation-in-continuation",
          message: `"${p.text}" is kept literally: catalyst expands %(key)s only on a key's first line`,
          span: p.span,
        });
      }
    }
    current.tokens.push(...pieces);
  }

  for (const ref of pending) {
    const defined = keys.get(ref.name);
    const later =
      defined !== undefined && defined.keySpan.line > ref.span.line ? defined : undefined;
    diagnostics.push({
      severity: "error",
      code: later ? "reference-to-later-key" : "unknown-reference",
      message: later
        ? `"${ref.key}" refers to %(${ref.name})s, which is set later (line ${later.keySpan.line}); catalyst expands only keys set above`
        : `"${ref.key}" refers to %(${ref.name})s, but no key "${ref.name}" is set above`,
      span: ref.span,
      ...(later
        ? {
            hint: `move "${ref.name}" above "${ref.key}"`,
            related: [{ message: `"${ref.name}" is set here`, span: later.keySpan }],
          }
        : { hint: "catalyst would stop with a KeyError; the reference is kept as written" }),
    });
  }

  const entries = new Map<string, SpecEntry>();
  for (const w of keys.values()) {
    if (w.tokens.length === 0) {
      diagnostics.push({
        severity: "warning",
        code: "empty-value",
        message: `key "${w.key}" has no value and is dropped (as catalyst does)`,
        span: w.keySpan,
      });
      continue;
    }
    entries.set(w.key, {
      key: w.key,
      keySpan: w.keySpan,
      value: tokensToValue(w.tokens),
      tokens: w.tokens,
    });
  }
  return { file, text, entries, diagnostics };
}

/**
 * The catalyst value of a list of tokens: one token is a string (`none`, any case, is null),
 * several are a list.
 */
export function tokensToValue(tokens: readonly { readonly text: string }[]): SpecValue {
  if (tokens.length === 1) {
    const only = tokens[0]?.text ?? "";
    return only.toLowerCase() === "none" ? null : only;
  }
  return tokens.map((t) => t.text);
}

/** Plain values in key order, as `spec parse --json` prints them. */
export function specValues(parsed: ParsedSpec): Record<string, SpecValue> {
  const out: Record<string, SpecValue> = {};
  for (const [key, entry] of parsed.entries) out[key] = entry.value;
  return out;
}

/**
 * True when the line's first `:` lies inside a package atom with a slot or repository and the
 * line is a continuation (see docs/spec-language.md, "slot atoms on continuation lines"): either
 * the atom is the line's first word (and its category is not a spec key prefix), or words come
 * before it (so catalyst's key would contain a space, which no key does).
 */
function continuesWithAtom(raw: string, a: number, b: number, colon: number): boolean {
  let s = colon;
  while (s > a && !isPySpace(raw, s - 1)) s--;
  let e = colon;
  while (e < b && !isPySpace(raw, e)) e++;
  return isSlotOrRepoAtom(raw.slice(s, e));
}

/**
 * Applies Python `%`-formatting against the keys set so far to `raw[from, to)`, keeping the
 * source column of every output character. `%(name)s` expands (a list as its Python repr),
 * `%%` is a percent sign; anything else is kept literally with a warning (catalyst would crash).
 */
function interpolate(
  raw: string,
  from: number,
  to: number,
  file: string,
  line: number,
  key: string,
  keys: ReadonlyMap<string, WorkingKey>,
  pending: PendingReference[],
  diagnostics: Diagnostic[],
): Interpolated {
  let text = "";
  const starts: number[] = [];
  const ends: number[] = [];
  const emit = (s: string, col: number, endCol: number): void => {
    text += s;
    for (let k = 0; k < s.length; k++) {
      starts.push(col);
      ends.push(endCol);
    }
  };
  let i = from;
  while (i < to) {
    const ch = raw[i] ?? "";
    if (ch !== "%") {
      emit(ch, i + 1, i + 2);
      i++;
      continue;
    }
    const next = raw[i + 1];
    if (next === "%" && i + 1 < to) {
      emit("%", i + 1, i + 3);
      i += 2;
      continue;
    }
    if (next === "(" && i + 1 < to) {
      let depth = 1;
      let j = i + 2;
      while (j < to && depth > 0) {
        if (raw[j] === "(") depth++;
        else if (raw[j] === ")") depth--;
        j++;
      }
      if (depth === 0 && j < to && raw[j] === "s") {
        const name = raw.slice(i + 2, j - 1);
        const refSpan: SourceSpan = { file, line, col: i + 1, endCol: j + 2 };
        const target = keys.get(name);
        if (target !== undefined) {
          const toks = target.tokens.map((t) => t.text);
          emit(toks.length === 1 ? (toks[0] ?? "") : pyReprList(toks), refSpan.col, refSpan.endCol);
        } else {
          pending.push({ name, key, span: refSpan });
          emit(raw.slice(i, j + 1), refSpan.col, refSpan.endCol);
        }
        i = j + 1;
        continue;
      }
    }
    diagnostics.push({
      severity: "warning",
      code: "literal-percent",
      message: `"%" in the value of "${key}" is kept literally; catalyst would stop with a ValueError`,
      span: { file, line, col: i + 1, endCol: i + 2 },
      hint: "write `%%` for a percent sign, or `%(key)s` to insert an earlier key's value",
    });
    emit("%", i + 1, i + 2);
    i++;
  }
  return { text, starts, ends };
}
