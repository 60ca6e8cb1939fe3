/**
 * The words for a {@link Failure}: one line saying what went wrong, and a hint saying what to do.
 * Both switch over every reason, so a new reason fails to compile until it has its words.
 */
import { unreachable } from "../util/unreachable.js";
import { DRIVER_REFUSAL_REASONS } from "./failure-payloads.js";
import type { DriverRefusalReason, Failure, FailureOf } from "./failure.js";

const REFUSALS: ReadonlySet<string> = new Set(DRIVER_REFUSAL_REASONS);

/** A driver refusal: the driver wrote the sentence, and the fix is in the spec. */
function isDriverRefusal(f: Failure): f is FailureOf<DriverRefusalReason> {
  return REFUSALS.has(f.reason);
}

const FIX_THE_SPEC = "fix the spec value named above (substrate check shows every problem)";

/** One line explaining a failure, for messages. */
export function describeFailure(f: Failure): string {
  // Driver refusals: the driver wrote the sentence, naming the key or input.
  if (isDriverRefusal(f)) return f.message;
  switch (f.reason) {
    case "exit-non-zero":
      return `\`${f.command}\` exited with status ${f.status}`;
    case "killed-by-signal":
      return `\`${f.command}\` was killed by ${f.signal}`;
    case "spawn-error":
      return `could not start \`${f.command}\`: ${f.message}`;
    case "timed-out":
      return `\`${f.command}\` timed out`;
    case "log-failed":
      return `\`${f.command}\` was stopped: cannot write its log ${f.path}: ${f.message}`;
    case "bad-root":
      return `build root ${f.root}: ${f.message}`;
    case "bad-bind":
      return `bind mount ${f.source} -> ${f.target}: ${f.message}`;
    case "setup-failed":
      // The sandbox's own setup names its command; binfmt_misc preparation says it all.
      return f.command === undefined ? f.message : `sandbox setup failed: ${f.message}`;
    case "symlink-loop":
    case "not-a-directory":
      return `${f.path}: ${f.message}`;
    case "not-found":
      return f.path !== undefined && f.iso === undefined && !f.message.includes(f.path)
        ? `${f.path}: ${f.message}`
        : f.message;
    case "timeout":
      return (
        f.message ??
        `timed out after ${Math.round((f.timeoutMs ?? 0) / 1000)} s waiting for ${f.waitingFor ?? "the console"}`
      );
    case "known-failure":
      return f.message ?? `${f.failure.meaning}: ${f.failure.line}`;
    case "console-closed":
      return `the VM exited while waiting for ${f.waitingFor}`;
    case "login-incorrect":
      return "login incorrect";
    case "cancelled":
      // A run names its command (the sandbox swaps the launcher's for the user's).
      return f.command === undefined ? f.message : `\`${f.command}\` was cancelled`;
    case "bad-command":
    case "overlay-failed":
    case "io-error":
    case "not-absolute":
    case "missing":
    case "copy-failed":
    case "no-interpreter":
    case "binfmt-not-mounted":
    case "binfmt-disabled":
    case "not-registered":
    case "registration-disabled":
    case "no-fix-binary":
    case "step-failed":
    case "command-failed":
    case "not-meaningful":
    case "bad-input":
    case "internal-error":
    case "after-stage-check-failed":
    case "none":
    case "ambiguous":
    case "bad-path":
    case "duplicate-path":
    case "bad-label":
    case "bad-serial":
    case "source-missing":
    case "tool-failed":
    case "refused-option":
    case "invalid-volid":
    case "tree-missing":
    case "esp-missing":
    case "esp-too-big-for-el-torito":
    case "no-efi-boot-image":
    case "unknown-mode":
    case "unknown-format":
    case "missing-tool":
    case "no-keyring":
    case "bad-keyring":
    case "bad-signature":
    case "no-signature":
    case "gpgv-missing":
    case "not-upstream":
    case "unknown-subarch":
    case "download-failed":
    case "bad-pointer":
    case "unsigned":
    case "no-digest-line":
    case "digest-mismatch":
    case "size-mismatch":
    case "unreadable":
    case "http-error":
    case "incomplete":
    case "missing-profile":
    case "empty-build-list":
    case "missing-snapshot":
    case "unpack-failed":
    case "held":
    case "missing-output":
    case "bad-names":
    case "digest-failed":
    case "unknown-kind":
    case "no-entry":
    case "mismatch":
    case "input-missing":
    case "input-unverifiable":
    case "input-corrupt":
    case "no-firmware":
    case "iso-unreadable":
    case "qemu-failed":
    case "login-failed":
    case "checks-failed":
    case "shutdown-failed":
    case "enrolment-failed":
    case "cache-lock-failed":
      // The module that met these wrote the sentence, naming the file, command or key.
      return f.message;
    default:
      return unreachable(f);
  }
}

