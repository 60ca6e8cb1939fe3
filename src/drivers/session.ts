/**
 * The root session: one object per stage and build root that a driver's operations work on. It
 * holds what every operation of a stage shares (the stage context with its kind, the root, the
 * binds and interpreters of every run, the progress parser) and the one in-root runner:
 * `run(step, argv | script)` runs through `sandbox/` and returns a {@link DriverFailure}. The
 * spec-value accessors read the stage's values with `spec/values.ts`'s rules.
 *
 * Each driver operation (bootstrap, install, kernel, initramfs, clean, ...) is a function of a
 * session in a file named after it (`drivers/<driver>/<operation>.ts`); the driver classes only
 * open sessions and delegate. See docs/architecture.md, "How to add a driver operation".
 */
import {
  type BindMount,
  type SandboxFailure,
  describeSandboxFailure,
  runInChroot,
} from "../sandbox/chroot.js";
import { shellQuote } from "../sandbox/setup-script.js";
import { inRootPath, resolveInRoot } from "../sandbox/root-path.js";
import type { SpecValue, TargetKindName } from "../spec/types.js";
import { stringOf, wordsOf } from "../spec/values.js";
import { err, ok } from "../util/result.js";
import type { DriverRefusalReason } from "../report/failure.js";
import type { DriverFailure, DriverResult, StageContext } from "./driver.js";

/** What a session runs: an argv, or a script for `/bin/sh -c`. */
export type SessionCommand =
  | {
      readonly argv: readonly string[];
      /** Skip the run (successfully) when `argv[0]` is not in the root. */
      readonly optional?: boolean;
    }
  | { readonly script: string };

/** Per-run settings on top of the session's. */
export interface SessionRunOptions {
  /** Network access (default: the session's). */
  readonly network?: boolean;
  /** Binds for this run, after the session's. */
  readonly binds?: readonly BindMount[];
  /** Environment on top of SOURCE_DATE_EPOCH. */
  readonly env?: Readonly<Record<string, string>>;
  /** Return stdout (otherwise ""). */
  readonly captureStdout?: boolean;
  /** Output lines (default: the session's progress parser for this step, if any). */
  readonly onLine?: (line: string) => void;
}

/** What every run of a session shares. */
export interface SessionSettings {
  /** Binds of every run (e.g. Portage's snapshot, distfiles and package caches). */
  readonly binds?: readonly BindMount[];
  /** Foreign-arch interpreters the root's programs run through. */
  readonly interpreters?: readonly string[];
  /** Network access by default (default false). */
  readonly network?: boolean;
  /** Keep the root's own /tmp instead of a tmpfs (Portage: /tmp/stage1root, /tmp/kerncache). */
  readonly tmp?: "tmpfs" | "keep";
  /** Emit the step name as progress before each run. */
  readonly announceSteps?: boolean;
  /** Turns a tool's output lines into progress events, per step (emerge's "(3 of 120)"). */
  readonly progress?: (session: RootSession, step: string) => ((line: string) => void) | undefined;
  /**
   * Wraps each run, e.g. apt's shared-cache lock around runs that bind the cache writable.
   * Gets the run's step and full bind list.
   */
  readonly guard?: (
    step: string,
    binds: readonly BindMount[],
    go: () => Promise<DriverResult<string>>,
  ) => Promise<DriverResult<string>>;
}

/** One stage's work on one build root. */
export class RootSession {
  /**
   * @param ctx the running stage (its kind, values, log, signal, progress sink, cache folder).
   * @param root the build root (an absolute host path; the chroot).
   * @param settings what every run shares.
   */
  constructor(
    readonly ctx: StageContext,
    readonly root: string,
    readonly settings: SessionSettings = {},
  ) {}

  /** The stage kind, from the spec (never guessed from `values["target"]`). */
  get kind(): TargetKindName {
    return this.ctx.kind;
  }

  /** The stage's spec values. */
  get values(): Readonly<Record<string, SpecValue>> {
    return this.ctx.values;
  }

