#!/bin/sh
# Plans a generated tree of 1,000 specs (200 flavours, each the roflmaOS chain stage3 -> stage4
# -> livecd-stage1, stage3 -> livecd-stage2, both -> livecd-stage3, sharing one root overlay)
# and prints how long it takes: the planner alone (load excluded), and the whole
# `substrate plan --json` command. Target: under 1 s for the planner.
#
#   npm run build && sh bench/plan-1000.sh            # uses dist/
#   OUT=/tmp/out-plan sh bench/plan-1000.sh           # another build folder
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$here/dist}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

node --input-type=module - "$work" <<'JS'
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const root = process.argv[2];
const flavours = Array.from({ length: 200 }, (_, i) => `f${i}`);
const builds = [];
mkdirSync(join(root, "overlay", "etc"), { recursive: true });
writeFileSync(join(root, "overlay", "etc", "hostname"), "bench\n");
for (const f of flavours) {
  const dir = join(root, "specs", "amd64", f);
  mkdirSync(dir, { recursive: true });
  const latest = (s) => `amd64/${f}/${s}-amd64-${f}-latest`;
  const specs = {
    stage3: "# bootstrapped\n",
    stage4: `source_subpath: ${latest("stage3")}\nstage4/packages: less nano\n`,
    "livecd-stage1": `source_subpath: ${latest("stage4")}\nlivecd/packages: systemd-sysv udev\n`,
    "livecd-stage2": `source_subpath: ${latest("stage3")}\nboot/kernel: k\nlivecd/volid: bench\n`,
    "livecd-stage3": `source_subpath: ${latest("livecd-stage1")}\nlivecd/payload: ${latest("livecd-stage2")}\nboot/kernel: k\nlivecd/volid: bench\nlivecd/iso: ${f}-@latest@.iso\nlivecd/root_overlay: @REPO_DIR@/overlay\n`,
  };
  for (const [stage, text] of Object.entries(specs)) {
    writeFileSync(join(dir, `${stage}.spec`), text);
    builds.push(`"${f}:${stage}"`);
  }
}
writeFileSync(
  join(root, "substrate.toml"),
  `name = "bench"\ndriver = "apt"\n[arch.amd64]\nbuilds = [${builds.join(", ")}]\n`,
);
JS

node --input-type=module - "$work" "$out" <<'JS'
const [root, out] = process.argv.slice(2);
const { loadTree } = await import(`${out}/src/spec/tree.js`);
const { makePlan } = await import(`${out}/src/plan/plan.js`);
let t = performance.now();
const tree = loadTree(root, { date: "20260101", cwd: root });
const load = performance.now() - t;
t = performance.now();
const plan = makePlan(tree, { toolVersion: "bench" });
const planMs = performance.now() - t;
const errors = tree.diagnostics.filter((d) => d.severity === "error").length;
console.log(`specs: ${tree.stages.length} (load errors: ${errors}), planned: ${plan.stages.length}`);
console.log(`loadTree: ${load.toFixed(0)} ms`);
console.log(`makePlan: ${planMs.toFixed(0)} ms (target < 1000 ms)`);
JS

start=$(date +%s%N)
node "$out/src/cli/bin.js" plan "$work" --date 20260101 --json >"$work/plan.ndjson" || true
end=$(date +%s%N)
echo "substrate plan --json (whole command, node start included): $(( (end - start) / 1000000 )) ms, $(grep -c stage-planned "$work/plan.ndjson") stage-planned events"
