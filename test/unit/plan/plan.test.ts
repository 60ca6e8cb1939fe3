// Decisions: fresh, build (with the reason) and blocked, from stamps written into a temp store.
import { strict as assert } from "node:assert";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { makePlan, type Plan, type PlannedStage } from "../../../src/plan/plan.js";
import type { SpecTree } from "../../../src/spec/types.js";
import { makeTree, roflmaosStages, tempRoot, type StageInputSpec } from "./tree-builder.js";

const TOOLS = "test-tools 1";

/** What the executor does after a stage succeeds: publish the output and its stamp. */
function publish(stage: PlannedStage): void {
  const out = stage.outputs.output;
  mkdirSync(dirname(out), { recursive: true });
  if (stage.outputs.form === "directory") mkdirSync(out, { recursive: true });
  else writeFileSync(out, `output of ${stage.id}`);
  writeFileSync(
    stage.outputs.stamp,
    JSON.stringify({ fingerprint: stage.fingerprint, record: stage.record }),
  );
}

function decisions(plan: Plan): Record<string, string> {
  return Object.fromEntries(
    plan.stages.map((s) => [
      s.id.split(":")[1] ?? s.id,
      `${s.decision.kind}: ${s.decision.reason}`,
    ]),
  );
}

function withOverlay(root: string): {
  tree: (extra?: Partial<Record<string, string>>) => SpecTree;
} {
  const overlay = join(root, "root_overlays", "livecd");
  mkdirSync(join(overlay, "etc"), { recursive: true });
  writeFileSync(join(overlay, "etc", "hostname"), "roflmaOS\n");
  writeFileSync(join(overlay, "etc", "issue"), "roflmaOS \\l\n");
  return {
    tree: (extra = {}) => {
      const stages: StageInputSpec[] = roflmaosStages().map((s) =>
        s.stage === "livecd-stage3"
          ? { ...s, values: { ...s.values, "livecd/root_overlay": overlay } }
          : s.stage === "stage4" && extra["stage4/packages"] !== undefined
            ? { ...s, values: { ...s.values, "stage4/packages": extra["stage4/packages"] } }
            : s,
      );
      return makeTree({ root, stages });
    },
  };
}

void test("an empty store builds everything: no output yet", () => {
  const root = tempRoot();
  const plan = makePlan(makeTree({ root, stages: roflmaosStages() }), { toolVersion: TOOLS });
  assert.deepEqual(decisions(plan), {
    stage3: "build: no output yet",
    stage4: "build: no output yet",
    "livecd-stage1": "build: no output yet",
    "livecd-stage2": "build: no output yet",
    "livecd-stage3": "build: no output yet",
  });
});

void test("after every stage is published with its stamp, everything is fresh", () => {
  const root = tempRoot();
  const tree = makeTree({ root, stages: roflmaosStages() });
  makePlan(tree, { toolVersion: TOOLS }).stages.forEach(publish);
  const plan = makePlan(tree, { toolVersion: TOOLS });
  assert.ok(
    plan.stages.every((s) => s.decision.kind === "fresh"),
    JSON.stringify(decisions(plan)),
  );
});

void test("changing an overlay file rebuilds only the stage reading it, naming the file", () => {
  const root = tempRoot();
  const t = withOverlay(root);
  makePlan(t.tree(), { toolVersion: TOOLS }).stages.forEach(publish);
  writeFileSync(join(root, "root_overlays", "livecd", "etc", "hostname"), "roflmaOS2\n");
  assert.deepEqual(decisions(makePlan(t.tree(), { toolVersion: TOOLS })), {
    stage3: "fresh: up to date",
    stage4: "fresh: up to date",
    "livecd-stage1": "fresh: up to date",
    "livecd-stage2": "fresh: up to date",
    "livecd-stage3": "build: input livecd/root_overlay changed (etc/hostname)",
  });
});

void test("changing a spec value rebuilds the stage and its descendants with parent reasons", () => {
  const root = tempRoot();
  const t = withOverlay(root);
  makePlan(t.tree(), { toolVersion: TOOLS }).stages.forEach(publish);
  const plan = makePlan(t.tree({ "stage4/packages": "less vim-tiny" }), { toolVersion: TOOLS });
  assert.deepEqual(decisions(plan), {
    stage3: "fresh: up to date",
    stage4: "build: spec value stage4/packages changed",
    "livecd-stage1": "build: parent amd64/roflmaos:stage4 will be rebuilt",
    "livecd-stage2": "fresh: up to date",
    "livecd-stage3": "build: parent amd64/roflmaos:livecd-stage1 will be rebuilt",
  });
});

