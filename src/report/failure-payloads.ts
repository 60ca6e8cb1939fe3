/**
 * The parts the failure union (`failure.ts`) is made of: the reason families that several
 * members share (process endings, interpreter-host reasons, driver refusals), the payload types
 * that modules name on their own (lock owners, volume-id problems, console failure kinds), and
 * the small field groups members repeat. `failure.ts` re-exports what other modules use.
 */

/** What a process run ended with, besides success (sandbox/process.ts). */
export type RunFailureReason =
  "exit-non-zero" | "killed-by-signal" | "spawn-error" | "timed-out" | "cancelled" | "log-failed";

/** Why the host cannot run a foreign root's programs through an interpreter. */
export type InterpreterHostReason =
  /** The interpreter is not a file on the host (qemu-user-static is not installed). */
  | "no-interpreter"
  /** Nothing is mounted at /proc/sys/fs/binfmt_misc. */
  | "binfmt-not-mounted"
  /** binfmt_misc's `status` is `disabled`: no handler runs. */
  | "binfmt-disabled"
  /** No handler runs the interpreter. */
  | "not-registered"
  /** The handler is registered but disabled. */
  | "registration-disabled"
  /**
   * The handler names another path than the one copied into the root and lacks the `F`
   * (fix-binary) flag, so the kernel would look for that path inside the root.
   */
  | "no-fix-binary";

/** What is wrong with a volume id (image/bootloader.ts `checkVolid`). */
export type VolidProblem =
  | { readonly reason: "empty" }
  | { readonly reason: "too-long"; readonly length: number }
  | { readonly reason: "not-printable-ascii"; readonly index: number; readonly char: string }
  | { readonly reason: "not-label-safe"; readonly index: number; readonly char: string };

/** A boot failure seen on the serial console, as a stable identifier. */
export type KnownFailureKind =
  | "uefi-shell"
  | "secure-boot-rejected"
  | "no-bootable-device"
  | "boot-loader-error"
  | "kernel-panic"
  | "emergency-shell"
  | "initrd-timeout"
  | "kvm-error"
  | "firmware-reset";

/** A console line that matched a known failure pattern (boot/failures.ts). */
export interface DetectedFailure {
  readonly kind: KnownFailureKind;
  readonly line: string;
  readonly meaning: string;
}

/** Who holds a lock (store/lock.ts). */
export interface LockOwner {
  readonly pid: number;
  /** The owner's start time in clock ticks since boot (from /proc), to tell a reused pid. */
  readonly start: number | null;
  readonly host: string;
  readonly token: string;
  /** ISO time the lock was taken. */
  readonly since: string;
  /** The owner's command line (`substrate build …`), to name it to a user who must wait. */
  readonly command?: string;
}

/** A DIGESTS algorithm name. */
export type DigestAlgorithm = "BLAKE2B" | "SHA512" | "SHA256";

export type M = { readonly message: string };
export type Hinted = { readonly message: string; readonly hint?: string };
export type AtPath = { readonly path: string; readonly message: string };
export type Tail = readonly string[];

/**
 * Why a driver refused a stage before (or instead of) running a tool: a spec value or an input
 * it cannot use (drivers/). Each refusal has its own reason, so callers and tests tell them
 * apart without reading the message; all are rendered like `bad-input`. (An unknown `subarch`
 * is the shared `unknown-subarch`.)
 */
export const DRIVER_REFUSAL_REASONS = [
  /** A package list holds something that is not a package atom or name. */
  "bad-atom",
  /** `interpreter` is missing or no binfmt_misc handler runs it. */
  "interpreter-unusable",
  /** The package-tree snapshot is not set, not in the store, or cannot be fetched or unpacked. */
  "snapshot-unavailable",
  /** A `repos`/`portage_overlay` entry is not a usable repository. */
  "repo-unusable",
  /** `profile` names no profile of the snapshot's repositories. */
  "profile-missing",
  /** The profile lists no packages to build (stage1's packages.build). */
  "profile-packages-missing",
  /** A `portage_confdir` entry is not a usable folder. */
  "confdir-unusable",
  /** A file inside the build root could not be written or resolved. */
  "root-write-failed",
  /** bindist: packages outside the free licence group, or no licence groups to judge by. */
  "licence-blocked",
  /** The root holds no seed to build from. */
  "seed-missing",
  /** `update_seed` (or a similar switch) has a value the driver does not know. */
  "bad-setting",
  /** A kernel's name, config or package cannot be used. */
  "bad-kernel",
  /** A stage kind takes no extra packages (stage1). */
  "packages-not-allowed",
  /** An archive keyring named by the spec or tree is not a file. */
  "keyring-missing",
] as const;

/** A driver refusal's reason (one of {@link DRIVER_REFUSAL_REASONS}). */
export type DriverRefusalReason = (typeof DRIVER_REFUSAL_REASONS)[number];

/** One member per driver refusal (a mapped type, so `FailureOf` picks each). */
export type DriverRefusalMember = {
  readonly [R in DriverRefusalReason]: {
    readonly reason: R;
    readonly message: string;
    readonly hint?: string;
  };
}[DriverRefusalReason];

/** One member per interpreter-host reason (a mapped type, so `FailureOf` picks each). */
export type InterpreterHostMember = {
  readonly [R in InterpreterHostReason]: {
    readonly reason: R;
    /** The interpreter (host path). */
    readonly path: string;
    /** The binfmt_misc handler's name, e.g. `qemu-arm` (the registered one, when there is one). */
    readonly handler: string;
    readonly message: string;
    readonly hint: string;
  };
}[InterpreterHostReason];
