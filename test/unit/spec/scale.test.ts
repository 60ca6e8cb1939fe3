// Inputs that were once quadratic in `check` (issue 11, defect 12) stay fast: each case below
// took minutes before (a did-you-mean over every label's keys, a re-split file per excerpt, a
// scan of the whole TOML per build entry) and takes well under a second now.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { checkFiles, checkTree } from "../../../src/spec/check.js";
import { loadTree } from "../../../src/spec/tree.js";
import { cachedReader, formatDiagnostic } from "../../../src/report/diagnostic-printer.js";
import { editDistance, closest } from "../../../src/spec/suggest.js";
import { makeTree } from "./helpers.js";
import { join } from "node:path";
import { readFileSync } from "node:fs";

const toml = (builds: readonly string[]): string =>
  [
    'name = "scale"',
    'driver = "portage"',
    "[arch.amd64]",
    "builds = [",
    ...builds.map((b) => `  "${b}",`),
    "]",
    "",
  ].join("\n");

function timed(f: () => void): number {
  const start = performance.now();
  f();
  return performance.now() - start;
}

void describe("check stays linear", () => {
  void it("2,000 kernel labels, each with a mistyped key, in under 5 s (was minutes)", () => {
    const labels = Array.from({ length: 2000 }, (_, i) => `k-${i}`);
    const lines = [
      "source_subpath: amd64/systemd/stage3-amd64-systemd-latest",
      "profile: default/linux/amd64/23.0/systemd",
      "boot/kernel:",
      ...labels.map((l) => `\t${l}`),
      ...labels.flatMap((l) => [
        `boot/kernel/${l}/sources: gentoo-kernel`,
        `boot/kernel/${l}/sourcse: x`,
      ]),
    ];
    const root = makeTree({
      "substrate.toml": toml(["systemd:livecd-stage2"]),
      "specs/amd64/systemd/livecd-stage2.spec": lines.join("\n") + "\n",
    });
    let unknown = 0;
    const ms = timed(() => {
      const d = checkTree(loadTree(root, { date: "20261126" }));
      unknown = d.filter((x) => x.code === "unknown-key").length;
      assert.ok(d.some((x) => x.hint === "did you mean `boot/kernel/k-7/sources`?"));
    });
    assert.equal(unknown, 2000);
    assert.ok(ms < 5000, `took ${ms} ms`);
  });

  void it("20,000 repeated keys, printed with excerpts, in under 5 s", () => {
    const root = makeTree({
      "r.spec": "target: stage3\n" + "profile: default/linux/amd64/23.0\n".repeat(20000),
    });
    const file = join(root, "r.spec");
    const ms = timed(() => {
      const d = checkFiles([file], { date: "20261126" });
      assert.ok(d.length >= 19999);
      const read = cachedReader((f) => readFileSync(f, "utf8"));
      for (const x of d) formatDiagnostic(x, read);
    });
    assert.ok(ms < 5000, `took ${ms} ms`);
  });

  void it("10,000 build entries in substrate.toml in under 5 s, each pointing at its own line", () => {
    const builds = Array.from({ length: 10000 }, (_, i) => `f${i}:stage3`);
    const root = makeTree({ "substrate.toml": toml(builds) });
    let tree = loadTree(root, { date: "20261126" });
    const ms = timed(() => {
      tree = loadTree(root, { date: "20261126" });
    });
    const spans = tree.config.arches[0]?.builds.map((b) => b.span.line);
    assert.ok(spans !== undefined);
    assert.equal(spans[0], 5);
    assert.equal(spans[9999], 10004);
    assert.ok(ms < 5000, `took ${ms} ms`);
  });

  void it("the bounded edit distance agrees with the exact one", () => {
    assert.equal(editDistance("kitten", "sitting"), 3);
    assert.equal(editDistance("kitten", "sitting", 1), 2);
    assert.equal(editDistance("ab", "ba", 1), 1);
    assert.equal(closest("sourcse", ["sources", "sourcer"]), "sources");
    assert.equal(
      closest("boot/kernel/x/sourcse", ["boot/kernel/x/sources"]),
      "boot/kernel/x/sources",
    );
  });
});
