/** The live initramfs in a Portage root: dracut with dmsquash-live (emerged first when missing). */
import { lstatInRoot } from "../../sandbox/root-path.js";
import type { DriverResult, LiveInitramfsRequest } from "../driver.js";
import { checkOutput, runLiveDracut } from "../dracut.js";
import { type PortageSession, emerge } from "./portage-session.js";
import { prepare } from "./prepare.js";

/** Builds `req.output` inside the session's root for `req.kernel`. */
export async function liveInitramfs(
  s: PortageSession,
  req: LiveInitramfsRequest,
): Promise<DriverResult> {
  const checked = checkOutput(req);
  if (!checked.ok) return checked;
  const p = await prepare(s);
  if (!p.ok) return p;
  if (
    lstatInRoot(s.root, "/usr/bin/dracut") === undefined &&
    lstatInRoot(s.root, "/usr/sbin/dracut") === undefined
  ) {
    const e = await emerge(p.value, "dracut", ["--oneshot", "sys-kernel/dracut"]);
    if (!e.ok) return e;
  }
  return runLiveDracut(p.value.run, "dracut (live)", req);
}
