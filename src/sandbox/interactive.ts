/**
 * Long-running children substrate talks to while they run (QEMU with its serial console on
 * stdio). Like `run()` in process.ts, each child gets its own process group and is killed with
 * substrate (the same `terminateGroup` on abort, SIGKILL on exit); unlike
 * it, the caller writes to the child's stdin and sees its output as it arrives, or hands the
 * child the terminal (`attachTerminal`).
 */
import { spawn } from "node:child_process";
import { cleanEnv, describeCommand, killOnExit, terminateGroup } from "./process.js";
import { type Result, ok, err } from "../util/result.js";
import type { FailureOf } from "../report/failure.js";

/** What to start and how. */
export interface InteractiveOptions {
  /** argv[0] is looked up on PATH. */
  readonly argv: readonly string[];
  readonly cwd?: string;
  /** Full environment; when absent the clean one from `cleanEnv()`. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Give the child this process's stdin/stdout/stderr (an interactive console on the user's
   * terminal) instead of pipes. `write`/`onOutput` then do nothing.
   */
  readonly attachTerminal?: boolean;
  /** Aborting kills the child's process group. */
  readonly signal?: AbortSignal;
}

/** How a child ended. */
export interface InteractiveExit {
  /** Exit status, or null when killed by a signal. */
  readonly status: number | null;
  readonly signal: string | null;
  /** True when the end was caused by `kill()` or the abort signal. */
  readonly killed: boolean;
}

/** A running child. */
export interface InteractiveChild {
  /** The command line, quoted for messages. */
  readonly command: string;
  /** Sends bytes to the child's stdin (ignored once it has exited). */
  write(data: string | Buffer): void;
  /** Registers a listener for output chunks from stdout and stderr. */
  onOutput(listener: (chunk: Buffer, stream: "stdout" | "stderr") => void): void;
  /** Settles once the child has exited and its output streams are closed. */
  readonly exited: Promise<InteractiveExit>;
  /** SIGTERM to the process group, SIGKILL after a grace period. Safe to call twice. */
  kill(): void;
}

/** Why a child could not be started. */
export type InteractiveSpawnFailure = FailureOf<"spawn-error">;

/**
 * Starts a child and returns at once. A missing program is reported as `spawn-error` (the
 * promise of `exited` is then never used).
 */
export async function spawnInteractive(
  options: InteractiveOptions,
): Promise<Result<InteractiveChild, InteractiveSpawnFailure>> {
  const command = describeCommand(options.argv);
  const [file, ...args] = options.argv;
  if (file === undefined) throw new Error("Internal error: spawnInteractive() with an empty argv");
  const attach = options.attachTerminal === true;
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: { ...(options.env ?? cleanEnv()) },
    detached: true,
    stdio: attach ? "inherit" : ["pipe", "pipe", "pipe"],
  });
  // A spawn failure (ENOENT) arrives as an 'error' event before 'spawn'.
  const started = await new Promise<Error | undefined>((resolve) => {
    child.once("spawn", () => {
      resolve(undefined);
    });
    child.once("error", (e) => {
      resolve(e);
    });
  });
  if (started !== undefined) {
    return err({ reason: "spawn-error", command, message: started.message });
  }
  const pid = child.pid;
  const forget = pid === undefined ? () => undefined : killOnExit(pid);
  let killed = false;
  let done = false;
  const listeners: ((chunk: Buffer, stream: "stdout" | "stderr") => void)[] = [];
  child.stdout?.on("data", (chunk: Buffer) => {
    for (const l of listeners) l(chunk, "stdout");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    for (const l of listeners) l(chunk, "stderr");
  });
  child.stdin?.on("error", () => undefined);
  const kill = (): void => {
    if (done || pid === undefined) return;
    killed = true;
    terminateGroup(pid);
  };
  const onAbort = (): void => {
    kill();
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted === true) onAbort();
  const exited = new Promise<InteractiveExit>((resolve) => {
    child.once("close", (status, signal) => {
      done = true;
      forget();
      options.signal?.removeEventListener("abort", onAbort);
      resolve({ status, signal, killed });
    });
  });
  return ok({
    command,
    write(data: string | Buffer): void {
      if (done || child.stdin === null || child.stdin.destroyed) return;
      child.stdin.write(data);
    },
    onOutput(listener): void {
      listeners.push(listener);
    },
    exited,
    kill,
  });
}
