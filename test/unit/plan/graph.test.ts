// Graph resolution: stage inputs, seeds, the `-latest` rolling rule, cycles and unresolved inputs.
import { strict as assert } from "node:assert";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { machineOf, resolveGraph } from "../../../src/plan/graph.js";
import { makeTree, roflmaosStages, tempRoot } from "./tree-builder.js";

void test("the roflmaOS chain resolves source_subpath and livecd/payload to the stages that build them", () => {
  const root = tempRoot();
  const graph = resolveGraph(makeTree({ root, stages: roflmaosStages() }));
  assert.deepEqual(graph.diagnostics, []);
  const input = (id: string, role: "source" | "payload"): unknown => {
    const i = graph.inputs.get(id)?.[role];
    return i?.type === "stage" ? i.stage : i?.type;
  };
  assert.equal(input("amd64/roflmaos:stage3", "source"), "bootstrap");
  assert.equal(input("amd64/roflmaos:stage4", "source"), "amd64/roflmaos:stage3");
  assert.equal(input("amd64/roflmaos:livecd-stage1", "source"), "amd64/roflmaos:stage4");
  assert.equal(input("amd64/roflmaos:livecd-stage2", "source"), "amd64/roflmaos:stage3");
  assert.equal(input("amd64/roflmaos:livecd-stage3", "source"), "amd64/roflmaos:livecd-stage1");
  assert.equal(input("amd64/roflmaos:livecd-stage3", "payload"), "amd64/roflmaos:livecd-stage2");
  assert.deepEqual(graph.order, [
    "amd64/roflmaos:stage3",
    "amd64/roflmaos:stage4",
    "amd64/roflmaos:livecd-stage1",
    "amd64/roflmaos:livecd-stage2",
    "amd64/roflmaos:livecd-stage3",
  ]);
});

void test("dated subpaths, extensions and absolute cdtar paths name tree stages too", () => {
  const root = tempRoot();
  const date = "20260101";
  const tree = makeTree({
    root,
    date,
    driver: "portage",
    stages: [
      {
        flavour: "systemd",
        stage: "stage3",
        values: { source_subpath: "amd64/systemd/stage1-amd64-systemd-latest" },
      },
      {
        flavour: "systemd",
        stage: "stage4",
        values: { source_subpath: `amd64/systemd/${date}/stage3-amd64-systemd-${date}.tar.bz2` },
      },
      {
        flavour: "systemd",
        stage: "livecd-stage2",
        values: { source_subpath: "amd64/systemd/stage3-amd64-systemd-latest" },
      },
      {
        flavour: "systemd",
        stage: "livecd-stage3",
        values: {
          source_subpath: "amd64/systemd/stage4-amd64-systemd-latest",
          "livecd/cdtar": `${root}/../elsewhere/livecd-stage2-amd64-systemd-latest.tar.bz2`,
        },
      },
    ],
  });
  const graph = resolveGraph(tree);
  const stage4 = graph.inputs.get("amd64/systemd:stage4")?.source;
  assert.equal(stage4?.type === "stage" && stage4.stage, "amd64/systemd:stage3");
  const payload = graph.inputs.get("amd64/systemd:livecd-stage3")?.payload;
  assert.equal(payload?.type === "stage" && payload.stage, "amd64/systemd:livecd-stage2");
});

void test("a -latest link to a stage listed later is the previous run's output: a seed, not a cycle", () => {
  const root = tempRoot();
  const seedDir = join(root, "builds", "amd64", "systemd");
  mkdirSync(join(seedDir, "20251201"), { recursive: true });
  writeFileSync(join(seedDir, "20251201", "stage3-amd64-systemd-20251201.tar.xz"), "old stage3");
  symlinkSync(
    "20251201/stage3-amd64-systemd-20251201.tar.xz",
    join(seedDir, "stage3-amd64-systemd-latest.tar.xz"),
  );
  writeFileSync(join(seedDir, "stage3-amd64-systemd-latest.tar.xz.DIGESTS"), "# digests");
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
  const graph = resolveGraph(tree);
  assert.deepEqual(graph.diagnostics, []);
  const seed = graph.inputs.get("amd64/systemd:stage1")?.source;
  assert.ok(seed?.type === "seed");
  assert.equal(seed.found, true);
  assert.equal(seed.path, join(seedDir, "stage3-amd64-systemd-latest.tar.xz"));
  assert.deepEqual(graph.cyclic.size, 0);
});

