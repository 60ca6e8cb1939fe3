/**
 * Schemas and validation: every kind's required and valid keys, driver-dependent requirements,
 * unknown keys with suggestions, value shapes, and the keys that reference tree paths.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseSpec } from "../../../src/spec/parser.js";
import { substituteTokens } from "../../../src/spec/tokens.js";
import { COMMON_KEYS } from "../../../src/spec/kinds/common.js";
import { KINDS } from "../../../src/spec/kinds/registry.js";
import { referencedPaths, requiredKeys, storeReferences } from "../../../src/spec/keys.js";
import { validateSpec } from "../../../src/spec/validate.js";
import type { ValidateOptions } from "../../../src/spec/validate.js";
import { checkFiles } from "../../../src/spec/check.js";
import { TARGET_KINDS } from "../../../src/spec/types.js";
import type { SourceSpan } from "../../../src/report/diagnostic.js";
import { fixturesDir } from "./helpers.js";
import { renderKeyReference } from "../../../src/spec/key-reference.js";

function validate(text: string, opts: ValidateOptions = { standalone: true }, stem = "x") {
  const parsed = parseSpec(`${stem}.spec`, text);
  const sub = substituteTokens(parsed, { date: "20261126", mode: "standalone" });
  const keySpans = new Map<string, SourceSpan>();
  for (const [k, e] of parsed.entries) keySpans.set(k, e.keySpan);
  return validateSpec(
    {
      file: `${stem}.spec`,
      stem,
      values: sub.values,
      keySpans,
      tokens: sub.tokens,
      firstLine: { file: `${stem}.spec`, line: 1, col: 1, endCol: 2 },
    },
    opts,
  );
}
const errors = (text: string, opts?: ValidateOptions, stem?: string) =>
  validate(text, opts, stem)
    .diagnostics.filter((d) => d.severity === "error")
    .map((d) => d.message);

const FULL = [
  "subarch: amd64",
  "version_stamp: v",
  "rel_type: r",
  "profile: default/linux/amd64/23.0",
  "snapshot_treeish: 20261126.lzo",
  "source_subpath: amd64/seed",
].join("\n");

void describe("schemas", () => {
  void it("has a schema for every target kind, each requiring catalyst's common keys", () => {
    for (const kind of TARGET_KINDS) {
      const s = KINDS[kind];
      assert.equal(s.kind, kind);
      const req = s.required.map((r) => r.key);
      for (const k of ["rel_type", "source_subpath", "subarch", "target", "version_stamp"]) {
        assert.ok(req.includes(k), `${kind} requires ${k}`);
      }
      for (const r of s.required) {
        assert.ok(s.keys[r.key] ?? COMMON_KEYS[r.key], `${kind}: required ${r.key} is valid`);
      }
    }
  });

  void it("uses catalyst's prefixes", () => {
    assert.equal(KINDS["livecd-stage1"].prefix, "livecd");
    assert.equal(KINDS["livecd-stage3"].prefix, "livecd");
    assert.equal(KINDS["diskimage-stage2"].prefix, "diskimage");
    assert.equal(KINDS.stage4.prefix, "stage4");
  });

  void it("has catalyst's per-kind required keys", () => {
    const req = (k: keyof typeof KINDS) => KINDS[k].required.map((r) => r.key);
    assert.ok(req("stage4").includes("stage4/packages"));
    assert.ok(req("livecd-stage1").includes("livecd/packages"));
    assert.ok(req("livecd-stage2").includes("boot/kernel"));
    assert.ok(req("netboot").includes("boot/kernel"));
    assert.ok(req("diskimage-stage1").includes("diskimage/packages"));
    assert.ok(req("diskimage-stage2").includes("boot/kernel"));
    assert.ok(req("livecd-stage3").includes("livecd/payload"));
    assert.ok(!req("livecd-stage3").includes("profile"));
  });

  void it("portage needs profile and snapshot; apt does not, and apt's stage3 needs no seed", () => {
    const keys = (kind: "stage3" | "stage4", d: "apt" | "portage") =>
      requiredKeys(kind, d, false).map((r) => r.key);
    assert.ok(keys("stage3", "portage").includes("profile"));
    assert.ok(keys("stage3", "portage").includes("snapshot_treeish"));
    assert.ok(keys("stage3", "portage").includes("source_subpath"));
    assert.ok(!keys("stage3", "apt").includes("profile"));
    assert.ok(!keys("stage3", "apt").includes("snapshot_treeish"));
    assert.ok(!keys("stage3", "apt").includes("source_subpath"));
    assert.ok(keys("stage4", "apt").includes("source_subpath"));
  });

  void it("standalone, does not require what a tree computes, nor driver-specific keys", () => {
    assert.deepEqual(errors("source_subpath: amd64/seed\n", { standalone: true }, "stage3"), []);
    // A stage3 may lack a seed (apt bootstraps it), so alone it needs nothing more.
    assert.deepEqual(errors("target: stage3\n", { standalone: true }, "weird"), []);
    assert.deepEqual(errors("target: stage4\n", { standalone: true }, "weird"), [
      'missing required key "source_subpath" for target stage4',
      'missing required key "stage4/packages" for target stage4',
    ]);
  });

  void it("passes the realistic catalyst and substrate fixtures", () => {
    const dir = fixturesDir();
    const files = [
      "releng-stage1.spec",
      "releng-stage3.spec",
      "releng-installcd-stage1.spec",
      "releng-installcd-stage2-minimal.spec",
      "releng-diskimage-stage2.spec",
      "substrate-livecd-stage3.spec",
      "netboot.spec",
      "templates/stage4.spec",
    ].map((f) => join(dir, f));
    const problems = checkFiles(files, { date: "20261126" }).filter((d) => d.severity === "error");
    assert.deepEqual(problems, []);
  });

  void it("the fixtures folder has an expected JSON for every spec", () => {
    const dir = fixturesDir();
    const specs = readdirSync(dir).filter((f) => f.endsWith(".spec"));
    assert.ok(specs.length >= 8);
    for (const s of specs) {
      assert.doesNotThrow(() =>
        JSON.parse(readFileSync(join(dir, s.replace(/\.spec$/, ".json")), "utf8")),
      );
    }
  });
});

void describe("docs/spec-language.md", () => {
  void it("ends with the key reference rendered from the schemas", () => {
    const doc = readFileSync(
      join(fixturesDir(), "..", "..", "..", "docs", "spec-language.md"),
      "utf8",
    );
    assert.ok(
      doc.endsWith(renderKeyReference()),
      "docs/spec-language.md §6 is out of date: regenerate it (see src/spec/key-reference.ts)",
    );
  });
});

void describe("validateSpec", () => {
  void it("reports an unknown key with a did-you-mean from edit distance", () => {
    const v = validate("target: livecd-stage3\nlivecd/fscript: x\n");
    const d = v.diagnostics.find((x) => x.code === "unknown-key");
    assert.equal(d?.message, 'key "livecd/fscript" is not valid for target livecd-stage3');
    assert.equal(d.hint, "did you mean `livecd/fsscript`?");
    assert.deepEqual(d.span, { file: "x.spec", line: 2, col: 1, endCol: 15 });
  });

  void it("suggests the same key under the kind's prefix", () => {
    const v = validate("target: livecd-stage2\nstage4/fsscript: x\n");
    assert.equal(
      v.diagnostics.find((x) => x.code === "unknown-key")?.hint,
      "did you mean `livecd/fsscript`?",
    );
  });

  void it("explains stale template keys and trailing spaces in keys", () => {
    const v = validate("target: stage3\nsnapshot: 2026\nprofile : x\n");
    const hints = v.diagnostics.filter((d) => d.code === "unknown-key").map((d) => d.hint);
    assert.deepEqual(hints, [
      "catalyst renamed it `snapshot_treeish`",
      "catalyst keeps the space before `:` as part of the key; did you mean `profile`?",
    ]);
  });

  void it("says which other kind accepts a key", () => {
    const v = validate("target: stage3\nstage4/users: a\n");
    assert.match(v.diagnostics[0]?.hint ?? "", /stage4|did you mean/);
  });

  void it("reports every missing required key at the target line", () => {
    const v = validate("# c\ntarget: stage4\n", { driver: "portage", standalone: false });
    const missing = v.diagnostics.filter((d) => d.code === "missing-required-key");
    assert.deepEqual(
      missing.map((d) => d.message),
      [
        'missing required key "profile" for target stage4',
        'missing required key "rel_type" for target stage4',
        'missing required key "snapshot_treeish" for target stage4',
        'missing required key "source_subpath" for target stage4',
        'missing required key "subarch" for target stage4',
        'missing required key "version_stamp" for target stage4',
        'missing required key "stage4/packages" for target stage4',
      ],
    );
    assert.ok(missing.every((d) => d.span?.line === 2));
  });

  void it("accepts livecd/cdtar in place of livecd/payload, but not both", () => {
    const base = "target: livecd-stage3\nsource_subpath: a/b\nboot/kernel: linux\n";
    assert.deepEqual(errors(base + "livecd/cdtar: a/c.tar.bz2\n"), []);
    assert.deepEqual(errors(base + "livecd/payload: a/c\n"), []);
    assert.match(
      errors(base + "livecd/payload: a/c\nlivecd/cdtar: a/c\n")[0] ?? "",
      /set only one/,
    );
    assert.deepEqual(errors(base), [
      'missing required key "livecd/payload" (or "livecd/cdtar") for target livecd-stage3',
    ]);
  });

  void it("accepts boot/kernel/<label>/* only for listed labels", () => {
    const text =
      "target: livecd-stage2\nsource_subpath: a\nboot/kernel: gentoo\n" +
      "boot/kernel/gentoo/config: k.config\nboot/kernel/gentoo/package: linux-image-amd64\n" +
      "boot/kernel/other/config: y\nboot/kernel/gentoo/confg: z\n";
    const v = validate(text);
    const unknown = v.diagnostics.filter((d) => d.code === "unknown-key");
    assert.deepEqual(
      unknown.map((d) => [d.message, d.hint]),
      [
        [
          'key "boot/kernel/other/config" is not valid for target livecd-stage2',
          'kernel "other" is not listed in boot/kernel (gentoo)',
        ],
        [
          'key "boot/kernel/gentoo/confg" is not valid for target livecd-stage2',
          "did you mean `boot/kernel/gentoo/config`?",
        ],
      ],
    );
  });

  void it("accepts netboot/packages/<pkg>/files for listed packages", () => {
    const t =
      "target: netboot\nsource_subpath: a\nboot/kernel: k\nnetboot/packages: a/b\n" +
      "netboot/packages/a/b/files: /x\nnetboot/packages/c/d/files: /y\n";
    assert.deepEqual(errors(t), [
      'key "netboot/packages/c/d/files" is not valid for target netboot',
    ]);
  });

  void it("checks single-token keys, yes/no and enumerations", () => {
    const t =
      "target: stage1\nsource_subpath: a b\nupdate_seed: maybe\ncompression_mode: pixzz\n" +
      "decompressor_search_order: xz zip\n";
    const v = validate(t);
    assert.deepEqual(
      v.diagnostics.map((d) => [d.severity, d.message]),
      [
        ["error", 'key "source_subpath" takes one value, got 2'],
        ["error", '"maybe" is not a valid value for "update_seed"'],
        ["error", '"pixzz" is not a valid value for "compression_mode"'],
        ["warning", '"zip" is not a valid value for "decompressor_search_order"'],
      ],
    );
    assert.match(v.diagnostics[2]?.hint ?? "", /did you mean `pixz`/);
  });

  void it("limits volume ids to 32 characters (joined with spaces)", () => {
    const t =
      "target: livecd-stage3\nsource_subpath: a\nboot/kernel: k\nlivecd/payload: p\n" +
      "livecd/volid: roflmaOS amd64 with a very long name\n";
    assert.deepEqual(errors(t), ['"livecd/volid" is 36 characters long; at most 32 are allowed']);
  });

  void it("checks substrate's livecd keys", () => {
    const t =
      "target: livecd-stage3\nsource_subpath: a\nboot/kernel: k\nlivecd/payload: p\n" +
      "livecd/bootloader: lilo\nlivecd/console: ttyS0,115200 tty0\n";
    assert.deepEqual(errors(t), ['"lilo" is not a valid value for "livecd/bootloader"']);
  });

  void it("warns about apt keys in a portage tree", () => {
    const t = `${FULL}\ntarget: stage3\napt/suite: bookworm\n`;
    const v = validate(t, { driver: "portage", standalone: false });
    assert.deepEqual(
      v.diagnostics.map((d) => d.code),
      ["driver-key-ignored"],
    );
  });

  void it("rejects an unknown target with a suggestion", () => {
    const v = validate("target: stage5\n");
    assert.equal(v.diagnostics[0]?.message, 'unknown target "stage5"');
    assert.equal(v.diagnostics[0].hint, "did you mean `stage1`?");
  });

  void it("derives the kind from the file stem when target is absent", () => {
    assert.equal(validate("source_subpath: a\n", { standalone: true }, "stage3").kind, "stage3");
    const v = validate("source_subpath: a\n", { standalone: true }, "sso");
    assert.equal(v.diagnostics[0]?.code, "missing-target");
  });

  void it("warns when catalyst would mangle a kernel label", () => {
    const t =
      "target: livecd-stage2\nsource_subpath: a\nboot/kernel: gentoo-dist\nboot/kernel/gentoo-dist/config: c\n";
    assert.equal(validate(t).diagnostics[0]?.code, "kernel-label-sanitized");
  });
});

void describe("referenced paths and store references", () => {
  void it("lists tree paths with their kind and span", () => {
    const parsed = parseSpec(
      "s.spec",
      "target: stage4\nstage4/root_overlay: /t/a /t/b\nstage4/fsscript: /t/f\nportage_confdir: /t/c\n" +
        "stage4/ssh_public_keys: root=/t/k1.pub,me=/t/k2.pub\nboot/kernel: g\nboot/kernel/g/config: /t/kc\n",
    );
    const sub = substituteTokens(parsed, { mode: "standalone" });
    const refs = referencedPaths("stage4", sub.values, sub.tokens);
    assert.deepEqual(
      refs.map((r) => [r.key, r.path, r.type, r.span?.line]),
      [
        ["stage4/root_overlay", "/t/a", "dir", 2],
        ["stage4/root_overlay", "/t/b", "dir", 2],
        ["stage4/fsscript", "/t/f", "file", 3],
        ["portage_confdir", "/t/c", "dir", 4],
        ["stage4/ssh_public_keys", "/t/k1.pub", "file", 5],
        ["stage4/ssh_public_keys", "/t/k2.pub", "file", 5],
        ["boot/kernel/g/config", "/t/kc", "file", 7],
      ],
    );
  });

  void it("lists livecd-stage2 files (overlay, readme, motd)", () => {
    const refs = referencedPaths("livecd-stage2", {
      "livecd/overlay": "o",
      "livecd/readme": "r",
      "livecd/motd": "m",
      "livecd/iso": "x.iso",
    });
    assert.deepEqual(
      refs.map((r) => r.key),
      ["livecd/overlay", "livecd/readme", "livecd/motd"],
    );
  });

  void it("lists the seed and livecd-stage3's payload (cdtar read as payload)", () => {
    const refs = storeReferences("livecd-stage3", {
      source_subpath: "amd64/f/livecd-stage1-amd64-f-latest",
      "livecd/cdtar": "amd64/f/livecd-stage2-amd64-f-latest",
    });
    assert.deepEqual(
      refs.map((r) => [r.key, r.role, r.subpath]),
      [
        ["source_subpath", "seed", "amd64/f/livecd-stage1-amd64-f-latest"],
        ["livecd/cdtar", "payload", "amd64/f/livecd-stage2-amd64-f-latest"],
      ],
    );
  });
});
