/**
 * Fault injection for a real build: runs `substrate build` of a copy of the roflmaOS example
 * again and again, each time killing it with SIGKILL at the next kill point (a step of a stage,
 * plus a delay into that step), and after every kill checks what a release tool must guarantee:
 * no mount left in the host's mount table, no process of the build left alive, no file under the
 * store's public names that its digests do not describe, and no lock that keeps the next run from
 * starting. The run after the last kill must finish with an ISO whose digests verify.
 *
 * Used by `test/e2e/build/fault-injection.test.ts` (a few points, in CI) and by
 * `scripts/soak/kill-points.sh` (every point, repeated with other delays).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  appendFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  statSync,
} from "node:fs";
import { basename, join, resolve } from "node:path";
import { CLI_BIN, REPO_ROOT, type JsonEvent } from "./cli.js";

/** Where to kill: the first `step-started` of `step` in a stage whose id ends with `stage`. */
export interface KillPoint {
  readonly stage: string;
  readonly step: string;
  /** How long after the step starts to kill, in ms. */
  readonly delayMs: number;
}

/** Kill points spread over the default roflmaOS chain, in the order the build reaches them. */
export const ROFLMAOS_KILL_POINTS: readonly KillPoint[] = [
  { stage: ":stage3", step: "bootstrap", delayMs: 2_000 },
  { stage: ":stage3", step: "bootstrap", delayMs: 20_000 },
  { stage: ":stage3", step: "capture", delayMs: 500 },
  { stage: ":stage3", step: "publish", delayMs: 0 },
  { stage: ":stage4", step: "unpack", delayMs: 300 },
  { stage: ":stage4", step: "packages", delayMs: 4_000 },
  { stage: ":stage4", step: "capture", delayMs: 500 },
  { stage: ":livecd-stage1", step: "squashfs", delayMs: 500 },
  { stage: ":livecd-stage1", step: "publish", delayMs: 0 },
  { stage: ":livecd-stage2", step: "kernel", delayMs: 1_500 },
  { stage: ":livecd-stage2", step: "initramfs", delayMs: 2_000 },
  { stage: ":livecd-stage3", step: "esp", delayMs: 100 },
  { stage: ":livecd-stage3", step: "iso", delayMs: 300 },
  { stage: ":livecd-stage3", step: "publish", delayMs: 0 },
];

/**
 * The points CI kills at: one in each stage, where a kill leaves the most to clean up (a
 * running bootstrap or package install, a half-made initramfs, a publish in progress). The soak
 * script (`scripts/soak/kill-points.sh`) runs all of {@link ROFLMAOS_KILL_POINTS}.
 */
export const CI_KILL_POINTS: readonly KillPoint[] = [
  { stage: ":stage3", step: "bootstrap", delayMs: 20_000 },
  { stage: ":stage4", step: "packages", delayMs: 4_000 },
  { stage: ":livecd-stage1", step: "publish", delayMs: 0 },
  { stage: ":livecd-stage2", step: "initramfs", delayMs: 2_000 },
  { stage: ":livecd-stage3", step: "publish", delayMs: 0 },
];

/** What happened at one kill point. */
export interface KillOutcome {
  readonly point: KillPoint;
  /** False when the build finished or failed before the point was reached. */
  readonly killed: boolean;
  /** Every invariant that did not hold after the kill (empty: a clean recovery). */
  readonly problems: readonly string[];
}

/** The result of a whole chain. */
export interface ChainResult {
  readonly outcomes: readonly KillOutcome[];
  /** Problems of the final, uninterrupted build (exit code, ISO digests). */
  readonly finalProblems: readonly string[];
  readonly iso: string;
}

