/**
 * The planner's data model: what `makePlan` hands to the executor, the renderers and the CLI.
 * A plan is a list of stages in build order, each with its resolved inputs, its output paths in
 * the store, its fingerprint and the decision (fresh, build, blocked) with the reason.
 */
import type { Diagnostic, SourceSpan } from "../report/diagnostic.js";
import type { DecisionKind, StageId } from "../report/events.js";
import type { InputRole } from "../spec/kinds/define.js";
import type { StageSpec, TargetKindName } from "../spec/types.js";

/** A SHA-256 hex digest over a stage's canonical fingerprint record. */
export type Fingerprint = string & { readonly __brand: "Fingerprint" };

/**
 * Why a stage takes an input: `source` is the root it starts from (`source_subpath`), `payload`
 * is livecd-stage3's second input, the livecd-stage2 boot payload (`livecd/payload` or the
 * catalyst-compatible `livecd/cdtar`). Each kind lists its roles (`KindDefinition.inputs`).
 */
export type { InputRole } from "../spec/kinds/define.js";

/** Every input role, in the order records and diagnostics list them. */
export const INPUT_ROLES: readonly InputRole[] = ["source", "payload"];

/** Where a stage's input comes from. */
export type StageInput =
  /** Another stage of the tree builds it in this run (or built it: see its decision). */
  | {
      readonly type: "stage";
      readonly stage: StageId;
      /** The spec key naming the input (`source_subpath`, `livecd/payload`, `livecd/cdtar`). */
      readonly key: string;
      /** The value as written, after token substitution. */
      readonly value: string;
      readonly span?: SourceSpan;
    }
  /**
   * A file or folder already in the store (an upstream seed, or an earlier run's output named
   * through a `-latest` link). `path` is the matched file when `found`, else the name looked for.
   */
  | {
      readonly type: "seed";
      readonly path: string;
      readonly found: boolean;
      readonly key: string;
      readonly value: string;
      readonly span?: SourceSpan;
    }
  /** No input: the driver bootstraps the root (apt `stage3` without `source_subpath`). */
  | { readonly type: "bootstrap" };

/** What kind of thing a stage publishes. */
export type OutputForm = "tarball" | "squashfs" | "directory" | "iso" | "qcow2";

/** Every path a stage's build reads or writes in the store. All paths are absolute. */
export interface StageOutputs {
  /** The substrate release name: `<stage>-<arch><rel>` (e.g. `stage3-amd64-roflmaos`). */
  readonly name: string;
  /** The `<stage>` part of the name (spec stem, or the kind when the spec sets `target:`). */
  readonly stageName: string;
  /** The `rel` suffix (``, `_hardfp`, `-roflmaos`). */
  readonly rel: string;
  /** The extension of `output` (`.tar.zst`, `.squashfs`, `.iso`, or `` for a folder). */
  readonly ext: string;
  readonly form: OutputForm;
  /** `<builds>/<arch>/<flavour>`: where the latest link and pointer live. */
  readonly flavourDir: string;
  /** `<builds>/<arch>/<flavour>/<date>`: where dated outputs live. */
  readonly dateDir: string;
  /** The dated output: `<dateDir>/<name>-<date><ext>`, or the ISO/qcow2 named by the spec. */
  readonly output: string;
  /** The `-latest` symlink (`<flavourDir>/<name>-latest<ext>`, `latest-<name>.iso` for ISOs). */
  readonly latest: string;
  /** The pointer file `<flavourDir>/latest-<name>.txt`. */
  readonly pointer: string;
  /** What the pointer file holds: `<date>/<output basename>` plus a newline. */
  readonly pointerText: string;
  /** The build log: `<logs>/<flavour>/<name>-<date>.log`. */
  readonly log: string;
  /** The freshness stamp, `<output>.stamp`: JSON `{fingerprint, record}` written after success. */
  readonly stamp: string;
}

/** The canonical record a fingerprint is computed over (see fingerprint.ts for its fields). */
export type FingerprintRecord = Readonly<Record<string, unknown>>;

/** What the executor writes to `<output>.stamp` after a stage succeeds. */
export interface Stamp {
  readonly fingerprint: string;
  readonly record: FingerprintRecord;
  /** The published output's size and mtime, to notice a replaced or touched output cheaply. */
  readonly output?: { readonly size: number; readonly mtimeMs: number };
}

/** The planner's verdict for one stage. `reason` is a short human phrase for reports. */
export type Decision =
  | { readonly kind: "fresh"; readonly reason: string }
  | {
      readonly kind: "build";
      /** `no-output` (nothing published yet), `no-stamp` (an output not made by substrate), `output-changed` (not the file its stamp describes), `input-changed`, `parent-rebuilt`. */
      readonly code:
        "no-output" | "no-stamp" | "output-changed" | "input-changed" | "parent-rebuilt";
      readonly reason: string;
    }
  | {
      readonly kind: "blocked";
      /** `needs-seed`, `input-blocked` (a parent is blocked) or `cycle` (the stage sits on an input cycle). */
      readonly code: "needs-seed" | "input-blocked" | "cycle";
      readonly reason: string;
    };

/** One stage of a plan: everything the executor needs to build it. */
export interface PlannedStage {
  /** `<arch>/<flavour>:<stage>`. */
  readonly id: StageId;
  readonly spec: StageSpec;
  readonly kind: TargetKindName;
  /** Resolved inputs by role (`source` for every stage except a bootstrap, `payload` for livecd-stage3). */
  readonly inputs: Readonly<Partial<Record<InputRole, StageInput>>>;
  readonly outputs: StageOutputs;
  readonly fingerprint: Fingerprint;
  readonly record: FingerprintRecord;
  readonly decision: Decision;
}

/** A whole plan. `stages` is in build order: every stage comes after the stages it needs. */
export interface Plan {
  readonly stages: readonly PlannedStage[];
  /** Planning diagnostics (cycles, unresolved inputs, duplicate outputs, unknown `--only`). */
  readonly diagnostics: readonly Diagnostic[];
}

/** Counts of each decision, for summaries. */
export type DecisionCounts = Readonly<Record<DecisionKind, number>>;
