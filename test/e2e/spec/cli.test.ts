/**
 * `substrate spec parse` and `substrate check` driven through the real CLI binary (no root
 * needed): output text, NDJSON, exit codes.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const BIN =
  process.env["SUBSTRATE_BIN"] ??
  fileURLToPath(new URL("../../../src/cli/bin.js", import.meta.url));

function run(args: string[], cwd: string): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "substrate-cli-"));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

const GOOD_TREE = {
  "substrate.toml":
    'name = "roflmaos"\ndriver = "apt"\n[arch.amd64]\nbuilds = ["roflmaos:stage3", "roflmaos:stage4"]\n',
  "specs/amd64/roflmaos/stage3.spec": "compression_mode: pixz\n",
  "specs/amd64/roflmaos/stage4.spec":
    "source_subpath: amd64/roflmaos/stage3-amd64-roflmaos-latest\nstage4/packages: sudo vim\n",
};

void describe("substrate spec parse", () => {
  void it("prints one JSON line per file with catalyst's values", () => {
    const root = tree({
      "a.spec": "subarch: amd64\nlist:\n  a\n  b\nnothing: none\n",
      "b.spec": 'x: "1"\n',
    });
    const r = run(["spec", "parse", "--json", "a.spec", "b.spec"], root);
    assert.equal(r.code, 0);
    assert.equal(
      r.out,
      '{"file":"a.spec","values":{"subarch":"amd64","list":["a","b"],"nothing":null}}\n' +
        '{"file":"b.spec","values":{"x":"1"}}\n',
    );
  });

  void it("prints a readable listing and parser warnings on stderr", () => {
    const root = tree({ "a.spec": "subarch: amd64\npkgs: a b\nempty:\n" });
    const r = run(["spec", "parse", "a.spec"], root);
    assert.equal(r.code, 0);
    assert.equal(r.out, 'a.spec: 2 keys\n  "subarch"  amd64\n  "pkgs"     a b [2]\n');
    assert.match(r.err, /a\.spec:3:1: warning: key "empty" has no value/);
  });

  void it("fails on a missing file", () => {
    const r = run(["spec", "parse", "nope.spec"], tmpdir());
    assert.equal(r.code, 1);
    assert.match(r.err, /cannot read nope\.spec/);
  });
});

void describe("substrate check", () => {
  void it("checks the current folder as a tree and exits 0 when clean", () => {
    const root = tree(GOOD_TREE);
    const r = run(["check", "--date", "20261126"], root);
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(r.out, "0 errors, 0 warnings in 3 files\n");
  });

  void it("prints every problem with source excerpts and exits 1", () => {
    const root = tree({
      ...GOOD_TREE,
      "specs/amd64/roflmaos/stage4.spec":
        "source_subpath: amd64/roflmaos/stage3-amd64-roflmaos-latest\nstage4/pakages: sudo\nstage4/fscript: x\n",
    });
    const r = run(["check", root, "--date", "20261126"], tmpdir());
    assert.equal(r.code, 1);
    // Paths inside the working directory are shown relative to it.
    const file = join(relative(tmpdir(), root), "specs/amd64/roflmaos/stage4.spec");
    assert.equal(
      r.out,
      [
        `${file}:1:1: error: missing required key "stage4/packages" for target stage4`,
        "    1 | source_subpath: amd64/roflmaos/stage3-amd64-roflmaos-latest",
        "      | ^" +
          "~".repeat("source_subpath: amd64/roflmaos/stage3-amd64-roflmaos-latest".length - 1),
        "  hint: add `stage4/packages: ...` (packages to install)",
        "",
        `${file}:2:1: error: key "stage4/pakages" is not valid for target stage4`,
        "    2 | stage4/pakages: sudo",
        "      | ^~~~~~~~~~~~~~",
        "  hint: did you mean `stage4/packages`?",
        "",
        `${file}:3:1: error: key "stage4/fscript" is not valid for target stage4`,
        "    3 | stage4/fscript: x",
        "      | ^~~~~~~~~~~~~~",
        "  hint: did you mean `stage4/fsscript`?",
        "",
        "3 errors, 0 warnings in 3 files",
        "",
      ].join("\n"),
    );
  });

  void it("checks files on their own", () => {
    const root = tree({
      "livecd-stage3.spec":
        "source_subpath: a/b\nlivecd/payload: a/c\nboot/kernel: linux\nlivecd/iso: x-@latest@.iso\n",
      "bad.spec": "target: stage5\n",
    });
    const ok = run(["check", "livecd-stage3.spec"], root);
    assert.equal(ok.code, 0, ok.out);
    assert.equal(ok.out, "0 errors, 0 warnings in 1 file\n");
    const bad = run(["check", "livecd-stage3.spec", "bad.spec"], root);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /bad\.spec:1:9: error: unknown target "stage5"/);
    assert.match(bad.out, /1 error, 0 warnings in 2 files\n$/);
  });

  void it("--json prints NDJSON diagnostic events and a summary", () => {
    const root = tree({ "stage3.spec": "compression_mode: zip\n" });
    const r = run(["check", "--json", "stage3.spec"], root);
    assert.equal(r.code, 1);
    const events = r.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(events.length, 2);
    const first = events[0] as { type: string; diagnostic: Record<string, unknown> };
    assert.equal(first.type, "diagnostic");
    assert.equal(first.diagnostic["code"], "bad-value");
    assert.deepEqual(first.diagnostic["span"], {
      file: "stage3.spec",
      line: 1,
      col: 19,
      endCol: 22,
    });
    assert.equal(events[1]?.["type"], "info");
    assert.equal(events[1]["message"], "1 error, 0 warnings in 1 file");
  });

  void it("exits 2 on usage errors", () => {
    const root = tree(GOOD_TREE);
    assert.equal(run(["check", "--date", "2026-11-26"], root).code, 2);
    const mixed = run(["check", "specs", "substrate.toml"], root);
    assert.equal(mixed.code, 2);
    assert.match(mixed.err, /either one tree folder or spec files/);
    assert.equal(run(["check", "--bogus"], root).code, 2);
  });

  void it("reports a folder without substrate.toml", () => {
    const r = run(["check"], tree({ "x.txt": "" }));
    assert.equal(r.code, 1);
    assert.match(r.out, /^error: no substrate\.toml in /);
  });
});

void describe("substrate check: the build graph (issue 11, defect 4)", () => {
  void it("reports a mistyped source_subpath with a did-you-mean over the tree's outputs", () => {
    const root = tree({
      ...GOOD_TREE,
      "specs/amd64/roflmaos/stage4.spec":
        "source_subpath: amd64/roflmaos/stage3-amd64-roflmaos-latst\nstage4/packages: sudo vim\n",
    });
    const r = run(["check", "--date", "20261126"], root);
    assert.equal(r.code, 1, r.out);
    assert.match(
      r.out,
      /specs\/amd64\/roflmaos\/stage4\.spec:1:17: error: source_subpath names amd64\/roflmaos\/stage3-amd64-roflmaos-latst/,
    );
    assert.match(r.out, /did you mean `amd64\/roflmaos\/stage3-amd64-roflmaos-latest`\?/);
    assert.match(r.out, /1 error, 0 warnings in 3 files\n$/);
  });

  void it("reports a cycle between specs with every hop", () => {
    const root = tree({
      "substrate.toml":
        'name = "roflmaos"\ndriver = "apt"\n[arch.amd64]\nbuilds = ["roflmaos:stage3", "roflmaos:stage4"]\n',
      "specs/amd64/roflmaos/stage3.spec":
        "source_subpath: amd64/roflmaos/20261126/stage4-amd64-roflmaos-20261126\n",
      "specs/amd64/roflmaos/stage4.spec":
        "source_subpath: amd64/roflmaos/stage3-amd64-roflmaos-latest\n",
    });
    const r = run(["check", "--date", "20261126"], root);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /error: stages need each other in a cycle/);
    assert.match(
      r.out,
      /specs\/amd64\/roflmaos\/stage3\.spec:1:17: note: amd64\/roflmaos:stage3 takes its source from amd64\/roflmaos:stage4/,
    );
    assert.match(
      r.out,
      /specs\/amd64\/roflmaos\/stage4\.spec:1:17: note: amd64\/roflmaos:stage4 takes its source from amd64\/roflmaos:stage3/,
    );
  });

  void it("still accepts a `-latest` name of a later stage (the previous run's output)", () => {
    const root = tree({
      ...GOOD_TREE,
      "specs/amd64/roflmaos/stage3.spec":
        "source_subpath: amd64/roflmaos/stage4-amd64-roflmaos-latest\n",
    });
    const r = run(["check", "--date", "20261126"], root);
    assert.doesNotMatch(r.out, /did you mean/);
  });
});

void describe("substrate check: outputs stay in the store (issue 11, defect 10)", () => {
  for (const iso of ["../../../../srv/x.iso", "/srv/x.iso", "sub/x.iso"]) {
    void it(`rejects a livecd/iso with a folder in it (${iso}); a plain name passes`, () => {
      const files = (value: string): Record<string, string> => ({
        "substrate.toml":
          'name = "roflmaos"\ndriver = "apt"\n[arch.amd64]\nbuilds = ["roflmaos:stage3", "roflmaos:livecd-stage3"]\n',
        "specs/amd64/roflmaos/stage3.spec": "compression_mode: pixz\n",
        "specs/amd64/roflmaos/livecd-stage3.spec": `source_subpath: amd64/roflmaos/stage3-amd64-roflmaos-latest\nlivecd/payload: amd64/roflmaos/stage3-amd64-roflmaos-latest\nlivecd/volid: x\nlivecd/iso: ${value}\n`,
      });
      const bad = run(["check", "--date", "20261126"], tree(files(iso)));
      assert.equal(bad.code, 1, bad.out);
      assert.match(
        bad.out,
        /livecd-stage3\.spec:4:13: error: livecd\/iso puts .* not a file in the store's dated folder/,
      );
      const good = run(["check", "--date", "20261126"], tree(files("x.iso")));
      assert.doesNotMatch(good.out, /output-outside-store|not a file in the store/, good.out);
    });
  }
  void it("rejects a livecd/iso that climbs out of the store with `..`", () => {
    const root = tree({
      "substrate.toml":
        'name = "roflmaos"\ndriver = "apt"\n[arch.amd64]\nbuilds = ["roflmaos:stage3", "roflmaos:livecd-stage3"]\n',
      "specs/amd64/roflmaos/stage3.spec": "compression_mode: pixz\n",
      "specs/amd64/roflmaos/livecd-stage3.spec":
        "source_subpath: amd64/roflmaos/stage3-amd64-roflmaos-latest\nlivecd/payload: amd64/roflmaos/stage3-amd64-roflmaos-latest\nlivecd/volid: x\nlivecd/iso: ../../../../srv/x.iso\n",
    });
    const r = run(["check", "--date", "20261126"], root);
    assert.equal(r.code, 1, r.out);
    assert.match(
      r.out,
      /livecd-stage3\.spec:4:13: error: livecd\/iso puts .* not a file in the store's dated folder/,
    );
  });
});

void describe("substrate check: substrate.toml values that cannot work (issue 11, defect 10)", () => {
  void it("reports builds = '/', an empty mirror, no components and a missing keyring", () => {
    const root = tree({
      ...GOOD_TREE,
      "substrate.toml":
        'name = "roflmaos"\ndriver = "apt"\n[store]\nbuilds = "/"\n[apt]\nmirror = ""\ncomponents = []\nkeyring = "nope.gpg"\n[arch.amd64]\nbuilds = ["roflmaos:stage3", "roflmaos:stage4"]\n',
    });
    const r = run(["check", "--date", "20261126"], root);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /substrate\.toml:4:1: error: \[store\] builds = "\/"/);
    assert.match(r.out, /substrate\.toml:6:1: error: \[apt\] mirror is empty/);
    assert.match(r.out, /substrate\.toml:7:1: error: \[apt\] components is empty/);
    assert.match(r.out, /substrate\.toml:8:1: error: \[apt\] keyring nope\.gpg does not exist/);
  });
});
