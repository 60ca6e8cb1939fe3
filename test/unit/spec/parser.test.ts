/**
 * Golden tests for the catalyst-exact spec parser: one test per rule of catalyst reference §1.1
 * and per repair substrate makes where catalyst crashes or misreads.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseSpec, specValues } from "../../../src/spec/parser.js";

const parse = (text: string) => parseSpec("t.spec", text);
const values = (text: string) => specValues(parse(text));
const codes = (text: string) => parse(text).diagnostics.map((d) => `${d.severity}:${d.code}`);

void describe("parseSpec: catalyst rules", () => {
  void it("one token is a string, several a list", () => {
    assert.deepEqual(values("a: x\nb: x y\n"), { a: "x", b: ["x", "y"] });
  });

  void it("strips each line, so indentation means nothing", () => {
    assert.deepEqual(values("   subarch: amd64   \n\t target: stage3\n"), {
      subarch: "amd64",
      target: "stage3",
    });
  });

  void it("a comment starts at the first # anywhere, even inside a URL", () => {
    assert.deepEqual(values("url: http://x.org/#frag\nb: 1 # two\n# all\nc: 3#4\n"), {
      url: "http://x.org/",
      b: "1",
      c: "3",
    });
  });

  void it("blank lines and comment lines do not end a list", () => {
    assert.deepEqual(values("pkgs:\n  a\n\n  # note\n  b c\n\nnext: z\n"), {
      pkgs: ["a", "b", "c"],
      next: "z",
    });
  });

  void it("splits on the first colon only and does not strip the key", () => {
    const p = parse("key : a:b:c\n");
    assert.deepEqual(specValues(p), { "key ": "a:b:c" });
    const e = p.entries.get("key ");
    assert.deepEqual(e?.keySpan, { file: "t.spec", line: 1, col: 1, endCol: 5 });
  });

  void it("accepts a key with no space after the colon", () => {
    assert.deepEqual(values("boot/kernel:gentoo\n"), { "boot/kernel": "gentoo" });
  });

  void it("strips leading and trailing double quotes but keeps single quotes; quotes do not group", () => {
    assert.deepEqual(values(`a: "two words"\nb: 'one'\nc: ""x""\nd: -O2 "-pipe"\n`), {
      a: ["two", "words"],
      b: "'one'",
      c: "x",
      d: ["-O2", '"-pipe'],
    });
  });

  void it("a continuation line appends; one continuation token alone gives a string", () => {
    assert.deepEqual(values("seed:\n\tamd64/stage3-latest\nlist: a\n  b\n"), {
      seed: "amd64/stage3-latest",
      list: ["a", "b"],
    });
  });

  void it("a repeated key replaces the earlier value and keeps its first position", () => {
    const p = parse("a: 1\nb: 2\na: 3 4\n");
    assert.deepEqual(Object.keys(specValues(p)), ["a", "b"]);
    assert.deepEqual(specValues(p), { a: ["3", "4"], b: "2" });
    const d = p.diagnostics.find((x) => x.code === "repeated-key");
    assert.equal(d?.severity, "warning");
    assert.equal(d.related?.[0]?.span.line, 1);
  });

  void it("a repeated key with no value drops the key entirely", () => {
    assert.deepEqual(values("a: 1\na:\nb: 2\n"), { b: "2" });
  });

  void it("drops keys without a value, with a warning", () => {
    const p = parse('a:\nb: ""\nc: 1\n');
    assert.deepEqual(specValues(p), { c: "1" });
    assert.deepEqual(
      p.diagnostics.map((d) => [d.code, d.severity, d.span?.line]),
      [
        ["empty-value", "warning", 1],
        ["empty-value", "warning", 2],
      ],
    );
  });

  void it("turns a single none (any case) into null but not none inside a list", () => {
    assert.deepEqual(values('a: none\nb: NoNe\nc: none none\nd: "none"\n'), {
      a: null,
      b: null,
      c: ["none", "none"],
      d: null,
    });
  });

  void it("interpolates %(key)s against keys set above; a list as its Python repr", () => {
    assert.deepEqual(values("arch: amd64\nl: a b\nx: %(arch)s/%(l)s\n"), {
      arch: "amd64",
      l: ["a", "b"],
      x: ["amd64/['a',", "'b']"],
    });
  });

  void it("interpolates a key that is still empty as []", () => {
    assert.deepEqual(values("e:\nx: %(e)s\n"), { x: "[]" });
  });

  void it("uses the earlier value of a key being redefined", () => {
    assert.deepEqual(values("a: 1\na: %(a)s2\n"), { a: "12" });
  });

  void it("Python repr quotes a token holding a single quote with double quotes", () => {
    assert.deepEqual(values("l: it's b\\c\nx: %(l)s\n"), {
      l: ["it's", "b\\c"],
      x: ['["it\'s",', "'b\\\\c']"],
    });
  });

  void it("%% is a percent sign", () => {
    assert.deepEqual(values("p: 100%%\n"), { p: "100%" });
    assert.deepEqual(codes("p: 100%%\n"), []);
  });

  void it("does not interpolate continuation lines (and says so)", () => {
    const p = parse("a: 1\nl:\n  %(a)s\n");
    assert.deepEqual(specValues(p), { a: "1", l: "%(a)s" });
    assert.deepEqual(
      p.diagnostics.map((d) => d.code),
      ["interpolation-in-continuation"],
    );
  });

  void it("splits on Python whitespace (tabs, form feeds)", () => {
    assert.deepEqual(values("a:\tx\fy\vz\n"), { a: ["x", "y", "z"] });
  });

  void it("treats \\r\\n and lone \\r as line ends, like Python's text mode", () => {
    assert.deepEqual(values("a: 1\r\nb: 2\rc: 3"), { a: "1", b: "2", c: "3" });
  });
});

void describe("parseSpec: substrate repairs", () => {
  void it("keeps a literal % that catalyst would crash on, with a warning", () => {
    const p = parse("fsops: -Xdict-size 50%\n");
    assert.deepEqual(specValues(p), { fsops: ["-Xdict-size", "50%"] });
    const d = p.diagnostics[0];
    assert.equal(d?.code, "literal-percent");
    assert.equal(d.severity, "warning");
    assert.deepEqual(d.span, { file: "t.spec", line: 1, col: 22, endCol: 23 });
  });

  void it("keeps %x, %s and an unclosed %( literally", () => {
    assert.deepEqual(values("a: %s %d %(open\n"), { a: ["%s", "%d", "%(open"] });
    assert.deepEqual(codes("a: %s %(open\n"), [
      "warning:literal-percent",
      "warning:literal-percent",
    ]);
  });

  void it("reports a reference to an unknown key as an error naming it", () => {
    const p = parse("x: a%(nope)sb\n");
    assert.deepEqual(specValues(p), { x: "a%(nope)sb" });
    const d = p.diagnostics[0];
    assert.equal(d?.code, "unknown-reference");
    assert.equal(d.severity, "error");
    assert.match(d.message, /"nope"/);
    assert.deepEqual(d.span, { file: "t.spec", line: 1, col: 5, endCol: 13 });
  });

  void it("reports a reference to a later key with where it is set", () => {
    const p = parse("x: %(later)s\nlater: 1\n");
    const d = p.diagnostics[0];
    assert.equal(d?.code, "reference-to-later-key");
    assert.match(d.message, /line 2/);
    assert.equal(d.related?.[0]?.span.line, 2);
  });

  void it("keeps slot and repo atoms on continuation lines in the list, with a warning", () => {
    const text = [
      "livecd/packages:",
      "\tapp-misc/tmux",
      "\tdev-lang/python:3.12",
      "\tfoo/bar::repo",
      "\t>=cat/pkg-1:2 =x11-libs/gtk+-3*:3 dev-libs/a:0/1= sys-libs/b:* c/d:=",
      "\tapp-misc/e   cat/pkg:1::repo[foo,-bar]",
      "livecd/use: -X",
    ].join("\n");
    const p = parse(text);
    assert.deepEqual(specValues(p), {
      "livecd/packages": [
        "app-misc/tmux",
        "dev-lang/python:3.12",
        "foo/bar::repo",
        ">=cat/pkg-1:2",
        "=x11-libs/gtk+-3*:3",
        "dev-libs/a:0/1=",
        "sys-libs/b:*",
        "c/d:=",
        "app-misc/e",
        "cat/pkg:1::repo[foo,-bar]",
      ],
      "livecd/use": "-X",
    });
    const warns = p.diagnostics.filter((d) => d.code === "slot-atom-continuation");
    assert.equal(warns.length, 4);
    assert.match(warns[0]?.message ?? "", /new key "dev-lang\/python"/);
    assert.deepEqual(warns[0]?.span, { file: "t.spec", line: 3, col: 2, endCol: 22 });
    // When words come before the atom, catalyst's key would be "app-misc/e   cat/pkg".
    assert.match(warns[3]?.message ?? "", /new key "app-misc\/e {3}cat\/pkg"/);
  });

  void it("still starts a new key for spec-key-like text (boot/kernel:x, livecd/iso:x)", () => {
    assert.deepEqual(values("a: 1\n  2\nboot/kernel:gentoo\nlivecd/iso:x.iso\n"), {
      a: ["1", "2"],
      "boot/kernel": "gentoo",
      "livecd/iso": "x.iso",
    });
  });

  void it("a colon followed by a space is a key even if the key looks like an atom", () => {
    assert.deepEqual(values("a: 1\nmedia-libs/mesa: x\n"), { a: "1", "media-libs/mesa": "x" });
  });

  void it("drops lines before the first key with a warning", () => {
    const p = parse("stray words\nsubarch: amd64\n");
    assert.deepEqual(specValues(p), { subarch: "amd64" });
    assert.equal(p.diagnostics[0]?.code, "text-before-first-key");
    assert.match(p.diagnostics[0].message, /key "stray"/);
  });

  void it("rejects an empty key name and drops its continuation lines", () => {
    const p = parse(": value\n  more\nb: 1\n");
    assert.deepEqual(specValues(p), { b: "1" });
    assert.deepEqual(codes(": value\n  more\nb: 1\n"), ["error:empty-key-name"]);
  });

  void it("strips a byte-order mark with a warning", () => {
    const p = parse("\ufeffsubarch: amd64\n");
    assert.deepEqual(specValues(p), { subarch: "amd64" });
    assert.equal(p.diagnostics[0]?.code, "byte-order-mark");
  });
});

void describe("parseSpec: spans", () => {
  void it("gives every value token its line and columns", () => {
    const p = parse("# c\n  livecd/packages:  a  bb\n\tccc\n");
    const e = p.entries.get("livecd/packages");
    assert.deepEqual(e?.keySpan, { file: "t.spec", line: 2, col: 3, endCol: 18 });
    assert.deepEqual(
      e.tokens.map((t) => [t.text, t.span.line, t.span.col, t.span.endCol]),
      [
        ["a", 2, 21, 22],
        ["bb", 2, 24, 26],
        ["ccc", 3, 2, 5],
      ],
    );
  });

  void it("points tokens inside quotes at their own text", () => {
    const e = parse('a: "x y"\n').entries.get("a");
    assert.deepEqual(
      e?.tokens.map((t) => [t.span.col, t.span.endCol]),
      [
        [5, 6],
        [7, 8],
      ],
    );
  });

  void it("points interpolated text at the %(key)s reference", () => {
    const e = parse("k: v\nx: pre%(k)s post\n").entries.get("x");
    assert.deepEqual(
      e?.tokens.map((t) => [t.text, t.span.col, t.span.endCol]),
      [
        ["prev", 4, 12],
        ["post", 13, 17],
      ],
    );
  });
});
