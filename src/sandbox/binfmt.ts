/**
 * Host preparation for foreign-arch builds, run only by an explicit `substrate doctor --install`:
 * mounts binfmt_misc, enables it, and registers (or enables, or re-registers with the `F` flag)
 * the `qemu-<arch>` handler from systemd-binfmt's `/usr/lib/binfmt.d/qemu-<arch>.conf`, which
 * qemu-user-static ships. Each action is announced before it is taken.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Result, ok, err } from "../util/result.js";
import {
  BINFMT_CONF_DIR,
  BINFMT_DIR,
  type InterpreterFailure,
  checkInterpreterHost,
  handlerName,
} from "./interpreter.js";
import { describeCommand, describeFailure, run } from "./process.js";
import type { FailureOf } from "../report/failure.js";

/** A `register` line parsed from a binfmt.d file, with the `F` flag guaranteed. */
export interface Registration {
  readonly name: string;
  /** The interpreter the kernel runs (opened at registration because of `F`). */
  readonly interpreter: string;
  /** The line to write to `register`. */
  readonly line: string;
  /** True when the file's own line lacked `F` and it was added. */
  readonly addedFixBinary: boolean;
}

/**
 * Parses the registration for `name` from the text of a binfmt.d file
 * (`:name:type:offset:magic:mask:interpreter:flags`, `#`/`;` comments) and adds the `F` flag when
 * missing: substrate copies only the configured interpreter into the root, so the kernel must
 * hold the handler's own interpreter open from the host. Pure.
 */
export function registrationFromConf(text: string, name: string): Registration | undefined {
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const delim = line[0] ?? ":";
    const fields = line.slice(1).split(delim);
    if (fields.length !== 7 || fields[0] !== name) continue;
    const interpreter = fields[5] ?? "";
    const flags = fields[6] ?? "";
    if (interpreter === "") continue;
    const addedFixBinary = !flags.includes("F");
    const fixed = [...fields.slice(0, 6), addedFixBinary ? `${flags}F` : flags];
    return { name, interpreter, line: delim + fixed.join(delim), addedFixBinary };
  }
  return undefined;
}

/** Why the host could not be prepared. */
export type BinfmtSetupFailure = InterpreterFailure | FailureOf<"setup-failed">;

/** Options of {@link prepareInterpreterHost}. */
export interface BinfmtSetupOptions {
  /** The host's root folder (default `/`). Mounting is done only for `/`. */
  readonly hostRoot?: string;
  /** Named in hints, as in the checks. */
  readonly installCommand?: string;
  /** Told each action before it is taken. */
  readonly announce: (message: string) => void;
  readonly signal?: AbortSignal;
}

/** Writes `text` to a binfmt_misc control file in one write. */
function writeControl(file: string, text: string): Result<void, BinfmtSetupFailure> {
  try {
    writeFileSync(file, text);
    return ok(undefined);
  } catch (e) {
    return err({
      reason: "setup-failed",
      message: `cannot write ${file}: ${e instanceof Error ? e.message : String(e)}`,
      hint: "run it as root on a host (a container needs binfmt_misc from its host)",
    });
  }
}

/** Registers `handler` from its binfmt.d file (with `F`). */
function register(
  hostRoot: string,
  dir: string,
  handler: string,
  announce: (message: string) => void,
): Result<void, BinfmtSetupFailure> {
  const conf = join(hostRoot, BINFMT_CONF_DIR, `${handler}.conf`);
  let text: string;
  try {
    text = readFileSync(conf, "utf8");
  } catch {
    return err({
      reason: "setup-failed",
      message: `${conf} does not exist: nothing to register ${handler} from`,
      hint: "install qemu-user-static as root (apt-get install qemu-user-static)",
    });
  }
  const reg = registrationFromConf(text, handler);
  if (reg === undefined) {
    return err({ reason: "setup-failed", message: `${conf} has no registration for ${handler}` });
  }
  if (!existsSync(join(hostRoot, reg.interpreter))) {
    return err({
      reason: "setup-failed",
      message: `${conf} names ${reg.interpreter}, which does not exist`,
      hint: "reinstall qemu-user-static as root (apt-get install --reinstall qemu-user-static)",
    });
  }
  const extra = reg.addedFixBinary ? " (F flag added)" : "";
  announce(`registering ${handler} from ${conf}${extra}: echo '${reg.line}' > ${dir}/register`);
  return writeControl(join(dir, "register"), reg.line);
}

/**
 * Sets up what {@link checkInterpreterHost} finds missing for each interpreter, one piece at a
 * time, announcing each action, until the check passes. The interpreter itself is not installed
 * here (that is a package: qemu-user-static). Needs root.
 */
export async function prepareInterpreterHost(
  interpreters: readonly string[],
  options: BinfmtSetupOptions,
): Promise<Result<void, BinfmtSetupFailure>> {
  const hostRoot = options.hostRoot ?? "/";
  const dir = join(hostRoot, BINFMT_DIR);
  const check = {
    hostRoot,
    ...(options.installCommand === undefined ? {} : { installCommand: options.installCommand }),
  };
  for (const path of interpreters) {
    // Each pass fixes one piece; six pieces at most, so a pass that changes nothing ends it.
    for (let pass = 0; ; pass++) {
      const c = checkInterpreterHost(path, check);
      if (c.ok) break;
      if (pass >= 6) return c;
      const f = c.error;
      let done: Result<void, BinfmtSetupFailure>;
      switch (f.reason) {
        case "not-absolute":
        case "missing":
        case "copy-failed":
        case "no-interpreter":
          return c;
        case "binfmt-not-mounted": {
          if (hostRoot !== "/") return c;
          const argv = ["mount", "-t", "binfmt_misc", "binfmt_misc", dir];
          options.announce(`mounting binfmt_misc: ${describeCommand(argv)}`);
          const m = await run({
            argv,
            ...(options.signal === undefined ? {} : { signal: options.signal }),
          });
          done = m.ok
            ? ok(undefined)
            : err({
                reason: "setup-failed",
                message: `cannot mount binfmt_misc: ${describeFailure(m.error)}`,
                hint: "run it as root on a host (a container needs binfmt_misc from its host)",
              });
          break;
        }
        case "binfmt-disabled":
          options.announce(`enabling binfmt_misc: echo 1 > ${dir}/status`);
          done = writeControl(join(dir, "status"), "1");
          break;
        case "not-registered":
          done = register(hostRoot, dir, f.handler, options.announce);
          break;
        case "registration-disabled":
          options.announce(`enabling ${f.handler}: echo 1 > ${dir}/${f.handler}`);
          done = writeControl(join(dir, f.handler), "1");
          break;
        case "no-fix-binary":
          options.announce(
            `removing ${f.handler}, registered without the F flag: echo -1 > ${dir}/${f.handler}`,
          );
          done = writeControl(join(dir, f.handler), "-1");
          if (done.ok) done = register(hostRoot, dir, handlerName(path), options.announce);
          break;
      }
      if (!done.ok) return done;
    }
  }
  return ok(undefined);
}
