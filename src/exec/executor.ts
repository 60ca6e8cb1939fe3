/**
 * Runs a plan: every stage decided `build` runs once its inputs are ready, at most `jobs` at a
 * time; fresh stages are skipped; blocked ones are reported. A stage's local inputs are verified
 * against their `.DIGESTS` first; its outputs are written into a staging folder and published
 * (with digests and the new stamp) in one atomic switch only when complete. A failed stage
 * leaves its log and the previous output with its own stamp, untouched.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { availableParallelism } from "node:os";
import type { Driver, StageContext } from "../drivers/driver.js";
import type { Plan, PlannedStage, StageInput as PlanInput } from "../plan/plan.js";
import type { Event, Reporter, StageId } from "../report/events.js";
import type { Failure } from "../report/failure.js";
import { describeFailure, givenHint } from "../report/failure-text.js";
import { waitForLock } from "../store/lock.js";
import { publishStage, readStamp, removeStamp } from "../store/publish.js";
import { verifyInput } from "../store/verify-input.js";
import {
  cleanKeptRootLeftovers,
  keepRoot,
  openKeptRoot,
  settleKeptRoots,
} from "../store/root-cache.js";
import { TARGETS } from "../targets/registry.js";
import type { StageInput, TargetContext } from "../targets/target-kind.js";
import { describeNoSpace, isNoSpace } from "../util/disk-space.js";
import { type Result, err } from "../util/result.js";
import { targetInput } from "./stage-input.js";
import { schedule, type Job } from "./scheduler.js";
import { claimWorkFolder, cleanOrphanWork } from "./work.js";
import {
  type StageRemote,
  fetchFromRemote,
  fetchedLogLine,
  pushToRemote,
  remoteStageOf,
} from "./remote-steps.js";
import type { Pulled } from "../remote/stage-cache.js";

export type { StageRemote } from "./remote-steps.js";

/** How to run a plan. */
export interface ExecuteOptions {
  readonly plan: Plan;
  readonly driver: Driver;
  readonly reporter: Reporter;
  readonly jobs: number;
  readonly keepGoing: boolean;
  /** The store's cache folder (package caches, work folders). */
  readonly cacheDir: string;
  readonly sourceDateEpoch: number;
  readonly signal: AbortSignal;
  /** The tree's Secure Boot key folder (`[secureboot] keys`), handed to the targets. */
  readonly secureBootKeys?: string;
  /** Keep each stage's work folder (build roots) after it finishes, for debugging. */
  readonly keepWork?: boolean;
  /** Seed for shuffling independent stages (SUBSTRATE_SHUFFLE_SEED). */
  readonly seed?: number;
  /**
   * Keep roots for later stages and use the kept roots of inputs (default true). The
   * reproducibility check's rebuild turns it off: it neither replaces the kept root of the
   * published output nor builds on one.
   */
  readonly keptRoots?: boolean;
  /** Called after a stage is published (e.g. `--test` boots a new ISO); a failure fails the stage. */
  readonly afterStage?: (stage: PlannedStage) => Promise<Result<void, string>>;
  /** A remote stage cache to fetch stages from before building them, and to push to after. */
  readonly remote?: StageRemote;
}

/** What a run did. */
export interface ExecuteSummary {
  readonly ok: boolean;
  readonly built: readonly StageId[];
  /** Stages taken from the remote instead of built (also in `built`: they were published). */
  readonly fetched: readonly StageId[];
  readonly fresh: readonly StageId[];
  readonly failed: readonly StageId[];
  readonly skipped: readonly StageId[];
}

/** True when the stage's output and a stamp of this very fingerprint are in the store. */
function builtByOther(stage: PlannedStage): boolean {
  const stamp = readStamp(stage.outputs.output) as { fingerprint?: unknown } | undefined;
  return stamp?.fingerprint === stage.fingerprint && existsSync(stage.outputs.output);
}

