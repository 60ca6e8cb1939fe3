/**
 * Unpacking a squashfs image into a folder (`unsquashfs`), keeping owners, modes, xattrs and
 * device nodes: livecd-stage3 does this when it must change a root it was given as an image.
 */
import { rmSync } from "node:fs";
import { run, type RunFailure } from "../sandbox/process.js";
import { type Result, ok, err } from "../util/result.js";

/** What to unpack where. `dest` must not exist yet (unsquashfs creates it). */
export interface UnsquashOptions {
  readonly image: string;
  readonly dest: string;
  readonly processors?: number;
  readonly logFile?: string;
  readonly signal?: AbortSignal;
}

/** Unpacks the image; `dest` is removed first. */
export async function unsquashTo(options: UnsquashOptions): Promise<Result<void, RunFailure>> {
  rmSync(options.dest, { recursive: true, force: true });
  const argv = ["unsquashfs", "-no-progress", "-d", options.dest];
  if (options.processors !== undefined) argv.push("-processors", String(options.processors));
  argv.push(options.image);
  const r = await run({
    argv,
    ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return r.ok ? ok(undefined) : err(r.error);
}
