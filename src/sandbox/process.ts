/**
 * The one place substrate starts host processes. Every child runs in its own process group and
 * dies with substrate (SIGTERM to the group on abort, SIGKILL after a grace period); outcomes
 * are typed results, never exceptions. Output goes to a log file and a bounded in-memory tail.
 * Each child is started under `setpriv --pdeathsig KILL` (when util-linux's setpriv exists), so
 * the kernel kills it even when substrate itself is killed with SIGKILL; a command whose own
 * children must die too belongs in a PID namespace (`runInNamespace`, `runInChroot`).
 */
import { spawn } from "node:child_process";
import { accessSync, constants, createWriteStream, type WriteStream } from "node:fs";
import { delimiter, isAbsolute, join, resolve as resolvePath } from "node:path";
import { describeNoSpace, isNoSpace } from "../util/disk-space.js";
import { type Result, ok, err } from "../util/result.js";
import type { FailureOf, RunFailureReason } from "../report/failure.js";

/** What to run and how. */
export interface RunOptions {
  /** argv[0] is looked up on PATH. */
  readonly argv: readonly string[];
  readonly cwd?: string;
  /** Full environment; when absent a minimal clean one (PATH, LANG=C.UTF-8, SOURCE_DATE_EPOCH if set) is used. */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra variables merged over the environment. */
  readonly extraEnv?: Readonly<Record<string, string>>;
  /** Data written to stdin, then closed. Without it stdin is /dev/null. */
  readonly stdin?: string | Buffer;
  /** Append stdout+stderr to this file (the stage log). */
  readonly logFile?: string;
  /** Keep stdout in memory and return it (for commands whose output is data). */
  readonly captureStdout?: boolean;
  /** Called with each complete output line (progress parsing). */
  readonly onLine?: (line: string) => void;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/** A finished successful run. */
export interface RunOutput {
  readonly stdout: string;
  readonly tail: readonly string[];
  readonly durationMs: number;
}

/** Why a run failed. */
export type RunFailure = FailureOf<RunFailureReason>;

const TAIL_LINES = 40;

/** How long a process group has to end after SIGTERM before it gets SIGKILL. */
export const KILL_GRACE_MS = 5000;

/** Live children, killed when substrate exits for any reason it can see. */
const live = new Set<number>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const pid of live) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });
}

/**
 * Kills the process group `pid` (a child started with `detached: true`) when substrate exits,
 * like every child of {@link run}. Returns the function that forgets it once it has ended.
 */
export function killOnExit(pid: number): () => void {
  installExitHook();
  live.add(pid);
  return () => {
    live.delete(pid);
  };
}

/**
 * Ends the process group `pid` (a child started with `detached: true`): SIGTERM now, SIGKILL
 * after {@link KILL_GRACE_MS} (the timer does not keep substrate alive). Returns false when the
 * group was already gone. The one kill path for every child, {@link run}'s and interactive ones.
 */
export function terminateGroup(pid: number): boolean {
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    return false;
  }
  setTimeout(() => {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone
    }
  }, KILL_GRACE_MS).unref();
  return true;
}

/** The default environment for tools: nothing of the caller's except what tools need. */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    HOME: "/root",
  };
  const sde = process.env["SOURCE_DATE_EPOCH"];
  if (sde !== undefined) env["SOURCE_DATE_EPOCH"] = sde;
  const term = process.env["TERM"];
  if (term !== undefined) env["TERM"] = term;
  return env;
}

/** Quotes argv for messages (not for a shell). */
export function describeCommand(argv: readonly string[]): string {
  return argv
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(" ");
}

