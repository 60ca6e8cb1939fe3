/**
 * `substrate init`: each template writes a tree that `check` and `plan` accept as it is, and a
 * folder that holds anything is refused untouched.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI_BIN, type JsonEvent } from "../../helpers/cli.js";

function run(args: readonly string[], cwd: string) {
  return spawnSync(process.execPath, [CLI_BIN, ...args], { cwd, encoding: "utf8" });
}

function events(stdout: string): JsonEvent[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as JsonEvent);
}

void describe("substrate init", () => {
  for (const [template, stages] of [
    ["apt", ["stage3", "livecd-stage1", "livecd-stage2", "livecd-stage3"]],
    ["portage", ["stage1", "stage2", "stage3"]],
  ] as const) {
    void it(`--template ${template} writes a tree that check and plan accept`, () => {
      const cwd = mkdtempSync(join(tmpdir(), "substrate-init-"));
      const made = run(["init", "--template", template, "My_Tree"], cwd);
      assert.equal(made.status, 0, made.stderr);
      assert.match(made.stdout, /wrote the .* template as tree my_tree in My_Tree/);
      const tree = join(cwd, "My_Tree");
      const check = run(["check", "--json", tree], cwd);
      assert.equal(check.status, 0, check.stdout);
      const errors = events(check.stdout).filter(
        (e) =>
          e.type === "diagnostic" && (e["diagnostic"] as { severity: string }).severity === "error",
      );
      assert.deepEqual(errors, []);
      const plan = run(["plan", "--json", "--date", "20260101", tree], cwd);
      assert.equal(plan.status, 0, plan.stdout);
      assert.deepEqual(
        events(plan.stdout)
          .filter((e) => e.type === "stage-planned")
          .map((e) => e["stage"]),
        stages.map((s) => `amd64/my_tree:${s}`),
      );
      if (template === "apt")
        assert.equal(statSync(join(tree, "fsscripts/livecd")).mode & 0o111, 0o111);
    });
  }

  void it("refuses a folder that is not empty, and changes nothing in it", () => {
    const cwd = mkdtempSync(join(tmpdir(), "substrate-init-"));
    writeFileSync(join(cwd, "notes.txt"), "mine\n");
    const r = run(["init", "."], cwd);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /error: \. is not empty \(1 entry\)/);
    assert.deepEqual(readdirSync(cwd), ["notes.txt"]);
    assert.equal(readFileSync(join(cwd, "notes.txt"), "utf8"), "mine\n");
  });

  void it("refuses a folder whose path has white space (spec values split on it)", () => {
    const cwd = mkdtempSync(join(tmpdir(), "substrate-init-"));
    const r = run(["init", "my tree"], cwd);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /has white space in its path/);
    assert.deepEqual(readdirSync(cwd), []);
  });

  void it("refuses an unknown template as a usage error", () => {
    const cwd = mkdtempSync(join(tmpdir(), "substrate-init-"));
    const r = run(["init", "--template", "rpm", "x"], cwd);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--template takes apt or portage, not "rpm"/);
    assert.deepEqual(readdirSync(cwd), []);
  });
});
