/**
 * Every expected failure in substrate, as one union keyed by a kebab-case `reason`. A failure is
 * returned (never thrown) by the module that meets it and carried unchanged up to the executor
 * and the reporters; each module's own failure type is the subset of reasons it can return
 * (`FailureOf<"held" | "io-error">`). The words for a failure are in `failure-text.ts`.
 *
 * To add a reason: add a member here with a one-line JSDoc, give it a message and a hint in
 * `failure-text.ts` (tsc fails until you do), and an example in test/unit/report/failure.test.ts.
 * A reason names what went wrong, not where; modules that meet the same thing share it, and
 * fields that only some of them know are optional.
 */

import type {
  AtPath,
  DetectedFailure,
  DigestAlgorithm,
  LockOwner,
  RunFailureReason,
  VolidProblem,
  DriverRefusalMember,
  Hinted,
  InterpreterHostMember,
  M,
  Tail,
} from "./failure-payloads.js";

export type {
  DetectedFailure,
  DigestAlgorithm,
  DriverRefusalReason,
  InterpreterHostReason,
  KnownFailureKind,
  LockOwner,
  RunFailureReason,
  VolidProblem,
} from "./failure-payloads.js";

/** Every expected failure. Add a member and tsc lists the renderers and the test to update. */
export type Failure =
  // --- processes (sandbox/process.ts, sandbox/interactive.ts) ---
  /** A command exited with a status other than 0. */
  | {
      readonly reason: "exit-non-zero";
      readonly command: string;
      readonly status: number;
      readonly tail: Tail;
      readonly stdout: string;
    }
  /** A command was killed by a signal it did not ask for. */
  | {
      readonly reason: "killed-by-signal";
      readonly command: string;
      readonly signal: string;
      readonly tail: Tail;
    }
  /** A command could not be started (not found, not executable). */
  | { readonly reason: "spawn-error"; readonly command: string; readonly message: string }
  /** A command ran past its time limit and was killed. */
  | { readonly reason: "timed-out"; readonly command: string; readonly tail: Tail }
  /** The user cancelled (Ctrl-C) while a command, a download, a lock wait or a boot ran. */
  | {
      readonly reason: "cancelled";
      readonly message: string;
      readonly hint?: string;
      readonly command?: string;
      readonly path?: string;
      readonly url?: string;
      readonly tail?: Tail;
    }
  /** A command's log could not be written (a full disk, most often): the command was killed. */
  | {
      readonly reason: "log-failed";
      readonly command: string;
      readonly path: string;
      /** The errno code (`ENOSPC`...). */
      readonly code: string;
      readonly message: string;
      readonly tail: Tail;
    }
  // --- build roots (sandbox/chroot.ts, overlay-root.ts, root-path.ts, interpreter.ts) ---
  /** The build root is not a usable folder. */
  | { readonly reason: "bad-root"; readonly root: string; readonly message: string }
  /** A bind mount's source or target cannot be used. */
  | {
      readonly reason: "bad-bind";
      readonly source: string;
      readonly target: string;
      readonly message: string;
    }
  /** The command to run in a root is malformed (empty argv, bad environment). */
  | { readonly reason: "bad-command"; readonly message: string }
  /** Preparing to run failed before the command ran (a mount, binfmt_misc registration). */
  | {
      readonly reason: "setup-failed";
      readonly message: string;
      readonly hint?: string;
      readonly command?: string;
      readonly tail?: Tail;
    }
  /** The overlay over a kept root could not be mounted. */
  | { readonly reason: "overlay-failed"; readonly message: string }
  /** A path inside a root goes through too many symlinks. */
  | ({ readonly reason: "symlink-loop" } & AtPath)
  /** A path (in a root, in an ISO, or a URL) does not exist. */
  | {
      readonly reason: "not-found";
      readonly message: string;
      readonly path?: string;
      readonly iso?: string;
      readonly url?: string;
    }
  /** A path inside a root has a non-folder where a folder must be. */
  | ({ readonly reason: "not-a-directory" } & AtPath)
  /** A file-system call failed (permissions, a full disk). */
  | {
      readonly reason: "io-error";
      readonly message: string;
      readonly path?: string;
      readonly tail?: Tail;
    }
  /** An interpreter path is not absolute. */
  | ({ readonly reason: "not-absolute" } & AtPath)
  /** An interpreter the root needs is missing on the host. */
  | ({ readonly reason: "missing" } & AtPath)
  /** Copying the interpreter into the root failed. */
  | ({ readonly reason: "copy-failed" } & AtPath)
  /** The host is not set up to run the root's programs through an interpreter. */
  | InterpreterHostMember
  // --- stages and drivers (targets/, drivers/) ---
  /** A step of a stage failed. */
  | {
      readonly reason: "step-failed";
      readonly step: string;
      readonly message: string;
      readonly tail?: Tail;
      readonly hint?: string;
    }
  /** A command of a driver failed (the step names what it was doing). */
  | {
      readonly reason: "command-failed";
      readonly message: string;
      readonly step?: string;
      readonly tail?: Tail;
    }
  /** A driver refused a spec value or input (bad-atom, profile-missing, ...). */
  | DriverRefusalMember
  /** The shared package cache's lock could not be taken (an I/O error, not a cancellation). */
  | { readonly reason: "cache-lock-failed"; readonly step: string; readonly message: string }
  /** The spec asks for something that means nothing for this stage or driver. */
  | { readonly reason: "not-meaningful"; readonly message: string; readonly hint: string }
  /** An input (spec value, seed, ISO, option) is unusable as given. */
  | ({ readonly reason: "bad-input" } & Hinted)
  /** A stage threw: a bug in substrate, reported with the stack. */
  | { readonly reason: "internal-error"; readonly message: string }
  /** The check run after a stage (`build --test`) failed. */
  | { readonly reason: "after-stage-check-failed"; readonly message: string }
  /** No kernel was found after installing the kernel package. */
  | { readonly reason: "none"; readonly message: string }
  /** Several kernels fit the kernel package and none is clearly its own. */
  | {
      readonly reason: "ambiguous";
      readonly message: string;
      readonly candidates: readonly string[];
    }
  // --- images (image/) ---
  /** A path cannot be written to a FAT file system. */
  | {
      readonly reason: "bad-path";
      readonly path: string;
      /** What is wrong with the path, e.g. "has a character FAT does not allow". */
      readonly why: string;
      readonly message: string;
    }
  /** Two ESP paths name the same FAT file. */
  | ({ readonly reason: "duplicate-path" } & AtPath)
  /** A FAT label is not 1-11 allowed characters. */
  | { readonly reason: "bad-label"; readonly label: string; readonly message: string }
  /** A FAT serial is not 8 hex digits. */
  | { readonly reason: "bad-serial"; readonly serial: string; readonly message: string }
  /** What an image is made from does not exist. */
  | ({ readonly reason: "source-missing" } & AtPath)
  /** An image tool (mksquashfs, mtools, xorriso) failed. */
  | {
      readonly reason: "tool-failed";
      readonly failure: FailureOf<RunFailureReason>;
      readonly message: string;
      /** The tool's last output lines. */
      readonly tail: Tail;
    }
  /** A mksquashfs option is one substrate owns or refuses. */
  | {
      readonly reason: "refused-option";
      readonly token: string;
      readonly why: string;
      readonly message: string;
    }
  /** A live volume id is not usable as a label. */
  | {
      readonly reason: "invalid-volid";
      readonly volid: string;
      readonly problem: VolidProblem;
      readonly message: string;
    }
  /** The folder an ISO is made from does not exist. */
  | ({ readonly reason: "tree-missing" } & AtPath)
  /** The ESP image for an ISO does not exist. */
  | ({ readonly reason: "esp-missing" } & AtPath)
  /** The ESP image is larger than an El Torito boot image may be. */
  | {
      readonly reason: "esp-too-big-for-el-torito";
      readonly bytes: number;
      readonly limit: number;
      readonly message: string;
    }
  /** An ISO has no EFI boot image. */
  | { readonly reason: "no-efi-boot-image"; readonly iso: string; readonly message: string }
  /** A compression mode is not one catalyst knows. */
  | ({ readonly reason: "unknown-mode" } & M)
  /** A tarball's format cannot be told from its name. */
  | ({ readonly reason: "unknown-format" } & M)
  /** A host tool is not installed. */
  | ({ readonly reason: "missing-tool" } & Hinted)
  // --- seeds, snapshots and downloads (drivers/portage/) ---
  /** No keyring to verify signatures with. */
  | ({ readonly reason: "no-keyring" } & Hinted)
  /** The keyring cannot be read as OpenPGP keys. */
  | ({ readonly reason: "bad-keyring" } & M)
  /** A signature does not verify. */
  | {
      readonly reason: "bad-signature";
      readonly message: string;
      readonly hint?: string;
      /** gpgv's own lines. */
      readonly detail?: readonly string[];
    }
  /** A file that must be signed has no signature. */
  | ({ readonly reason: "no-signature" } & M)
  /** gpgv is not installed. */
  | ({ readonly reason: "gpgv-missing" } & Hinted)
  /** A seed is not an upstream autobuild and cannot be fetched. */
  | ({ readonly reason: "not-upstream" } & Hinted)
  /** The subarch has no upstream autobuilds. */
  | ({ readonly reason: "unknown-subarch" } & Hinted)
  /** A download failed. */
  | ({ readonly reason: "download-failed" } & Hinted)
  /** An autobuild `latest-*.txt` pointer cannot be parsed. */
  | ({ readonly reason: "bad-pointer" } & Hinted)
  /** A DIGESTS file is not signed. */
  | ({ readonly reason: "unsigned" } & Hinted)
  /** A DIGESTS file has no line for the file. */
  | ({ readonly reason: "no-digest-line" } & Hinted)
  /** A file's digest differs from its DIGESTS line. */
  | ({ readonly reason: "digest-mismatch" } & Hinted)
  /** A file or download has another size than announced. */
  | {
      readonly reason: "size-mismatch";
      readonly message: string;
      readonly hint?: string;
      readonly url?: string;
    }
  /** A file cannot be read. */
  | {
      readonly reason: "unreadable";
      readonly message: string;
      readonly hint?: string;
      readonly path?: string;
    }
  /** A server answered with an HTTP error. */
  | { readonly reason: "http-error"; readonly url: string; readonly message: string }
  /** A download ended before its announced length. */
  | { readonly reason: "incomplete"; readonly url: string; readonly message: string }
  /** The Portage profile does not exist in the repository. */
  | ({ readonly reason: "missing-profile" } & M)
  /** A stage has nothing to build. */
  | ({ readonly reason: "empty-build-list" } & M)
  /** The Portage snapshot does not exist. */
  | ({ readonly reason: "missing-snapshot" } & Hinted)
  /** Unpacking the Portage snapshot failed. */
  | ({ readonly reason: "unpack-failed" } & Hinted)
  // --- the store (store/) ---
  /** Another build holds a lock. */
  | {
      readonly reason: "held";
      readonly path: string;
      readonly owner: LockOwner;
      readonly message: string;
    }
  /** A stage did not write an output it declares. */
  | ({ readonly reason: "missing-output" } & M)
  /** A stage's output names are not what the store expects. */
  | ({ readonly reason: "bad-names" } & M)
  /** Writing the DIGESTS of an output failed. */
  | ({ readonly reason: "digest-failed" } & M)
  /** A file kind cannot be listed for `.CONTENTS.gz`. */
  | ({ readonly reason: "unknown-kind" } & M)
  /** A DIGESTS file has no entry for the file. */
  | ({ readonly reason: "no-entry" } & AtPath)
  /** A file's digest differs from its `.DIGESTS`. */
  | {
      readonly reason: "mismatch";
      readonly path: string;
      readonly algorithm: DigestAlgorithm;
      readonly expected: string;
      readonly actual: string;
      readonly message: string;
    }
  /** A stage's input is not there. */
  | ({ readonly reason: "input-missing" } & AtPath)
  /** A stage's input has no `.DIGESTS` to verify it by. */
  | ({ readonly reason: "input-unverifiable" } & AtPath)
  /** A stage's input differs from its `.DIGESTS`. */
  | ({ readonly reason: "input-corrupt" } & AtPath)
  // --- boot tests (boot/) ---
  /** No UEFI firmware (OVMF) was found. */
  | { readonly reason: "no-firmware"; readonly message: string; readonly hint: string }
  /** An ISO cannot be read. */
  | ({ readonly reason: "iso-unreadable" } & M)
  /** QEMU failed to start or died. */
  | ({ readonly reason: "qemu-failed" } & Hinted)
  /** The console did not show what was awaited in time. */
  | {
      readonly reason: "timeout";
      readonly message?: string;
      readonly hint?: string;
      /** What the console was waiting for. */
      readonly waitingFor?: string;
      readonly timeoutMs?: number;
    }
  /** The console showed a known failure (kernel panic, emergency shell...). */
  | {
      readonly reason: "known-failure";
      readonly failure: DetectedFailure;
      readonly message?: string;
      readonly hint?: string;
    }
  /** The console closed (QEMU exited) while something was awaited. */
  | { readonly reason: "console-closed"; readonly waitingFor: string }
  /** The guest answered the login with "Login incorrect". */
  | { readonly reason: "login-incorrect" }
  /** Logging in on the console failed. */
  | ({ readonly reason: "login-failed" } & Hinted)
  /** Checks of the running system failed. */
  | ({ readonly reason: "checks-failed" } & Hinted)
  /** The guest did not shut down. */
  | ({ readonly reason: "shutdown-failed" } & Hinted)
  /** `test --secure-boot`: the boot loader did not enrol the medium's own Secure Boot keys. */
  | ({ readonly reason: "enrolment-failed"; readonly failure?: DetectedFailure } & Hinted);

/** The members of {@link Failure} with these reasons: a module's own failure type. */
export type FailureOf<R extends Failure["reason"]> = Extract<Failure, { readonly reason: R }>;
