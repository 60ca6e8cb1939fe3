/**
 * The interface every stage kind implements, and what the executor hands each one. A target
 * turns its inputs (a parent stage's output, a payload, or nothing) into files in a staging
 * folder; the executor then digests, publishes and stamps them. Targets never print and never
 * spawn directly: drivers, `image/` and `sandbox/` do the work.
 */
import type { Driver, HostTool, StageContext } from "../drivers/driver.js";
import type { KeptRoot } from "../store/root-cache.js";
import type { StageSpec, TargetKindName } from "../spec/types.js";
import type { Result } from "../util/result.js";
import type { StepsToDescribe } from "./describe-steps.js";
import type { Failure } from "../report/failure.js";

/** What every input carries: where it is and what produced it. */
interface InputBase {
  readonly path: string;
  /** The producing stage's id, or the spec value naming a seed. */
  readonly from: string;
}

/** An input a stage consumes, already verified and present on disk. */
export type StageInput =
  /** A stage tarball (a parent's output or a seed). */
  | (InputBase & { readonly kind: "tarball" })
  /** A squashfs root image (livecd-stage1's output). */
  | (InputBase & { readonly kind: "squashfs" })
  /** A livecd-stage2 payload folder. */
  | (InputBase & { readonly kind: "payload" });

/** Why a stage failed. */
export type StageFailure = Failure;

/** Everything a target's `run` gets. */
export interface TargetContext extends StageContext {
  readonly spec: StageSpec;
  readonly driver: Driver;
  /** A private scratch folder for this run (build roots live here); removed afterwards. */
  readonly workDir: string;
  /** Inputs by role: `source` (source_subpath) and, for livecd-stage3, `payload`. */
  readonly inputs: { readonly source?: StageInput; readonly payload?: StageInput };
  /** Where the target writes its outputs, under their final basenames. */
  readonly stagingDir: string;
  /**
   * The tree's Secure Boot key folder (`[secureboot] keys`), when it has one: livecd-stage2
   * signs with its db key. Absent: nothing is signed.
   */
  readonly secureBootKeys?: string;
  /** The final basename of the main output (e.g. `stage3-amd64-roflmaos-20261126.tar.zst`). */
  readonly outputName: string;
  /**
   * Offers the stage's finished root (a folder in `workDir`, exactly what the main output was
   * made from) to later stages: once the output is published the executor moves it into the
   * cache of kept roots (store/root-cache.ts) instead of deleting it.
   */
  keepRoot(root: string): void;
  /** The kept root of an input when the cache holds one for exactly that file. */
  keptRootOf(input: StageInput): KeptRoot | undefined;
  /** Runs one named step: emits step events, times it, and tags failures with the step name. */
  step<T>(
    name: string,
    detail: string | undefined,
    fn: () => Promise<Result<T, StageFailure>>,
  ): Promise<Result<T, StageFailure>>;
}

/**
 * One stage kind's effectful half: what it runs and how that reads in `build --dry-run`. Its
 * pure half (keys, input roles, output form) is its definition in `spec/kinds/<kind>.ts`.
 */
export interface TargetKind {
  readonly name: TargetKindName;
  /** Host tools this kind's own steps need beyond the driver's (for `substrate doctor`). */
  readonly hostTools: readonly HostTool[];
  /** The steps `run` would take, one line each, for `build --dry-run` (targets/describe.ts). */
  describe(d: StepsToDescribe): string[];
  /** Builds the stage into `ctx.stagingDir`. Returns the basenames it wrote (main output first). */
  run(ctx: TargetContext): Promise<Result<readonly string[], StageFailure>>;
}
