// Fault injection on a real build (root, mmdebstrap, apt, dracut, mksquashfs, xorriso; Debian's
// archive): `substrate build` of the roflmaOS example is killed with SIGKILL at points spread
// over the whole chain (bootstrap, package install, capture, squashfs, kernel, initramfs, ESP,
// ISO, publish, and the first renames of an ISO's publish step while an older ISO is in
// place), and after every kill nothing may be left: no mount, no process, no public file
// that its digests do not describe, no lock that blocks the next run. The build after the last
// kill must finish with an ISO whose digests verify. `scripts/soak/kill-points.sh` runs every
// point with other delays, repeatedly; this test runs one pass over the chain with one point
// in each stage (CI_KILL_POINTS) and the publish-step faults.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CI_KILL_POINTS, runKillChain } from "../../helpers/kill-chain.js";

void test(
  "SIGKILL at points spread over a real ISO build: every recovery is clean, the ISO verifies",
  { timeout: 40 * 60_000 },
  async (t) => {
    const result = await runKillChain({
      points: CI_KILL_POINTS,
      cache: "/var/cache/substrate",
      date: "20260103",
      publishFaults: 3,
      log: (line) => {
        t.diagnostic(line);
      },
    });
    const killed = result.outcomes.filter((o) => o.killed).length;
    const clean = result.outcomes.filter((o) => o.killed && o.problems.length === 0).length;
    t.diagnostic(`kills: ${killed}, clean recoveries: ${clean}`);
    for (const o of result.outcomes) {
      assert.deepEqual(o.problems, [], `after the kill at ${o.point.stage} ${o.point.step}`);
    }
    assert.ok(killed >= 4, `at least 4 of the 5 kill points were reached (got ${killed})`);
    assert.deepEqual(result.finalProblems, [], "the build after the kills");
  },
);
