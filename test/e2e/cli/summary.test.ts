/**
 * `substrate summary`: each stage's resolved configuration, from the spec and plan layers:
 * tokens substituted, computed keys marked, inputs, outputs, fingerprint, decision, steps.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI_BIN, REPO_ROOT } from "../../helpers/cli.js";

const ROFLMAOS = join(REPO_ROOT, "examples", "roflmaos");

function run(args: readonly string[]) {
  const cwd = mkdtempSync(join(tmpdir(), "substrate-summary-"));
  return spawnSync(process.execPath, [CLI_BIN, ...args], { cwd, encoding: "utf8" });
}

interface Summary {
  tree: Record<string, unknown>;
  date: string;
  driver: { name: string; identity: string };
  stages: {
    id: string;
    kind: string;
    values: Record<string, unknown>;
    computed: string[];
    inputs: Record<string, { type: string; stage?: string }>;
    outputs: { output: string };
    fingerprint: string;
    decision: { kind: string };
    steps: string[];
  }[];
}

void describe("substrate summary", () => {
  void it("--json gives every stage's values after tokens, its inputs, outputs and steps", () => {
    const r = run(["summary", "--json", "--date", "20260101", ROFLMAOS]);
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as Summary;
    assert.equal(doc.date, "20260101");
    assert.equal(doc.tree["driver"], "apt");
    assert.equal(JSON.stringify(doc.tree).includes('"span"'), false, "no source spans");
    assert.match(doc.driver.identity, /^apt:suite=bookworm;/);
    const iso = doc.stages.find((s) => s.id === "amd64/roflmaos:livecd-stage3");
    assert.ok(iso !== undefined);
    assert.equal(iso.values["livecd/iso"], "roflmaOS-20260101.iso");
    assert.equal(iso.values["livecd/root_overlay"], join(ROFLMAOS, "root_overlays/livecd"));
    assert.ok(iso.computed.includes("target"));
    assert.deepEqual(Object.fromEntries(Object.entries(iso.inputs).map(([k, v]) => [k, v.stage])), {
      source: "amd64/roflmaos:livecd-stage1",
      payload: "amd64/roflmaos:livecd-stage2",
    });
    assert.match(
      iso.outputs.output,
      /\/builds\/amd64\/roflmaos\/20260101\/roflmaOS-20260101\.iso$/,
    );
    assert.match(iso.fingerprint, /^[0-9a-f]{64}$/);
    assert.equal(iso.decision.kind, "build");
    assert.ok(
      iso.steps.some((s) => s.startsWith("ISO ")),
      iso.steps.join("\n"),
    );
    assert.equal(doc.stages.length, 7);
  });

  void it("prints the same as text, one block per stage (and --only narrows it)", () => {
    const r = run(["summary", "--date", "20260101", "--only", "roflmaos:stage4", ROFLMAOS]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^tree .*examples\/roflmaos \(/);
    assert.match(r.stdout, /^ {2}driver: apt$/m);
    assert.match(r.stdout, /^amd64\/roflmaos:stage4 {2}\(stage4, /m);
    assert.match(r.stdout, /^ {4}stage4\/packages: less nano$/m);
    assert.match(r.stdout, /^ {4}target: stage4 {2}\(computed\)$/m);
    assert.match(r.stdout, /^ {2}source: stage amd64\/roflmaos:stage3 \(source_subpath: /m);
    assert.doesNotMatch(r.stdout, /livecd-stage1/);
  });

  void it("a tree with errors prints them and exits 1", () => {
    const r = run(["summary", "/nonexistent-tree"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no substrate\.toml/);
  });
});
