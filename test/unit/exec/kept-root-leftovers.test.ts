/**
 * A build killed while it deleted a replaced kept root in the background leaves
 * `<cache>/roots/.old-<entry>-<pid>-<n>` (a few hundred MB). The next build of any tree (the
 * start of execute()) removes such folders when their process is gone, and leaves those of a
 * live process alone.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Driver } from "../../../src/drivers/driver.js";
import { execute } from "../../../src/exec/executor.js";
import type { Plan } from "../../../src/plan/plan.js";
import type { Event } from "../../../src/report/events.js";
import {
  cleanKeptRootLeftovers,
  rootCacheDir,
  settleKeptRoots,
} from "../../../src/store/root-cache.js";

/** A pid that is certainly dead: a child that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn("true");
  await new Promise((resolve) => child.on("close", resolve));
  assert.ok(child.pid !== undefined);
  return child.pid;
}

function leftover(cache: string, kind: "old" | "new", pid: number): string {
  const dir = join(rootCacheDir(cache), `.${kind}-amd64_x_livecd-stage1-0123456789ab-${pid}-0`);
  mkdirSync(join(dir, "root/usr/bin"), { recursive: true });
  writeFileSync(join(dir, "root/usr/bin/big"), "x".repeat(1 << 16));
  return dir;
}

void describe("kept-root leftovers", () => {
  void it("the start of a build removes a dead process's .old-*/.new-* and keeps a live one's", async () => {
    const cache = join(mkdtempSync(join(tmpdir(), "substrate-leftovers-")), "cache");
    const dead = await deadPid();
    const deadOld = leftover(cache, "old", dead);
    const deadNew = leftover(cache, "new", dead);
    const liveOld = leftover(cache, "old", process.pid);
    const entry = join(rootCacheDir(cache), "amd64_x_livecd-stage1-0123456789ab");
    mkdirSync(join(entry, "root"), { recursive: true });
    const events: Event[] = [];
    const plan = { stages: [], diagnostics: [] } as unknown as Plan;
    const summary = await execute({
      plan,
      driver: {} as Driver,
      reporter: { emit: (e) => events.push(e), close: () => undefined },
      jobs: 1,
      keepGoing: false,
      cacheDir: cache,
      sourceDateEpoch: 0,
      signal: new AbortController().signal,
    });
    assert.equal(summary.ok, true);
    assert.equal(existsSync(deadOld), false, "a dead build's .old-* is removed");
    assert.equal(existsSync(deadNew), false, "a dead build's .new-* is removed");
    assert.equal(existsSync(liveOld), true, "a live process's folder is kept");
    assert.equal(existsSync(entry), true, "kept roots themselves are untouched");
  });

  void it("cleanKeptRootLeftovers names what it removes; a missing cache is nothing to do", async () => {
    const cache = join(mkdtempSync(join(tmpdir(), "substrate-leftovers-")), "cache");
    assert.deepEqual(cleanKeptRootLeftovers(cache), []);
    const dead = await deadPid();
    leftover(cache, "old", dead);
    assert.deepEqual(cleanKeptRootLeftovers(cache), [
      `.old-amd64_x_livecd-stage1-0123456789ab-${dead}-0`,
    ]);
    await settleKeptRoots();
    assert.deepEqual(cleanKeptRootLeftovers(cache), []);
  });
});
