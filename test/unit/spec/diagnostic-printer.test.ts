/** Golden text of the diagnostic printer. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatDiagnostic } from "../../../src/report/diagnostic-printer.js";
import type { Diagnostic } from "../../../src/report/diagnostic.js";
import { checkFiles, summarize } from "../../../src/spec/check.js";
import { makeTree } from "./helpers.js";
import { join } from "node:path";
import { readFileSync } from "node:fs";

const FILE = "specs/amd64/roflmaos/livecd-stage3.spec";
const SOURCE = [
  "source_subpath: amd64/roflmaos/livecd-stage1-amd64-roflmaos-latest",
  "livecd/payload: amd64/roflmaos/livecd-stage2-amd64-roflmaos-latest",
  "boot/kernel: linux",
  "livecd/fscript: @REPO_DIR@/fsscripts/livecd",
  "",
].join("\n");
const read = (f: string) => (f === FILE ? SOURCE : undefined);

void describe("formatDiagnostic", () => {
  void it("prints location, severity, message, source line, underline and hint", () => {
    const d: Diagnostic = {
      severity: "error",
      code: "unknown-key",
      message: 'key "livecd/fscript" is not valid for target livecd-stage3',
      span: { file: FILE, line: 4, col: 1, endCol: 15 },
      hint: "did you mean `livecd/fsscript`?",
    };
    assert.equal(
      formatDiagnostic(d, read),
      [
        'specs/amd64/roflmaos/livecd-stage3.spec:4:1: error: key "livecd/fscript" is not valid for target livecd-stage3',
        "    4 | livecd/fscript: @REPO_DIR@/fsscripts/livecd",
        "      | ^~~~~~~~~~~~~~",
        "  hint: did you mean `livecd/fsscript`?",
      ].join("\n"),
    );
  });

  void it("prints related places as notes, aligning the gutter to the widest line number", () => {
    const long = Array.from({ length: 12 }, (_, i) => `k${i + 1}: v`).join("\n");
    const d: Diagnostic = {
      severity: "warning",
      code: "repeated-key",
      message: 'key "k" is set again',
      span: { file: "a.spec", line: 12, col: 1, endCol: 4 },
      related: [
        { message: "first set here", span: { file: "a.spec", line: 2, col: 5, endCol: 5 } },
      ],
    };
    assert.equal(
      formatDiagnostic(d, () => long),
      [
        'a.spec:12:1: warning: key "k" is set again',
        "    12 | k12: v",
        "       | ^~~",
        "a.spec:2:5: note: first set here",
        "     2 | k2: v",
        "       |     ^",
      ].join("\n"),
    );
  });

  void it("keeps tabs before the underline so it lines up", () => {
    const d: Diagnostic = {
      severity: "warning",
      code: "x",
      message: "m",
      span: { file: "t", line: 1, col: 2, endCol: 5 },
    };
    assert.equal(
      formatDiagnostic(d, () => "\tabc"),
      "t:1:2: warning: m\n    1 | \tabc\n      | \t^~~",
    );
  });

  void it("prints a diagnostic without a place, and without a source reader", () => {
    assert.equal(
      formatDiagnostic({ severity: "error", code: "c", message: "no tree", hint: "a\nb" }),
      "error: no tree\n  hint: a\n        b",
    );
    assert.equal(
      formatDiagnostic(
        {
          severity: "note",
          code: "c",
          message: "m",
          span: { file: "f", line: 3, col: 2, endCol: 2 },
        },
        { color: false },
      ),
      "f:3:2: note: m",
    );
  });

  void it("colours only when asked", () => {
    const d: Diagnostic = { severity: "error", code: "c", message: "m" };
    assert.ok(!formatDiagnostic(d).includes("\u001b["));
    assert.ok(formatDiagnostic(d, { color: true }).includes("\u001b["));
  });

  void it("renders a real check end to end", () => {
    const root = makeTree({ "livecd-stage3.spec": SOURCE });
    const file = join(root, "livecd-stage3.spec");
    const ds = checkFiles([file], { date: "20261126" });
    const text = ds.map((d) => formatDiagnostic(d, (f) => readFileSync(f, "utf8"))).join("\n\n");
    assert.equal(
      text,
      [
        `${file}:4:1: error: key "livecd/fscript" is not valid for target livecd-stage3`,
        "    4 | livecd/fscript: @REPO_DIR@/fsscripts/livecd",
        "      | ^~~~~~~~~~~~~~",
        "  hint: did you mean `livecd/fsscript`?",
      ].join("\n"),
    );
    assert.equal(summarize(ds, 1), "1 error, 0 warnings in 1 file");
  });
});

void describe("summarize", () => {
  void it("counts errors and warnings with plurals", () => {
    const e: Diagnostic = { severity: "error", code: "c", message: "m" };
    const w: Diagnostic = { severity: "warning", code: "c", message: "m" };
    assert.equal(summarize([e, e, e, w], 2), "3 errors, 1 warning in 2 files");
    assert.equal(summarize([], 1), "0 errors, 0 warnings in 1 file");
  });
});
