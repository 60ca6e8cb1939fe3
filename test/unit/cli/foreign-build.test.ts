// A foreign build (examples/gentoo's armv7a chain under qemu-arm) stops before any work when the
// host cannot run the root's programs, naming the command that prepares the host.
import { strict as assert } from "node:assert";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { foreignHostProblem } from "../../../src/cli/commands/build.js";
import { makePlan } from "../../../src/plan/plan.js";
import { loadTree } from "../../../src/spec/tree.js";
import { repoRoot } from "../plan/golden.js";

/** A host root with qemu-user-static installed; binfmt_misc mounted with qemu-arm or not. */
function host(mounted: boolean): string {
  const root = mkdtempSync(join(tmpdir(), "substrate-host-"));
  const binfmt = join(root, "proc/sys/fs/binfmt_misc");
  mkdirSync(binfmt, { recursive: true });
  mkdirSync(join(root, "usr/bin"), { recursive: true });
  writeFileSync(join(root, "usr/bin/qemu-arm-static"), "", { mode: 0o755 });
  if (mounted) {
    writeFileSync(join(binfmt, "register"), "");
    writeFileSync(join(binfmt, "status"), "enabled\n");
    writeFileSync(
      join(binfmt, "qemu-arm"),
      "enabled\ninterpreter /usr/libexec/qemu-binfmt/arm-binfmt-P\nflags: POCF\noffset 0\n",
    );
  }
  return root;
}

void test("a foreign stage to build is refused up front while binfmt_misc is not mounted", () => {
  const store = mkdtempSync(join(tmpdir(), "substrate-foreign-"));
  const seeds = join(store, "builds/armv7a/hardfp");
  mkdirSync(seeds, { recursive: true });
  writeFileSync(join(seeds, "stage3-armv7a_hardfp-latest.tar.xz"), "seed");
  const tree = loadTree(join(repoRoot(), "examples", "gentoo"), { date: "20260101", cwd: store });
  const plan = makePlan(tree, { toolVersion: "test" });
  const stage1 = plan.stages.find((s) => s.id === "armv7a/hardfp:stage1");
  assert.equal(stage1?.decision.kind, "build");

  const problem = foreignHostProblem(plan.stages, "examples/gentoo", host(false));
  assert.ok(problem !== undefined);
  assert.match(problem.message, /^armv7a\/hardfp:stage1: binfmt_misc is not mounted at /);
  assert.match(problem.hint, /as root, run substrate doctor --install examples\/gentoo /);
  assert.equal(foreignHostProblem(plan.stages, "examples/gentoo", host(true)), undefined);
  // Only stages that would run are checked: without the seed, nothing is.
  const blocked = makePlan(
    loadTree(join(repoRoot(), "examples", "gentoo"), { date: "20260101", cwd: host(false) }),
    { toolVersion: "test" },
  );
  assert.equal(foreignHostProblem(blocked.stages, "examples/gentoo", host(false)), undefined);
});
