/**
 * The serial-console engine: an `expect` for TypeScript. It reads a guest console through a
 * small transport interface, cleans terminal noise (escape sequences, carriage returns), watches
 * every line for known failures, waits for patterns with timeouts, logs in, and runs shell
 * commands wrapped in unique markers so their output and exit status can be told apart from the
 * echo of the typed command and from kernel or systemd messages that interleave with it.
 * The text cleaning is console-text.ts's, the command markers command-markers.ts's.
 */
import { type Result, ok, err } from "../util/result.js";
import {
  type BootStage,
  type DetectedFailure,
  type FailurePattern,
  FAILURE_PATTERNS,
  detectFailure,
  isKernelStartLine,
} from "./failures.js";
import { beginMarker, endMarker, escapeRegExp, wrapCommand } from "./command-markers.js";
import { ConsoleCleaner, removeConsoleNoise } from "./console-text.js";
import type { FailureOf } from "../report/failure.js";

/** The two directions of a console. QEMU's stdio, or a scripted fake in tests. */
export interface ConsoleTransport {
  write(text: string): void;
  onData(listener: (text: string) => void): void;
  onClose(listener: () => void): void;
}

/** Why waiting on the console ended without a match. */
export type ConsoleFailure = FailureOf<
  "timeout" | "known-failure" | "console-closed" | "login-incorrect" | "cancelled"
>;

/** A successful `expect`. */
export interface ExpectMatch {
  /** Index of the matcher that matched. */
  readonly index: number;
  /** The matched text. */
  readonly text: string;
  /** Capture groups of a RegExp matcher. */
  readonly groups: readonly (string | undefined)[];
  /** Console text between the previous match and this one. */
  readonly before: string;
}

/** Output and exit status of a command run in the guest. */
export interface CommandOutput {
  /** Output lines with console noise (kernel and systemd status lines) removed. */
  readonly output: string;
  readonly status: number;
}

/** Engine settings. */
export interface ConsoleOptions {
  /** Failure patterns (default: the built-in list). */
  readonly patterns?: readonly FailurePattern[];
  /** Called with every complete cleaned line (for phase marks and progress). */
  readonly onLine?: (line: string) => void;
  /** Called once when the kernel's first line is seen. */
  readonly onKernelStart?: (line: string) => void;
  readonly signal?: AbortSignal;
  /** Makes the command markers unique per session (default: random). */
  readonly nonce?: string;
  /** How long login waits for each answer before it probes with `true` (default 20 s). */
  readonly stepTimeoutMs?: number;
}

