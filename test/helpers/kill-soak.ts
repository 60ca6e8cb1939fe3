/**
 * The soak run behind `scripts/soak/kill-points.sh`: every kill point of the roflmaOS chain,
 * `rounds` times with the delays scaled (0.5x, 1x, 2x, ...), then the figures.
 */
import { ROFLMAOS_KILL_POINTS, runKillChain } from "./kill-chain.js";

const rounds = Number(process.argv[2] ?? "3");
const factors = [1, 0.5, 2, 0.25, 3];
let kills = 0;
let clean = 0;
let failures = 0;
let notReached = 0;
const log = (line: string): void => {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
};
for (let round = 0; round < rounds; round++) {
  const factor = factors[round % factors.length] ?? 1;
  log(`round ${round + 1}/${rounds}: delays x${factor}`);
  const r = await runKillChain({
    points: ROFLMAOS_KILL_POINTS.map((p) => ({ ...p, delayMs: Math.round(p.delayMs * factor) })),
    cache: "/var/cache/substrate",
    date: `2026020${(round % 9) + 1}`,
    log,
    publishFaults: 30,
  });
  for (const o of r.outcomes) {
    if (!o.killed) {
      notReached++;
      continue;
    }
    kills++;
    if (o.problems.length === 0) clean++;
  }
  if (r.finalProblems.length > 0) {
    failures++;
    log(`final build: ${r.finalProblems.join("; ")}`);
  }
}
log(
  `kills: ${kills}, clean recoveries: ${clean}, points not reached: ${notReached}, ` +
    `final builds failed: ${failures}/${rounds}`,
);
process.exit(kills === clean && failures === 0 ? 0 : 1);
