// Reuse across the split live CD, decided by the planner from stamps: a kernel change rebuilds
// the payload (livecd-stage2) and the ISO but reuses the root squashfs (livecd-stage1); a root
// overlay change rebuilds the ISO and reuses the payload. Uses the example Gentoo tree, whose
// kernel config is a file the fingerprint covers, with stamps and outputs faked in a temp store.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { makePlan, type Plan } from "../../../src/plan/plan.js";
import { loadTree } from "../../../src/spec/tree.js";

const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
const DATE = "20260110";

function setup(): { dir: string; tree: string; plan: () => Plan } {
  const dir = mkdtempSync(join(tmpdir(), "substrate-reuse-"));
  const tree = join(dir, "tree");
  cpSync(join(REPO, "examples/gentoo"), tree, { recursive: true });
  for (const seed of [
    "builds/amd64/systemd/stage3-amd64-systemd-latest.tar.xz",
    "builds/armv7a/hardfp/stage3-armv7a_hardfp-latest.tar.xz",
  ]) {
    mkdirSync(dirname(join(dir, seed)), { recursive: true });
    writeFileSync(join(dir, seed), "seed");
  }
  const plan = (): Plan =>
    makePlan(loadTree(tree, { date: DATE, cwd: dir }), { toolVersion: "test" });
  return { dir, tree, plan };
}

/** Writes every stage's output and stamp as if the plan had been built. */
function markBuilt(plan: Plan): void {
  for (const s of plan.stages) {
    mkdirSync(dirname(s.outputs.output), { recursive: true });
    if (s.outputs.form === "directory") mkdirSync(s.outputs.output, { recursive: true });
    else writeFileSync(s.outputs.output, "output");
    writeFileSync(
      s.outputs.stamp,
      JSON.stringify({ fingerprint: s.fingerprint, record: s.record }),
    );
  }
}

function decisions(plan: Plan): Record<string, string> {
  return Object.fromEntries(
    plan.stages
      .filter((s) => s.id.startsWith("amd64/systemd:livecd"))
      .map((s) => [s.id, s.decision.kind]),
  );
}

void test("a kernel config change rebuilds the payload and the ISO, and reuses the root squashfs", () => {
  const { tree, plan } = setup();
  markBuilt(plan());
  assert.ok(
    plan().stages.every((s) => s.decision.kind === "fresh"),
    "everything is fresh after the build",
  );
  appendFileSync(join(tree, "kconfig/amd64-livecd.config"), "CONFIG_DUMMY=m\n");
  const after = plan();
  assert.deepEqual(decisions(after), {
    "amd64/systemd:livecd-stage1": "fresh",
    "amd64/systemd:livecd-stage2": "build",
    "amd64/systemd:livecd-stage3": "build",
  });
  const stage2 = after.stages.find((s) => s.id === "amd64/systemd:livecd-stage2");
  assert.match(stage2?.decision.reason ?? "", /kconfig|config/);
});

void test("a root overlay change of livecd-stage3 rebuilds only the ISO, reusing the payload", () => {
  const { tree, plan } = setup();
  markBuilt(plan());
  appendFileSync(join(tree, "root_overlays/livecd/etc/issue"), "edited\n");
  const after = decisions(plan());
  assert.equal(after["amd64/systemd:livecd-stage2"], "fresh");
  assert.equal(after["amd64/systemd:livecd-stage3"], "build");
});
