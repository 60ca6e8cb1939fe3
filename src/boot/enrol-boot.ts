/**
 * The enrolment boot of `substrate test --secure-boot` for a medium carrying its own keys: the
 * VM starts on Secure Boot firmware in setup mode with a fresh copy of the variable store;
 * systemd-boot (`secure-boot-enroll force`) writes db, KEK and PK from `loader/keys/auto` and
 * resets the machine, which ends QEMU (`-no-reboot`). The next boot, with the same variable
 * store, runs with Secure Boot enforcing. What the console showed is judged by a pure function.
 */
import type { WriteStream } from "node:fs";
import { spawnInteractive } from "../sandbox/interactive.js";
import { type Result, ok, err } from "../util/result.js";
import { cleanConsoleText } from "./console-text.js";
import { detectFailure } from "./failures.js";
import type { DetectedFailure } from "../report/failure.js";

/** What systemd-boot prints when it starts enrolling (systemd 252). */
const ENROLLING = /Enrolling secure boot keys from directory: ?(\S*)/i;
/** systemd-boot's words when a variable could not be written. */
const WRITE_FAILED = /Failed to write (\S+) secure boot variable: ?(.*)/i;
/** systemd-boot's words when the key folder cannot be read. */
const OPEN_FAILED = /Failed opening keys directory (\S+): ?(.*)/i;

/** What the enrolment boot's console says happened. */
export type EnrolmentVerdict =
  | { readonly enrolled: true; readonly directory: string }
  | { readonly enrolled: false; readonly why: string; readonly failure?: DetectedFailure };

/** Judges the console text of an enrolment boot that has ended (QEMU exited). */
export function judgeEnrolment(text: string): EnrolmentVerdict {
  const lines = cleanConsoleText(text).split("\n");
  for (const l of lines) {
    const w = WRITE_FAILED.exec(l) ?? OPEN_FAILED.exec(l);
    if (w !== null)
      return { enrolled: false, why: `systemd-boot could not enrol the keys: ${l.trim()}` };
  }
  for (const l of lines) {
    const start = ENROLLING.exec(l);
    if (start !== null) return { enrolled: true, directory: start[1] ?? "" };
  }
  for (const l of lines) {
    const f = detectFailure(l, "firmware");
    if (f !== undefined) return { enrolled: false, why: `${f.meaning}: ${f.line}`, failure: f };
  }
  return {
    enrolled: false,
    why: 'the boot loader did not enrol the medium\'s keys (no "Enrolling secure boot keys" on the console); systemd-boot 252 or later with `secure-boot-enroll force` in loader.conf does',
  };
}

/** Why the enrolment boot failed. */
export type EnrolmentFailure =
  | { readonly reason: "qemu-failed"; readonly message: string; readonly hint?: string }
  | { readonly reason: "timeout"; readonly message: string; readonly hint?: string }
  | { readonly reason: "cancelled"; readonly message: string }
  | {
      readonly reason: "enrolment-failed";
      readonly message: string;
      readonly failure?: DetectedFailure;
    };

/**
 * Runs the enrolment boot with `argv` (which names the VM's variable store copy) until QEMU
 * exits; the console goes to `log`. Resolves with the enrolment's duration.
 */
export async function runEnrolmentBoot(options: {
  readonly argv: readonly string[];
  readonly log: WriteStream;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /**
   * A plain test of a medium with its own keys: firmware that supports Secure Boot and starts in
   * setup mode (Debian's plain OVMF does) lets systemd-boot enrol them; firmware that does not
   * boots the kernel, which is then not a failure (`directory` is undefined).
   */
  readonly optional?: boolean;
}): Promise<
  Result<{ readonly durationMs: number; readonly directory: string | undefined }, EnrolmentFailure>
> {
  const started = Date.now();
  const abort = new AbortController();
  const state = { timedOut: false };
  const timer = setTimeout(() => {
    state.timedOut = true;
    abort.abort();
  }, options.timeoutMs);
  const onAbort = (): void => {
    abort.abort();
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    options.log.write("# enrolment boot (Secure Boot setup mode)\n");
    const spawned = await spawnInteractive({ argv: options.argv, signal: abort.signal });
    if (!spawned.ok)
      return err({
        reason: "qemu-failed",
        message: `could not start QEMU: ${spawned.error.message}`,
        hint: "install qemu-system-x86 (Debian: apt-get install qemu-system-x86)",
      });
    const child = spawned.value;
    let text = "";
    const seen = { kernel: false };
    child.onOutput((chunk) => {
      options.log.write(chunk);
      text += chunk.toString("utf8");
      // A kernel starting means nothing was enrolled (and this boot would run on): stop here.
      if (!seen.kernel && /Linux version \d|EFI stub: /.test(text)) {
        seen.kernel = true;
        child.kill();
      }
    });
    await child.exited;
    options.log.write("\n# enrolment boot ended\n");
    if (options.signal?.aborted === true) return err({ reason: "cancelled", message: "cancelled" });
    if (state.timedOut)
      return err({
        reason: "timeout",
        message: `the enrolment boot did not end within ${Math.round(options.timeoutMs / 1000)} s`,
        hint: "see the console log; systemd-boot resets the VM after enrolling the keys",
      });
    const v = judgeEnrolment(text);
    if (!v.enrolled && options.optional === true && seen.kernel)
      return ok({ durationMs: Date.now() - started, directory: undefined });
    if (!v.enrolled)
      return err({
        reason: "enrolment-failed",
        message: v.why,
        ...(v.failure === undefined ? {} : { failure: v.failure }),
      });
    return ok({ durationMs: Date.now() - started, directory: v.directory });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}