/**
 * The hint a failure carries for the user, or the one its reason always has; undefined when
 * neither says more than the message (what a stage's failure line shows).
 */
export function givenHint(f: Failure): string | undefined {
  if ("hint" in f) return f.hint;
  switch (f.reason) {
    case "esp-too-big-for-el-torito":
      return "use a smaller initramfs (dracut_args) or fewer kernels";
    case "refused-option":
      return "remove it from livecd/fsops";
    default:
      return undefined;
  }
}

/** What to do about a failure: its own hint, or a general one for its reason. */
export function failureHint(f: Failure): string {
  const given = givenHint(f);
  if (given !== undefined) return given;
  if (isDriverRefusal(f)) return FIX_THE_SPEC;
  switch (f.reason) {
    case "exit-non-zero":
    case "killed-by-signal":
    case "timed-out":
    case "setup-failed":
    case "tool-failed":
    case "step-failed":
    case "command-failed":
    case "unpack-failed":
    case "digest-failed":
      return "read the last lines of the output, or the stage's log";
    case "spawn-error":
    case "missing-tool":
    case "gpgv-missing":
    case "missing":
    case "no-interpreter":
      return "install the missing program (substrate doctor lists what the tree needs)";
    case "cancelled":
      return "run the command again to resume";
    case "log-failed":
    case "io-error":
    case "cache-lock-failed":
    case "copy-failed":
    case "overlay-failed":
      return "check the file system's free space and permissions";
    case "bad-root":
    case "bad-bind":
    case "bad-command":
    case "internal-error":
      return "this is a bug in substrate: please report it with the stage's log";
    case "symlink-loop":
    case "not-found":
    case "not-a-directory":
    case "not-absolute":
    case "source-missing":
    case "tree-missing":
    case "esp-missing":
    case "bad-path":
    case "duplicate-path":
      return "check the path in the spec and the root it points into";
    case "binfmt-not-mounted":
    case "binfmt-disabled":
    case "not-registered":
    case "registration-disabled":
    case "no-fix-binary":
      return "run substrate doctor --install as root to prepare binfmt_misc";
    case "not-meaningful":
    case "bad-input":
    case "bad-label":
    case "bad-serial":
    case "invalid-volid":
    case "unknown-mode":
    case "unknown-format":
    case "missing-profile":
    case "empty-build-list":
    case "refused-option":
    case "esp-too-big-for-el-torito":
      return FIX_THE_SPEC;
    case "none":
    case "ambiguous":
      return "name the kernel package exactly in boot/kernel/<name>/packages";
    case "no-efi-boot-image":
    case "iso-unreadable":
      return "rebuild the ISO (livecd-stage3)";
    case "no-keyring":
    case "bad-keyring":
      return "pass --keyring FILE with the distribution's release key";
    case "bad-signature":
    case "no-signature":
    case "unsigned":
    case "no-digest-line":
    case "digest-mismatch":
    case "size-mismatch":
    case "unreadable":
    case "http-error":
    case "incomplete":
    case "download-failed":
    case "bad-pointer":
      return "fetch again; if it persists, the mirror serves a broken or tampered file";
    case "not-upstream":
    case "unknown-subarch":
      return "put the seed in the store yourself, or use an upstream autobuild's name";
    case "missing-snapshot":
      return "run substrate fetch to download the snapshot";
    case "held":
      return "wait for the other build, or stop it";
    case "missing-output":
    case "bad-names":
    case "unknown-kind":
      return "this is a bug in the stage kind: please report it with the stage's log";
    case "no-entry":
    case "mismatch":
    case "input-missing":
    case "input-unverifiable":
    case "input-corrupt":
      return "rebuild the stage that makes this input: remove its output and run substrate build";
    case "no-firmware":
      return "install OVMF (ovmf or edk2-ovmf); substrate firmware show lists what was found";
    case "qemu-failed":
    case "console-closed":
    case "timeout":
    case "known-failure":
    case "login-incorrect":
    case "login-failed":
    case "checks-failed":
    case "shutdown-failed":
    case "enrolment-failed":
    case "after-stage-check-failed":
      return "see the console log; substrate boot ISO starts the machine interactively";
    default:
      return unreachable(f);
  }
}