/** A getty's prompt, a password prompt and a shell prompt (`#` or `$` at the end of a line). */
const LOGIN_PROMPT = /\blogin: *$/m;
const PASSWORD_PROMPT = /Password: *$/m;
const SHELL_PROMPT = /[#$] *$/m;
/** How many getty prompts one login answers before it gives up. */
export const LOGIN_ROUNDS = 4;
/** How many `true` probes one prompt gets when nothing recognisable follows the user name
 * (then login just waits, for the shell or for the getty's next prompt). */
const MAX_PROBES = 3;

/** Most text kept unmatched; older text is dropped (a runaway console must not eat memory). */
const MAX_BUFFER = 1 << 20;

interface Waiter {
  readonly matchers: readonly (string | RegExp)[];
  readonly label: string;
  readonly resolve: (r: Result<ExpectMatch, ConsoleFailure>) => void;
  readonly timer: NodeJS.Timeout;
}

/** Drives one console. */
export class ConsoleEngine {
  readonly #transport: ConsoleTransport;
  readonly #options: ConsoleOptions;
  readonly #patterns: readonly FailurePattern[];
  readonly #cleaner = new ConsoleCleaner();
  readonly #nonce: string;
  #buffer = "";
  #line = "";
  #stage: BootStage = "firmware";
  #failure: DetectedFailure | undefined;
  #closed = false;
  #cancelled = false;
  #waiter: Waiter | undefined;
  #seq = 0;
  #sawFirmwareEntry = false;

  constructor(transport: ConsoleTransport, options: ConsoleOptions = {}) {
    this.#transport = transport;
    this.#options = options;
    this.#patterns = options.patterns ?? FAILURE_PATTERNS;
    this.#nonce = options.nonce ?? Math.random().toString(36).slice(2, 8);
    transport.onData((text) => {
      this.#feed(this.#cleaner.push(text));
    });
    transport.onClose(() => {
      this.#feed(this.#cleaner.flush());
      if (this.#line !== "") this.#completeLine(this.#line);
      this.#line = "";
      this.#closed = true;
      // With -no-reboot a reset ends QEMU: before a kernel ran, that is a boot failure.
      if (this.#stage === "firmware" && this.#failure === undefined) {
        this.#failure = this.#sawFirmwareEntry
          ? {
              kind: "boot-loader-error",
              line: "Reboot Into Firmware Interface",
              meaning:
                "the boot loader found no entry it could boot (its menu offered only firmware setup) and the VM reset",
            }
          : {
              kind: "firmware-reset",
              line: "(VM exited)",
              meaning: "the VM reset or exited before any kernel started",
            };
      }
      this.#settle();
    });
    options.signal?.addEventListener(
      "abort",
      () => {
        this.#cancelled = true;
        this.#settle();
      },
      { once: true },
    );
  }

  /** The boot phase failure patterns are judged in. Advances to `kernel` by itself. */
  get stage(): BootStage {
    return this.#stage;
  }

  /** Moves to a later phase (e.g. `userspace` once logged in). */
  setStage(stage: BootStage): void {
    this.#stage = stage;
  }

  /** The known failure seen, if any. */
  get failure(): DetectedFailure | undefined {
    return this.#failure;
  }

  /** Sends raw text. */
  send(text: string): void {
    this.#transport.write(text);
  }

  /** Sends a line as a terminal would (text followed by Enter). */
  sendLine(text: string): void {
    this.#transport.write(text + "\r");
  }

  #feed(text: string): void {
    if (text === "") return;
    this.#buffer += text;
    if (this.#buffer.length > MAX_BUFFER) this.#buffer = this.#buffer.slice(-MAX_BUFFER / 2);
    const parts = (this.#line + text).split("\n");
    this.#line = parts.pop() ?? "";
    for (const l of parts) this.#completeLine(l);
    // Prompts ("Shell> ", ":/# ") never end their line: judge an unfinished line that looks like
    // one (other lines are judged once complete, so messages quote them whole).
    if (/[>#$:] ?$/.test(this.#line)) this.#judge(this.#line);
    this.#settle();
  }

  #completeLine(line: string): void {
    this.#options.onLine?.(line);
    if (line.includes("Reboot Into Firmware Interface")) this.#sawFirmwareEntry = true;
    if (this.#stage === "firmware" && isKernelStartLine(line)) {
      this.#stage = "kernel";
      this.#options.onKernelStart?.(line);
    }
    this.#judge(line);
  }

  #judge(line: string): void {
    if (this.#failure !== undefined) return;
    const found = detectFailure(line, this.#stage, this.#patterns);
    if (found !== undefined) this.#failure = found;
  }

  #settle(): void {
    const w = this.#waiter;
    if (w === undefined) return;
    const done = (r: Result<ExpectMatch, ConsoleFailure>): void => {
      clearTimeout(w.timer);
      this.#waiter = undefined;
      w.resolve(r);
    };
    if (this.#cancelled) {
      done(err({ reason: "cancelled", message: "cancelled" }));
      return;
    }
    const m = this.#match(w.matchers);
    if (m !== undefined) {
      done(ok(m));
      return;
    }
    if (this.#failure !== undefined) {
      done(err({ reason: "known-failure", failure: this.#failure }));
      return;
    }
    if (this.#closed) done(err({ reason: "console-closed", waitingFor: w.label }));
  }

  #match(matchers: readonly (string | RegExp)[]): ExpectMatch | undefined {
    let best:
      | { index: number; at: number; end: number; text: string; groups: (string | undefined)[] }
      | undefined;
    matchers.forEach((m, index) => {
      let at: number;
      let text: string;
      let groups: (string | undefined)[] = [];
      if (typeof m === "string") {
        at = this.#buffer.indexOf(m);
        text = m;
      } else {
        const re = new RegExp(m.source, m.flags.replace("g", ""));
        const r = re.exec(this.#buffer);
        if (r === null) return;
        at = r.index;
        text = r[0];
        groups = r.slice(1);
      }
      if (at < 0) return;
      if (best === undefined || at < best.at)
        best = { index, at, end: at + text.length, text, groups };
    });
    if (best === undefined) return undefined;
    const before = this.#buffer.slice(0, best.at);
    this.#buffer = this.#buffer.slice(best.end);
    return { index: best.index, text: best.text, groups: best.groups, before };
  }

  /**
   * Waits until one of the matchers appears in the console text not yet consumed, and consumes
   * up to the end of the earliest match. Fails on timeout, on a known failure line, when the
   * console closes, or on cancel.
   */
  expect(
    matchers: readonly (string | RegExp)[],
    timeoutMs: number,
    label = matchers.map(String).join(" | "),
  ): Promise<Result<ExpectMatch, ConsoleFailure>> {
    if (this.#waiter !== undefined)
      throw new Error("Internal error: two expects at once on one console");
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        resolve(err({ reason: "timeout", waitingFor: label, timeoutMs }));
      }, timeoutMs);
      this.#waiter = { matchers, label, resolve, timer };
      this.#settle();
    });
  }

  /** Drops all text received so far, so the next `expect` sees only new output. */
  discard(): void {
    this.#buffer = "";
  }

  /**
   * Logs in on a getty: waits for `login:`, sends the user, answers a `Password:` prompt, and
   * confirms a working shell by running `true`. Copes with autologin (no password prompt), with
   * input typed before the shell is ready, and with a guest that stalls so long that the getty
   * gives up and shows a new `login:` prompt (a slow module load under TCG does that): the user
   * is sent again, up to {@link LOGIN_ROUNDS} prompts, all within `promptTimeoutMs`.
   */
  async login(
    user: string,
    password: string,
    promptTimeoutMs: number,
    onPrompt?: () => void,
  ): Promise<Result<void, ConsoleFailure>> {
    const deadline = Date.now() + promptTimeoutMs;
    const left = (): number => Math.max(1, deadline - Date.now());
    const prompt = await this.expect([LOGIN_PROMPT], promptTimeoutMs, "the login prompt");
    if (!prompt.ok) return prompt;
    onPrompt?.();
    const step = this.#options.stepTimeoutMs ?? 20_000;
    const syncTag = (n: number): string => `${this.#nonce}-L${n}`;
    const anySync = new RegExp(
      escapeRegExp(beginMarker(`${this.#nonce}-L`)).replace(/@@$/, "(\\d+)@@"),
    );
    let syncs = 0;
    for (let round = 1; round <= LOGIN_ROUNDS; round++) {
      this.sendLine(user);
      // What the last typed line answered: the password prompt's real answer, or a probe.
      let passwordSent = false;
      let probes = 0;
      for (;;) {
        const r = await this.expect(
          [PASSWORD_PROMPT, /Login incorrect/, LOGIN_PROMPT, SHELL_PROMPT, anySync],
          Math.min(step, left()),
          "a password prompt, a shell or a new login prompt",
        );
        if (!r.ok) {
          if (r.error.reason !== "timeout" || Date.now() >= deadline) return r;
          // Nothing recognisable yet: probe with `true` (an unusual prompt, or a shell that is
          // still starting and lost what was typed); after a few probes, just wait.
          if (probes < MAX_PROBES) {
            probes++;
            this.sendLine(wrapCommand(syncTag(++syncs), "true"));
            passwordSent = false;
          }
          continue;
        }
        const which = r.value.index;
        if (which === 0) {
          this.sendLine(password);
          passwordSent = true;
          continue;
        }
        if (which === 1) {
          if (passwordSent) return err({ reason: "login-incorrect" });
          // A probe was taken for a password: the getty comes back with a new prompt.
          continue;
        }
        if (which === 2) break; // the getty restarted: send the user again
        if (which === 3) {
          this.sendLine(wrapCommand(syncTag(++syncs), "true"));
          passwordSent = false;
          continue;
        }
        const tag = syncTag(Number(r.value.groups[0] ?? "0"));
        const end = await this.expect([endMarker(tag)], left(), "the end of `true`");
        if (!end.ok) return end;
        return ok(undefined);
      }
    }
    return err({
      reason: "timeout",
      waitingFor: `a shell (the getty showed ${LOGIN_ROUNDS} login prompts)`,
      timeoutMs: promptTimeoutMs,
    });
  }

  /**
   * Runs a shell command in the guest and returns its output and exit status. On timeout it
   * sends Ctrl-C so the shell is usable for the next command.
   */
  async run(command: string, timeoutMs: number): Promise<Result<CommandOutput, ConsoleFailure>> {
    const tag = `${this.#nonce}-${++this.#seq}`;
    this.discard();
    this.sendLine(wrapCommand(tag, command));
    const started = Date.now();
    const begin = await this.expect([beginMarker(tag)], timeoutMs, `the start of \`${command}\``);
    if (!begin.ok) {
      if (begin.error.reason === "timeout") this.send("\x03");
      return begin;
    }
    const left = Math.max(1, timeoutMs - (Date.now() - started));
    const end = await this.expect([endMarker(tag)], left, `the end of \`${command}\``);
    if (!end.ok) {
      if (end.error.reason === "timeout") this.send("\x03");
      return end;
    }
    const status = Number(end.value.groups[0] ?? "255");
    return ok({ output: removeConsoleNoise(end.value.before), status });
  }
}
