/**
 * The live initramfs's dracut command, one table for both drivers. These arguments come
 * before the spec's `dracut_args` (later arguments win, so a spec can override them): a generic
 * image for any machine, reproducible under SOURCE_DATE_EPOCH, dmsquash-live, zstd at level 3
 * (dracut's own zstd default, level 15, took 85 s instead of 11 s here for an image 13 %
 * smaller), built in the sandbox's tmpfs /tmp. livecd-stage2 passes its own trimming
 * (`LIVE_DRACUT_ARGS` in targets/payload.ts) as the request's `extraArgs`.
 */
import { lstatInRoot, mkdirInRoot } from "../sandbox/root-path.js";
import { ok } from "../util/result.js";
import type { DriverResult, LiveInitramfsRequest } from "./driver.js";
import { type RootSession, refuse, stepFailed } from "./session.js";

/** dracut's arguments for the live initramfs before the spec's `dracut_args`. */
export const DRACUT_DEFAULT_ARGS = [
  "--force",
  "--no-hostonly",
  "--no-hostonly-cmdline",
  "--reproducible",
  "--add",
  "dmsquash-live",
  "--omit",
  "plymouth",
  "--compress",
  "zstd -q -T0 -3",
  "--tmpdir",
  "/tmp",
] as const;

/** `dracut <defaults> <extraArgs> --kver <version> <output>` for a live initramfs request. */
export function liveDracutArgv(req: LiveInitramfsRequest): string[] {
  return [
    "dracut",
    ...DRACUT_DEFAULT_ARGS,
    ...req.extraArgs,
    "--kver",
    req.kernel.version,
    req.output,
  ];
}

/** `bad-input` unless the request's output is an absolute path inside the root. */
export function checkOutput(req: LiveInitramfsRequest): DriverResult {
  return req.output.startsWith("/")
    ? ok(undefined)
    : refuse("bad-input", `initramfs output ${req.output} is not an absolute path`);
}

/**
 * Runs dracut for `req` as `step` in `session` (dracut already in the root): the output's
 * folder made first, the output checked afterwards.
 */
export async function runLiveDracut(
  session: RootSession,
  step: string,
  req: LiveInitramfsRequest,
): Promise<DriverResult> {
  const made = mkdirInRoot(session.root, outputParent(req.output));
  if (!made.ok) return refuse("root-write-failed", made.error.message);
  const r = await session.run(step, { argv: liveDracutArgv(req) });
  if (!r.ok) return r;
  if (lstatInRoot(session.root, req.output) === undefined)
    return stepFailed("dracut", `dracut finished but wrote no ${req.output}`);
  return ok(undefined);
}

function outputParent(output: string): string {
  return output.slice(0, output.lastIndexOf("/")) || "/";
}
