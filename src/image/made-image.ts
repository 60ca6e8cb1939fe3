/** What every image builder here (squashfs, ISO) takes and gives back, and how it runs its tool. */
import { stat } from "node:fs/promises";
import { type RunFailure, run } from "../sandbox/process.js";
import { type Result, ok, err } from "../util/result.js";
import { epochEnv } from "./epoch.js";

/** Where a builder's tool writes its output, and what cancels it. */
export interface ToolRunOptions {
  /** Log file for the tool's output. */
  readonly logFile?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** The image file made. */
export interface MadeImage {
  readonly path: string;
  readonly bytes: number;
  readonly durationMs: number;
}

/**
 * Runs an image tool with `SOURCE_DATE_EPOCH` set (when given) and returns the image it wrote at
 * `output`.
 */
export async function runImageTool(
  argv: readonly string[],
  output: string,
  options: ToolRunOptions & { readonly sourceDateEpoch?: number | undefined },
): Promise<Result<MadeImage, RunFailure>> {
  const r = await run({
    argv,
    extraEnv: epochEnv(options.sourceDateEpoch),
    ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  if (!r.ok) return err(r.error);
  const st = await stat(output);
  return ok({ path: output, bytes: st.size, durationMs: r.value.durationMs });
}
