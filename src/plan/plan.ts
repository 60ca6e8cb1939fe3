/**
 * The planner: from a loaded spec tree to a plan. Resolves the graph, restricts it to the
 * stages `--only` asks for (plus everything they need), fingerprints every stage in build order
 * and decides per stage whether it is fresh, must be built (and why), or is blocked.
 * Pure: it reads the store (stamps, outputs, seeds, referenced files) but never writes.
 */
import type { Diagnostic } from "../report/diagnostic.js";
import type { StageId } from "../report/events.js";
import type { SpecTree } from "../spec/types.js";
import {
  canonicalJson,
  diffRecords,
  fingerprintOf,
  fingerprintRecord,
  seedInput,
  type InputIdentity,
  type PathRecord,
} from "./fingerprint.js";
import { resolveGraph, type StageGraph } from "./graph.js";
import { diskView, readStampFile, type StoreView } from "./store-view.js";
import {
  INPUT_ROLES,
  type Decision,
  type DecisionCounts,
  type Fingerprint,
  type InputRole,
  type Plan,
  type PlannedStage,
  type Stamp,
} from "./types.js";

export type * from "./types.js";

/** Options for `makePlan`. */
export interface PlanOptions {
  /** `flavour:stage` or `arch/flavour:stage` selectors; the plan holds them and what they need. */
  readonly only?: readonly string[];
  /** Host tool versions, recorded in every fingerprint (a tool upgrade rebuilds). */
  readonly toolVersion: string;
  /** Reads a stage's stamp; default: parse `<output>.stamp` through `view`. */
  readonly readStamp?: (stampPath: string) => Stamp | undefined;
  /** The file-system view; default: the real disk. */
  readonly view?: StoreView;
}

/** Matches one `--only` selector against a stage (`arch/flavour:stage` or `flavour:stage`). */
export function selectorMatches(
  selector: string,
  id: StageId,
  flavour: string,
  stage: string,
): boolean {
  return selector === id || selector === `${flavour}:${stage}`;
}

/** The stages `only` selects plus every stage they take input from; diagnostics for unknown selectors. */
export function selectStages(
  graph: StageGraph,
  only: readonly string[] | undefined,
): { selected: Set<StageId>; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  if (only === undefined || only.length === 0)
    return { selected: new Set(graph.nodes.keys()), diagnostics };
  const selected = new Set<StageId>();
  const visit = (id: StageId): void => {
    if (selected.has(id)) return;
    selected.add(id);
    for (const role of INPUT_ROLES) {
      const input = graph.inputs.get(id)?.[role];
      if (input?.type === "stage") visit(input.stage);
    }
  };
  for (const selector of only) {
    const hits = [...graph.nodes.values()].filter((n) =>
      selectorMatches(selector, n.spec.id, n.spec.flavour, n.spec.stage),
    );
    if (hits.length === 0) {
      const known = [...graph.nodes.values()].map((n) => `${n.spec.flavour}:${n.spec.stage}`);
      diagnostics.push({
        severity: "error",
        code: "unknown-stage",
        message: `--only ${selector} names no stage of the tree`,
        hint: `stages are: ${[...new Set(known)].join(", ")}`,
      });
    }
    for (const n of hits) visit(n.spec.id);
  }
  return { selected, diagnostics };
}

