/**
 * Foreign-arch builds (catalyst's `interpreter` key): qemu-user binaries are copied from the host
 * into the build root at the same path for the length of a chroot run, then removed (or the
 * root's own file restored), as catalyst does. The host must run the root's programs through
 * binfmt_misc: {@link checkInterpreters} says which piece is missing (binfmt_misc not mounted or
 * disabled, `qemu-<arch>` not registered, disabled or without the `F` flag, no interpreter) and
 * `substrate doctor --install` sets it up (see `binfmt.ts`); nothing registers handlers silently.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, isAbsolute, join } from "node:path";
import { type Result, ok, err } from "../util/result.js";
import { type Swap, restoreSwap, swapIn } from "./swap.js";
import type { FailureOf, InterpreterHostReason } from "../report/failure.js";

/** binfmt_misc's folder, relative to the host root. */
export const BINFMT_DIR = "proc/sys/fs/binfmt_misc";
/** systemd-binfmt's vendor registrations (qemu-user-static ships `qemu-<arch>.conf`), relative to the host root. */
export const BINFMT_CONF_DIR = "usr/lib/binfmt.d";

/** Why the host cannot run a foreign root's programs through an interpreter. */
export type { InterpreterHostReason };

/** A missing piece of the host's preparation for one interpreter, with what to run. */
export type InterpreterHostFailure = FailureOf<InterpreterHostReason>;

/** Why interpreters could not be set up. */
export type InterpreterFailure =
  FailureOf<"not-absolute" | "missing" | "copy-failed"> | InterpreterHostFailure;

/** Where the host checks look, and what their hints tell the user to run. */
export interface HostCheckOptions {
  /**
   * The host's root folder (default `/`; tests use a temp folder): binfmt_misc is
   * `<hostRoot>/proc/sys/fs/binfmt_misc`, registrations `<hostRoot>/usr/lib/binfmt.d`, and an
   * interpreter `/p` is `<hostRoot>/p`.
   */
  readonly hostRoot?: string;
  /** The command that prepares the host, named in hints (default `substrate doctor --install <tree>`). */
  readonly installCommand?: string;
}

/** One binfmt_misc registration, as read from `/proc/sys/fs/binfmt_misc/<name>`. */
export interface BinfmtEntry {
  readonly name: string;
  readonly enabled: boolean;
  /** The interpreter path the kernel runs. */
  readonly interpreter: string;
  /** Flags, e.g. `F` (fix binary: the kernel opened the interpreter at registration). */
  readonly flags: string;
}

/** Parses the text of one `/proc/sys/fs/binfmt_misc/<name>` file. Pure. */
export function parseBinfmtEntry(name: string, text: string): BinfmtEntry | undefined {
  let enabled = false;
  let interpreter: string | undefined;
  let flags = "";
  for (const line of text.split("\n")) {
    if (line === "enabled") enabled = true;
    else if (line.startsWith("interpreter ")) interpreter = line.slice("interpreter ".length);
    else if (line.startsWith("flags:")) flags = line.slice("flags:".length).trim();
  }
  if (interpreter === undefined) return undefined;
  return { name, enabled, interpreter, flags };
}

/**
 * Finds the binfmt registration that would run `interpreterPath` (matched by path, or by
 * basename with an optional `-static` suffix, as Debian's qemu-user-static registers
 * `/usr/libexec/qemu-binfmt/<arch>-binfmt-P` wrappers and `/usr/bin/qemu-<arch>-static`). Pure.
 */
export function findRegistration(
  entries: readonly BinfmtEntry[],
  interpreterPath: string,
): BinfmtEntry | undefined {
  const exact = entries.find((e) => e.interpreter === interpreterPath);
  if (exact !== undefined) return exact;
  const wanted = basename(interpreterPath).replace(/-static$/, "");
  const arch = wanted.replace(/^qemu-/, "");
  return entries.find((e) => {
    const b = basename(e.interpreter).replace(/-static$/, "");
    return b === wanted || e.name === wanted || b === `${arch}-binfmt-P`;
  });
}

/** Reads every binfmt_misc registration from `dir` (default `/proc/sys/fs/binfmt_misc`). */
export function readBinfmtEntries(dir = "/proc/sys/fs/binfmt_misc"): BinfmtEntry[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const entries: BinfmtEntry[] = [];
  for (const name of names.sort()) {
    if (name === "register" || name === "status") continue;
    try {
      const entry = parseBinfmtEntry(name, readFileSync(join(dir, name), "utf8"));
      if (entry !== undefined) entries.push(entry);
    } catch {
      // unreadable entry: not usable
    }
  }
  return entries;
}

/** The handler name for an interpreter path: `/usr/bin/qemu-arm-static` -> `qemu-arm`. Pure. */
export function handlerName(interpreterPath: string): string {
  const arch = basename(interpreterPath)
    .replace(/-static$/, "")
    .replace(/^qemu-/, "");
  return `qemu-${arch}`;
}

/** True when binfmt_misc is mounted at `dir` (its `register` file exists only then). */
export function binfmtMounted(dir: string): boolean {
  return existsSync(join(dir, "register"));
}

