/**
 * Foreign-arch builds (catalyst's `interpreter` key): qemu-user binaries are copied from the host
 * into the build root at the same path for the length of a chroot run, then removed (or the
 * root's own file restored), as catalyst does. substrate does not register binfmt_misc handlers;
 * it checks that the host has one for each interpreter and says what to do when it has not.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, isAbsolute, join } from "node:path";
import { type Result, ok, err } from "../util/result.js";
import { type Swap, restoreSwap, recoverSwap, swapIn } from "./swap.js";

/** Why interpreters could not be set up. */
export type InterpreterFailure =
  | { readonly reason: "not-absolute"; readonly path: string; readonly message: string }
  | { readonly reason: "missing"; readonly path: string; readonly message: string }
  | {
      readonly reason: "not-registered";
      readonly path: string;
      readonly message: string;
      readonly hint: string;
    }
  | { readonly reason: "copy-failed"; readonly path: string; readonly message: string };

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

/**
 * Checks that each interpreter is an absolute path to an existing host file with an enabled
 * binfmt_misc registration.
 */
export function checkInterpreters(
  interpreters: readonly string[],
  binfmtDir?: string,
): Result<void, InterpreterFailure> {
  const entries = readBinfmtEntries(binfmtDir);
  for (const path of interpreters) {
    if (!isAbsolute(path)) {
      return err({
        reason: "not-absolute",
        path,
        message: `interpreter ${path} is not an absolute path`,
      });
    }
    try {
      if (!statSync(path).isFile()) throw new Error("not a file");
    } catch {
      return err({
        reason: "missing",
        path,
        message: `interpreter ${path} does not exist on this host`,
      });
    }
    const reg = findRegistration(entries, path);
    if (reg?.enabled !== true) {
      return err({
        reason: "not-registered",
        path,
        message: `no enabled binfmt_misc handler runs ${path}`,
        hint: "install qemu-user-static and binfmt-support (apt-get install qemu-user-static), or register the handler with update-binfmts",
      });
    }
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

/** Undoes interpreters left in a root by a run that was killed. */
export function recoverInterpreters(root: string, interpreters: readonly string[]): void {
  for (const path of interpreters) recoverSwap(root, path);
}
