/**
 * The live initramfs in a Debian root: a generic (not host-only) dracut initramfs with
 * dmsquash-live, dracut, dracut-live and zstd installed first when missing. The spec's
 * `dracut_args` come after substrate's defaults (drivers/dracut.ts), so they can override them.
 */
import type { DriverResult, LiveInitramfsRequest } from "../driver.js";
import { checkOutput, runLiveDracut } from "../dracut.js";
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
  const checked = checkOutput(req);
  if (!checked.ok) return checked;
  const present = new Set(s.installed().map((p) => bareName(p.name)));
  const missing = LIVE_INITRAMFS_PACKAGES.filter((p) => !present.has(p));
  const inst = await install(s, missing, { INITRD: "No" });
  if (!inst.ok) return inst;
  s.note(`dracut: live initramfs for ${req.kernel.version}`);
  return runLiveDracut(s, "dracut", req);
}
