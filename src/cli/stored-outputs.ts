/**
 * What a tree has in its store, for `status` and `clean`: every dated output of the tree's
 * stages (whatever `--date` it was built for), each judged by the planner as `build --date
 * <its date>` would judge it (fresh, or stale and why), with its sidecars and the files of its
 * publish folder; the files in the tree's dated folders that no stage of the tree made; the
 * tree's logs. The decisions are `makePlan`'s, never worked out again here.
 */
import { readdirSync, realpathSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { makePlan, type PlannedStage } from "../plan/plan.js";
import { readStampFile, diskView } from "../plan/store-view.js";
import { loadTree } from "../spec/tree.js";
import { diskUsage } from "../store/usage.js";
import type { SpecTree } from "../spec/types.js";

/** One output of the tree found in its store. */
export interface StoredOutput {
  readonly stage: string;
  readonly date: string;
  /** The public name (`<date dir>/<output>`). */
  readonly path: string;
  /** Size in bytes of what the public name leads to (a folder: its disk usage). */
  readonly size: number;
  readonly mtime: string;
  /** The stamp's fingerprint (undefined: not made by substrate, or its stamp is gone). */
  readonly fingerprint?: string;
  /** `fresh`, or `build`/`blocked` (stale) as `plan --date <date>` decides now. */
  readonly decision: PlannedStage["decision"];
  /** Public sidecar names beside it (`.DIGESTS`, `.sha256`, `.CONTENTS.gz`, `.stamp`, extras). */
  readonly sidecars: readonly string[];
  /** `.<output>.pub`, the folder of its published generations, when there is one. */
  readonly publishFolder?: string;
  /** True when the stage's `-latest` link names this output. */
  readonly latest: boolean;
  /** The `-latest` link and pointer file of the stage (they may name another date). */
  readonly latestLink: string;
  readonly pointer: string;
  /** The stage's store lock (`<flavour dir>/.locks/<name>.lock`). */
  readonly lock: string;
}

/** Everything `storedOutputs` found. */
export interface StoreContents {
  readonly outputs: readonly StoredOutput[];
  /** Entries of the tree's dated folders that are no output (or sidecar) of a tree stage. */
  readonly others: readonly string[];
  /** Logs of the tree's stages, each with the stage lock guarding it. */
  readonly logs: readonly { readonly path: string; readonly lock: string }[];
  /** `<builds>/<arch>/<flavour>` of every tree stage. */
  readonly flavourDirs: readonly string[];
}

const DATE = /^\d{8}$/;

function names(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function real(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** The public names an output was published with (the files of its current generation). */
function publishedNames(dateDir: string, base: string): { names: string[]; pub?: string } {
  const pub = join(dateDir, `.${base}.pub`);
  const gen = real(join(pub, "current"));
  const fromGen = gen === undefined ? [] : names(gen);
  const plain = names(dateDir).filter((n) => n.startsWith(`${base}.`) && !n.endsWith(".partial"));
  const all = [...new Set([...fromGen, ...plain])].filter((n) => n !== base).sort();
  return {
    names: all.filter((n) => diskView.lstat(join(dateDir, n)) !== undefined),
    ...(diskView.lstat(pub) !== undefined ? { pub } : {}),
  };
}

/** The tree's outputs in its store for every date found there. */
export function storedOutputs(tree: SpecTree, toolVersion: string): StoreContents {
  const base = makePlan(tree, { toolVersion });
  const flavourDirs = [...new Set(base.stages.map((s) => s.outputs.flavourDir))].sort();
  const dates = new Set<string>();
  for (const dir of flavourDirs)
    for (const n of names(dir))
      if (DATE.test(n) && diskView.stat(join(dir, n))?.type === "dir") dates.add(n);
  const outputs: StoredOutput[] = [];
  const claimed = new Set<string>();
  for (const date of [...dates].sort()) {
    const dated = date === tree.date ? tree : loadTree(tree.config.file, { date });
    const plan = date === tree.date ? base : makePlan(dated, { toolVersion });
    for (const s of plan.stages) {
      const out = s.outputs;
      const lst = diskView.lstat(out.output);
      if (lst === undefined) continue;
      const st = diskView.stat(out.output);
      const side = publishedNames(out.dateDir, basename(out.output));
      claimed.add(out.output);
      for (const n of side.names) claimed.add(join(out.dateDir, n));
      if (side.pub !== undefined) claimed.add(side.pub);
      const stamp = readStampFile(diskView, out.stamp);
      const latestTarget = real(out.latest);
      outputs.push({
        stage: s.id,
        date,
        path: out.output,
        size: st?.type === "file" ? st.size : diskUsage(real(out.output) ?? out.output).bytes,
        mtime: new Date(st?.mtimeMs ?? lst.mtimeMs).toISOString(),
        ...(stamp !== undefined ? { fingerprint: stamp.fingerprint } : {}),
        decision: s.decision,
        sidecars: side.names.map((n) => join(out.dateDir, n)),
        ...(side.pub !== undefined ? { publishFolder: side.pub } : {}),
        latest: latestTarget !== undefined && latestTarget === real(out.output),
        latestLink: out.latest,
        pointer: out.pointer,
        lock: join(out.flavourDir, ".locks", `${out.name}.lock`),
      });
    }
  }
  const others: string[] = [];
  for (const dir of flavourDirs)
    for (const date of [...dates].sort())
      for (const n of names(join(dir, date))) {
        const p = join(dir, date, n);
        if (claimed.has(p) || n.startsWith(".tmp-") || n.startsWith(".old-")) continue;
        others.push(p);
      }
  const logs: { path: string; lock: string }[] = [];
  const seen = new Set<string>();
  for (const s of base.stages) {
    const logDir = dirname(s.outputs.log);
    const lock = join(s.outputs.flavourDir, ".locks", `${s.outputs.name}.lock`);
    const pattern = new RegExp(`^${s.outputs.name.replace(/[.+]/g, "\\$&")}-\\d{8}\\.log$`);
    for (const n of names(logDir)) {
      const p = join(logDir, n);
      if (!pattern.test(n) || seen.has(p)) continue;
      seen.add(p);
      logs.push({ path: p, lock });
    }
  }
  return { outputs, others, logs, flavourDirs };
}
