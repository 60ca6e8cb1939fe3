// The executor with a fake driver (real tar, real publish): a failed rebuild keeps the previous
// output's stamp, so reverting the change finds it fresh (defect 7); a published stage3 whose
// bytes were changed with its size and mtime kept (planning calls it fresh) is refused by its
// .DIGESTS before stage4 uses it (defect 8).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Driver } from "../../../src/drivers/driver.js";
import { execute } from "../../../src/exec/executor.js";
import { makePlan } from "../../../src/plan/plan.js";
import type { Event } from "../../../src/report/events.js";
import type { SpecTree } from "../../../src/spec/types.js";
import { ok, err } from "../../../src/util/result.js";
import { makeTree, tempRoot } from "../../unit/plan/tree-builder.js";

let failBootstrap = false;

const driver = new Proxy({} as Driver, {
  get(_t, prop) {
    if (prop === "name") return "apt";
    if (prop === "identity") return () => Promise.resolve("fake 1");
    if (prop === "hostTools") return () => [];
    if (prop === "bootstrap")
      return (_ctx: unknown, root: string) => {
        if (failBootstrap)
          return Promise.resolve(err({ reason: "bad-input", message: "bootstrap failed (test)" }));
        mkdirSync(join(root, "etc"), { recursive: true });
        writeFileSync(join(root, "etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
        return Promise.resolve(ok(undefined));
      };
    if (prop === "listPackages" || prop === "inventory") return () => Promise.resolve(ok([]));
    if (prop === "then") return undefined;
    return () => Promise.resolve(ok(undefined));
  },
});

async function build(tree: SpecTree): Promise<{ ok: boolean; events: Event[] }> {
  const events: Event[] = [];
  const plan = makePlan(tree, { toolVersion: "t" });
  const r = await execute({
    plan,
    driver,
    reporter: {
      emit: (e) => {
        events.push(e);
      },
      close: () => undefined,
    },
    jobs: 1,
    keepGoing: false,
    cacheDir: tree.config.store.cache,
    sourceDateEpoch: 1,
    signal: new AbortController().signal,
  });
  return { ok: r.ok, events };
}

const tree = (root: string, variant: string, stage4 = false): SpecTree =>
  makeTree({
    root,
    stages: [
      { flavour: "x", stage: "stage3", values: { "apt/variant": variant } },
      ...(stage4
        ? [
            {
              flavour: "x",
              stage: "stage4",
              values: { source_subpath: "amd64/x/stage3-amd64-x-latest" },
            },
          ]
        : []),
    ],
  });

void describe("executor and stamps", () => {
  void it("a failed rebuild leaves the previous output fresh for its own fingerprint", async () => {
    const root = tempRoot();
    failBootstrap = false;
    const first = await build(tree(root, "minbase"));
    assert.ok(first.ok, JSON.stringify(first.events.filter((e) => e.type === "stage-failed")));
    failBootstrap = true;
    const failed = await build(tree(root, "buildd"));
    assert.equal(failed.ok, false);
    failBootstrap = false;
    const reverted = makePlan(tree(root, "minbase"), { toolVersion: "t" });
    assert.equal(
      reverted.stages[0]?.decision.kind,
      "fresh",
      JSON.stringify(reverted.stages[0]?.decision),
    );
  });

  void it("a stage3 changed in place (same size and mtime) is refused before stage4 uses it", async () => {
    const root = tempRoot();
    failBootstrap = false;
    const first = await build(tree(root, "minbase"));
    assert.ok(first.ok);
    const out = makePlan(tree(root, "minbase"), { toolVersion: "t" }).stages[0]!.outputs.output;
    const st = statSync(out);
    const bytes = readFileSync(out);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 0xff;
    writeFileSync(out, bytes);
    utimesSync(out, st.atime, st.mtime);
    const plan = makePlan(tree(root, "minbase", true), { toolVersion: "t" });
    assert.equal(plan.stages[0]?.decision.kind, "fresh", "the cheap check cannot see it");
    const r = await build(tree(root, "minbase", true));
    assert.equal(r.ok, false);
    const failed = r.events.find((e) => e.type === "stage-failed");
    assert.ok(failed?.type === "stage-failed");
    assert.equal(failed.stage, "amd64/x:stage4");
    assert.equal(failed.reason, "input-corrupt");
    assert.match(
      failed.message,
      /stage3-amd64-x-20260101\.tar\.zst does not match its \.DIGESTS \(BLAKE2B/,
    );
    assert.ok(!r.events.some((e) => e.type === "step-started" && e.stage === "amd64/x:stage4"));
  });
});
