/**
 * `@TOKEN@` substitution in spec values: `@REPO_DIR@` (the tree folder), `@latest@` (the build
 * date, `YYYYMMDD`) and every `@NAME@` of the tree config's `[tokens]`. Unlike the original
 * substrate's `sed`, every occurrence on a line is replaced. Spans keep pointing at the text as
 * written.
 */
import type { Diagnostic, SourceSpan } from "../report/diagnostic.js";
import type { ParsedSpec, SpecToken, SpecValue } from "./types.js";
import { tokensToValue } from "./parser.js";
import { pySplit } from "./text.js";
import { closest } from "./suggest.js";

/** What tokens expand to, and how strict to be about unknown ones. */
export interface TokenContext {
  /** The tree folder for `@REPO_DIR@`; left as written when absent. */
  readonly repoDir?: string;
  /** The build date for `@latest@` (`YYYYMMDD`); left as written when absent. */
  readonly date?: string;
  /** User tokens from the tree config. */
  readonly tokens?: Readonly<Record<string, string>>;
  /**
   * `tree`: an unknown `@NAME@` is an error; `standalone` (a single file checked on its own):
   * a warning, and the text is left as it is.
   */
  readonly mode: "tree" | "standalone";
}

/** A spec's values after substitution, with the (re-split) tokens of every key. */
export interface SubstitutedSpec {
  readonly values: Record<string, SpecValue>;
  readonly tokens: Map<string, readonly SpecToken[]>;
  readonly diagnostics: Diagnostic[];
}

const TOKEN = /@([A-Za-z_][A-Za-z0-9_]*)@/g;
/** Built-in token names: spelled `@NAME` without the closing `@`, they earn a warning. */
const BUILTIN = ["REPO_DIR", "latest"] as const;

/** Every token name the context knows, with its value (`undefined`: known but not set here). */
export function knownTokens(ctx: TokenContext): Map<string, string | undefined> {
  const m = new Map<string, string | undefined>([
    ["REPO_DIR", ctx.repoDir],
    ["latest", ctx.date],
  ]);
  for (const [k, v] of Object.entries(ctx.tokens ?? {})) m.set(k, v);
  return m;
}

/**
 * Substitutes tokens in every value of `parsed`. A value that gains whitespace is re-split, as it
 * would have been had the token been replaced before parsing; every piece keeps the span of the
 * token it came from.
 */
export function substituteTokens(parsed: ParsedSpec, ctx: TokenContext): SubstitutedSpec {
  const known = knownTokens(ctx);
  const diagnostics: Diagnostic[] = [];
  const values: Record<string, SpecValue> = {};
  const tokens = new Map<string, readonly SpecToken[]>();
  for (const [key, entry] of parsed.entries) {
    let changed = false;
    const out: SpecToken[] = [];
    for (const tok of entry.tokens) {
      checkUnterminated(tok, known, diagnostics);
      if (!tok.text.includes("@")) {
        out.push(tok);
        continue;
      }
      const replaced = tok.text.replace(TOKEN, (whole: string, name: string, offset: number) => {
        const value = known.get(name);
        if (value !== undefined) return value;
        if (!known.has(name))
          diagnostics.push(unknownToken(tok, name, offset, whole.length, known, ctx));
        return whole;
      });
      if (replaced === tok.text) {
        out.push(tok);
        continue;
      }
      changed = true;
      for (const piece of pySplit(replaced)) out.push({ text: piece.text, span: tok.span });
    }
    if (out.length === 0) {
      diagnostics.push({
        severity: "warning",
        code: "empty-after-tokens",
        message: `key "${key}" is empty after token substitution and is dropped`,
        span: entry.keySpan,
      });
      continue;
    }
    values[key] = changed ? tokensToValue(out) : entry.value;
    tokens.set(key, out);
  }
  return { values, tokens, diagnostics };
}

/** The span of `length` characters at `offset` inside a token, when the token is verbatim source. */
function innerSpan(tok: SpecToken, offset: number, length: number): SourceSpan {
  const verbatim = tok.span.endCol - tok.span.col === tok.text.length;
  if (!verbatim) return tok.span;
  return { ...tok.span, col: tok.span.col + offset, endCol: tok.span.col + offset + length };
}

function unknownToken(
  tok: SpecToken,
  name: string,
  offset: number,
  length: number,
  known: ReadonlyMap<string, string | undefined>,
  ctx: TokenContext,
): Diagnostic {
  const names = [...known.keys()];
  const guess = closest(name, names);
  const list = names.map((n) => `@${n}@`).join(", ");
  const span = innerSpan(tok, offset, length);
  if (ctx.mode === "tree") {
    return {
      severity: "error",
      code: "unknown-token",
      message: `unknown token @${name}@`,
      span,
      hint:
        (guess !== undefined ? `did you mean \`@${guess}@\`? ` : "") +
        `known tokens: ${list}; define more under [tokens] in substrate.toml`,
    };
  }
  return {
    severity: "warning",
    code: "unknown-token",
    message: `unknown token @${name}@ is left as written`,
    span,
    hint: `substrate fills in ${list} and the [tokens] of a tree's substrate.toml; check the file as part of its tree`,
  };
}

/** Warns about `@REPO_DIR` / `@latest` written without the closing `@` (seen in old specs). */
function checkUnterminated(
  tok: SpecToken,
  known: ReadonlyMap<string, string | undefined>,
  diagnostics: Diagnostic[],
): void {
  if (!tok.text.includes("@")) return;
  const names = new Set<string>([...BUILTIN, ...known.keys()]);
  const re = /@([A-Za-z_][A-Za-z0-9_]*)(@?)/g;
  for (let m = re.exec(tok.text); m !== null; m = re.exec(tok.text)) {
    const name = m[1] ?? "";
    if (m[2] === "@") {
      re.lastIndex = m.index + m[0].length;
      continue;
    }
    if (names.has(name)) {
      diagnostics.push({
        severity: "warning",
        code: "unterminated-token",
        message: `"@${name}" has no closing "@" and is not substituted`,
        span: innerSpan(tok, m.index, m[0].length),
        hint: `write \`@${name}@\``,
      });
    }
  }
}
