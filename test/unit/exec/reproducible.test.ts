/**
 * `build --verify-reproducible`'s pure parts: which stages are checked, the rebuild plan (the
 * stage into a second store, its inputs the published outputs), how file digests compare, the
 * listing diff shown without diffoscope, and the option checks.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { makePlan } from "../../../src/plan/plan.js";
import {
  compareFiles,
  diffoscopePaths,
  listingDiff,
  outputsIn,
  rebuildPlan,
  stagesToVerify,
  truncateText,
  verifySummary,
} from "../../../src/exec/reproducible.js";
import { buildOptionProblem } from "../../../src/cli/commands/build.js";
import { describeEvent } from "../../../src/report/format.js";
import { makeTree, roflmaosStages, tempRoot } from "../plan/tree-builder.js";
import { buildProgram } from "../../../src/cli/main.js";
import { commandTable } from "../../../src/cli/help.js";
import { completionScript } from "../../../src/cli/completion.js";
import { manPage } from "../../../src/cli/manpage.js";

function plan() {
  const root = tempRoot();
  return {
    root,
    plan: makePlan(makeTree({ root, stages: roflmaosStages() }), { toolVersion: "t 1" }),
  };
}

void describe("stagesToVerify", () => {
  void it("checks every stage without --only, only the named ones with it", () => {
    const { plan: p } = plan();
    assert.deepEqual(
      stagesToVerify(p, undefined).map((s) => s.id),
      p.stages.map((s) => s.id),
    );
    assert.deepEqual(
      stagesToVerify(p, ["roflmaos:livecd-stage3"]).map((s) => s.id),
      ["amd64/roflmaos:livecd-stage3"],
    );
    assert.deepEqual(
      stagesToVerify(p, ["amd64/roflmaos:stage4", "roflmaos:stage3"]).map((s) => s.id),
      ["amd64/roflmaos:stage3", "amd64/roflmaos:stage4"],
    );
  });
});

void describe("rebuildPlan", () => {
  void it("rebuilds one stage into the second store from its published inputs", () => {
    const { plan: p } = plan();
    const r = rebuildPlan(p, "amd64/roflmaos:livecd-stage3", "/v/run-1");
    const ids = r.stages.map((s) => `${s.id} ${s.decision.kind}`);
    assert.deepEqual(ids, [
      "amd64/roflmaos:livecd-stage1 fresh",
      "amd64/roflmaos:livecd-stage2 fresh",
      "amd64/roflmaos:livecd-stage3 build",
    ]);
    const original = p.stages.find((s) => s.id === "amd64/roflmaos:livecd-stage1");
    // The inputs keep their published paths; only the rebuilt stage moves.
    assert.equal(r.stages[0]?.outputs.output, original?.outputs.output);
    const rebuilt = r.stages[2]?.outputs;
    assert.ok(rebuilt);
    for (const path of [
      rebuilt.output,
      rebuilt.flavourDir,
      rebuilt.dateDir,
      rebuilt.latest,
      rebuilt.pointer,
      rebuilt.stamp,
    ])
      assert.ok(path.startsWith("/v/run-1/builds/amd64/roflmaos"), path);
    assert.match(rebuilt.log, /^\/v\/run-1\/logs\/roflmaos\/livecd-stage3-/);
  });

  void it("a bootstrap stage is rebuilt alone", () => {
    const { plan: p } = plan();
    const r = rebuildPlan(p, "amd64/roflmaos:stage3", "/v/x");
    assert.deepEqual(
      r.stages.map((s) => s.id),
      ["amd64/roflmaos:stage3"],
    );
  });

  void it("outputsIn keeps names and the layout under the new root", () => {
    const { root, plan: p } = plan();
    const s = p.stages[0];
    assert.ok(s);
    const moved = outputsIn(s.outputs, "/elsewhere");
    assert.equal(
      moved.output.slice("/elsewhere/builds".length),
      s.outputs.output.slice(join(root, "builds").length),
    );
    assert.equal(moved.pointerText, s.outputs.pointerText);
  });
});

function join(a: string, b: string): string {
  return `${a.replace(/\/$/, "")}/${b}`;
}

void describe("compareFiles", () => {
  void it("a file with the same digest is reproducible and carries it", () => {
    const c = compareFiles("s", "/p/a.iso", "/r/a.iso", [
      { path: "", published: "ab", rebuilt: "ab" },
    ]);
    assert.equal(c.verdict, "reproducible");
    assert.equal(c.sha256, "ab");
    assert.deepEqual(c.differingFiles, []);
  });

  void it("a folder names its differing, missing and extra files, sorted", () => {
    const c = compareFiles("s", "/p/d", "/r/d", [
      { path: "z", published: "1", rebuilt: "2" },
      { path: "a", published: "1", rebuilt: "1" },
      { path: "m", published: "1" },
      { path: "b", rebuilt: "1" },
    ]);
    assert.equal(c.verdict, "differs");
    assert.deepEqual(c.differingFiles, [
      "b (only in the rebuild)",
      "m (missing from the rebuild)",
      "z",
    ]);
  });

  void it("equal folders are reproducible with one label, different ones get another", () => {
    const pairs = [
      { path: "a", published: "1", rebuilt: "1" },
      { path: "b", published: "2", rebuilt: "2" },
    ];
    const one = compareFiles("s", "/p", "/r", pairs);
    assert.equal(one.verdict, "reproducible");
    assert.match(one.sha256 ?? "", /^folder:[0-9a-f]{64}$/);
    const other = compareFiles("s", "/p", "/r", [{ path: "a", published: "3", rebuilt: "3" }]);
    assert.notEqual(other.sha256, one.sha256);
  });

  void it("nothing to compare is not a pass", () => {
    assert.equal(compareFiles("s", "/p", "/r", []).verdict, "differs");
  });

  void it("summarises verdicts", () => {
    const same = compareFiles("s", "/p", "/r", [{ path: "", published: "1", rebuilt: "1" }]);
    const diff = compareFiles("s", "/p", "/r", [{ path: "", published: "1", rebuilt: "2" }]);
    assert.equal(verifySummary([same, same, diff]), "2 reproducible, 1 differs");
    assert.equal(verifySummary([same]), "1 reproducible, 0 differ");
  });
});

void describe("listingDiff", () => {
  void it("shows changed lines old then new, and added and removed ones", () => {
    const a = "d ./\nf ./etc/a 1\nf ./etc/b 2\nf ./gone\n";
    const b = "d ./\nf ./etc/a 1\nf ./etc/b 3\nf ./new\n";
    assert.deepEqual(listingDiff(a, b), [
      "- f ./etc/b 2",
      "- f ./gone",
      "+ f ./etc/b 3",
      "+ f ./new",
    ]);
  });

  void it("is empty for equal listings and stops at max lines", () => {
    assert.deepEqual(listingDiff("x\ny\n", "x\ny\n"), []);
    const many = Array.from({ length: 100 }, (_, i) => `f ${i}`).join("\n");
    assert.equal(listingDiff(many, "", 10).length, 10);
  });

  void it("notices a change of order", () => {
    assert.deepEqual(listingDiff("a\nb\n", "b\na\n"), ["- a (order)", "- b (order)"]);
  });
});

void describe("truncateText", () => {
  void it("keeps short text and says how much was cut", () => {
    assert.equal(truncateText("a\nb\n", 5), "a\nb");
    assert.equal(
      truncateText("1\n2\n3\n4\n", 2),
      "1\n2\n[... 2 more lines; the full report is in the log]",
    );
  });
});

void describe("build option checks and the verdict lines", () => {
  void it("refuses --verify-reproducible with --dry-run", () => {
    assert.match(
      buildOptionProblem({ verifyReproducible: true, dryRun: true }) ?? "",
      /cannot be combined with --dry-run/,
    );
    assert.equal(buildOptionProblem({ verifyReproducible: true }), undefined);
    assert.equal(buildOptionProblem({ dryRun: true }), undefined);
  });

  void it("prints a reproducible output on one line and a difference with where", () => {
    const same = describeEvent(
      {
        type: "reproducible-check",
        stage: "amd64/r:stage3",
        output: "/b/s.tar.zst",
        rebuilt: "/v/s.tar.zst",
        verdict: "reproducible",
        sha256: "abc",
        differingFiles: [],
        details: [],
      },
      false,
    );
    assert.match(same ?? "", /reproducible amd64\/r:stage3 {2}\/b\/s\.tar\.zst {2}abc/);
    const diff = describeEvent(
      {
        type: "reproducible-check",
        stage: "amd64/r:stage4",
        output: "/b/s.tar.zst",
        rebuilt: "/v/s.tar.zst",
        verdict: "differs",
        differingFiles: ["."],
        details: ["├── ./var/cache/ldconfig/aux-cache"],
        detailsFrom: "diffoscope",
      },
      false,
    );
    assert.match(diff ?? "", /DIFFERS amd64\/r:stage4/);
    assert.match(
      diff ?? "",
      /where \(diffoscope\):\n {2}\| ├── \.\/var\/cache\/ldconfig\/aux-cache/,
    );
  });
});

void describe("--verify-reproducible in the command table", () => {
  void it("is in build's help, the completion scripts and the man page", () => {
    const table = commandTable(buildProgram());
    for (const shell of ["bash", "zsh", "fish"] as const)
      assert.match(completionScript(shell, table), /verify-reproducible/, shell);
    assert.match(manPage(table, "test"), /verify\\-reproducible/);
    const build = buildProgram().commands.find((c) => c.name() === "build");
    assert.match(build?.helpInformation() ?? "", /--verify-reproducible/);
  });
});

void describe("diffoscopePaths", () => {
  void it("lists the sections of a nested report, outermost first, once each", () => {
    const report = [
      "--- a.iso",
      "+++ b.iso",
      "├── LiveOS/squashfs.img",
      "│ ├── unsquashfs -s {}",
      "│ │ @@ -1 +1 @@",
      "│ ├── /etc/build-nonce",
      "│ │ -1",
      "│ │ +2",
      "│ ├── /etc/build-nonce",
    ].join("\n");
    assert.deepEqual(diffoscopePaths(report), [
      "LiveOS/squashfs.img",
      "unsquashfs -s {}",
      "/etc/build-nonce",
    ]);
    assert.deepEqual(diffoscopePaths("no sections"), []);
  });
});