/** The executable `command` names: a path (checked) or the first match on `path`. */
export function findExecutable(command: string, path: string, cwd?: string): string | undefined {
  const candidates = command.includes("/")
    ? [isAbsolute(command) ? command : resolvePath(cwd ?? process.cwd(), command)]
    : path
        .split(delimiter)
        .filter((d) => d !== "")
        .map((d) => join(d, command));
  return candidates.find((c) => {
    try {
      accessSync(c, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** True when `command` is an executable on PATH (or in /usr/sbin and /sbin, as root has them). */
export function onPath(command: string, path = process.env["PATH"] ?? "/usr/bin:/bin"): boolean {
  return findExecutable(command, `${path}${delimiter}/usr/sbin${delimiter}/sbin`) !== undefined;
}

let setprivPath: string | null | undefined;
/** `setpriv --pdeathsig KILL --` when setpriv is installed, else nothing. */
function deathSignalPrefix(): string[] {
  setprivPath ??= findExecutable("setpriv", "/usr/bin:/bin:/usr/sbin:/sbin") ?? null;
  return setprivPath === null ? [] : [setprivPath, "--pdeathsig", "KILL", "--"];
}

/** Runs a command to completion. Never throws for the command's own failures. */
export function run(options: RunOptions): Promise<Result<RunOutput, RunFailure>> {
  installExitHook();
  const command = describeCommand(options.argv);
  const [program, ...programArgs] = options.argv;
  if (program === undefined) throw new Error("Internal error: run() with an empty argv");
  const started = Date.now();
  const env = { ...(options.env ?? cleanEnv()), ...(options.extraEnv ?? {}) };
  // Resolve the program here so a missing tool stays a spawn-error under the setpriv wrapper.
  const executable = findExecutable(program, env["PATH"] ?? "", options.cwd);
  if (executable === undefined) {
    return Promise.resolve(
      err({ reason: "spawn-error", command, message: `${program}: command not found` }),
    );
  }
  const [file, ...args] =
    program === "setpriv"
      ? [executable, ...programArgs]
      : [...deathSignalPrefix(), executable, ...programArgs];
  if (file === undefined) throw new Error("Internal error: empty command line");
  return new Promise((resolve) => {
    let log: WriteStream | undefined;
    let logError: NodeJS.ErrnoException | undefined;
    const logFile = options.logFile;
    if (logFile !== undefined) {
      log = createWriteStream(logFile, { flags: "a" });
      // A log that cannot be written (a full disk) stops the command: its output would be lost,
      // and whatever it writes beside the log fails the same way.
      log.on("error", (e: NodeJS.ErrnoException) => {
        if (logError !== undefined) return;
        logError = e;
        ending = "log-failed";
        killGroup();
      });
      log.write(`\n$ ${command}\n`);
    }
    const writeLog = (chunk: Buffer): void => {
      if (logError === undefined) log?.write(chunk);
    };
    /** Resolves once the log is closed, so a failed last write is seen. */
    const settle = (result: Result<RunOutput, RunFailure>): void => {
      const done = (): void => {
        if (logError === undefined || logFile === undefined) {
          resolve(result);
          return;
        }
        resolve(
          err({
            reason: "log-failed",
            command,
            path: logFile,
            code: logError.code ?? "EIO",
            message: isNoSpace(logError) ? describeNoSpace([logFile]) : logError.message,
            tail,
          }),
        );
      };
      if (log === undefined || log.closed) done();
      else {
        log.once("close", done);
        log.end();
      }
    };
    const tail: string[] = [];
    let stdout = "";
    let partial = "";
    const pushText = (text: string): void => {
      partial += text;
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        options.onLine?.(line);
      }
    };
    let child;
    // Set once the child is spawned; the log's error handler may need it before or after.
    let pid: number | undefined = undefined;
    let ending: "timed-out" | "cancelled" | "log-failed" | undefined;
    const killGroup = (): void => {
      if (pid !== undefined) terminateGroup(pid);
    };
    try {
      child = spawn(file, args, {
        cwd: options.cwd,
        env,
        detached: true,
        stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      });
    } catch (e) {
      settle(err({ reason: "spawn-error", command, message: String(e) }));
      return;
    }
    pid = child.pid;
    if (pid !== undefined) live.add(pid);
    // The log failed before the child started: stop it at once.
    if (logError !== undefined) killGroup();
    const onAbort = (): void => {
      ending ??= "cancelled";
      killGroup();
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted === true) onAbort();
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            ending ??= "timed-out";
            killGroup();
          }, options.timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      if (options.captureStdout === true) stdout += text;
      else pushText(text);
      writeLog(chunk);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      pushText(chunk.toString("utf8"));
      writeLog(chunk);
    });
    if (options.stdin !== undefined && child.stdin !== null) {
      child.stdin.on("error", () => undefined);
      child.stdin.end(options.stdin);
    }
    child.on("error", (e) => {
      if (pid !== undefined) live.delete(pid);
      if (timer !== undefined) clearTimeout(timer);
      settle(err({ reason: "spawn-error", command, message: e.message }));
    });
    child.on("close", (status, signal) => {
      if (pid !== undefined) live.delete(pid);
      if (timer !== undefined) clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      if (partial !== "") pushText("\n");
      const durationMs = Date.now() - started;
      // A "log-failed" ending is decided by settle(), once the log is closed.
      if (ending === "timed-out") settle(err({ reason: ending, command, tail }));
      else if (ending === "cancelled")
        settle(err({ reason: ending, command, message: `\`${command}\` was cancelled`, tail }));
      else if (signal !== null) settle(err({ reason: "killed-by-signal", command, signal, tail }));
      else if (status !== 0) {
        settle(err({ reason: "exit-non-zero", command, status: status ?? -1, tail, stdout }));
      } else settle(ok({ stdout, tail, durationMs }));
    });
  });
}

/** One line explaining a failed run, for messages (the one renderer, in report/). */
export { describeFailure } from "../report/failure-text.js";
