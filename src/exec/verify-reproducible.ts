/**
 * `substrate build --verify-reproducible`: after the build, each checked stage is built again
 * in a second store (`<cache>/verify/run-*`, its own work folder, no kept roots) from the very
 * inputs its published output was made from, and every published file is compared with the
 * rebuilt one by sha256. A difference is explained with diffoscope when it is installed, else
 * with a listing diff of the two images. The rebuilt files never replace published ones; the
 * second store is deleted when everything matched and kept (named in the report) otherwise.
 */
import { createHash } from "node:crypto";
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
} from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Driver } from "../drivers/driver.js";
import type { Plan } from "../plan/plan.js";
import type { Event, Reporter } from "../report/events.js";
import { formatDuration } from "../report/format.js";
import { onPath, run } from "../sandbox/process.js";
import { execute } from "./executor.js";
import {
  type Comparison,
  type FilePair,
  compareFiles,
  diffoscopePaths,
  listingDiff,
  rebuildPlan,
  stagesToVerify,
  truncateText,
  verifySummary,
} from "./reproducible.js";

/** What the check needs (mostly the build's own options). */
export interface VerifyOptions {
  readonly plan: Plan;
  readonly driver: Driver;
  /** Where the rebuild's progress goes (not into the build's report). */
  readonly progress: Reporter;
  /** Where the verdicts go. */
  readonly reporter: Reporter;
  readonly cacheDir: string;
  readonly sourceDateEpoch: number;
  readonly signal: AbortSignal;
  readonly only?: readonly string[] | undefined;
  /** Keep the second store even when everything matched. */
  readonly keep?: boolean;
  /** Lines of diffoscope's report shown per differing file. */
  readonly maxDetailLines?: number;
}

/** What the check found. */
export interface VerifyResult {
  readonly ok: boolean;
  readonly comparisons: readonly Comparison[];
  /** Stages whose rebuild failed. */
  readonly failedRebuilds: readonly string[];
  /** The second store, when kept. */
  readonly kept?: string;
}

/**
 * diffoscope's bounds: no sub-archive is opened after 5 minutes, and no diff(1) gets more than
 * 200 000 lines (a hex dump of a whole image would take minutes and gigabytes of memory).
 */
export const DIFFOSCOPE_LIMITS = [
  "--no-progress",
  "--timeout",
  "300",
  "--max-diff-input-lines",
  "200000",
] as const;

/** The reporter the rebuild runs with: its stage events become plain progress lines. */
function rebuildReporter(to: Reporter, root: string): Reporter {
  return {
    emit(e: Event) {
      switch (e.type) {
        case "run-started":
        case "run-finished":
        case "stage-fresh":
        case "stage-planned":
        case "stage-skipped":
          return;
        case "stage-started":
          to.emit({
            type: "info",
            message: `verify: rebuilding ${e.stage} in ${root} (log: ${e.log})`,
          });
          return;
        case "stage-succeeded":
          to.emit({
            type: "info",
            message: `verify: rebuilt ${e.stage} in ${formatDuration(e.durationMs)}`,
          });
          return;
        case "stage-failed":
          to.emit({ ...e, message: `the reproducibility rebuild failed: ${e.message}` });
          return;
        default:
          to.emit(e);
      }
    },
    close() {},
  };
}

async function sha256(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** Every file under `dir` (relative paths, sorted), symlinks as files. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const visit = (rel: string): void => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const p = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) visit(p);
      else out.push(p);
    }
  };
  visit("");
  return out.sort();
}

/** The digest pairs of one published path and its rebuilt twin (files, or a folder's files). */
async function pairsOf(published: string, rebuilt: string): Promise<FilePair[]> {
  // Published names are links into the output's current generation: follow them.
  const a = await stat(published).catch(() => undefined);
  const b = await stat(rebuilt).catch(() => undefined);
  if (a?.isDirectory() === true || b?.isDirectory() === true) {
    const left = a?.isDirectory() === true ? filesUnder(published) : [];
    const right = new Set(b?.isDirectory() === true ? filesUnder(rebuilt) : []);
    const pairs: FilePair[] = [];
    for (const f of new Set([...left, ...right])) {
      pairs.push({
        path: f,
        published: left.includes(f) ? await sha256(join(published, f)) : undefined,
        rebuilt: right.has(f) ? await sha256(join(rebuilt, f)) : undefined,
      });
    }
    return pairs;
  }
  return [
    {
      path: "",
      published: a === undefined ? undefined : await sha256(published),
      rebuilt: b === undefined ? undefined : await sha256(rebuilt),
    },
  ];
}

/** A listing of an image's contents for the fallback diff, or undefined when none applies. */
async function listing(path: string, signal: AbortSignal): Promise<string | undefined> {
  let argv: string[] | undefined;
  if (/\.tar(\.[a-z0-9]+)?$/.test(path))
    argv = ["tar", "--list", "--verbose", "--full-time", "--numeric-owner", "--file", path];
  else if (/\.(squashfs|sfs|img)$/.test(path)) argv = ["unsquashfs", "-lls", "-full-time", path];
  else if (path.endsWith(".iso"))
    argv = ["xorriso", "-indev", path, "-find", "/", "-exec", "lsdl", "--"];
  if (argv === undefined || !onPath(argv[0] ?? "")) return undefined;
  const r = await run({ argv, captureStdout: true, signal });
  return r.ok ? r.value.stdout.replaceAll(path, "<image>") : undefined;
}

