/**
 * The pure half of `substrate build --verify-reproducible`: which stages to check, the plan
 * that rebuilds one stage into a second store from the very inputs the published one was built
 * from, and how two builds' files compare. The effectful half (running the rebuild, hashing,
 * diffoscope) is verify-reproducible.ts. Nothing here touches the disk.
 */
import { createHash } from "node:crypto";
import { dirname, join, relative, sep } from "node:path";
import type { Plan, PlannedStage } from "../plan/plan.js";
import { selectorMatches } from "../plan/plan.js";
import type { StageOutputs } from "../plan/types.js";
import type { StageId } from "../report/events.js";

/**
 * The stages `--verify-reproducible` checks: every stage of the plan, or with `--only` just the
 * stages a selector names (not the inputs `--only` pulls in), in build order. Blocked stages
 * have no output to compare and are left out.
 */
export function stagesToVerify(plan: Plan, only: readonly string[] | undefined): PlannedStage[] {
  const candidates = plan.stages.filter((s) => s.decision.kind !== "blocked");
  if (only === undefined || only.length === 0) return candidates;
  return candidates.filter((s) =>
    only.some((sel) => selectorMatches(sel, s.id, s.spec.flavour, s.spec.stage)),
  );
}

/** `path` moved from under `from` to under `to`; undefined when it is not under `from`. */
function moveUnder(path: string, from: string, to: string): string | undefined {
  const rel = relative(from, path);
  if (rel === "" || rel.startsWith("..") || rel.startsWith(sep)) return undefined;
  return join(to, rel);
}

/**
 * A stage's outputs placed in a second store at `root` (`<root>/builds/...`, `<root>/logs/...`)
 * instead of the tree's: same names, same layout, nothing shared with the published ones.
 */
export function outputsIn(outputs: StageOutputs, root: string): StageOutputs {
  // <builds>/<arch>/<flavour> and <logs>/<flavour>/<file>.
  const builds = dirname(dirname(outputs.flavourDir));
  const logs = dirname(dirname(outputs.log));
  const b = (p: string): string => moveUnder(p, builds, join(root, "builds")) ?? p;
  return {
    ...outputs,
    flavourDir: b(outputs.flavourDir),
    dateDir: b(outputs.dateDir),
    output: b(outputs.output),
    latest: b(outputs.latest),
    pointer: b(outputs.pointer),
    stamp: b(outputs.stamp),
    log: moveUnder(outputs.log, logs, join(root, "logs")) ?? join(root, "logs", outputs.log),
  };
}

/**
 * The plan that rebuilds `stageId` into the second store at `root`: the stage itself, decided
 * `build`, with its outputs in `root`, and the stages it takes input from, decided `fresh` with
 * their published outputs. So the rebuild uses exactly the inputs the published output was made
 * from, and nothing it writes replaces a published file.
 */
export function rebuildPlan(plan: Plan, stageId: StageId, root: string): Plan {
  const stage = plan.stages.find((s) => s.id === stageId);
  if (stage === undefined) throw new Error(`Internal error: ${stageId} is not in the plan`);
  const parents = new Set<StageId>();
  for (const input of Object.values(stage.inputs))
    if (input.type === "stage") parents.add(input.stage);
  const stages: PlannedStage[] = [];
  for (const s of plan.stages) {
    if (parents.has(s.id))
      stages.push({ ...s, decision: { kind: "fresh", reason: "published input" } });
  }
  stages.push({
    ...stage,
    outputs: outputsIn(stage.outputs, root),
    decision: { kind: "build", code: "no-output", reason: "reproducibility check" },
  });
  return { stages, diagnostics: [] };
}

/** One file of an output as both builds made it. */
export interface FilePair {
  /** The file's path relative to the output (`""` for a file output itself). */
  readonly path: string;
  /** sha256 of the published file; undefined when the published output lacks it. */
  readonly published?: string | undefined;
  /** sha256 of the rebuilt file; undefined when the rebuild lacks it. */
  readonly rebuilt?: string | undefined;
}

/** The verdict for one published file (an output, a sidecar, or a file of a payload folder). */
export interface Comparison {
  readonly stage: StageId;
  /** The published file (or folder). */
  readonly output: string;
  /** The rebuilt one, in the second store. */
  readonly rebuilt: string;
  readonly verdict: "reproducible" | "differs";
  /** The digest of a reproducible output: its sha256; a folder's is `folder:` + the sha256 of its sha256sum lines. */
  readonly sha256?: string;
  /** The files of a folder output that differ, are missing or are extra (first ones). */
  readonly differingFiles: readonly string[];
}

