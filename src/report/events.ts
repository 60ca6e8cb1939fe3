/**
 * The typed events every layer emits. Nothing outside `src/report/` prints: commands hand these
 * to a `Reporter`, which renders them for a terminal, for CI logs, or as NDJSON (`--json`).
 * Every event has a `type`; the NDJSON form is the event itself plus a `time` field.
 */
import type { Diagnostic } from "./diagnostic.js";
import type { Failure } from "./failure.js";

/** A stage's identity in a tree: `<arch>/<flavour>:<stage>`, e.g. `amd64/roflmaos:livecd-stage3`. */
export type StageId = string;

/** What the planner decided for one stage. */
export type DecisionKind = "fresh" | "build" | "blocked";

/** All events. Add a member here, and the reporters fail to compile until they render it. */
export type Event =
  | { readonly type: "diagnostic"; readonly diagnostic: Diagnostic }
  | { readonly type: "info"; readonly message: string }
  | { readonly type: "warning"; readonly message: string; readonly hint?: string }
  /** A fatal error: what was asked cannot be done and the command exits non-zero. */
  | { readonly type: "error"; readonly message: string; readonly hint?: string }
  /** A remark worth reading that changes nothing (e.g. which firmware a VM falls back to). */
  | { readonly type: "note"; readonly message: string }
  /** A command line that cannot be run as written: `substrate <command> --help` tells why. */
  | { readonly type: "usage-error"; readonly command: string; readonly message: string }
  | {
      readonly type: "run-started";
      readonly command: string;
      readonly stages: number;
      readonly jobs: number;
    }
  | {
      readonly type: "stage-planned";
      readonly stage: StageId;
      readonly decision: DecisionKind;
      readonly reason: string;
      readonly output: string;
      readonly fingerprint: string;
      /** With a remote stage cache (`plan --remote`): whether it holds this fingerprint. */
      readonly remote?: "hit" | "miss" | "unreachable";
    }
  | { readonly type: "stage-fresh"; readonly stage: StageId; readonly output: string }
  | { readonly type: "stage-started"; readonly stage: StageId; readonly log: string }
  | {
      readonly type: "step-started";
      readonly stage: StageId;
      readonly step: string;
      /** Human words for what the step does, e.g. "installing 3 packages with apt". */
      readonly detail?: string;
    }
  | {
      readonly type: "step-finished";
      readonly stage: StageId;
      readonly step: string;
      readonly durationMs: number;
    }
  | {
      readonly type: "stage-progress";
      readonly stage: StageId;
      readonly message: string;
      /** 0..1 when the work has a known size. */
      readonly fraction?: number;
    }
  | {
      readonly type: "stage-succeeded";
      readonly stage: StageId;
      readonly durationMs: number;
      /** Published files, absolute paths. */
      readonly outputs: readonly string[];
      /** Set when the stage was taken from a remote stage cache instead of built. */
      readonly fetched?: {
        readonly from: string;
        readonly fingerprint: string;
        readonly bytes: number;
        /** The id of the key whose signature was checked. */
        readonly signedBy?: string;
      };
      /** Set when the built stage was pushed to the remote stage cache. */
      readonly pushed?: { readonly to: string; readonly bytes: number };
    }
  | {
      readonly type: "stage-failed";
      readonly stage: StageId;
      readonly durationMs: number;
      /** The failure's reason, or the stage's (`locked`, `publish-failed`, `no-space`). */
      readonly reason: string;
      /** The failure in words (`describeFailure`), with its hint on a second line. */
      readonly message: string;
      /** What went wrong, as the module that met it returned it (report/failure.ts). */
      readonly failure: Failure;
      readonly step?: string;
      readonly log?: string;
      /** Last lines of the failed step's output. */
      readonly logTail?: readonly string[];
      /** Where the failed stage's work folder was kept (`build --keep-work`). */
      readonly workKept?: string;
    }
  | { readonly type: "stage-skipped"; readonly stage: StageId; readonly reason: string }
  | {
      readonly type: "run-finished";
      readonly ok: boolean;
      readonly durationMs: number;
      readonly built: number;
      /** Of `built`, how many were fetched from a remote stage cache. */
      readonly fetched?: number;
      readonly fresh: number;
      readonly failed: number;
      readonly skipped: number;
      /** substrate's own peak resident memory in KiB (the tools it ran not counted). */
      readonly maxRssKiB?: number;
    }
  /** `substrate boot`: the VM runs with its serial console on this terminal. */
  | {
      readonly type: "boot-interactive";
      readonly iso: string;
      /** `direct kernel` or `EFI boot loader`. */
      readonly loader: string;
      /** The accelerator in use (`kvm`, `tcg`). */
      readonly accel: string;
    }
  /**
   * The guest console's latest line while a boot test waits for the login prompt (at most two
   * a second): the terminal view shows it under the run so a slow boot is not silent. Not in
   * `--json` (the console log has every line) nor in plain output.
   */
  | {
      readonly type: "boot-console";
      readonly line: string;
      /** The phase the boot is in (`firmware`, `kernel`). */
      readonly phase: string;
      /** Since QEMU started. */
      readonly elapsedMs: number;
    }
  | {
      readonly type: "boot-phase";
      readonly phase: string;
      readonly durationMs: number;
      /** Later phases this one also covers (the console never showed their marks). */
      readonly merged?: readonly string[];
    }
  /** What the guest's systemd measured (`systemd-analyze time` and `blame`), once logged in. */
  | {
      readonly type: "boot-guest-analysis";
      readonly startup: string;
      readonly split: Readonly<Record<string, number>>;
      readonly slowestUnits: readonly { readonly unit: string; readonly ms: number }[];
    }
  | {
      readonly type: "boot-check";
      readonly check: string;
      readonly ok: boolean;
      readonly detail: string;
    }
  /** `build --verify-reproducible`: one published file compared with its rebuild. */
  | {
      readonly type: "reproducible-check";
      readonly stage: StageId;
      /** The published file (or folder). */
      readonly output: string;
      /** The rebuilt one, in the check's second store. */
      readonly rebuilt: string;
      readonly verdict: "reproducible" | "differs";
      /** The digest both builds share (sha256; a folder's: `folder:` + sha256 of its sha256sum lines). */
      readonly sha256?: string;
      /** Files of a folder output that differ (or `.` for the output itself), first ones. */
      readonly differingFiles: readonly string[];
      /** Where they differ: diffoscope's report (truncated) or a listing diff. */
      readonly details: readonly string[];
      readonly detailsFrom?: "diffoscope" | "listing" | "none";
    }
  | {
      readonly type: "boot-finished";
      readonly ok: boolean;
      readonly reason: string;
      readonly consoleLog: string;
      readonly durationMs: number;
    };

/** Where events go. Implementations live in `src/report/`. */
export interface Reporter {
  emit(event: Event): void;
  /** Flush and restore the terminal (end of a command). */
  close(): void;
}
