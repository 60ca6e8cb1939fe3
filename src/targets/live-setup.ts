/**
 * Making a root bootable as a live system (livecd-stage1, and livecd-stage3 when it wraps a
 * plain stage): hostname, root login without a password on the console (as the seed's
 * fsscript does), an empty machine-id, nothing for systemd-firstboot to ask, systemd presets.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runInChroot, describeSandboxFailure } from "../sandbox/chroot.js";
import { mkdirInRoot, readFileInRoot, writeFileInRoot } from "../sandbox/root-path.js";
import { err, ok } from "../util/result.js";
import type { StepResult } from "./steps.js";
import type { TargetContext } from "./target-kind.js";
import { stringOf } from "../spec/values.js";

/** The hostname a live system gets when neither `livecd/hostname` nor an overlay sets one. */
export const DEFAULT_LIVE_HOSTNAME = "livecd";

/** Applies the live customisation to `root`. */
export async function liveSetup(ctx: TargetContext, root: string): Promise<StepResult> {
  const hostname = stringOf(ctx.values["livecd/hostname"]) ?? DEFAULT_LIVE_HOSTNAME;
  return ctx.step("live-setup", `hostname ${hostname}`, async () => {
    const writes: [string, string, number][] = [
      ["/etc/hostname", `${hostname}\n`, 0o644],
      [
        "/etc/hosts",
        `127.0.0.1\tlocalhost\n127.0.1.1\t${hostname}\n::1\t\tlocalhost ip6-localhost ip6-loopback\n`,
        0o644,
      ],
      ["/etc/machine-id", "", 0o444],
    ];
    if (!existsSync(join(root, "etc/locale.conf")))
      writes.push(["/etc/locale.conf", "LANG=C.UTF-8\n", 0o644]);
    for (const [path, text, mode] of writes) {
      const w = writeFileInRoot(root, path, text, mode);
      if (!w.ok) return err(w.error);
    }
    // Root logs in without a password (the seed's fsscript: sed '/^root:/s/:\*:/::/').
    const shadow = readFileInRoot(root, "/etc/shadow");
    if (shadow.ok) {
      const text = shadow.value.toString("utf8").replace(/^root:[^:]*:/m, "root::");
      const w = writeFileInRoot(root, "/etc/shadow", text, 0o640);
      if (!w.ok) return err(w.error);
    }
    if (existsSync(join(root, "usr/bin/systemctl")) || existsSync(join(root, "bin/systemctl"))) {
      const r = await runInChroot({
        root,
        argv: ["systemctl", "preset-all"],
        logFile: ctx.logFile,
        signal: ctx.signal,
      });
      if (!r.ok) {
        return err({
          reason: "step-failed",
          step: "live-setup",
          message: `systemctl preset-all: ${describeSandboxFailure(r.error)}`,
        });
      }
    }
    for (const dir of ["proc", "sys", "dev", "run", "tmp"]) {
      // dracut's dmsquash-live checks the new root has these mount points.
      const d = mkdirInRoot(root, `/${dir}`, dir === "tmp" ? 0o1777 : 0o755);
      if (!d.ok) return err(d.error);
    }
    return ok(undefined);
  });
}