/** Why two files differ: diffoscope's report (kept whole in `reportFile`), or a listing diff. */
async function explain(
  publishedName: string,
  rebuiltName: string,
  reportFile: string,
  signal: AbortSignal,
  maxLines: number,
): Promise<{ from: "diffoscope" | "listing" | "none"; lines: string[] }> {
  // diffoscope compares links as links: give it the files.
  const published = realpathSync(publishedName);
  const rebuilt = realpathSync(rebuiltName);
  if (onPath("diffoscope")) {
    const r = await run({
      argv: ["diffoscope", ...DIFFOSCOPE_LIMITS, "--text", reportFile, published, rebuilt],
      signal,
      logFile: `${reportFile}.log`,
    });
    // diffoscope exits 1 when the files differ: that is its success here.
    if (r.ok || r.error.reason === "exit-non-zero") {
      const text = await readFile(reportFile, "utf8").catch(() => "");
      if (text.trim() !== "") {
        const paths = diffoscopePaths(text);
        return {
          from: "diffoscope",
          lines: [
            ...(paths.length > 0 ? [`differing: ${paths.join(" | ")}`] : []),
            ...truncateText(text, maxLines).split("\n"),
          ],
        };
      }
    }
  }
  const [a, b] = [await listing(published, signal), await listing(rebuilt, signal)];
  if (a === undefined || b === undefined) return { from: "none", lines: [] };
  const diff = listingDiff(a, b, maxLines);
  const lines =
    diff.length > 0
      ? diff
      : [
          "the listings of both images are equal: file contents or the encoding differ " +
            "(install diffoscope-minimal for details)",
        ];
  await writeFile(reportFile, lines.join("\n") + "\n");
  return { from: "listing", lines };
}

/** Rebuilds and compares every stage `--verify-reproducible` checks. */
export async function verifyReproducible(opts: VerifyOptions): Promise<VerifyResult> {
  const stages = stagesToVerify(opts.plan, opts.only);
  const verifyDir = join(opts.cacheDir, "verify");
  mkdirSync(verifyDir, { recursive: true });
  const root = mkdtempSync(join(verifyDir, "run-"));
  const comparisons: Comparison[] = [];
  const failedRebuilds: string[] = [];
  const maxLines = opts.maxDetailLines ?? 60;
  for (const stage of stages) {
    if (opts.signal.aborted) break;
    if (!existsSync(stage.outputs.output)) {
      opts.reporter.emit({
        type: "warning",
        message: `verify: ${stage.id} has no published output to compare (${stage.outputs.output})`,
      });
      continue;
    }
    const plan = rebuildPlan(opts.plan, stage.id, root);
    const progress = rebuildReporter(opts.progress, root);
    let outputs: readonly string[] = [];
    const summary = await execute({
      plan,
      driver: opts.driver,
      reporter: {
        emit(e) {
          if (e.type === "stage-succeeded" && e.stage === stage.id) outputs = e.outputs;
          progress.emit(e);
        },
        close() {},
      },
      jobs: 1,
      keepGoing: false,
      cacheDir: opts.cacheDir,
      sourceDateEpoch: opts.sourceDateEpoch,
      signal: opts.signal,
      keptRoots: false,
    });
    if (!summary.ok || outputs.length === 0) {
      failedRebuilds.push(stage.id);
      continue;
    }
    for (const rebuilt of outputs) {
      const published = join(stage.outputs.dateDir, basename(rebuilt));
      const c = compareFiles(stage.id, published, rebuilt, await pairsOf(published, rebuilt));
      comparisons.push(c);
      if (c.verdict === "reproducible") {
        opts.reporter.emit({
          type: "reproducible-check",
          stage: stage.id,
          output: published,
          rebuilt,
          verdict: "reproducible",
          ...(c.sha256 === undefined ? {} : { sha256: c.sha256 }),
          differingFiles: [],
          details: [],
        });
        continue;
      }
      // Explain the first few differing files: the whole output, or files of a folder.
      const details: string[] = [];
      let from: "diffoscope" | "listing" | "none" = "none";
      // A digest file differs because its output does: nothing to explain.
      const digestOnly = /\.(DIGESTS|sha256)$/.test(published);
      const files = digestOnly ? [] : c.differingFiles.filter((f) => !f.endsWith(")")).slice(0, 3);
      for (const f of files) {
        const [p, r] = f === "." ? [published, rebuilt] : [join(published, f), join(rebuilt, f)];
        const suffix = f === "." ? "" : `-${f.replaceAll("/", "_")}`;
        const report = join(root, `${basename(rebuilt)}${suffix}.diff.txt`);
        const e = await explain(p, r, report, opts.signal, maxLines);
        if (e.from !== "none") from = e.from;
        if (f !== ".") details.push(`${f}:`);
        details.push(...e.lines, `(full report: ${report})`);
      }
      opts.reporter.emit({
        type: "reproducible-check",
        stage: stage.id,
        output: published,
        rebuilt,
        verdict: "differs",
        differingFiles: c.differingFiles,
        details,
        detailsFrom: from,
      });
    }
  }
  const ok =
    failedRebuilds.length === 0 &&
    !opts.signal.aborted &&
    comparisons.every((c) => c.verdict === "reproducible");
  const keep = !ok || opts.keep === true;
  if (!keep) rmSync(root, { recursive: true, force: true });
  opts.reporter.emit({
    type: ok ? "info" : "warning",
    message:
      `verify: ${verifySummary(comparisons)}` +
      (failedRebuilds.length > 0 ? `, ${failedRebuilds.length} rebuild(s) failed` : "") +
      (keep ? `; the rebuilt outputs are in ${root}` : ""),
  });
  return { ok, comparisons, failedRebuilds, ...(keep ? { kept: root } : {}) };
}
