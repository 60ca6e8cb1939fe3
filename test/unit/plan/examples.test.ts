// The example trees load cleanly and plan as the golden files say (date fixed, empty store).
import { strict as assert } from "node:assert";
import { join, relative } from "node:path";
import { test } from "node:test";
import { checkTree } from "../../../src/spec/check.js";
import { loadTree } from "../../../src/spec/tree.js";
import { makePlan } from "../../../src/plan/plan.js";
import { assertGolden, repoRoot } from "./golden.js";
import { tempRoot } from "./tree-builder.js";

/** The plan as stable JSON: paths relative to the store or tree, fingerprints left out. */
function planJson(name: string): { json: string; diagnostics: string[] } {
  const store = tempRoot("substrate-example-");
  const root = join(repoRoot(), "examples", name);
  const tree = loadTree(root, { date: "20260101", cwd: store });
  const plan = makePlan(tree, { toolVersion: "golden" });
  const rel = (p: string): string =>
    p.startsWith(store) ? `<STORE>/${relative(store, p)}` : `<TREE>/${relative(root, p)}`;
  const stages = plan.stages.map((s) => ({
    id: s.id,
    kind: s.kind,
    inputs: Object.fromEntries(
      Object.entries(s.inputs).map(([role, i]) => [
        role,
        i.type === "stage"
          ? { stage: i.stage, key: i.key }
          : i.type === "seed"
            ? { seed: rel(i.path), found: i.found, key: i.key }
            : { bootstrap: true },
      ]),
    ),
    output: rel(s.outputs.output),
    latest: rel(s.outputs.latest),
    pointer: rel(s.outputs.pointer),
    log: rel(s.outputs.log),
    decision: `${s.decision.kind}: ${s.decision.reason.split(store).join("<STORE>")}`,
  }));
  const diagnostics = [...checkTree(tree), ...plan.diagnostics].map(
    (d) => `${d.severity} ${d.code}: ${d.message}`,
  );
  return { json: JSON.stringify(stages, null, 2) + "\n", diagnostics };
}

void test("examples/roflmaos checks clean and plans every stage for building", () => {
  const { json, diagnostics } = planJson("roflmaos");
  assert.deepEqual(diagnostics, []);
  assertGolden("roflmaos-plan.json", json);
});

void test("examples/gentoo checks clean; without seeds both chains are blocked", () => {
  const { json, diagnostics } = planJson("gentoo");
  assert.deepEqual(diagnostics, [
    "warning missing-seed: source_subpath names amd64/systemd/stage3-amd64-systemd-latest which no stage in the tree builds and no seed file exists under builds/",
    "warning missing-seed: source_subpath names armv7a/hardfp/stage3-armv7a_hardfp-latest which no stage in the tree builds and no seed file exists under builds/",
  ]);
  assertGolden("gentoo-plan.json", json);
});
