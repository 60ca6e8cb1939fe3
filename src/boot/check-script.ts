/**
 * Extra boot checks from a file (`substrate test --checks FILE`, format in docs/boot-testing.md):
 * `run` a shell command in the guest (with `status`/`output` expectations), or `send` text to
 * the console and `expect` a pattern. Parsing reports every mistake with its line and column.
 */
import type { Diagnostic } from "../report/diagnostic.js";
import { type Result, ok, err } from "../util/result.js";
import type { ConsoleFailure, ExpectMatch } from "./console.js";
import { type BootCheck, type GuestShell, type Verdict, describeConsoleFailure } from "./checks.js";

/** A console that can also type and wait (the console engine). */
export interface ScriptConsole extends GuestShell {
  /** Forgets console output so far. */
  discard(): void;
  sendLine(text: string): void;
  expect(
    matchers: readonly (string | RegExp)[],
    timeoutMs: number,
    label?: string,
  ): Promise<Result<ExpectMatch, ConsoleFailure>>;
}

/** One parsed step. */
export type ScriptStep =
  | {
      readonly kind: "run";
      readonly name: string;
      readonly command: string;
      readonly status: number;
      readonly output?: RegExp;
      readonly line: number;
    }
  | {
      readonly kind: "send";
      readonly name: string;
      readonly text: string;
      /** The pattern of the `expect` that follows, if any. */
      readonly expect?: RegExp;
      readonly timeoutMs: number;
      readonly line: number;
    }
  | {
      readonly kind: "expect";
      readonly name: string;
      readonly pattern: RegExp;
      readonly timeoutMs: number;
      readonly line: number;
    };

const DEFAULT_EXPECT_TIMEOUT_MS = 30_000;

/** Decodes `\n \r \t \e \xHH \\` in a `send` argument. */
export function unescapeSendText(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, c: string) => {
    if (c.startsWith("x") && c.length === 3) return String.fromCharCode(parseInt(c.slice(1), 16));
    switch (c) {
      case "n":
        return "\n";
      case "r":
        return "\r";
      case "t":
        return "\t";
      case "e":
        return "\x1b";
      default:
        return c;
    }
  });
}

function parsePattern(text: string): RegExp | string {
  const slashed = /^\/(.*)\/([a-z]*)$/.exec(text);
  try {
    return slashed?.[1] !== undefined ? new RegExp(slashed[1], slashed[2]) : new RegExp(text, "m");
  } catch (e) {
    return (e as Error).message;
  }
}

