/**
 * What a boot test's failure on the console means for its user: the overall limit, a known
 * failure line (with a hint for a Secure Boot refusal), a cancel, QEMU gone, a refused login or a
 * step's own limit, each in words. Pure; testIso() attaches the report.
 */
import { describeConsoleFailure } from "./checks.js";
import type { ConsoleFailure } from "./console.js";
import type { BootFailure } from "./verify-iso.js";

/** A boot failure before the report is attached (one `Omit` per member). */
export type Unreported<T> = T extends unknown ? Omit<T, "report"> : never;

export interface ConsoleFailureContext {
  /** What the test was doing, in words ("the checks", "the kernel phase"). */
  readonly during: string;
  /** The overall limit ran out (the console failure is then its consequence). */
  readonly timedOut: boolean;
  readonly timeoutMs: number;
  readonly secureBoot: "off" | "enrolled-keys" | "own-keys";
}

export function bootFailureFromConsole(
  f: ConsoleFailure,
  ctx: ConsoleFailureContext,
): Unreported<BootFailure> {
  const { during } = ctx;
  if (ctx.timedOut) {
    return {
      reason: "timeout",
      message: `timed out after ${Math.round(ctx.timeoutMs / 1000)} s during ${during}`,
      hint: "see the console log; raise --timeout if the machine is just slow",
    };
  }
  switch (f.reason) {
    case "known-failure":
      return {
        reason: "known-failure",
        message: `${f.failure.meaning}: ${f.failure.line}`,
        failure: f.failure,
        ...(f.failure.kind === "secure-boot-rejected"
          ? {
              hint:
                ctx.secureBoot === "own-keys"
                  ? "sign the boot loader and kernel with the db key the medium enrols (a tree with [secureboot] keys does it in livecd-stage2); check with `sbverify --cert db.crt FILE`"
                  : "boot with the medium's own keys (an ISO built with [secureboot] keys) or without --secure-boot",
            }
          : {}),
      };
    case "cancelled":
      return { reason: "cancelled", message: `cancelled during ${during}` };
    case "console-closed":
      return { reason: "qemu-failed", message: `QEMU exited during ${during}` };
    case "login-incorrect":
      return { reason: "login-failed", message: "root login was refused (Login incorrect)" };
    case "timeout":
      return { reason: "timeout", message: `${describeConsoleFailure(f)} during ${during}` };
  }
}
