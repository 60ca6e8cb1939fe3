/**
 * Build-graph resolution: which stage (or which file already in the store) each stage's inputs
 * name, the build order, and the diagnostics for inputs that cannot be resolved and for cycles.
 *
 * A `source_subpath` (or `livecd/payload`) is a store subpath under `builds/`. It names a stage
 * of the tree when it matches that stage's output by substrate's naming convention, either the
 * link `<arch>/<flavour>/<name>-latest[<ext>]` or the dated `<arch>/<flavour>/<date>/<name>-<date>[<ext>]`.
 * A `-latest` name means "the newest output when this stage runs": when the producing stage
 * comes earlier in the build list it is this run's output; when it comes later (or is the stage
 * itself) it is the previous run's output, a seed already in the store. That is how substrate's
 * rolling chain (stage3 of the last run seeds stage1 of this one) stays acyclic.
 * Anything else is a seed file, found the way catalyst does: the exact path, else `<path>.*`
 * minus `.CONTENTS`, `.CONTENTS.gz`, `.DIGESTS`, `.sha256` (and substrate's `.asc`, `.stamp`,
 * `.spdx.json`),
 * which must match exactly one file.
 */
import { basename, dirname, isAbsolute, join, posix, relative } from "node:path";
import type { Diagnostic, SourceSpan } from "../report/diagnostic.js";
import type { StageId } from "../report/events.js";
import { sourceRequired } from "../spec/keys.js";
import { KINDS } from "../spec/kinds/registry.js";
import type { SpecTree, StageSpec } from "../spec/types.js";
import { closest } from "../spec/suggest.js";
import { singleOf } from "../spec/values.js";
import { machineOf } from "../spec/machine.js";
import { stageOutputs } from "./layout.js";
import { KNOWN_EXTENSIONS } from "./naming.js";
import { diskView, type StoreView } from "./store-view.js";
import { INPUT_ROLES, type InputRole, type StageInput, type StageOutputs } from "./types.js";

/** One stage in the graph with its position in the tree's build lists. */
export interface StageNode {
  readonly spec: StageSpec;
  readonly outputs: StageOutputs;
  /** Position in `tree.stages` (the build-list order), used for stable ordering. */
  readonly index: number;
}

/** The resolved graph of a tree. */
export interface StageGraph {
  /** Every stage by id, in tree order. */
  readonly nodes: ReadonlyMap<StageId, StageNode>;
  /** Each stage's inputs by role. */
  readonly inputs: ReadonlyMap<StageId, Readonly<Partial<Record<InputRole, StageInput>>>>;
  /** Every stage, each after the stages it takes input from (stable: otherwise tree order). */
  readonly order: readonly StageId[];
  /** Stages that sit on a cycle. */
  readonly cyclic: ReadonlySet<StageId>;
  readonly diagnostics: readonly Diagnostic[];
}

/** The spec keys that name a stage's inputs, by role, in order of preference. */
export const INPUT_KEYS: Readonly<Record<InputRole, readonly string[]>> = {
  source: ["source_subpath"],
  payload: ["livecd/payload", "livecd/cdtar"],
};

const SEED_SIDE_FILES = [
  ".CONTENTS",
  ".CONTENTS.gz",
  ".DIGESTS",
  ".sha256",
  ".asc",
  ".stamp",
  ".spdx.json",
];

interface IndexEntry {
  readonly id: StageId;
  readonly via: "latest" | "dated";
}

/** The span of a key's value (first token), else of the key, else the file's first line. */
export function keySpan(spec: StageSpec, key: string): SourceSpan {
  const entry = spec.parsed.entries.get(key);
  return (
    spec.tokens?.get(key)?.[0]?.span ??
    entry?.tokens[0]?.span ??
    entry?.keySpan ?? { file: spec.parsed.file, line: 1, col: 1, endCol: 1 }
  );
}

function stripExtension(name: string): string {
  for (const ext of KNOWN_EXTENSIONS) if (name.endsWith(ext)) return name.slice(0, -ext.length);
  return name;
}