/** The host's mount table, without mount ids (stable across reads). */
export function hostMounts(): string[] {
  return readFileSync("/proc/1/mountinfo", "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.split(" ").slice(3, 5).join(" "))
    .sort();
}

/** Processes (other than this one) whose command line, cwd or root lies under `dir`. */
export function processesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      let where = "";
      for (const link of ["cwd", "root"]) {
        try {
          where += ` ${readlinkSync(`/proc/${pid}/${link}`)}`;
        } catch {
          // gone, or a kernel thread
        }
      }
      if (cmd.includes(dir) || where.includes(dir)) found.push(`${pid}: ${cmd}`);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

function sha512(path: string): string {
  return createHash("sha512").update(readFileSync(path)).digest("hex");
}

/**
 * Every public (not dot-named) output under `builds` must have a `.DIGESTS` whose SHA512 line
 * describes it, and no `.DIGESTS` may describe a file that is not there.
 */
export function unverifiablePublicFiles(builds: string): string[] {
  const problems: string[] = [];
  const sidecar = /\.(DIGESTS|CONTENTS\.gz|sha256|stamp|json|txt|tsv)$/;
  const verify = (path: string): void => {
    if (!existsSync(`${path}.DIGESTS`)) {
      problems.push(`${path}: public output without .DIGESTS`);
      return;
    }
    const digests = readFileSync(`${path}.DIGESTS`, "utf8");
    const want = /# SHA512 HASH\n([0-9a-f]{128}) {2}(\S+)\n/.exec(digests);
    if (want?.[1] === undefined) problems.push(`${path}.DIGESTS: no SHA512 line`);
    else if (want[2] !== basename(path)) problems.push(`${path}.DIGESTS names ${want[2]}`);
    else if (want[1] !== sha512(path)) problems.push(`${path}: SHA512 does not match .DIGESTS`);
  };
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      if (name.startsWith(".")) continue;
      const path = join(dir, name);
      if (lstatSync(path).isSymbolicLink()) {
        if (!existsSync(path)) {
          problems.push(`${path}: dangling link`);
          continue;
        }
        // A `latest` link names another public file: that file's digests must describe it.
        if (name.includes("latest")) {
          const target = resolve(dir, readlinkSync(path));
          if (!statSync(target).isDirectory()) verify(target);
          continue;
        }
      }
      const st = statSync(path);
      if (st.isDirectory()) {
        // A stage whose output is a folder (livecd-stage2's payload) is published whole, with
        // its stamp beside it; its files carry no digests of their own.
        if (!existsSync(`${path}.stamp`)) walk(path);
        continue;
      }
      if (name.endsWith(".DIGESTS")) {
        if (!existsSync(path.slice(0, -".DIGESTS".length)))
          problems.push(`${path}: describes a file that is not there`);
        continue;
      }
      if (name.startsWith("latest-") && name.endsWith(".txt")) {
        const target = readFileSync(path, "utf8").trim();
        if (!existsSync(join(dir, target))) problems.push(`${path}: points at missing ${target}`);
        continue;
      }
      if (sidecar.test(name)) continue;
      verify(path);
    }
  };
  walk(builds);
  return problems;
}

/** The day after `date` (YYYYMMDD). */
function nextDate(date: string): string {
  const d = new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10).replaceAll("-", "");
}

/** Runs one build; kills it at `point` when given. Resolves with its events and whether it was killed. */
function runBuild(
  work: string,
  args: readonly string[],
  point: KillPoint | undefined,
  log: (line: string) => void,
  env: Readonly<Record<string, string>> = {},
): Promise<{
  code: number | null;
  killed: boolean;
  signal: NodeJS.Signals | null;
  events: JsonEvent[];
  stderr: string;
}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd: work,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let buffer = "";
    let stderr = "";
    let killed = false;
    const events: JsonEvent[] = [];
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (!line.startsWith("{")) continue;
        let e: JsonEvent;
        try {
          e = JSON.parse(line) as JsonEvent;
        } catch {
          continue;
        }
        events.push(e);
        if (
          point !== undefined &&
          !killed &&
          e.type === "step-started" &&
          String(e["stage"]).endsWith(point.stage) &&
          e["step"] === point.step
        ) {
          killed = true;
          setTimeout(() => {
            log(`kill -9 at ${point.stage} ${point.step} +${point.delayMs} ms`);
            child.kill("SIGKILL");
          }, point.delayMs);
        }
      }
    });
    child.on("close", (code, signal) => {
      resolve({ code, killed: killed && signal === "SIGKILL", signal, events, stderr });
    });
  });
}

/** Waits up to `ms` for `probe` to return an empty list; returns its last answer. */
async function settle(probe: () => string[], ms: number): Promise<string[]> {
  const end = Date.now() + ms;
  let last = probe();
  while (last.length > 0 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 250));
    last = probe();
  }
  return last;
}

/**
 * Builds a copy of `examples/roflmaos` (its roflmaOS ISO) in a new folder, killing the build at
 * each of `points` in turn, then lets a last build finish.
 */
