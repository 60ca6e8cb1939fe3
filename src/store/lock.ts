/**
 * Lock files: one substrate process at a time builds a given stage (or uses a shared cache).
 * A lock is a small JSON file `{pid, start, host, token}` created atomically with its content
 * (written to a temporary name, then hard-linked to the lock name, which fails if the lock
 * exists). A lock whose owner is dead (same host, and the pid is gone or belongs to a process
 * that started later) is stale and is broken, under a short-lived `<lock>.break` lock so two
 * processes never break and take the same lock at once. Held locks are released on exit.
 */
import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname } from "node:path";
import { type Result, ok, err } from "../util/result.js";
import type { FailureOf, LockOwner } from "../report/failure.js";

/** What a lock file records about its owner. */
export type { LockOwner };

/** A held lock. */
export interface Lock {
  readonly path: string;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
}

/** Why a lock could not be taken. */
export type LockFailure = FailureOf<"held" | "io-error" | "cancelled">;

/** A process's start time (field 22 of /proc/<pid>/stat), or null when unknown. */
export function processStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const start = Number(fields[19]);
    return Number.isFinite(start) ? start : null;
  } catch {
    return null;
  }
}

/** True when a process with this pid exists (EPERM: it exists, owned by someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** True when the owner is certainly gone: same host and its pid is dead or was reused. */
export function isStale(owner: LockOwner, thisHost = hostname()): boolean {
  if (owner.host !== thisHost) return false;
  if (!pidAlive(owner.pid)) return true;
  const start = processStartTime(owner.pid);
  return owner.start !== null && start !== null && start !== owner.start;
}

/** Reads a lock file's owner; undefined when missing or unreadable. */
export function readLockOwner(path: string): LockOwner | undefined {
  try {
    const data = JSON.parse(readFileSync(path, "utf8")) as Partial<LockOwner>;
    if (typeof data.pid !== "number" || typeof data.token !== "string") return undefined;
    return {
      pid: data.pid,
      start: typeof data.start === "number" ? data.start : null,
      host: typeof data.host === "string" ? data.host : "",
      token: data.token,
      since: typeof data.since === "string" ? data.since : "",
      command: typeof data.command === "string" ? data.command : "",
    };
  } catch {
    return undefined;
  }
}

const held = new Map<string, string>();
let exitHook = false;
function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.on("exit", () => {
    for (const [path, token] of held) releaseIfOurs(path, token);
  });
}

function releaseIfOurs(path: string, token: string): void {
  if (readLockOwner(path)?.token === token) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
  held.delete(path);
}

/** Creates `path` holding `content` only if it does not exist. True on success. */
function createExclusive(path: string, content: string): boolean {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(temp, content);
  try {
    linkSync(temp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  } finally {
    unlinkSync(temp);
  }
}

/** A `.break` lock older than this is itself abandoned. */
const BREAK_TIMEOUT_MS = 30_000;
/** A lock file without a readable owner older than this is debris from a crash. */
const UNREADABLE_GRACE_MS = 10_000;

function ageMs(path: string): number | undefined {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Removes `path` if its owner is stale, under the `.break` lock. True when removed. */
function breakIfStale(path: string): boolean {
  const breakPath = `${path}.break`;
  const breakAge = ageMs(breakPath);
  if (breakAge !== undefined && breakAge > BREAK_TIMEOUT_MS) {
    try {
      unlinkSync(breakPath);
    } catch {
      // someone else cleaned it
    }
  }
  if (!createExclusive(breakPath, String(process.pid))) return false;
  try {
    const owner = readLockOwner(path);
    const age = ageMs(path);
    const debris = owner === undefined && age !== undefined && age > UNREADABLE_GRACE_MS;
    if (debris || (owner !== undefined && isStale(owner))) {
      unlinkSync(path);
      return true;
    }
    return false;
  } finally {
    unlinkSync(breakPath);
  }
}

/**
 * Takes the lock at `path` (creating its folder), breaking a stale one. Fails with `held` when a
 * live process owns it, naming that process.
 */
export function acquireLock(path: string): Result<Lock, LockFailure> {
  installExitHook();
  const token = randomBytes(12).toString("hex");
  const owner: LockOwner = {
    pid: process.pid,
    start: processStartTime(process.pid),
    host: hostname(),
    token,
    since: new Date().toISOString(),
    command: ownCommand(),
  };
  try {
    mkdirSync(dirname(path), { recursive: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      if (createExclusive(path, `${JSON.stringify(owner)}\n`)) {
        held.set(path, token);
        let released = false;
        return ok({
          path,
          release: () => {
            if (released) return;
            released = true;
            releaseIfOurs(path, token);
          },
        });
      }
      if (!breakIfStale(path)) break;
    }
  } catch (e) {
    return err({
      reason: "io-error",
      path,
      message: `cannot create lock ${path}: ${e instanceof Error ? e.message : String(e)}`,
    });
  }
  const current = readLockOwner(path) ?? {
    pid: 0,
    start: null,
    host: "",
    token: "",
    since: "",
    command: "",
  };
  return err({ reason: "held", path, owner: current, message: heldMessage(path, current) });
}

/** `substrate build x` for this process (the script's name and its arguments). */
function ownCommand(): string {
  const script = process.argv[1];
  const name =
    script === undefined ? "node" : /\bbin\.js$/.test(script) ? "substrate" : basename(script);
  return [name, ...process.argv.slice(2)].join(" ");
}

/** What to tell a user about a held lock: who holds it (pid, command, since when). Pure. */
export function heldMessage(
  path: string,
  owner: Pick<LockOwner, "pid" | "host" | "since" | "command">,
  thisHost = hostname(),
): string {
  if (owner.pid === 0) return `${path} is locked by another substrate process`;
  const where = owner.host === thisHost ? "" : ` on ${owner.host}`;
  const what = owner.command === undefined || owner.command === "" ? "" : ` (${owner.command})`;
  return `${path} is locked by substrate process ${owner.pid}${where}${what} since ${owner.since}; wait for it, or remove the lock if that process is gone`;
}

/** Waits (polling) until the lock can be taken, or the signal aborts. */
export async function waitForLock(
  path: string,
  opts: {
    readonly signal?: AbortSignal;
    readonly pollMs?: number;
    /** Called once when the lock is found held (to tell the user why we wait). */
    readonly onWait?: (failure: Extract<LockFailure, { reason: "held" }>) => void;
  } = {},
): Promise<Result<Lock, LockFailure>> {
  let told = false;
  for (;;) {
    if (opts.signal?.aborted === true) {
      return err({ reason: "cancelled", path, message: `cancelled while waiting for ${path}` });
    }
    const r = acquireLock(path);
    if (r.ok || r.error.reason !== "held") return r;
    if (!told) {
      told = true;
      opts.onWait?.(r.error);
    }
    await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 250));
  }
}