/**
 * Checks what the host needs for one interpreter, in the order it must be set up: the
 * interpreter file, binfmt_misc mounted and enabled, a registered and enabled handler that the
 * kernel can run inside the root. Returns the matching registration.
 */
export function checkInterpreterHost(
  path: string,
  options: HostCheckOptions = {},
): Result<BinfmtEntry, InterpreterFailure> {
  const hostRoot = options.hostRoot ?? "/";
  const fix = options.installCommand ?? "substrate doctor --install <tree>";
  const dir = join(hostRoot, BINFMT_DIR);
  const handler = handlerName(path);
  const conf = join(hostRoot, BINFMT_CONF_DIR, `${handler}.conf`);
  const fail = (reason: InterpreterHostReason, message: string, hint: string, name = handler) =>
    err({ reason, path, handler: name, message, hint });
  if (!isAbsolute(path)) {
    return err({
      reason: "not-absolute",
      path,
      message: `interpreter ${path} is not an absolute path`,
    });
  }
  let isFile = false;
  try {
    isFile = statSync(join(hostRoot, path)).isFile();
  } catch {
    // missing
  }
  if (!isFile) {
    return fail(
      "no-interpreter",
      `interpreter ${path} does not exist on this host`,
      `install qemu-user-static as root (apt-get install qemu-user-static, or ${fix}), or set interpreter to an installed qemu-user binary`,
    );
  }
  if (!binfmtMounted(dir)) {
    return fail(
      "binfmt-not-mounted",
      `binfmt_misc is not mounted at ${dir}: the kernel cannot run the root's programs through ${path}`,
      `as root, run ${fix} (mount -t binfmt_misc binfmt_misc ${dir}, then register ${handler} from ${conf})`,
    );
  }
  let status = "enabled";
  try {
    status = readFileSync(join(dir, "status"), "utf8").trim();
  } catch {
    // no status file: treat as enabled, as the kernel does
  }
  if (status === "disabled") {
    return fail(
      "binfmt-disabled",
      `binfmt_misc is disabled (${join(dir, "status")} says disabled): no handler runs`,
      `as root, run ${fix} (echo 1 > ${join(dir, "status")})`,
    );
  }
  const reg = findRegistration(readBinfmtEntries(dir), path);
  if (reg === undefined) {
    return fail(
      "not-registered",
      `no enabled binfmt_misc handler runs ${path} (${handler} is not registered)`,
      existsSync(conf)
        ? `as root, run ${fix} (registers ${handler} from ${conf} with the F flag)`
        : `install qemu-user-static, which ships ${conf}, then run ${fix} as root`,
    );
  }
  if (!reg.enabled) {
    return fail(
      "registration-disabled",
      `binfmt_misc handler ${reg.name} is registered but disabled`,
      `as root, run ${fix} (echo 1 > ${join(dir, reg.name)})`,
      reg.name,
    );
  }
  if (!reg.flags.includes("F") && reg.interpreter !== path) {
    return fail(
      "no-fix-binary",
      `binfmt_misc handler ${reg.name} runs ${reg.interpreter} without the F (fix-binary) flag: inside the build root, where only ${path} is copied, the kernel would not find it`,
      `as root, run ${fix} (registers ${handler} again with the F flag)`,
      reg.name,
    );
  }
  return ok(reg);
}

/**
 * Checks that each interpreter is an absolute path to an existing host file with an enabled
 * binfmt_misc registration the kernel can use inside the root ({@link checkInterpreterHost}).
 */
export function checkInterpreters(
  interpreters: readonly string[],
  options: HostCheckOptions = {},
): Result<void, InterpreterFailure> {
  for (const path of interpreters) {
    const c = checkInterpreterHost(path, options);
    if (!c.ok) return c;
  }
  return ok(undefined);
}

/** Interpreters copied into a root, to remove with {@link removeInterpreters}. */
export interface InstalledInterpreters {
  readonly swaps: readonly Swap[];
}

/**
 * Copies each interpreter to the same path inside the root (mode 0755), keeping the root's own
 * file if there is one. Does not check binfmt (see {@link checkInterpreters}).
 */
export function installInterpreters(
  root: string,
  interpreters: readonly string[],
): Result<InstalledInterpreters, InterpreterFailure> {
  const swaps: Swap[] = [];
  for (const path of interpreters) {
    let content: Buffer;
    try {
      content = readFileSync(path);
    } catch (e) {
      removeInterpreters({ swaps });
      return err({
        reason: "missing",
        path,
        message: `cannot read interpreter ${path}: ${String(e)}`,
      });
    }
    const swapped = swapIn(root, path, content, 0o755);
    if (!swapped.ok) {
      removeInterpreters({ swaps });
      return err({ reason: "copy-failed", path, message: swapped.error.message });
    }
    swaps.push(swapped.value);
  }
  return ok({ swaps });
}

/** Removes copied interpreters, restoring the root's own files. Best effort, never throws. */
export function removeInterpreters(installed: InstalledInterpreters): void {
  for (const swap of [...installed.swaps].reverse()) restoreSwap(swap, false);
}