/** Parses a checks file. */
export function parseCheckScript(file: string, text: string): Result<ScriptStep[], Diagnostic[]> {
  const steps: ScriptStep[] = [];
  const diags: Diagnostic[] = [];
  let pendingName: string | undefined;
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.replace(/\r$/, "");
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const col = line.length - line.trimStart().length + 1;
    const m = /^(\S+)(?:\s+(.*))?$/.exec(trimmed);
    const word = m?.[1] ?? "";
    let arg = m?.[2] ?? "";
    const argCol = col + trimmed.length - arg.length;
    const error = (message: string, at = col, len = word.length, hint?: string): void => {
      diags.push({
        severity: "error",
        code: "bad-check-step",
        message,
        span: { file, line: lineNo, col: at, endCol: at + Math.max(len, 1) },
        ...(hint === undefined ? {} : { hint }),
      });
    };
    const takeName = (fallback: string): string => {
      const n = pendingName ?? fallback;
      pendingName = undefined;
      return n;
    };
    const last = steps[steps.length - 1];
    switch (word) {
      case "name":
        if (arg === "") error("`name` needs a label");
        else pendingName = arg;
        return;
      case "run":
        if (arg === "") error("`run` needs a shell command");
        else
          steps.push({
            kind: "run",
            name: takeName(`run: ${arg}`),
            command: arg,
            status: 0,
            line: lineNo,
          });
        return;
      case "status": {
        if (last?.kind !== "run") {
          error("`status` must follow a `run` step");
          return;
        }
        if (!/^\d+$/.test(arg)) {
          error("`status` needs an exit status number", argCol, arg.length);
          return;
        }
        steps[steps.length - 1] = { ...last, status: Number(arg) };
        return;
      }
      case "output": {
        if (last?.kind !== "run") {
          error("`output` must follow a `run` step");
          return;
        }
        const p = parsePattern(arg);
        if (typeof p === "string") error(`bad regular expression: ${p}`, argCol, arg.length);
        else steps[steps.length - 1] = { ...last, output: p };
        return;
      }
      case "send":
        steps.push({
          kind: "send",
          name: takeName(`send: ${arg}`),
          text: unescapeSendText(arg),
          timeoutMs: DEFAULT_EXPECT_TIMEOUT_MS,
          line: lineNo,
        });
        return;
      case "expect": {
        let timeoutMs = DEFAULT_EXPECT_TIMEOUT_MS;
        const t = /^timeout=(\d+(?:\.\d+)?)\s+(.*)$/.exec(arg);
        if (t !== null) {
          timeoutMs = Number(t[1]) * 1000;
          arg = t[2] ?? "";
        }
        if (arg === "") {
          error("`expect` needs a pattern");
          return;
        }
        const p = parsePattern(arg);
        if (typeof p === "string") {
          error(`bad regular expression: ${p}`, argCol, arg.length);
          return;
        }
        if (last?.kind === "send" && last.expect === undefined && pendingName === undefined) {
          steps[steps.length - 1] = {
            ...last,
            name: `${last.name} / expect: ${arg}`,
            expect: p,
            timeoutMs,
          };
        } else {
          steps.push({
            kind: "expect",
            name: takeName(`expect: ${arg}`),
            pattern: p,
            timeoutMs,
            line: lineNo,
          });
        }
        return;
      }
      default:
        error(
          `unknown step \`${word}\``,
          col,
          word.length,
          "steps are: run, status, output, send, expect, name",
        );
    }
  });
  if (pendingName !== undefined) {
    diags.push({
      severity: "error",
      code: "bad-check-step",
      message: "`name` is not followed by a step",
      span: { file, line: lines.length, col: 1, endCol: 1 },
    });
  }
  return diags.length > 0 ? err(diags) : ok(steps);
}

function consoleVerdict(f: ConsoleFailure): Verdict {
  return f.reason === "timeout"
    ? { ok: false, detail: describeConsoleFailure(f) }
    : { ok: false, detail: describeConsoleFailure(f), fatal: f };
}

/** Turns parsed steps into checks run on the console. */
export function scriptChecks(
  steps: readonly ScriptStep[],
  con: ScriptConsole,
  commandTimeoutMs: number,
): BootCheck[] {
  return steps.map((s): BootCheck => {
    switch (s.kind) {
      case "run":
        return {
          name: s.name,
          async run(): Promise<Verdict> {
            const r = await con.run(s.command, commandTimeoutMs);
            if (!r.ok) return consoleVerdict(r.error);
            const { output, status } = r.value;
            if (status !== s.status) {
              return {
                ok: false,
                detail: `exit status ${status} (wanted ${s.status}): ${output.slice(-300)}`,
              };
            }
            if (s.output !== undefined && !s.output.test(output)) {
              return {
                ok: false,
                detail: `output does not match ${String(s.output)}: ${output.slice(-300)}`,
              };
            }
            return { ok: true, detail: `exit status ${status}` };
          },
        };
      case "send":
        return {
          name: s.name,
          async run(): Promise<Verdict> {
            con.discard();
            con.sendLine(s.text);
            if (s.expect === undefined) return { ok: true, detail: "sent" };
            const r = await con.expect([s.expect], s.timeoutMs, String(s.expect));
            return r.ok
              ? { ok: true, detail: `saw "${r.value.text.trim()}"` }
              : consoleVerdict(r.error);
          },
        };
      case "expect":
        return {
          name: s.name,
          async run(): Promise<Verdict> {
            const r = await con.expect([s.pattern], s.timeoutMs, String(s.pattern));
            return r.ok
              ? { ok: true, detail: `saw "${r.value.text.trim()}"` }
              : consoleVerdict(r.error);
          },
        };
    }
  });
}