  /** The same stage and root with more settings (e.g. a prepared root's binds). */
  with(settings: Partial<SessionSettings>): RootSession {
    return new RootSession(this.ctx, this.root, { ...this.settings, ...settings });
  }

  /** `key` as one string (a list joined with spaces); undefined when absent or null. */
  str(key: string): string | undefined {
    return stringOf(this.ctx.values[key]);
  }

  /** Every whitespace-separated word of `key` (list items split too). */
  words(key: string): string[] {
    return wordsOf(this.ctx.values[key]);
  }

  /** A progress line for the reporter. */
  note(message: string): void {
    this.ctx.emit({ type: "stage-progress", stage: this.ctx.stage, message });
  }

  /** The canonical in-root path of `path` in this session's root. */
  canonical(path: string): string {
    return canonicalInRoot(this.root, path);
  }

  /** Runs `command` in the root with the stage's log, signal and progress. */
  async run(
    step: string,
    command: SessionCommand,
    opts: SessionRunOptions = {},
  ): Promise<DriverResult<string>> {
    const s = this.settings;
    if (s.announceSteps === true) this.note(step);
    const binds = [...(s.binds ?? []), ...(opts.binds ?? [])];
    const onLine = opts.onLine ?? s.progress?.(this, step);
    const base = {
      root: this.root,
      logFile: this.ctx.logFile,
      signal: this.ctx.signal,
      network: opts.network ?? s.network ?? false,
      binds,
      env: { SOURCE_DATE_EPOCH: String(this.ctx.sourceDateEpoch), ...(opts.env ?? {}) },
      ...(s.tmp === undefined ? {} : { tmp: s.tmp }),
      ...(s.interpreters === undefined ? {} : { interpreters: s.interpreters }),
      ...(opts.captureStdout === true ? { captureStdout: true } : {}),
      ...(onLine === undefined ? {} : { onLine }),
    };
    const go = async (): Promise<DriverResult<string>> => {
      let r;
      if ("script" in command) {
        r = await runInChroot({ ...base, script: command.script });
      } else if (command.optional === true) {
        const argv = command.argv;
        const script = `command -v ${shellQuote(argv[0] ?? "")} >/dev/null 2>&1 || exit 0\nexec ${argv.map(shellQuote).join(" ")}`;
        r = await runInChroot({ ...base, script });
      } else {
        r = await runInChroot({ ...base, argv: command.argv });
      }
      return r.ok ? ok(r.value.stdout) : err(fromSandbox(step, r.error));
    };
    return s.guard === undefined ? go() : s.guard(step, binds, go);
  }
}

/**
 * A sandbox failure as a driver failure of `step`. A tool's argv is long: the step name says
 * what ran, the log has the full command.
 */
export function fromSandbox(step: string, f: SandboxFailure): DriverFailure {
  if (f.reason === "cancelled") return { reason: "cancelled", message: `${step} was cancelled` };
  const tail = "tail" in f ? f.tail : [];
  const message =
    f.reason === "exit-non-zero"
      ? `${step} exited with status ${f.status}`
      : describeSandboxFailure(f);
  return { reason: "command-failed", step, message, tail };
}

/** A refusal: the driver will not run `reason`'s step with this spec or input. */
export function refuse(
  reason: DriverRefusalReason | "bad-input" | "unknown-subarch",
  message: string,
  hint?: string,
): { readonly ok: false; readonly error: DriverFailure } {
  return err(hint === undefined ? { reason, message } : { reason, message, hint });
}

/** A step that ran (or a file operation of it) and failed without a tool's output. */
export function stepFailed(
  step: string,
  message: string,
  tail: readonly string[] = [],
): { readonly ok: false; readonly error: DriverFailure } {
  return err({ reason: "command-failed", step, message, tail });
}

/** The canonical in-root path of `path` (/lib/modules/x is /usr/lib/modules/x when merged). */
export function canonicalInRoot(root: string, path: string): string {
  const r = resolveInRoot(root, path);
  return r.ok ? inRootPath(root, r.value) : path;
}