/** Builds the plan for a tree: build order, output paths, fingerprints and decisions. */
export function makePlan(tree: SpecTree, opts: PlanOptions): Plan {
  const view = opts.view ?? diskView;
  const readStamp = opts.readStamp ?? ((p: string) => readStampFile(view, p));
  const graph = resolveGraph(tree, view);
  const { selected, diagnostics: selectDiagnostics } = selectStages(graph, opts.only);
  const cache = new Map<string, PathRecord>();
  const planned = new Map<StageId, PlannedStage>();
  const stages: PlannedStage[] = [];

  for (const id of graph.order) {
    if (!selected.has(id)) continue;
    const node = graph.nodes.get(id);
    if (node === undefined) throw new Error(`Internal error: ${id} is ordered but not a node`);
    const inputs = graph.inputs.get(id) ?? {};
    const identities: Partial<Record<InputRole, InputIdentity>> = {};
    for (const role of INPUT_ROLES) {
      const input = inputs[role];
      if (input === undefined) continue;
      switch (input.type) {
        case "stage":
          identities[role] = {
            stage: input.stage,
            // A parent on a cycle is not planned before its child; the child is blocked anyway.
            fingerprint: planned.get(input.stage)?.fingerprint ?? ("cycle" as Fingerprint),
          };
          break;
        case "seed":
          identities[role] = seedInput(input.path, tree.config, view);
          break;
        case "bootstrap":
          identities[role] = { bootstrap: true };
          break;
      }
    }
    const record = fingerprintRecord(
      {
        spec: node.spec,
        config: tree.config,
        date: tree.date,
        inputs: identities,
        toolVersion: opts.toolVersion,
      },
      view,
      cache,
    );
    const fingerprint = fingerprintOf(record);
    const base = {
      id,
      spec: node.spec,
      kind: node.spec.kind,
      inputs,
      outputs: node.outputs,
      fingerprint,
      record,
    };
    const decision = decide(base, graph.cyclic.has(id), planned, view, readStamp);
    const stage: PlannedStage = { ...base, decision };
    planned.set(id, stage);
    stages.push(stage);
  }
  // With --only, problems of stages left out of the plan are not this plan's problems.
  const files = new Set(stages.map((s) => s.spec.parsed.file));
  const graphDiagnostics =
    opts.only === undefined || opts.only.length === 0
      ? graph.diagnostics
      : graph.diagnostics.filter((d) => d.span === undefined || files.has(d.span.file));
  return { stages, diagnostics: [...graphDiagnostics, ...selectDiagnostics] };
}

function decide(
  stage: Omit<PlannedStage, "decision">,
  onCycle: boolean,
  planned: ReadonlyMap<StageId, PlannedStage>,
  view: StoreView,
  readStamp: (stampPath: string) => Stamp | undefined,
): Decision {
  if (onCycle) return { kind: "blocked", code: "cycle", reason: "its inputs form a cycle" };
  for (const role of INPUT_ROLES) {
    const input = stage.inputs[role];
    if (input?.type === "seed" && !input.found) {
      const glob = view.stat(input.path) === undefined ? `${input.path}.*` : input.path;
      return { kind: "blocked", code: "needs-seed", reason: `needs seed ${glob}` };
    }
    if (input?.type === "stage" && planned.get(input.stage)?.decision.kind === "blocked") {
      return { kind: "blocked", code: "input-blocked", reason: `input ${input.stage} is blocked` };
    }
  }
  const outStat = view.stat(stage.outputs.output);
  if (outStat === undefined) {
    return { kind: "build", code: "no-output", reason: "no output yet" };
  }
  const stamp = readStamp(stage.outputs.stamp);
  if (stamp === undefined) {
    return { kind: "build", code: "no-stamp", reason: "output has no freshness stamp" };
  }
  // A replaced, truncated or touched output is not the one its stamp describes (cheap check;
  // the full digest is verified before an output is used as an input).
  if (
    stamp.output !== undefined &&
    (stamp.output.size !== outStat.size || Math.abs(stamp.output.mtimeMs - outStat.mtimeMs) >= 1)
  ) {
    return {
      kind: "build",
      code: "output-changed",
      reason: "output changed since it was published (size or mtime differs from its stamp)",
    };
  }
  if (stamp.fingerprint === stage.fingerprint) return { kind: "fresh", reason: "up to date" };
  const diff = diffRecords(stamp.record, stage.record);
  if (diff.startsWith("parent ") || diff.includes(" input changed")) {
    const oldInputs = (stamp.record["inputs"] ?? {}) as Record<string, unknown>;
    const newInputs = stage.record["inputs"] as Record<string, unknown>;
    for (const role of INPUT_ROLES) {
      const input = stage.inputs[role];
      if (input?.type !== "stage") continue;
      if (canonicalJson(oldInputs[role]) === canonicalJson(newInputs[role])) continue;
      if (planned.get(input.stage)?.decision.kind === "build") {
        return {
          kind: "build",
          code: "parent-rebuilt",
          reason: `parent ${input.stage} will be rebuilt`,
        };
      }
    }
  }
  return {
    kind: "build",
    code: "input-changed",
    reason: diff === "no input changed" ? "fingerprint changed" : diff,
  };
}

/** How many stages of a plan are fresh, to build, blocked. */
export function countDecisions(plan: Plan): DecisionCounts {
  const counts = { fresh: 0, build: 0, blocked: 0 };
  for (const s of plan.stages) counts[s.decision.kind]++;
  return counts;
}
