/**
 * Property: however a spec is laid out (indentation, continuation lines, blank lines, comments,
 * quotes around the first line's value), the parser yields the same catalyst values.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseSpec, specValues } from "../../../src/spec/parser.js";
import type { SpecValue } from "../../../src/spec/types.js";

const word = fc.stringMatching(/^[a-z0-9][a-z0-9_./=+-]{0,10}$/);
const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}(\/[a-z][a-z0-9_]{0,6}){0,2}$/);
const entry = fc.record({
  key,
  words: fc.array(word, { minLength: 1, maxLength: 6 }),
  layout: fc.array(fc.nat(3), { minLength: 6, maxLength: 6 }),
  quote: fc.boolean(),
  indent: fc.constantFrom("", " ", "\t", "    "),
  comment: fc.boolean(),
});

void describe("parseSpec layout independence", () => {
  void it("yields the same values for any layout", () => {
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: (e) => e.key, maxLength: 8 }), (entries) => {
        const lines: string[] = [];
        const expected: Record<string, SpecValue> = {};
        for (const e of entries) {
          // Split the words: some on the key line, the rest on continuation lines.
          const onKeyLine = (e.layout[0] ?? 0) % (e.words.length + 1);
          const first = e.words.slice(0, onKeyLine).join(" ");
          lines.push(`${e.key}: ${e.quote && first ? `"${first}"` : first}`);
          let rest = e.words.slice(onKeyLine);
          let i = 1;
          while (rest.length > 0) {
            const n = 1 + ((e.layout[i % 6] ?? 0) % rest.length);
            lines.push(`${e.indent}${rest.slice(0, n).join("  ")}`);
            if (e.comment) lines.push(`${e.indent}# comment: with a colon`);
            if ((e.layout[i % 6] ?? 0) === 0) lines.push("");
            rest = rest.slice(n);
            i++;
          }
          const only = e.words[0] ?? "";
          expected[e.key] =
            e.words.length === 1 ? (only.toLowerCase() === "none" ? null : only) : e.words;
        }
        const parsed = parseSpec("p.spec", lines.join("\n") + "\n");
        assert.deepEqual(specValues(parsed), expected);
        assert.deepEqual(parsed.diagnostics, []);
        // Every token's span points at its own text.
        const src = lines;
        for (const en of parsed.entries.values()) {
          for (const t of en.tokens) {
            const line = src[t.span.line - 1] ?? "";
            assert.equal(line.slice(t.span.col - 1, t.span.endCol - 1), t.text);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
