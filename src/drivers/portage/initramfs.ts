/** The live initramfs in a Portage root: dracut with dmsquash-live (emerged first when missing). */
import { lstatInRoot, mkdirInRoot } from "../../sandbox/root-path.js";
import { ok } from "../../util/result.js";
import type { DriverResult, LiveInitramfsRequest } from "../driver.js";
import { liveDracutArgv, outputParent } from "../dracut.js";
import { refuse, stepFailed } from "../session.js";
import { type PortageSession, emerge, exec } from "./portage-session.js";
import { prepare } from "./prepare.js";

/** Builds `req.output` inside the session's root for `req.kernel`. */
export async function liveInitramfs(
  s: PortageSession,
  req: LiveInitramfsRequest,
): Promise<DriverResult> {
  const root = s.root;
  if (!req.output.startsWith("/"))
    return refuse("bad-input", `initramfs output ${req.output} is not an absolute path`);
  const p = await prepare(s);
  if (!p.ok) return p;
  if (
    lstatInRoot(root, "/usr/bin/dracut") === undefined &&
    lstatInRoot(root, "/usr/sbin/dracut") === undefined
  ) {
    const e = await emerge(p.value, "dracut", ["--oneshot", "sys-kernel/dracut"]);
    if (!e.ok) return e;
  }
  const made = mkdirInRoot(root, outputParent(req.output));
  if (!made.ok) return refuse("root-write-failed", made.error.message);
  const r = await exec(p.value, { step: "dracut (live)", argv: liveDracutArgv(req) });
  if (!r.ok) return r;
  if (lstatInRoot(root, req.output) === undefined)
    return stepFailed("dracut", `dracut finished but wrote no ${req.output}`);
  return ok(undefined);
}
