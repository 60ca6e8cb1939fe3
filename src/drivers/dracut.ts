/**
 * The live initramfs's dracut command, one table for both drivers. These arguments come
 * before the spec's `dracut_args` (later arguments win, so a spec can override them): a generic
 * image for any machine, reproducible under SOURCE_DATE_EPOCH, dmsquash-live, zstd at level 3
 * (dracut's own zstd default, level 15, took 85 s instead of 11 s here for an image 13 %
 * smaller), built in the sandbox's tmpfs /tmp. livecd-stage2 passes its own trimming
 * (`LIVE_DRACUT_ARGS` in targets/payload.ts) as the request's `extraArgs`.
 */
import type { LiveInitramfsRequest } from "./driver.js";

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

/** The folder inside the root that holds `output` (`/` for a file at the top). */
export function outputParent(output: string): string {
  return output.slice(0, output.lastIndexOf("/")) || "/";
}