void test("a missing seed is a warning at the key and names the subpath", () => {
  const root = tempRoot();
  const tree = makeTree({
    root,
    driver: "portage",
    stages: [
      {
        flavour: "x",
        stage: "stage1",
        values: { profile: "default", source_subpath: "amd64/x/stage9-amd64-x-latest" },
      },
    ],
  });
  const graph = resolveGraph(tree);
  assert.equal(graph.diagnostics.length, 1);
  const d = graph.diagnostics[0]!;
  assert.equal(d.severity, "warning");
  assert.equal(d.code, "missing-seed");
  assert.equal(
    d.message,
    "source_subpath names amd64/x/stage9-amd64-x-latest which no stage in the tree builds and no seed file exists under builds/",
  );
  assert.deepEqual(d.span, {
    file: join(root, "specs/amd64/x/stage1.spec"),
    line: 2,
    col: 17,
    endCol: 46,
  });
});

void test("more than one seed candidate is an ambiguity error; side files do not count", () => {
  const root = tempRoot();
  const dir = join(root, "builds", "amd64", "x");
  mkdirSync(dir, { recursive: true });
  for (const ext of [".tar.xz", ".tar.bz2", ".tar.xz.DIGESTS", ".tar.xz.CONTENTS.gz"]) {
    writeFileSync(join(dir, `seed${ext}`), "x");
  }
  const tree = makeTree({
    root,
    driver: "portage",
    stages: [{ flavour: "x", stage: "stage1", values: { source_subpath: "amd64/x/seed" } }],
  });
  const d = resolveGraph(tree).diagnostics;
  assert.equal(d.length, 1);
  assert.equal(d[0]!.code, "ambiguous-seed");
  assert.match(d[0]!.message, /matches 2 files: seed\.tar\.bz2, seed\.tar\.xz/);
});

void test("cycles are one diagnostic naming every hop with the key that makes it", () => {
  const root = tempRoot();
  const date = "20260101";
  const dated = (s: string): string => `amd64/c/${date}/${s}-amd64-c-${date}`;
  const tree = makeTree({
    root,
    date,
    driver: "portage",
    stages: [
      { flavour: "c", stage: "stage1", values: { source_subpath: dated("stage3") } },
      { flavour: "c", stage: "stage2", values: { source_subpath: dated("stage1") } },
      { flavour: "c", stage: "stage3", values: { source_subpath: dated("stage2") } },
    ],
  });
  const graph = resolveGraph(tree);
  assert.equal(graph.diagnostics.length, 1);
  const d = graph.diagnostics[0]!;
  assert.equal(d.code, "cycle");
  assert.equal(
    d.message,
    "stages need each other in a cycle: amd64/c:stage1 -> amd64/c:stage3 -> amd64/c:stage2 -> amd64/c:stage1",
  );
  assert.deepEqual(
    d.related?.map((r) => `${r.span.file.slice(root.length)}:${r.span.line}: ${r.message}`),
    [
      `/specs/amd64/c/stage1.spec:1: amd64/c:stage1 takes its source from amd64/c:stage3 (source_subpath: ${dated("stage3")})`,
      `/specs/amd64/c/stage3.spec:1: amd64/c:stage3 takes its source from amd64/c:stage2 (source_subpath: ${dated("stage2")})`,
      `/specs/amd64/c/stage2.spec:1: amd64/c:stage2 takes its source from amd64/c:stage1 (source_subpath: ${dated("stage1")})`,
    ],
  );
  assert.deepEqual([...graph.cyclic].sort(), [
    "amd64/c:stage1",
    "amd64/c:stage2",
    "amd64/c:stage3",
  ]);
  assert.equal(graph.order.length, 3);
});

void test("a missing source_subpath is an error except for an apt stage3, which bootstraps", () => {
  const root = tempRoot();
  const portage = resolveGraph(
    makeTree({ root, driver: "portage", stages: [{ flavour: "x", stage: "stage3" }] }),
  );
  assert.equal(portage.diagnostics[0]?.code, "missing-input");
  const apt = resolveGraph(
    makeTree({ root, driver: "apt", stages: [{ flavour: "x", stage: "stage3" }] }),
  );
  assert.deepEqual(apt.diagnostics, []);
  assert.deepEqual(apt.inputs.get("amd64/x:stage3"), { source: { type: "bootstrap" } });
});

void test("a payload naming a stage that is not a livecd-stage2 is an error", () => {
  const root = tempRoot();
  const tree = makeTree({
    root,
    stages: [
      { flavour: "r", stage: "stage3" },
      {
        flavour: "r",
        stage: "livecd-stage3",
        values: {
          source_subpath: "amd64/r/stage3-amd64-r-latest",
          "livecd/payload": "amd64/r/stage3-amd64-r-latest",
        },
      },
    ],
  });
  const d = resolveGraph(tree).diagnostics;
  assert.equal(d[0]!.code, "payload-not-livecd-stage2");
});