/** Runs one stage to completion (build, publish, stamp). Resolves true on success. */
async function runStage(
  stage: PlannedStage,
  opts: ExecuteOptions,
  fetched: Set<StageId>,
): Promise<boolean> {
  const emit = (e: Event): void => {
    opts.reporter.emit(e);
  };
  const started = Date.now();
  const out = stage.outputs;
  // The step a failure came out of (a driver's own step names what it ran, not the stage's step).
  let failedStep: string | undefined;
  /** Reports `failure`; `reason` overrides the event's reason (the failure keeps its own). */
  const fail = (failure: Failure, reason: string = failure.reason): false => {
    const hint = givenHint(failure);
    const message = describeFailure(failure) + (hint === undefined ? "" : `\n  hint: ${hint}`);
    const step = failedStep ?? ("step" in failure ? failure.step : undefined);
    const tail = "tail" in failure ? failure.tail : undefined;
    // A full disk, whichever tool or write hit it: say which file system and what is left.
    const full = isNoSpace(message) || (tail ?? []).some(isNoSpace);
    emit({
      type: "stage-failed",
      stage: stage.id,
      durationMs: Date.now() - started,
      reason: full ? "no-space" : reason,
      message: full
        ? `${describeNoSpace([out.log, out.dateDir, join(opts.cacheDir, "work")])}; this stage's work folder and staging files are removed\n  ${message.split("\n")[0] ?? ""}`
        : message,
      failure,
      log: out.log,
      ...(step === undefined ? {} : { step }),
      ...(tail === undefined ? {} : { logTail: tail }),
    });
    return false;
  };

  // The lock sits beside the flavour's outputs but out of the dated folder users read. Another
  // build of the same stage (the same tree, from any folder) holds it: wait for that build,
  // then use what it published if it built this very fingerprint.
  const lockPath = join(out.flavourDir, ".locks", `${out.name}.lock`);
  const wait = { waited: false };
  const lock = await waitForLock(lockPath, {
    signal: opts.signal,
    pollMs: 500,
    onWait: (f) => {
      wait.waited = true;
      emit({ type: "info", message: `${stage.id} waits for another build: ${f.message}` });
    },
  });
  if (!lock.ok) return fail(lock.error, lock.error.reason === "cancelled" ? "cancelled" : "locked");
  if (wait.waited && builtByOther(stage)) {
    lock.value.release();
    emit({ type: "stage-fresh", stage: stage.id, output: out.output });
    return true;
  }
  mkdirSync(dirname(out.log), { recursive: true });
  writeFileSync(
    out.log,
    `substrate: ${stage.id} (${stage.decision.reason})\nfingerprint ${stage.fingerprint}\n`,
  );
  // The work folder is this store's own (keyed by the lock's real path) and locked where it
  // lives, so builds of other trees sharing the cache never touch it.
  const work = claimWorkFolder(opts.cacheDir, stage.id, lockPath);
  if (!work.ok) {
    lock.value.release();
    return fail(work.error, "locked");
  }
  const workDir = work.value.dir;
  const stagingDir = join(out.dateDir, `.tmp-${out.name}-${process.pid}`);
  try {
    rmSync(stagingDir, { recursive: true, force: true });
    mkdirSync(stagingDir, { recursive: true });
    emit({ type: "stage-started", stage: stage.id, log: out.log });
    const remoteStage = remoteStageOf(stage, opts.sourceDateEpoch);
    /**
     * Publishes what the staging folder holds (built here, or `got` from the remote), runs the
     * after-stage check, then logs where a fetched stage came from or pushes a built one.
     */
    const finish = async (
      names: readonly string[],
      got: Pulled | undefined,
      rootToKeep: string | undefined,
    ): Promise<boolean> => {
      emit({ type: "step-started", stage: stage.id, step: "publish" });
      const published = await publishStage({
        stagingDir,
        names,
        outputs: out,
        stamp: {
          fingerprint: stage.fingerprint,
          record: stage.record,
          ...(got === undefined || opts.remote === undefined
            ? {}
            : { fetched: { from: opts.remote.label, manifest: got.manifestDigest } }),
        },
        signal: opts.signal,
      });
      if (!published.ok) return fail(published.error, "publish-failed");
      if (rootToKeep !== undefined && opts.keepWork !== true && opts.keptRoots !== false) {
        keepRoot({
          cacheDir: opts.cacheDir,
          stageId: stage.id,
          root: rootToKeep,
          output: out.output,
        });
      }
      if (opts.afterStage) {
        const a = await opts.afterStage(stage);
        if (!a.ok) {
          removeStamp(out.output);
          return fail({ reason: "after-stage-check-failed", message: a.error });
        }
      }
      let pushed: { to: string; bytes: number } | undefined;
      if (got !== undefined && opts.remote !== undefined) {
        writeFileSync(out.log, fetchedLogLine(opts.remote, got), { flag: "a" });
        fetched.add(stage.id);
      } else if (opts.remote?.pushes === true) {
        const files = published.value;
        pushed = await pushToRemote(
          opts.remote,
          remoteStage,
          files,
          join(workDir, "push"),
          emit,
          opts.signal,
        );
      }
      emit({
        type: "stage-succeeded",
        stage: stage.id,
        durationMs: Date.now() - started,
        outputs: published.value,
        ...(got === undefined || opts.remote === undefined
          ? {}
          : {
              fetched: {
                from: opts.remote.label,
                fingerprint: stage.fingerprint,
                bytes: got.bytes,
                ...(got.signedBy === undefined ? {} : { signedBy: got.signedBy }),
              },
            }),
        ...(pushed === undefined ? {} : { pushed }),
      });
      return true;
    };
    if (opts.remote !== undefined) {
      const got = await fetchFromRemote(opts.remote, remoteStage, stagingDir, emit, opts.signal);
      if (opts.signal.aborted)
        return fail({ reason: "cancelled", message: "cancelled by the user" });
      if (got !== undefined) return await finish(got.names, got, undefined);
    }

    const source = targetInput(opts.plan, stage.inputs.source);
    const payload = targetInput(opts.plan, stage.inputs.payload);
    if (!source.ok) return fail({ reason: "bad-input", message: source.error });
    if (!payload.ok) return fail({ reason: "bad-input", message: payload.error });
    // Local inputs are checked against their .DIGESTS before anything unpacks them.
    const inputs: { source?: StageInput; payload?: StageInput } = {};
    for (const [role, value] of [
      ["source", source.value],
      ["payload", payload.value],
    ] as const) {
      if (value === undefined) continue;
      const v = await verifyInput(
        value.path,
        value.from,
        stage.inputs[role]?.type === "stage",
        opts.signal,
      );
      if (!v.ok) return fail(v.error);
      // A stage output is used through the very file just verified (one published generation).
      inputs[role] = stage.inputs[role]?.type === "stage" ? { ...value, path: v.value } : value;
    }
    const base: StageContext = {
      stage: stage.id,
      kind: stage.kind,
      logFile: out.log,
      signal: opts.signal,
      emit,
      cacheDir: opts.cacheDir,
      // Every tool may use every core: stages running side by side share them, and a stage
      // running alone (the edit loop) is not held to a fraction of the machine.
      jobs: cpuCount(),
      values: stage.spec.values,
      sourceDateEpoch: opts.sourceDateEpoch,
    };
    let rootToKeep: string | undefined;
    const ctx: TargetContext = {
      ...base,
      spec: stage.spec,
      driver: opts.driver,
      workDir,
      inputs,
      stagingDir,
      ...(opts.secureBootKeys === undefined ? {} : { secureBootKeys: opts.secureBootKeys }),
      outputName: out.output.slice(out.dateDir.length + 1),
      keepRoot(root) {
        rootToKeep = root;
      },
      keptRootOf(input) {
        if (opts.keptRoots === false) return undefined;
        return openKeptRoot({ cacheDir: opts.cacheDir, stageId: input.from, input: input.path });
      },
      async step(name, detail, fn) {
        const t = Date.now();
        emit({ type: "step-started", stage: stage.id, step: name, ...(detail ? { detail } : {}) });
        if (opts.signal.aborted) return err({ reason: "cancelled", message: "cancelled" });
        const r = await fn();
        emit({ type: "step-finished", stage: stage.id, step: name, durationMs: Date.now() - t });
        if (!r.ok) failedStep ??= name;
        if (!r.ok && r.error.reason === "step-failed" && r.error.step !== name) {
          return err({ ...r.error, step: name });
        }
        return r;
      },
    };

    let result;
    try {
      result = await TARGETS[stage.kind].run(ctx);
    } catch (e) {
      return fail({
        reason: "internal-error",
        message: `Internal error while building ${stage.id}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      });
    }
    if (!result.ok) {
      if (opts.signal.aborted)
        return fail({ reason: "cancelled", message: "cancelled by the user" });
      return fail(result.error);
    }
    return await finish(result.value, undefined, rootToKeep);
  } finally {
    rmSync(stagingDir, { recursive: true, force: true });
    work.value.release(opts.keepWork === true);
    lock.value.release();
  }
}

/** A stage whose own writes threw (a full disk: ENOSPC) fails like any other, no stack trace. */
function stageThrew(stage: PlannedStage, opts: ExecuteOptions, e: unknown): false {
  const full = isNoSpace(e);
  const text = e instanceof Error ? e.message : String(e);
  opts.reporter.emit({
    type: "stage-failed",
    stage: stage.id,
    durationMs: 0,
    reason: full ? "no-space" : "internal-error",
    message: full
      ? `${describeNoSpace([stage.outputs.log, stage.outputs.dateDir, join(opts.cacheDir, "work")])}: ${e instanceof Error ? e.message : String(e)}`
      : `Internal error while building ${stage.id}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
    failure: { reason: full ? "io-error" : "internal-error", message: text },
  });
  return false;
}

function cpuCount(): number {
  return Math.max(1, availableParallelism());
}

/** Executes the plan and reports every stage's outcome. */
export async function execute(opts: ExecuteOptions): Promise<ExecuteSummary> {
  const started = Date.now();
  const { plan } = opts;
  const toBuild = plan.stages.filter((s) => s.decision.kind === "build");
  const fresh = plan.stages.filter((s) => s.decision.kind === "fresh").map((s) => s.id);
  const blocked = plan.stages.filter((s) => s.decision.kind === "blocked");
  // Work folders left by killed builds (of any tree sharing this cache), and scratch folders
  // left by a build killed while it replaced a kept root.
  if (toBuild.length > 0) cleanOrphanWork(opts.cacheDir);
  cleanKeptRootLeftovers(opts.cacheDir);
  opts.reporter.emit({
    type: "run-started",
    command: "build",
    stages: toBuild.length,
    jobs: opts.jobs,
  });
  for (const s of plan.stages) {
    if (s.decision.kind === "fresh")
      opts.reporter.emit({ type: "stage-fresh", stage: s.id, output: s.outputs.output });
  }
  for (const s of blocked) {
    opts.reporter.emit({
      type: "stage-skipped",
      stage: s.id,
      reason: `blocked: ${s.decision.reason}`,
    });
  }
  const buildIds = new Set(toBuild.map((s) => s.id));
  const fetchedIds = new Set<StageId>();
  const jobs: Job[] = toBuild.map((s) => ({
    id: s.id,
    needs: Object.values(s.inputs)
      .filter((i): i is Extract<PlanInput, { type: "stage" }> => i.type === "stage")
      .map((i) => i.stage)
      .filter((id) => buildIds.has(id)),
    run: () => runStage(s, opts, fetchedIds).catch((e: unknown) => stageThrew(s, opts, e)),
  }));
  const outcome = await schedule(jobs, {
    jobs: opts.jobs,
    keepGoing: opts.keepGoing,
    seed: opts.seed ?? 0,
    signal: opts.signal,
  });
  const built: StageId[] = [];
  const failed: StageId[] = [];
  const skipped: StageId[] = blocked.map((s) => s.id);
  for (const [id, o] of outcome) {
    if (o === "succeeded") built.push(id);
    else if (o === "failed") failed.push(id);
    else {
      skipped.push(id);
      opts.reporter.emit({
        type: "stage-skipped",
        stage: id,
        reason:
          o === "skipped-dependency-failed"
            ? "an input stage failed"
            : "the run stopped after a failure",
      });
    }
  }
  await settleKeptRoots();
  const okRun = failed.length === 0 && blocked.length === 0 && !opts.signal.aborted;
  opts.reporter.emit({
    type: "run-finished",
    ok: okRun,
    durationMs: Date.now() - started,
    built: built.length,
    ...(opts.remote === undefined ? {} : { fetched: fetchedIds.size }),
    fresh: fresh.length,
    failed: failed.length,
    skipped: skipped.length,
    maxRssKiB: process.resourceUsage().maxRSS,
  });
  return { ok: okRun, built, fetched: [...fetchedIds].sort(), fresh, failed, skipped };
}
