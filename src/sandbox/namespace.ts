/**
 * Running a host tool in its own private mount and PID namespace, without a chroot: mmdebstrap,
 * or a loop mount of a squashfs to read it. The launcher and setup script are setup-script.ts's,
 * the failure type and the run itself chroot.ts's.
 */
import { isAbsolute } from "node:path";
import { type Result, err } from "../util/result.js";
import { type SandboxFailure, type SandboxRunOptions, runLaunched } from "./chroot.js";
import { type RunOutput, cleanEnv, describeCommand } from "./process.js";
import { lstatOrUndefined } from "./root-path.js";
import { namespaceLauncher, namespaceSetupScript } from "./setup-script.js";

/** Everything {@link runInNamespace} needs. */
export interface NamespaceOptions extends SandboxRunOptions {
  /** Host command; argv[0] looked up on PATH. */
  readonly argv: readonly string[];
  /** Host working directory. */
  readonly cwd?: string;
  /** Keep the host network (default true: host tools such as mmdebstrap download). */
  readonly network?: boolean;
}

/**
 * Runs a host command in its own private mount and PID namespace, without a chroot (mmdebstrap,
 * a loop mount of a squashfs to read it). Mounts it makes, and the binds given here, vanish with
 * it; its processes die with it and with substrate. /proc is remounted for the new PID namespace.
 */
export async function runInNamespace(
  opts: NamespaceOptions,
): Promise<Result<RunOutput, SandboxFailure>> {
  if (opts.argv.length === 0) return err({ reason: "bad-command", message: "empty argv" });
  for (const b of opts.binds ?? []) {
    if (!isAbsolute(b.source) || !isAbsolute(b.target)) {
      return err({ reason: "bad-bind", ...b, message: "paths must be absolute" });
    }
    if (lstatOrUndefined(b.source) === undefined) {
      return err({ reason: "bad-bind", ...b, message: "the source does not exist on the host" });
    }
    if (lstatOrUndefined(b.target) === undefined) {
      return err({ reason: "bad-bind", ...b, message: "the target does not exist on the host" });
    }
  }
  const script = namespaceSetupScript({
    binds: opts.binds ?? [],
    env: { ...cleanEnv(), ...(opts.env ?? {}) },
    argv: opts.argv,
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
  });
  const argv = [
    ...namespaceLauncher({ network: opts.network ?? true, mountProc: true }),
    "/bin/sh",
    "-c",
    script,
    "substrate-sandbox",
  ];
  return runLaunched(argv, opts, describeCommand(opts.argv));
}
