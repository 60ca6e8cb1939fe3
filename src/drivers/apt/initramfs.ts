/**
 * The live initramfs in a Debian root: a generic (not host-only) dracut initramfs with
 * dmsquash-live, dracut, dracut-live and zstd installed first when missing. The spec's
 * `dracut_args` come after substrate's defaults (drivers/dracut.ts), so they can override them.
 */
import { lstatInRoot, mkdirInRoot } from "../../sandbox/root-path.js";
import { ok } from "../../util/result.js";
import type { DriverResult, LiveInitramfsRequest } from "../driver.js";
import { liveDracutArgv, outputParent } from "../dracut.js";
import { refuse, stepFailed } from "../session.js";
import type { AptSession } from "./apt-session.js";
import { bareName } from "./dpkg-status.js";
import { install } from "./install.js";

/** Packages the live initramfs needs inside the root (bookworm names). */
export const LIVE_INITRAMFS_PACKAGES = ["dracut", "dracut-live", "zstd"] as const;

/** Builds `req.output` inside the session's root for `req.kernel`. */
export async function liveInitramfs(
  s: AptSession,
  req: LiveInitramfsRequest,
): Promise<DriverResult> {
  const root = s.root;
  if (!req.output.startsWith("/"))
    return refuse("bad-input", `initramfs output ${req.output} is not an absolute path`);
  const present = new Set(s.installed().map((p) => bareName(p.name)));
  const missing = LIVE_INITRAMFS_PACKAGES.filter((p) => !present.has(p));
  const inst = await install(s, missing, { INITRD: "No" });
  if (!inst.ok) return inst;
  const made = mkdirInRoot(root, outputParent(req.output));
  if (!made.ok) return refuse("root-write-failed", made.error.message);
  s.note(`dracut: live initramfs for ${req.kernel.version}`);
  const r = await s.run("dracut", { argv: liveDracutArgv(req) });
  if (!r.ok) return r;
  if (lstatInRoot(root, req.output) === undefined)
    return stepFailed("dracut", `dracut finished but wrote no ${req.output}`);
  return ok(undefined);
}
