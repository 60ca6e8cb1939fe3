import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseSpec } from "../../../src/spec/parser.js";
import { formatDiagnostic } from "../../../src/report/diagnostic-printer.js";

void describe("a spec that is not text", () => {
  void it("gets one not-text error at the first NUL byte, and no keys", () => {
    const p = parseSpec("x.spec", "target: stage3\nab\0cd: e\nf: g\n");
    assert.deepEqual(
      p.diagnostics.map((d) => [d.severity, d.code, d.message, d.span]),
      [
        [
          "error",
          "not-text",
          "not a text spec: it has a NUL byte",
          { file: "x.spec", line: 2, col: 3, endCol: 4 },
        ],
      ],
    );
    assert.equal(p.entries.size, 0);
  });

  void it("says so for bytes that are not UTF-8 (read as U+FFFD)", () => {
    const text = Buffer.from([0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a]).toString("utf8");
    const p = parseSpec("y.spec", text);
    assert.equal(p.diagnostics.length, 1);
    assert.equal(p.diagnostics[0]?.message, "not a text spec: it has bytes that are not UTF-8");
  });

  void it("is printed without echoing the line", () => {
    const text = "a: b\0c\n";
    const d = parseSpec("z.spec", text).diagnostics[0];
    assert.ok(d);
    assert.equal(
      formatDiagnostic(d, () => text),
      "z.spec:1:5: error: not a text spec: it has a NUL byte\n" +
        "  hint: a .spec file is UTF-8 text (key: value lines); is this the file you meant?",
    );
  });

  void it("control characters in an excerpt are shown as U+FFFD, the underline in place", () => {
    const text = "target: stage3\nx: a\x1b[31m\n";
    const d = parseSpec("e.spec", "target: stage3\nx: a\n").diagnostics;
    assert.equal(d.length, 0);
    const out = formatDiagnostic(
      {
        severity: "error",
        code: "unknown-key",
        message: "m",
        span: { file: "e.spec", line: 2, col: 4, endCol: 10 },
      },
      () => text,
    );
    assert.equal(out, "e.spec:2:4: error: m\n    2 | x: a\uFFFD[31m\n      |    ^~~~~~");
  });
});
