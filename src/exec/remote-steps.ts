/**
 * The executor's two steps with a remote stage cache (`remote/stage-cache.ts`): `fetch` before
 * a stage builds and `push` after it is published. Both report as steps; a refusal or a failed
 * push is a warning, never a stage failure (the stage is then built, or kept, here).
 */
import { mkdirSync, rmSync } from "node:fs";
import { basename } from "node:path";
import type { PlannedStage } from "../plan/plan.js";
import type { Event } from "../report/events.js";
import type { Failure } from "../report/failure.js";
import { describeFailure } from "../report/failure-text.js";
import type { Result } from "../util/result.js";
import type { Pulled, RemoteStage } from "../remote/stage-cache.js";

/** A remote stage cache as the executor uses it. */
export interface StageRemote {
  /** The remote as the user wrote it. */
  readonly label: string;
  /** Push after building. */
  readonly pushes: boolean;
  pull(
    stage: RemoteStage,
    stagingDir: string,
    signal?: AbortSignal,
  ): Promise<Result<Pulled | undefined, Failure>>;
  push(
    stage: RemoteStage,
    files: readonly string[],
    workDir: string,
    signal?: AbortSignal,
  ): Promise<Result<{ bytes: number; manifestDigest: string }, Failure>>;
}

/** What the remote needs to know of a planned stage. */
export function remoteStageOf(stage: PlannedStage, sourceDateEpoch: number): RemoteStage {
  const out = stage.outputs;
  return {
    id: stage.id,
    flavour: stage.spec.flavour,
    name: out.name,
    fingerprint: stage.fingerprint,
    output: out.output,
    arch: stage.spec.arch,
    date: basename(out.dateDir),
    epoch: sourceDateEpoch,
    form: out.form,
  };
}

/**
 * The `fetch` step: the stage from the remote into `stagingDir`, or undefined (not there, or
 * refused: then a warning, and the staging folder is emptied for the build).
 */
export async function fetchFromRemote(
  remote: StageRemote,
  stage: RemoteStage,
  stagingDir: string,
  emit: (e: Event) => void,
  signal: AbortSignal,
): Promise<Pulled | undefined> {
  const t = Date.now();
  emit({
    type: "step-started",
    stage: stage.id,
    step: "fetch",
    detail: `looking up ${stage.fingerprint.slice(0, 12)} in ${remote.label}`,
  });
  const pulled = await remote.pull(stage, stagingDir, signal);
  emit({ type: "step-finished", stage: stage.id, step: "fetch", durationMs: Date.now() - t });
  if (pulled.ok) return pulled.value;
  emit({
    type: "warning",
    message: `${stage.id}: not using the copy in ${remote.label}: ${describeFailure(pulled.error)}; building it here`,
  });
  rmSync(stagingDir, { recursive: true, force: true });
  mkdirSync(stagingDir, { recursive: true });
  return undefined;
}

/** The `push` step: what was pushed, or undefined after a warning. */
export async function pushToRemote(
  remote: StageRemote,
  stage: RemoteStage,
  files: readonly string[],
  workDir: string,
  emit: (e: Event) => void,
  signal: AbortSignal,
): Promise<{ to: string; bytes: number } | undefined> {
  const t = Date.now();
  emit({ type: "step-started", stage: stage.id, step: "push", detail: `to ${remote.label}` });
  const p = await remote.push(stage, files, workDir, signal);
  emit({ type: "step-finished", stage: stage.id, step: "push", durationMs: Date.now() - t });
  if (p.ok) return { to: remote.label, bytes: p.value.bytes };
  emit({
    type: "warning",
    message: `${stage.id} is built and published here, but pushing it to ${remote.label} failed: ${describeFailure(p.error)}`,
  });
  return undefined;
}

/** The stage log's line for a fetched stage. */
export function fetchedLogLine(remote: StageRemote, got: Pulled): string {
  const signed = got.signedBy === undefined ? ", unsigned" : `, signed by ${got.signedBy}`;
  return `fetched from ${remote.label} (manifest ${got.manifestDigest}, ${got.bytes} bytes${signed})\n`;
}
