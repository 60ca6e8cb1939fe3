/** Token substitution: built-ins, tree tokens, every occurrence, unknown tokens, spans. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseSpec } from "../../../src/spec/parser.js";
import { substituteTokens } from "../../../src/spec/tokens.js";

const sub = (text: string, ctx: Parameters<typeof substituteTokens>[1]) =>
  substituteTokens(parseSpec("t.spec", text), ctx);

void describe("substituteTokens", () => {
  void it("replaces every @REPO_DIR@ and @latest@ on a line (unlike substrate's sed)", () => {
    const r = sub("a: @REPO_DIR@/x @REPO_DIR@/y\nb: roflmaOS-@latest@-@latest@.iso\n", {
      repoDir: "/tree",
      date: "20261126",
      mode: "tree",
    });
    assert.deepEqual(r.values, { a: ["/tree/x", "/tree/y"], b: "roflmaOS-20261126-20261126.iso" });
    assert.deepEqual(r.diagnostics, []);
  });

  void it("expands the tree config's tokens", () => {
    const r = sub("livecd/volid: @VENDOR@_@latest@\n", {
      date: "20261126",
      tokens: { VENDOR: "roflmaOS" },
      mode: "tree",
    });
    assert.deepEqual(r.values, { "livecd/volid": "roflmaOS_20261126" });
  });

  void it("keeps the span of the written token after substitution", () => {
    const r = sub("x: @REPO_DIR@/a\n", { repoDir: "/tree", mode: "tree" });
    assert.deepEqual(r.tokens.get("x")?.[0], {
      text: "/tree/a",
      span: { file: "t.spec", line: 1, col: 4, endCol: 16 },
    });
  });

  void it("re-splits a value whose token expands to several words", () => {
    const r = sub("cflags: @FLAGS@\n", { tokens: { FLAGS: "-O2 -pipe" }, mode: "tree" });
    assert.deepEqual(r.values, { cflags: ["-O2", "-pipe"] });
    assert.equal(r.tokens.get("cflags")?.length, 2);
  });

  void it("in a tree, an unknown token is an error listing the known ones", () => {
    const r = sub("x: a-@TIMESTAMP@\n", { repoDir: "/t", date: "20261126", mode: "tree" });
    assert.deepEqual(r.values, { x: "a-@TIMESTAMP@" });
    const d = r.diagnostics[0];
    assert.equal(d?.severity, "error");
    assert.equal(d.code, "unknown-token");
    assert.deepEqual(d.span, { file: "t.spec", line: 1, col: 6, endCol: 17 });
    assert.match(d.hint ?? "", /@REPO_DIR@, @latest@/);
  });

  void it("suggests the closest known token", () => {
    const r = sub("x: @lates@\n", { date: "20261126", mode: "tree" });
    assert.match(r.diagnostics[0]?.hint ?? "", /did you mean `@latest@`/);
  });

  void it("standalone, an unknown token is a warning and the text stays", () => {
    const r = sub("x: @TREEISH@\n", { date: "20261126", mode: "standalone" });
    assert.deepEqual(r.values, { x: "@TREEISH@" });
    assert.equal(r.diagnostics[0]?.severity, "warning");
  });

  void it("standalone without a tree, @REPO_DIR@ stays as written without complaint", () => {
    const r = sub("x: @REPO_DIR@/a\n", { date: "20261126", mode: "standalone" });
    assert.deepEqual(r.values, { x: "@REPO_DIR@/a" });
    assert.deepEqual(r.diagnostics, []);
  });

  void it("warns about @REPO_DIR without its closing @", () => {
    const r = sub("x: @REPO_DIR/fsscripts\n", { repoDir: "/t", mode: "tree" });
    assert.equal(r.diagnostics[0]?.code, "unterminated-token");
    assert.deepEqual(r.values, { x: "@REPO_DIR/fsscripts" });
  });

  void it("drops a key that becomes empty", () => {
    const r = sub("x: @E@\n", { tokens: { E: "" }, mode: "tree" });
    assert.deepEqual(r.values, {});
    assert.equal(r.diagnostics[0]?.code, "empty-after-tokens");
  });
});