void test("two stages with the same output name are reported", () => {
  const root = tempRoot();
  const tree = makeTree({
    root,
    stages: [
      { flavour: "r", stage: "stage3" },
      // r.spec sets its own `target: stage3`, so it is named stage3-amd64-r as well.
      { flavour: "r", stage: "r", kind: "stage3", values: { target: "stage3" } },
      // sso.spec is named after its stem: stage3-amd64-sso, no clash.
      { flavour: "r", stage: "sso", kind: "stage3", values: { target: "stage3" } },
    ],
  });
  const d = resolveGraph(tree).diagnostics;
  assert.equal(d.length, 1);
  assert.equal(d[0]!.code, "duplicate-output");
  assert.match(
    d[0]!.message,
    /^amd64\/r:r and amd64\/r:stage3 both build amd64\/r\/20260101\/stage3-amd64-r-20260101\.tar\.zst$/,
  );
});

void test("a livecd-stage3 may borrow another flavour's payload with its own volume id", () => {
  const root = tempRoot();
  const tree = makeTree({
    root,
    stages: [
      ...roflmaosStages(),
      {
        flavour: "minimal",
        stage: "livecd-stage3",
        values: {
          source_subpath: "amd64/roflmaos/livecd-stage1-amd64-roflmaos-latest",
          "livecd/payload": "amd64/roflmaos/livecd-stage2-amd64-roflmaos-latest",
          "livecd/volid": "other",
        },
      },
    ],
  });
  assert.deepEqual(resolveGraph(tree).diagnostics, []);
});

void test("a livecd-stage3 joining a root and a payload of different architectures is refused at plan time", () => {
  const root = tempRoot();
  const tree = makeTree({
    root,
    stages: [
      { arch: "armv7a", flavour: "r", stage: "stage3" },
      {
        arch: "armv7a",
        flavour: "r",
        stage: "livecd-stage1",
        values: { source_subpath: "armv7a/r/stage3-armv7a_hardfp-r-latest" },
      },
      { flavour: "r", stage: "stage3" },
      {
        flavour: "r",
        stage: "livecd-stage2",
        values: { source_subpath: "amd64/r/stage3-amd64-r-latest" },
      },
      {
        arch: "armv7a",
        flavour: "r",
        stage: "livecd-stage3",
        values: {
          source_subpath: "armv7a/r/livecd-stage1-armv7a_hardfp-r-latest",
          "livecd/payload": "amd64/r/livecd-stage2-amd64-r-latest",
        },
      },
    ],
  });
  const d = resolveGraph(tree).diagnostics.filter((x) => x.code === "mixed-architectures");
  assert.equal(d.length, 1, JSON.stringify(resolveGraph(tree).diagnostics));
  assert.equal(d[0]!.severity, "error");
  assert.match(
    d[0]!.message,
    /armv7a\/r:livecd-stage3 joins a root for arm \(armv7a\/r:livecd-stage1\) with a boot payload for x86_64 \(amd64\/r:livecd-stage2\)/,
  );
  // The same tree with the payload of its own architecture is fine.
  const same = makeTree({
    root: tempRoot(),
    stages: [
      { flavour: "r", stage: "stage3" },
      {
        flavour: "r",
        stage: "livecd-stage1",
        values: { source_subpath: "amd64/r/stage3-amd64-r-latest" },
      },
      {
        flavour: "r",
        stage: "livecd-stage2",
        values: { source_subpath: "amd64/r/stage3-amd64-r-latest" },
      },
      {
        flavour: "r",
        stage: "livecd-stage3",
        values: {
          source_subpath: "amd64/r/livecd-stage1-amd64-r-latest",
          "livecd/payload": "amd64/r/livecd-stage2-amd64-r-latest",
        },
      },
    ],
  });
  assert.deepEqual(
    resolveGraph(same).diagnostics.filter((x) => x.code === "mixed-architectures"),
    [],
  );
});

void test("machineOf groups subarchs by the machine they run on and leaves unknown ones alone", () => {
  assert.equal(machineOf("amd64"), "x86_64");
  assert.equal(machineOf("x86-64-v3"), "x86_64");
  assert.equal(machineOf("armv7a_hardfp"), "arm");
  assert.equal(machineOf("armhf"), "arm");
  assert.equal(machineOf("arm64"), "aarch64");
  assert.equal(machineOf("i686"), "x86");
  assert.equal(machineOf("sparc64"), undefined);
});