void test("a lost output is rebuilt; an output without a stamp is rebuilt; a new tool version rebuilds all", () => {
  const root = tempRoot();
  const tree = makeTree({ root, stages: roflmaosStages() });
  const first = makePlan(tree, { toolVersion: TOOLS });
  first.stages.forEach(publish);
  const s4 = first.stages[1]!;
  rmSync(s4.outputs.output);
  rmSync(first.stages[2]!.outputs.stamp);
  const d = decisions(makePlan(tree, { toolVersion: TOOLS }));
  assert.equal(d["stage4"], "build: no output yet");
  assert.equal(d["livecd-stage1"], "build: output has no freshness stamp");
  // stage4's inputs did not change, so what was built from it is still fresh.
  assert.equal(d["livecd-stage3"], "fresh: up to date");
  const upgraded = decisions(makePlan(tree, { toolVersion: "test-tools 2" }));
  assert.equal(upgraded["stage3"], "build: host tool versions changed");
});

void test("a missing seed blocks the stage and everything after it", () => {
  const root = tempRoot();
  const tree = makeTree({
    root,
    driver: "portage",
    stages: [
      {
        flavour: "systemd",
        stage: "stage1",
        values: { source_subpath: "amd64/systemd/stage3-amd64-systemd-latest" },
      },
      {
        flavour: "systemd",
        stage: "stage2",
        values: { source_subpath: "amd64/systemd/stage1-amd64-systemd-latest" },
      },
      {
        flavour: "systemd",
        stage: "stage3",
        values: { source_subpath: "amd64/systemd/stage2-amd64-systemd-latest" },
      },
    ],
  });
  const plan = makePlan(tree, { toolVersion: TOOLS });
  assert.deepEqual(decisions(plan), {
    stage1: `blocked: needs seed ${root}/builds/amd64/systemd/stage3-amd64-systemd-latest.*`,
    stage2: "blocked: input amd64/systemd:stage1 is blocked",
    stage3: "blocked: input amd64/systemd:stage2 is blocked",
  });
  // Once the seed is there, the chain is buildable; a new seed (other DIGESTS) rebuilds stage1.
  const dir = join(root, "builds", "amd64", "systemd");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "stage3-amd64-systemd-latest.tar.xz"), "seed");
  writeFileSync(join(dir, "stage3-amd64-systemd-latest.tar.xz.DIGESTS"), "one");
  const ready = makePlan(tree, { toolVersion: TOOLS });
  assert.equal(decisions(ready)["stage1"], "build: no output yet");
  ready.stages.forEach(publish);
  writeFileSync(join(dir, "stage3-amd64-systemd-latest.tar.xz.DIGESTS"), "two");
  assert.equal(
    decisions(makePlan(tree, { toolVersion: TOOLS }))["stage1"],
    "build: seed @BUILDS@/amd64/systemd/stage3-amd64-systemd-latest.tar.xz changed",
  );
});

void test("--only keeps the selected stages and everything they need, in build order", () => {
  const root = tempRoot();
  const tree = makeTree({ root, stages: roflmaosStages() });
  const ids = (only: string[]): string[] =>
    makePlan(tree, { toolVersion: TOOLS, only }).stages.map((s) => s.id);
  assert.deepEqual(ids(["roflmaos:livecd-stage2"]), [
    "amd64/roflmaos:stage3",
    "amd64/roflmaos:livecd-stage2",
  ]);
  assert.deepEqual(ids(["amd64/roflmaos:livecd-stage1"]), [
    "amd64/roflmaos:stage3",
    "amd64/roflmaos:stage4",
    "amd64/roflmaos:livecd-stage1",
  ]);
  const bad = makePlan(tree, { toolVersion: TOOLS, only: ["roflmaos:stage9"] });
  assert.equal(bad.diagnostics[0]!.code, "unknown-stage");
  assert.equal(bad.diagnostics[0]!.message, "--only roflmaos:stage9 names no stage of the tree");
});

void test("stages on a cycle are blocked", () => {
  const root = tempRoot();
  const dated = (s: string): string => `amd64/c/20260101/${s}-amd64-c-20260101`;
  const tree = makeTree({
    root,
    driver: "portage",
    stages: [
      { flavour: "c", stage: "stage1", values: { source_subpath: dated("stage2") } },
      { flavour: "c", stage: "stage2", values: { source_subpath: dated("stage1") } },
    ],
  });
  const plan = makePlan(tree, { toolVersion: TOOLS });
  assert.ok(plan.stages.every((s) => s.decision.kind === "blocked"));
  assert.equal(plan.diagnostics[0]?.code, "cycle");
});