/** How many differing files of a folder a comparison names. */
export const MAX_DIFFERING_FILES = 20;

/**
 * Compares the files of one output, as pairs of digests. Reproducible when every file is in
 * both builds with the same digest.
 */
export function compareFiles(
  stage: StageId,
  output: string,
  rebuilt: string,
  pairs: readonly FilePair[],
): Comparison {
  const sorted = [...pairs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const differing = sorted.filter((p) => p.published === undefined || p.published !== p.rebuilt);
  const base = { stage, output, rebuilt };
  if (differing.length > 0 || sorted.length === 0) {
    return {
      ...base,
      verdict: "differs",
      differingFiles: differing.slice(0, MAX_DIFFERING_FILES).map((p) => {
        const name = p.path === "" ? "." : p.path;
        if (p.published === undefined) return `${name} (only in the rebuild)`;
        if (p.rebuilt === undefined) return `${name} (missing from the rebuild)`;
        return name;
      }),
    };
  }
  const only = sorted.length === 1 && sorted[0]?.path === "" ? sorted[0].published : undefined;
  return {
    ...base,
    verdict: "reproducible",
    sha256: only ?? folderDigest(sorted),
    differingFiles: [],
  };
}

/**
 * A folder's digest: sha256 over its `<sha256>  <path>` lines (sorted by path, as
 * `sha256sum` prints them), prefixed `folder:` so it is never taken for a file's.
 */
function folderDigest(pairs: readonly FilePair[]): string {
  const manifest = pairs.map((p) => `${p.published ?? ""}  ${p.path}\n`).join("");
  return `folder:${createHash("sha256").update(manifest).digest("hex")}`;
}

/**
 * The first lines that differ between two listings (`tar -tv`, `unsquashfs -lls`): lines only
 * in the published one as `- line`, only in the rebuilt one as `+ line`, in listing order, at
 * most `max`. Empty when the listings are equal (the difference is then in file contents or in
 * the encoding).
 */
export function listingDiff(published: string, rebuilt: string, max = 40): string[] {
  const a = published.split("\n").filter((l) => l !== "");
  const b = rebuilt.split("\n").filter((l) => l !== "");
  const inA = new Set(a);
  const inB = new Set(b);
  const out: string[] = [];
  // Walk both in order so a changed line shows its old and new form side by side.
  let i = 0;
  let j = 0;
  while ((i < a.length || j < b.length) && out.length < max) {
    const x = a[i];
    const y = b[j];
    if (x !== undefined && y !== undefined && x === y) {
      i++;
      j++;
    } else if (x !== undefined && !inB.has(x)) {
      out.push(`- ${x}`);
      i++;
    } else if (y !== undefined && !inA.has(y)) {
      out.push(`+ ${y}`);
      j++;
    } else {
      // Both lines exist elsewhere in the other listing: only the order differs.
      if (x !== undefined) out.push(`- ${x} (order)`);
      i++;
      j++;
    }
  }
  return out.slice(0, max);
}

/**
 * The paths diffoscope's text report names, outermost first (its `├── <path>` section lines,
 * nested images included), each once, at most `max`: where two files differ, before the
 * details.
 */
export function diffoscopePaths(report: string, max = 20): string[] {
  const out: string[] = [];
  for (const line of report.split("\n")) {
    const m = /^[│ ]*├── (.+)$/.exec(line);
    const path = m?.[1]?.trim();
    if (path === undefined || path === "" || out.includes(path)) continue;
    out.push(path);
    if (out.length >= max) break;
  }
  return out;
}

/** Cuts a tool's text (diffoscope's) to `maxLines` lines, saying how much was left out. */
export function truncateText(text: string, maxLines: number): string {
  const lines = text.replace(/\n+$/, "").split("\n");
  if (lines.length <= maxLines) return lines.join("\n");
  return [
    ...lines.slice(0, maxLines),
    `[... ${lines.length - maxLines} more lines; the full report is in the log]`,
  ].join("\n");
}

/** The summary line for a set of comparisons, e.g. `3 reproducible, 1 differs`. */
export function verifySummary(comparisons: readonly Comparison[]): string {
  const same = comparisons.filter((c) => c.verdict === "reproducible").length;
  const diff = comparisons.length - same;
  return `${same} reproducible, ${diff} differ${diff === 1 ? "s" : ""}`;
}
