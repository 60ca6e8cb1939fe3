/**
 * `substrate boot`: starts the VM with its serial console (muxed with the QEMU monitor) on the
 * user's terminal and waits until it exits; the temporary VARS copy is removed afterwards.
 */
import { spawnInteractive } from "../sandbox/interactive.js";
import { type Result, ok, err } from "../util/result.js";
import { type PreparedVm, type VmFailure, type VmOptions, prepareVm } from "./vm.js";
import type { FailureOf } from "../report/failure.js";

/** How an interactive boot ended. */
export interface InteractiveBootResult {
  readonly status: number | null;
  /** The VM that ran (its temporary folder is already removed). */
  readonly vm: PreparedVm;
}

/** Why it could not start. */
export type InteractiveBootFailure = VmFailure | FailureOf<"qemu-failed">;

/**
 * Boots the ISO on the terminal. `onReady` sees the prepared VM (to print notes and the command)
 * before QEMU takes the terminal over.
 */
export async function bootInteractive(
  options: VmOptions,
  onReady: (vm: PreparedVm) => void,
  signal?: AbortSignal,
): Promise<Result<InteractiveBootResult, InteractiveBootFailure>> {
  const vm = await prepareVm(options, "interactive", false);
  if (!vm.ok) return vm;
  const prepared = vm.value;
  onReady(prepared);
  try {
    const child = await spawnInteractive({
      argv: prepared.argv,
      attachTerminal: true,
      ...(signal === undefined ? {} : { signal }),
    });
    if (!child.ok) {
      return err({
        reason: "qemu-failed",
        message: `could not start QEMU: ${child.error.message}`,
        hint: "install qemu-system-x86 (Debian: apt-get install qemu-system-x86)",
      });
    }
    const exit = await child.value.exited;
    return ok({ status: exit.status, vm: prepared });
  } finally {
    prepared.cleanup();
  }
}
