/**
 * Source spans in a TOML text. smol-toml gives values but no positions, so {@link TomlLocator}
 * finds a table's header, a key or a string value by searching the text, for diagnostics that
 * point at the place in `substrate.toml` (tree-config.ts) a problem comes from. Pure.
 */
import type { SourceSpan } from "../report/diagnostic.js";

/** Finds spans in a TOML text for keys and string values of a table. */
export class TomlLocator {
  private readonly lines: string[];

  /** Wraps the text of the TOML file shown as `file` in diagnostics. */
  constructor(
    text: string,
    private readonly file: string,
  ) {
    this.lines = text.split(/\r\n|\r|\n/);
  }

  private readonly regions = new Map<string, [number, number]>();

  /** `[from, to)` line indexes of a table's body (`[]` = top level); the whole file if not found. */
  private region(table: readonly string[]): [number, number] {
    const id = JSON.stringify(table);
    const known = this.regions.get(id);
    if (known) return known;
    const found = this.findRegion(table);
    this.regions.set(id, found);
    return found;
  }

  private findRegion(table: readonly string[]): [number, number] {
    const header = (i: number): boolean => /^\s*\[/.test(this.lines[i] ?? "");
    if (table.length === 0) {
      let end = 0;
      while (end < this.lines.length && !header(end)) end++;
      return [0, end];
    }
    const part = (p: string): string => {
      const e = p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      return `(?:${e}|"${e}"|'${e}')`;
    };
    const re = new RegExp(`^\\s*\\[\\s*${table.map(part).join("\\s*\\.\\s*")}\\s*\\]`);
    for (let i = 0; i < this.lines.length; i++) {
      if (re.test(this.lines[i] ?? "")) {
        let end = i + 1;
        while (end < this.lines.length && !header(end)) end++;
        return [i, end];
      }
    }
    return [0, this.lines.length];
  }

  /** The span of the table's header, or line 1. */
  table(table: readonly string[]): SourceSpan {
    const [from] = this.region(table);
    return this.lineSpan(from);
  }

  /** The span of `key` (left of `=`) in a table, or of the table header. */
  key(table: readonly string[], key: string): SourceSpan {
    const [from, to] = this.region(table);
    const e = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const re = new RegExp(`^(\\s*)(${e}|"${e}"|'${e}')\\s*=`);
    for (let i = from; i < to; i++) {
      const m = re.exec(this.lines[i] ?? "");
      if (m) {
        const col = (m[1] ?? "").length + 1;
        return { file: this.file, line: i + 1, col, endCol: col + (m[2] ?? "").length };
      }
    }
    return this.lineSpan(from);
  }

  // Per table region: each quoted literal (as written) at its first place, so that finding the
  // spans of thousands of strings (build entries) reads the region once, not once per string.
  private readonly literals = new Map<string, Map<string, SourceSpan>>();

  private literalIndex(from: number, to: number): Map<string, SourceSpan> {
    const id = `${from}:${to}`;
    let index = this.literals.get(id);
    if (index !== undefined) return index;
    index = new Map();
    const re = /"[^"\\\n]*"|'[^'\n]*'/g;
    for (let i = from; i < to; i++) {
      for (const m of (this.lines[i] ?? "").matchAll(re)) {
        if (!index.has(m[0])) {
          const col = m.index + 1;
          index.set(m[0], { file: this.file, line: i + 1, col, endCol: col + m[0].length });
        }
      }
    }
    this.literals.set(id, index);
    return index;
  }

  /** The span of the string `value` (quotes included) in a table, or of the key. */
  string(table: readonly string[], key: string, value: string): SourceSpan {
    const [from, to] = this.region(table);
    const index = this.literalIndex(from, to);
    const known = index.get(`"${value}"`) ?? index.get(`'${value}'`);
    if (known !== undefined) return known;
    for (const q of ['"', "'"]) {
      const needle = q + value + q;
      for (let i = from; i < to; i++) {
        const at = (this.lines[i] ?? "").indexOf(needle);
        if (at !== -1) {
          return { file: this.file, line: i + 1, col: at + 1, endCol: at + 1 + needle.length };
        }
      }
    }
    return this.key(table, key);
  }

  private lineSpan(index: number): SourceSpan {
    const text = this.lines[index] ?? "";
    const col = text.length - text.trimStart().length + 1;
    return { file: this.file, line: index + 1, col, endCol: col + text.trim().length };
  }
}
