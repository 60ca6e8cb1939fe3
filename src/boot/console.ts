/**
 * The serial-console engine: an `expect` for TypeScript. It reads a guest console through a
 * small transport interface, cleans terminal noise (escape sequences, carriage returns), watches
 * every line for known failures, waits for patterns with timeouts, logs in, and runs shell
 * commands wrapped in unique markers so their output and exit status can be told apart from the
 * echo of the typed command and from kernel or systemd messages that interleave with it.
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
}

/** Most text kept unmatched; older text is dropped (a runaway console must not eat memory). */
const MAX_BUFFER = 1 << 20;

/** A complete escape sequence at the start of a string. */
const COMPLETE_ESCAPE =
  // eslint-disable-next-line no-control-regex -- escape sequences are control characters
  /^\x1b(\[[0-9;?=<>]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|[=>78cDEHMNOZ])/;

/**
 * Turns raw console bytes into plain text incrementally: removes ANSI/VT escape sequences and
 * control characters, turns CR LF and lone CR into LF. Holds back an incomplete escape sequence
 * or a trailing CR until the next chunk.
 */
export class ConsoleCleaner {
  #pending = "";

  /** Cleans the next chunk; returns the text that is complete so far. */
  push(chunk: string): string {
    let text = this.#pending + chunk;
    this.#pending = "";
    // Keep an unfinished escape sequence (ESC near the end with no final byte yet).
    const esc = text.lastIndexOf("\x1b");
    if (esc >= 0 && esc > text.length - 32 && !COMPLETE_ESCAPE.test(text.slice(esc))) {
      this.#pending = text.slice(esc);
      text = text.slice(0, esc);
    }
    if (text.endsWith("\r")) {
      this.#pending = "\r" + this.#pending;
      text = text.slice(0, -1);
    }
    return cleanConsoleText(text);
  }

  /** Flushes whatever is held back. */
  flush(): string {
    const rest = this.#pending;
    this.#pending = "";
    return cleanConsoleText(rest);
  }
}

/** Removes escape sequences and control characters from complete console text. */
export function cleanConsoleText(text: string): string {
  /* eslint-disable no-control-regex -- terminal escape sequences are control characters */
  return (
    text
      // CSI sequences (colours, cursor moves, screen clears)
      .replace(/\x1b\[[0-9;?=<>]*[ -/]*[@-~]/g, "")
      // OSC sequences (titles)
      .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, "")
      // charset selection and single-character escapes
      .replace(/\x1b[()][0-9A-Za-z]/g, "")
      .replace(/\x1b[=>78cDEHMNOZ]/g, "")
      .replace(/\x1b/g, "")
      .replace(/\r\n/g, "\n")
      .replace(/\r/g, "\n")
      // other control characters except tab and newline
      .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "")
  );
  /* eslint-enable no-control-regex */
}

/** Console lines printed by the kernel or systemd that are not a command's output. */
const NOISE = [
  /^\[\s*\d+\.\d+\]/, // printk with timestamp
  /^\[\s*(OK|FAILED|DEPEND|TIME|\*+)\s*\]/, // systemd status
  /^\s*(Starting|Stopping|Started|Stopped|Finished|Reached target|Mounting|Mounted|Unmounting)\b.*\.\.\.?$/,
];

/** Drops console-noise lines from a command's output and trims the result. */
export function removeConsoleNoise(text: string): string {
  return text
    .split("\n")
    .filter((l) => !NOISE.some((re) => re.test(l)))
    .join("\n")
    .trim();
}

/** Marker text; the command line spells it with an empty quote pair inside, so its echo differs. */
const MARK = "@@SUBSTRATE";
const MARK_TYPED = '"@@SUB""STRATE';

/**
 * Builds the line typed for a command: a begin marker, the command (stdin from /dev/null,
 * stderr folded into stdout), an end marker carrying the exit status. The markers in the typed
 * text are split by `""` so the terminal's echo never matches them.
 */
export function wrapCommand(tag: string, command: string): string {
  const cmd = command.trim().replace(/[;\s]+$/, "");
  return `echo ${MARK_TYPED}:B:${tag}@@"; { ${cmd} ; } </dev/null 2>&1; echo ${MARK_TYPED}:E:${tag}:$?@@"`;
}

/** The begin marker of a command's output, as the guest prints it. */
export function beginMarker(tag: string): string {
  return `${MARK}:B:${tag}@@`;
}

/** A RegExp for the end marker of a command's output; group 1 is the exit status. */
export function endMarker(tag: string): RegExp {
  return new RegExp(`${MARK}:E:${escapeRegExp(tag)}:(\\d+)@@`);
}

/** Escapes text for use inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

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
   * confirms a working shell by running `true`. Copes with autologin (no password prompt) and
   * with input typed before the shell is ready.
   */
  async login(
    user: string,
    password: string,
    promptTimeoutMs: number,
    onPrompt?: () => void,
  ): Promise<Result<void, ConsoleFailure>> {
    const prompt = await this.expect([/\blogin: *$/m], promptTimeoutMs, "the login prompt");
    if (!prompt.ok) return prompt;
    onPrompt?.();
    this.sendLine(user);
    for (let round = 0; round < 3; round++) {
      const r = await this.expect(
        [/Password: *$/m, /Login incorrect/, /[#$] *$/],
        20_000,
        "a password prompt or a shell",
      );
      if (!r.ok) {
        if (r.error.reason === "timeout") break;
        return r;
      }
      if (r.value.index === 0) {
        this.sendLine(password);
        continue;
      }
      if (r.value.index === 1) return err({ reason: "login-incorrect" });
      break;
    }
    // The shell may still be starting; a second try covers input lost at that moment.
    let sync: Result<CommandOutput, ConsoleFailure> = err({
      reason: "cancelled",
      message: "cancelled",
    });
    for (let attempt = 0; attempt < 3; attempt++) {
      sync = await this.run("true", 20_000);
      if (sync.ok || sync.error.reason !== "timeout") break;
    }
    return sync.ok ? ok(undefined) : sync;
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
