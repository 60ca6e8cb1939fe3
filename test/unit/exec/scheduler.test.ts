// The scheduler's contract: dependency order, the job limit, stop-after-failure, keep-going
// and deterministic shuffling.
import { test } from "node:test";
import assert from "node:assert/strict";
import { schedule, type Job } from "../../../src/exec/scheduler.js";

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function recorder() {
  const log: string[] = [];
  let live = 0;
  let maxLive = 0;
  const job = (id: string, needs: string[], ok = true, ms = 5): Job => ({
    id,
    needs,
    run: async () => {
      live++;
      maxLive = Math.max(maxLive, live);
      log.push(`start ${id}`);
      await tick(ms);
      log.push(`end ${id}`);
      live--;
      return ok;
    },
  });
  return { log, job, maxLive: () => maxLive };
}

void test("runs a job only after every dependency succeeded", async () => {
  const r = recorder();
  const out = await schedule([r.job("c", ["a", "b"]), r.job("a", []), r.job("b", ["a"])], {
    jobs: 4,
    keepGoing: false,
    seed: 1,
  });
  assert.deepEqual(Object.fromEntries(out), { a: "succeeded", b: "succeeded", c: "succeeded" });
  assert.ok(r.log.indexOf("end a") < r.log.indexOf("start b"));
  assert.ok(r.log.indexOf("end b") < r.log.indexOf("start c"));
});

void test("never runs more than `jobs` at once, and runs independent jobs concurrently", async () => {
  const r = recorder();
  await schedule(
    ["a", "b", "c", "d"].map((id) => r.job(id, [], true, 20)),
    { jobs: 2, keepGoing: false, seed: 1 },
  );
  assert.equal(r.maxLive(), 2);
});

void test("after a failure it starts nothing new but lets running jobs finish", async () => {
  const r = recorder();
  const out = await schedule(
    [r.job("bad", [], false, 5), r.job("slow", [], true, 40), r.job("later", ["slow"])],
    { jobs: 2, keepGoing: false, seed: 3 },
  );
  assert.equal(out.get("bad"), "failed");
  assert.equal(out.get("slow"), "succeeded");
  assert.equal(out.get("later"), "skipped-stopped");
});

void test("keep-going runs independent work and skips only dependents of the failure", async () => {
  const r = recorder();
  const out = await schedule(
    [r.job("bad", [], false), r.job("child", ["bad"]), r.job("other", [])],
    { jobs: 1, keepGoing: true, seed: 5 },
  );
  assert.equal(out.get("child"), "skipped-dependency-failed");
  assert.equal(out.get("other"), "succeeded");
});

void test("the same seed gives the same sibling order; some seed gives another", async () => {
  const order = async (seed: number): Promise<string> => {
    const r = recorder();
    await schedule(
      ["a", "b", "c", "d", "e"].map((id) => r.job(id, [], true, 1)),
      { jobs: 1, keepGoing: false, seed },
    );
    return r.log.filter((l) => l.startsWith("start")).join(",");
  };
  assert.equal(await order(7), await order(7));
  const seen = new Set<string>();
  for (let s = 0; s < 10; s++) seen.add(await order(s));
  assert.ok(seen.size > 1);
});
