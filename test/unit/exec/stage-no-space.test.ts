/**
 * A stage whose own writes hit a full disk (here its log is /dev/full, where every write fails
 * with ENOSPC) fails as `no-space` with a message naming the file system, instead of an
 * exception that the scheduler rethrew as an unhandled rejection (a stack trace, the process
 * gone before the work folder was removed).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Driver } from "../../../src/drivers/driver.js";
import { execute } from "../../../src/exec/executor.js";
import type { Plan } from "../../../src/plan/plan.js";
import type { Event } from "../../../src/report/events.js";

void describe("a stage on a full disk", () => {
  void it("fails as no-space with the file system named, and the run ends normally", async () => {
    const base = mkdtempSync(join(tmpdir(), "substrate-nospace-"));
    const dateDir = join(base, "builds/amd64/x/20260102");
    const stage = {
      id: "amd64/x:stage3",
      kind: "stage3",
      inputs: {},
      decision: { kind: "build", reason: "no stamp" },
      outputs: {
        log: "/dev/full",
        dateDir,
        flavourDir: join(base, "builds/amd64/x"),
        name: "stage3-amd64-x-20260102",
        output: join(dateDir, "stage3-amd64-x-20260102.tar.gz"),
      },
    };
    const plan = { stages: [stage], diagnostics: [] } as unknown as Plan;
    const events: Event[] = [];
    const summary = await execute({
      plan,
      driver: {} as Driver,
      reporter: { emit: (e) => events.push(e), close: () => undefined },
      jobs: 1,
      keepGoing: false,
      cacheDir: join(base, "cache"),
      sourceDateEpoch: 0,
      signal: new AbortController().signal,
    });
    assert.equal(summary.ok, false);
    assert.deepEqual(summary.failed, ["amd64/x:stage3"]);
    const failed = events.filter((e) => e.type === "stage-failed");
    assert.equal(failed.length, 1);
    const f = failed[0];
    assert.ok(f?.type === "stage-failed");
    assert.equal(f.reason, "no-space");
    assert.match(f.message, /^no space left on \/dev \(\/dev\/full\): .* free of .*: ENOSPC/);
    assert.doesNotMatch(f.message, /\n\s+at /);
  });
});
