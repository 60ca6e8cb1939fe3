/**
 * Text helpers that reproduce Python's string semantics where catalyst relies on them:
 * `str.strip()`/`str.split()` whitespace, `repr()` of a list of strings, and line splitting in
 * text mode (universal newlines).
 */

/** Characters Python's `str.isspace()` accepts (what `strip()` and `split()` use). */
const PY_SPACE = new Set<number>([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0, 0x1680, 0x2000, 0x2001,
  0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f,
  0x205f, 0x3000,
]);

/** True when the UTF-16 unit at `i` is whitespace for Python. */
export function isPySpace(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return (
    c === 0x20 ||
    (c < 0x80 ? (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f) : PY_SPACE.has(c))
  );
}

/** A whitespace-separated piece of a string with its offsets (`end` exclusive). */
export interface Piece {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** Python's `s.split()` (no argument), keeping each piece's offsets. */
export function pySplit(s: string): Piece[] {
  const out: Piece[] = [];
  let i = 0;
  const n = s.length;
  while (i < n) {
    while (i < n && isPySpace(s, i)) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && !isPySpace(s, i)) i++;
    out.push({ text: s.slice(start, i), start, end: i });
  }
  return out;
}

/** Offsets `[start, end)` of `s` with Python whitespace stripped from both ends. */
export function pyStripRange(s: string, from = 0, to = s.length): [number, number] {
  let a = from;
  let b = to;
  while (a < b && isPySpace(s, a)) a++;
  while (b > a && isPySpace(s, b - 1)) b--;
  return [a, b];
}

/** Python's `repr()` of a str (the quoting rules of CPython 3). */
export function pyReprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += "\\" + quote;
    else if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += ch;
  }
  return out + quote;
}

/** Python's `repr()` of a list of str, e.g. `['a', 'b']`; what `%(key)s` yields for a list. */
export function pyReprList(items: readonly string[]): string {
  return "[" + items.map(pyReprString).join(", ") + "]";
}

/** Splits text into lines the way Python's text mode does (`\n`, `\r\n` and `\r` all end a line). */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}