export async function runKillChain(options: {
  readonly points: readonly KillPoint[];
  readonly cache: string;
  readonly date: string;
  readonly log: (line: string) => void;
  /**
   * After the step points: this many more runs, each after an edit of the ISO's root overlay,
   * killed by substrate's test-only hook (`SUBSTRATE_FAULT=publish:<n>`) before the n-th
   * file-system change of the ISO's publish step (1, 2, ... n), so every rename of the
   * publish is a kill point while an older ISO is in place.
   */
  readonly publishFaults?: number;
}): Promise<ChainResult> {
  const work = mkdtempSync(join("/var/tmp", "substrate-kill-"));
  const tree = join(work, "tree");
  cpSync(join(REPO_ROOT, "examples/roflmaos"), tree, { recursive: true });
  // Each point's run builds only the point's stage (`--only`), so a run that is not killed
  // stops there instead of racing past the later points. When a point is still not reached (a
  // run of the same stage finished before its delay, e.g. on a warm cache), the chain moves to
  // the next date, where every stage is stale, and tries that point once more.
  let date = options.date;
  const argsFor = (only: string): string[] => [
    "build",
    tree,
    "--json",
    "--date",
    date,
    "--cache",
    options.cache,
    "--only",
    only,
  ];
  const iso = "roflmaos:livecd-stage3";
  // Only mounts a build could have made count: under its work folder, its cache or a path of
  // substrate's (other tests may mount unrelated things, such as binfmt_misc, meanwhile).
  const ours = (m: string): boolean =>
    m.includes(work) || m.includes(options.cache) || m.includes("substrate");
  const mountsBefore = hostMounts();
  const builds = join(work, "builds");
  const outcomes: KillOutcome[] = [];
  for (const point of options.points) {
    const only = `roflmaos${point.stage}`;
    let r = await runBuild(work, argsFor(only), point, options.log);
    if (!r.killed && r.code === 0) {
      date = nextDate(date);
      options.log(`${point.stage} ${point.step} not reached: retrying on ${date}`);
      r = await runBuild(work, argsFor(only), point, options.log);
    }
    const problems: string[] = [];
    if (!r.killed) {
      if (r.code !== 0 && r.code !== null) {
        problems.push(`the build failed before the kill point (exit ${r.code}): ${r.stderr}`);
        const failed = r.events.filter((e) => e.type === "stage-failed");
        if (failed.length > 0) problems.push(JSON.stringify(failed));
      }
    }
    const mounts = await settle(() => {
      const now = hostMounts();
      return now.filter((m) => ours(m) && !mountsBefore.includes(m));
    }, 10_000);
    problems.push(...mounts.map((m) => `mount left behind: ${m}`));
    const procs = await settle(() => processesUnder(work), 15_000);
    problems.push(...procs.map((p) => `process left behind: ${p}`));
    problems.push(...unverifiablePublicFiles(builds));
    outcomes.push({ point, killed: r.killed, problems });
    options.log(
      `${r.killed ? "killed" : "not reached"} at ${point.stage} ${point.step}: ${
        problems.length === 0 ? "clean" : problems.join("; ")
      }`,
    );
  }
  const check = async (): Promise<string[]> => {
    const problems: string[] = [];
    const mounts = await settle(
      () => hostMounts().filter((m) => ours(m) && !mountsBefore.includes(m)),
      10_000,
    );
    problems.push(...mounts.map((m) => `mount left behind: ${m}`));
    const procs = await settle(() => processesUnder(work), 15_000);
    problems.push(...procs.map((p) => `process left behind: ${p}`));
    problems.push(...unverifiablePublicFiles(builds));
    return problems;
  };
  for (let n = 1; n <= (options.publishFaults ?? 0); n++) {
    // A first build that is not killed, so an older ISO is in place when the next one publishes.
    if (n === 1) await runBuild(work, argsFor(iso), undefined, options.log);
    appendFileSync(join(tree, "root_overlays/livecd/etc/issue"), `edit ${n}\n`);
    const point = { stage: ":livecd-stage3", step: `publish change ${n}`, delayMs: 0 };
    const r = await runBuild(work, argsFor(iso), undefined, options.log, {
      SUBSTRATE_FAULT: `publish:${n}`,
    });
    const killed = r.signal === "SIGKILL";
    const problems = await check();
    if (!killed && r.code !== 0) problems.push(`the build failed (exit ${r.code}): ${r.stderr}`);
    outcomes.push({ point, killed, problems });
    options.log(
      `${killed ? "killed" : "not reached"} at ${point.step}: ${
        problems.length === 0 ? "clean" : problems.join("; ")
      }`,
    );
    if (!killed) break;
  }
  const last = await runBuild(work, argsFor(iso), undefined, options.log);
  const finalProblems: string[] = [];
  if (last.code !== 0) {
    finalProblems.push(`the build after the kills failed (exit ${last.code}): ${last.stderr}`);
    finalProblems.push(JSON.stringify(last.events.filter((e) => e.type === "stage-failed")));
  }
  const isoFile = join(builds, "amd64/roflmaos", date, `roflmaOS-${date}.iso`);
  if (!existsSync(isoFile)) finalProblems.push(`no ISO at ${isoFile}`);
  finalProblems.push(...unverifiablePublicFiles(builds));
  const left = hostMounts().filter((m) => ours(m) && !mountsBefore.includes(m));
  finalProblems.push(...left.map((m) => `mount left behind: ${m}`));
  return { outcomes, finalProblems, iso: isoFile };
}
