/**
 * Golden tests of `substrate build`'s plain output (CI, pipes): no plan lines before the run,
 * each fresh stage named once, one output path per stage, fatal errors as `error:` with a hint
 * that repeats the whole command line. Nothing here builds a root: one run is refused for want
 * of root, the other finds every stage fresh (stamps written by the test from `plan --json`).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CLI_BIN, type JsonEvent } from "../../helpers/cli.js";

const TOML = 'name = "g"\ndriver = "apt"\n[arch.amd64]\nbuilds = ["g:stage3", "g:stage4"]\n';

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), "substrate-plain-"));
  const files: Record<string, string> = {
    "substrate.toml": TOML,
    "specs/amd64/g/stage3.spec": "# bootstrapped by mmdebstrap\n",
    "specs/amd64/g/stage4.spec":
      "source_subpath: amd64/g/stage3-amd64-g-latest\nstage4/packages: less\n",
  };
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  chmodSync(root, 0o755); // readable by nobody
  return root;
}

/** Runs the CLI in `cwd` the way CI does (plain lines), optionally as the user nobody. */
function run(args: readonly string[], cwd: string, asNobody = false) {
  const user = asNobody && process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  return spawnSync(process.execPath, [CLI_BIN, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, CI: "1" },
    ...user,
  });
}

/** Times and the test's folder replaced by fixed words. */
function normalise(text: string, root: string): string {
  return text.replace(/^\d\d:\d\d:\d\d /gm, "HH:MM:SS ").replaceAll(root, "TREE");
}

void describe("plain output of substrate build", () => {
  void it("a build refused for want of root: one error, the whole command line as the hint", () => {
    const root = tree();
    const r = run(["build", "--date", "20260101", "-j", "1", root], "/", true);
    assert.equal(r.status, 3, r.stderr);
    assert.equal(r.stdout, "");
    assert.equal(
      normalise(r.stderr, root),
      "HH:MM:SS error: substrate build must run as root: stages are built in chroots inside private mount namespaces\n" +
        "           hint: run it again as root: substrate build --date 20260101 -j 1 TREE\n",
    );
  });

  void it("a build that finds every stage fresh names each once, with its one output", () => {
    const root = tree();
    const planned = run(["plan", "--json", "--date", "20260101", root], root);
    assert.equal(planned.status, 0, planned.stderr);
    for (const line of planned.stdout.split("\n").filter((l) => l.startsWith("{"))) {
      const e = JSON.parse(line) as JsonEvent;
      if (e.type !== "stage-planned") continue;
      const output = String(e["output"]);
      mkdirSync(dirname(output), { recursive: true });
      writeFileSync(output, "an output\n");
      writeFileSync(
        `${output}.stamp`,
        JSON.stringify({ fingerprint: e["fingerprint"], record: {} }) + "\n",
      );
    }
    const r = run(["build", "--date", "20260101", root], root);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "");
    const text = normalise(r.stderr, root).replace(/ in \d+(\.\d)?m?s$/m, " in T");
    assert.equal(
      text,
      [
        "HH:MM:SS build: 0 stage(s), 2 job(s)",
        "HH:MM:SS fresh  amd64/g:stage3  TREE/builds/amd64/g/20260101/stage3-amd64-g-20260101.tar.zst",
        "HH:MM:SS fresh  amd64/g:stage4  TREE/builds/amd64/g/20260101/stage4-amd64-g-20260101.tar.zst",
        "HH:MM:SS ok: 0 built, 2 fresh, 0 failed, 0 skipped in T",
        "",
      ].join("\n"),
    );
  });

  void it("a dry run prints the plan aligned, then each stage's steps", () => {
    const root = tree();
    const r = run(["build", "--dry-run", "--date", "20260101", root], root);
    assert.equal(r.status, 0, r.stderr);
    const text = normalise(r.stderr, root);
    assert.equal(
      text.slice(0, text.indexOf("HH:MM:SS amd64/g:stage3 would run:")),
      [
        "HH:MM:SS   1. amd64/g:stage3  build: no output yet",
        "                              -> builds/amd64/g/20260101/stage3-amd64-g-20260101.tar.zst",
        "           2. amd64/g:stage4  build: no output yet",
        "                              -> builds/amd64/g/20260101/stage4-amd64-g-20260101.tar.zst",
        "         plan for TREE on 20260101: 2 stage(s), 2 to build, 0 fresh, 0 blocked",
        "",
      ].join("\n"),
    );
    assert.match(text, /amd64\/g:stage4 would run:/);
  });
});