/** Normalises a reference to a store subpath (posix, no leading `./`, no trailing `/`). */
function toSubpath(value: string, builds: string): string | undefined {
  if (isAbsolute(value)) {
    const rel = relative(builds, value);
    if (rel.startsWith("..") || isAbsolute(rel)) return undefined;
    return posix.normalize(rel);
  }
  return posix.normalize(value).replace(/^\.\//, "").replace(/\/+$/, "");
}

/** Catalyst's seed lookup: the exact path, else exactly one `<path>.*` that is not a side file. */
export function findSeed(
  path: string,
  view: StoreView,
): { readonly found: string } | { readonly missing: true } | { readonly ambiguous: string[] } {
  if (view.stat(path) !== undefined) return { found: path };
  const dir = dirname(path);
  const base = basename(path);
  const names = view.readdir(dir) ?? [];
  const matches = names
    .filter((n) => n.startsWith(`${base}.`) && !SEED_SIDE_FILES.some((s) => n.endsWith(s)))
    .filter((n) => view.stat(join(dir, n)) !== undefined)
    .sort();
  if (matches.length === 1) return { found: join(dir, matches[0] ?? "") };
  if (matches.length === 0) return { missing: true };
  return { ambiguous: matches.map((n) => join(dir, n)) };
}

/** Resolves every stage's inputs, orders the stages and reports what cannot be resolved. */
export function resolveGraph(tree: SpecTree, view: StoreView = diskView): StageGraph {
  const { config } = tree;
  const builds = config.store.builds;
  const diagnostics: Diagnostic[] = [];
  const nodes = new Map<StageId, StageNode>();
  const index = new Map<string, IndexEntry>();
  const byOutput = new Map<string, StageId>();

  tree.stages.forEach((spec, i) => {
    const outputs = stageOutputs(spec, config, tree.date);
    nodes.set(spec.id, { spec, outputs, index: i });
    const earlier = byOutput.get(outputs.output);
    if (earlier !== undefined) {
      diagnostics.push({
        severity: "error",
        code: "duplicate-output",
        message: `${spec.id} and ${earlier} both build ${relative(builds, outputs.output)}`,
        span: keySpan(spec, "target"),
        hint: "give one of them another flavour, spec name or output name",
      });
    }
    byOutput.set(outputs.output, spec.id);
    // A named ISO or disk image (`livecd/iso`, `diskimage/qcow2`) is a plain file name: it is
    // written in the store's dated folder, where the publish step, the `latest` link and the
    // pointer file expect it (a subfolder, an absolute path or `..` is refused here, not late).
    const rel0 = relative(outputs.dateDir, outputs.output);
    if (rel0 === "" || rel0.includes("/") || rel0.startsWith("..") || isAbsolute(rel0)) {
      const key = outputs.form === "qcow2" ? "diskimage/qcow2" : "livecd/iso";
      diagnostics.push({
        severity: "error",
        code: "output-outside-store",
        message: `${key} puts ${spec.id}'s output at ${outputs.output}, not a file in the store's dated folder ${outputs.dateDir}`,
        span: keySpan(spec, key),
        hint: "name the file alone, without a folder (e.g. `roflmaOS-@latest@.iso`): it is written in the dated folder of the store; copy it elsewhere after the build",
      });
    }
    const add = (key: string, via: IndexEntry["via"]): void => {
      if (!index.has(key)) index.set(key, { id: spec.id, via });
    };
    const dir = posix.join(spec.arch, spec.flavour);
    add(posix.join(dir, `${outputs.name}-latest`), "latest");
    add(posix.join(dir, tree.date, `${outputs.name}-${tree.date}`), "dated");
    const rel = relative(builds, outputs.output);
    if (!rel.startsWith("..")) add(stripExtension(rel.split("\\").join("/")), "dated");
  });

  // The `-latest` names of the tree's outputs, for a did-you-mean on an input no stage builds.
  const latestNames = [...index].filter(([, e]) => e.via === "latest").map(([k]) => k);

  const lookup = (subpath: string): IndexEntry | undefined =>
    index.get(subpath) ?? index.get(stripExtension(subpath));

  // A livecd/cdtar names a tarball path; its basename is what identifies the livecd-stage2.
  const lookupByBasename = (value: string): IndexEntry | undefined => {
    const stem = stripExtension(basename(value));
    for (const [id, node] of nodes) {
      if (node.spec.kind !== "livecd-stage2") continue;
      if (stem === `${node.outputs.name}-latest`) return { id, via: "latest" };
      if (stem === `${node.outputs.name}-${tree.date}`) return { id, via: "dated" };
    }
    return undefined;
  };

  const inputs = new Map<StageId, Partial<Record<InputRole, StageInput>>>();
  const alreadyReported = (spec: StageSpec, key: string): boolean =>
    tree.diagnostics.some(
      (d) => d.severity === "error" && d.span?.file === spec.file && d.message.includes(key),
    );

  for (const [id, node] of nodes) {
    const { spec } = node;
    const resolved: Partial<Record<InputRole, StageInput>> = {};
    for (const role of INPUT_ROLES) {
      if (!KINDS[spec.kind].inputs.includes(role)) continue;
      const key = INPUT_KEYS[role].find((k) => singleOf(spec.values[k]) !== undefined);
      if (key === undefined) {
        // A kind that needs no `source_subpath` with this driver starts from nothing (apt stage3).
        if (role === "source" && !sourceRequired(spec.kind, config.driver)) {
          resolved.source = { type: "bootstrap" };
        } else if (!alreadyReported(spec, INPUT_KEYS[role][0] ?? "")) {
          const keys = INPUT_KEYS[role].join("` or `");
          diagnostics.push({
            severity: "error",
            code: "missing-input",
            message:
              role === "source"
                ? `${id} has no \`source_subpath\`: nothing to build it from`
                : `${id} has no \`${keys}\` naming the livecd-stage2 payload to boot with`,
            span: keySpan(spec, "target"),
            hint:
              role === "source"
                ? "set `source_subpath` to a stage of the tree (e.g. `<arch>/<flavour>/stage3-<arch>-<flavour>-latest`) or a seed under builds/"
                : "add `livecd/payload: <arch>/<flavour>/livecd-stage2-<arch>-<flavour>-latest`",
          });
        }
        continue;
      }
      const value = singleOf(spec.values[key]) ?? "";
      const span = keySpan(spec, key);
      const subpath = toSubpath(value, builds);
      let hit = subpath === undefined ? undefined : lookup(subpath);
      if (hit === undefined && key === "livecd/cdtar") hit = lookupByBasename(value);
      // A `-latest` link to a stage that runs later (or to itself) is the previous run's output.
      if (hit !== undefined && hit.via === "latest") {
        const producer = nodes.get(hit.id);
        if (producer !== undefined && producer.index >= node.index) hit = undefined;
      }
      if (hit !== undefined) {
        resolved[role] = { type: "stage", stage: hit.id, key, value, span };
        continue;
      }
      const path = subpath === undefined ? value : join(builds, subpath);
      const seed = findSeed(path, view);
      if ("found" in seed) {
        resolved[role] = { type: "seed", path: seed.found, found: true, key, value, span };
      } else if ("ambiguous" in seed) {
        resolved[role] = { type: "seed", path, found: false, key, value, span };
        diagnostics.push({
          severity: "error",
          code: "ambiguous-seed",
          message: `${key} names ${value}, which matches ${seed.ambiguous.length} files: ${seed.ambiguous.map((p) => basename(p)).join(", ")}`,
          span,
          hint: "remove the extra files or name the seed with its extension",
        });
      } else {
        resolved[role] = { type: "seed", path, found: false, key, value, span };
        // A name one typo away from an output of the tree is a typo, not a seed to come.
        // (A name of the tree's own, the previous run's output of a later stage, is no typo.)
        const guess =
          subpath === undefined || lookup(subpath) !== undefined
            ? undefined
            : closest(stripExtension(subpath), latestNames);
        // Only the `latest` word mistyped (same folder and output name): surely a typo, an
        // error. Another near name may be a seed of its own: a warning with the suggestion.
        const stem = (p: string): string => p.slice(0, p.lastIndexOf("-") + 1);
        const word = stripExtension(subpath ?? "").slice(stem(subpath ?? "").length);
        if (guess !== undefined && stem(guess) === stem(subpath ?? "") && !/^\d{8}$/.test(word)) {
          diagnostics.push({
            severity: "error",
            code: "unknown-input",
            message: `${key} names ${value}, which no stage in the tree builds and no seed file exists under builds/`,
            span,
            hint: `did you mean \`${guess}\`?`,
          });
          continue;
        }
        diagnostics.push({
          severity: "warning",
          code: "missing-seed",
          message: `${key} names ${value} which no stage in the tree builds and no seed file exists under builds/`,
          span,
          hint: `${guess !== undefined ? `did you mean \`${guess}\`? else ` : ""}put the seed at ${path}.* (or fix the name); ${id} is blocked until it exists`,
        });
      }
    }
    const payload = resolved.payload;
    if (payload?.type === "stage" && nodes.get(payload.stage)?.spec.kind !== "livecd-stage2") {
      diagnostics.push({
        severity: "error",
        code: "payload-not-livecd-stage2",
        message: `${payload.key} names ${payload.stage}, which is a ${nodes.get(payload.stage)?.spec.kind ?? "?"} stage, not a livecd-stage2`,
        span: payload.span ?? keySpan(spec, payload.key),
        hint: "the payload comes from the livecd-stage2 output that holds the kernel and boot files",
      });
    }
    const mixed = mixedArchitectures(nodes, resolved);
    if (mixed !== undefined) {
      diagnostics.push({
        severity: "error",
        code: "mixed-architectures",
        message: `${id} joins a root for ${mixed.source} (${mixed.sourceStage}) with a boot payload for ${mixed.payload} (${mixed.payloadStage}): the ISO could not boot`,
        span: mixed.span ?? keySpan(spec, "livecd/payload"),
        hint: "take the root and the payload from stages of the same architecture",
      });
    }
    inputs.set(id, resolved);
  }

  const { order, cyclic, cycleDiagnostics } = orderStages(nodes, inputs);
  diagnostics.push(...cycleDiagnostics);
  return { nodes, inputs, order, cyclic, diagnostics };
}

function parentsOf(
  ins: Readonly<Partial<Record<InputRole, StageInput>>> | undefined,
): { role: InputRole; input: Extract<StageInput, { type: "stage" }> }[] {
  const out: { role: InputRole; input: Extract<StageInput, { type: "stage" }> }[] = [];
  for (const role of INPUT_ROLES) {
    const input = ins?.[role];
    if (input?.type === "stage") out.push({ role, input });
  }
  return out;
}

/** Depth-first post-order over the tree order: parents first, cycles reported once each. */
function orderStages(
  nodes: ReadonlyMap<StageId, StageNode>,
  inputs: ReadonlyMap<StageId, Readonly<Partial<Record<InputRole, StageInput>>>>,
): { order: StageId[]; cyclic: Set<StageId>; cycleDiagnostics: Diagnostic[] } {
  const state = new Map<StageId, "active" | "done">();
  const order: StageId[] = [];
  const cyclic = new Set<StageId>();
  const cycleDiagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  const stack: StageId[] = [];

  // Iterative DFS so a 1,000-stage chain cannot overflow the call stack.
  for (const root of nodes.keys()) {
    if (state.has(root)) continue;
    const work: { id: StageId; next: number }[] = [{ id: root, next: 0 }];
    state.set(root, "active");
    stack.push(root);
    while (work.length > 0) {
      const top = work[work.length - 1];
      if (top === undefined) break;
      const parents = parentsOf(inputs.get(top.id));
      const edge = parents[top.next];
      if (edge === undefined) {
        work.pop();
        stack.pop();
        state.set(top.id, "done");
        order.push(top.id);
        continue;
      }
      top.next++;
      const parent = edge.input.stage;
      const s = state.get(parent);
      if (s === "done") continue;
      if (s === "active") {
        const hops = stack.slice(stack.indexOf(parent));
        hops.forEach((h) => cyclic.add(h));
        const key = [...hops].sort().join(" ");
        if (!seen.has(key)) {
          seen.add(key);
          cycleDiagnostics.push(cycleDiagnostic(hops, nodes, inputs));
        }
        continue;
      }
      state.set(parent, "active");
      stack.push(parent);
      work.push({ id: parent, next: 0 });
    }
  }
  return { order, cyclic, cycleDiagnostics };
}

/** `hops[i]` takes input from `hops[i+1]` (and the last from the first). */
function cycleDiagnostic(
  hops: readonly StageId[],
  nodes: ReadonlyMap<StageId, StageNode>,
  inputs: ReadonlyMap<StageId, Readonly<Partial<Record<InputRole, StageInput>>>>,
): Diagnostic {
  const related: { message: string; span: SourceSpan }[] = [];
  hops.forEach((from, i) => {
    const to = hops[(i + 1) % hops.length] ?? from;
    const edge = parentsOf(inputs.get(from)).find((e) => e.input.stage === to);
    const spec = nodes.get(from)?.spec;
    if (edge === undefined || spec === undefined) return;
    related.push({
      message: `${from} takes its ${edge.role} from ${to} (${edge.input.key}: ${edge.input.value})`,
      span: edge.input.span ?? keySpan(spec, edge.input.key),
    });
  });
  const first = related[0];
  const path = [...hops, hops[0] ?? ""].join(" -> ");
  return {
    severity: "error",
    code: "cycle",
    message: `stages need each other in a cycle: ${path}`,
    ...(first !== undefined ? { span: first.span } : {}),
    hint: "break the cycle: name an earlier run's output through a `-latest` link of a stage listed later, or a seed",
    related,
  };
}

/** The table lives in spec/machine.ts (the apt driver and livecd-stage2/3 use it too). */
export { machineOf };

/** A livecd-stage3 whose root and payload stages are built for different machines. */
function mixedArchitectures(
  nodes: ReadonlyMap<StageId, StageNode>,
  resolved: Partial<Record<InputRole, StageInput>>,
):
  | {
      source: string;
      sourceStage: StageId;
      payload: string;
      payloadStage: StageId;
      span: SourceSpan | undefined;
    }
  | undefined {
  const { source, payload } = resolved;
  if (source?.type !== "stage" || payload?.type !== "stage") return undefined;
  const machine = (id: StageId): string | undefined => {
    const sub = nodes.get(id)?.spec.values["subarch"];
    return typeof sub === "string" ? machineOf(sub) : undefined;
  };
  const a = machine(source.stage);
  const b = machine(payload.stage);
  if (a === undefined || b === undefined || a === b) return undefined;
  return {
    source: a,
    sourceStage: source.stage,
    payload: b,
    payloadStage: payload.stage,
    span: payload.span,
  };
}
