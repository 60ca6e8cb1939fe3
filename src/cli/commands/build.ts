/**
 * `substrate build [TREE]`: plans the tree and runs the plan. Ctrl-C (or SIGTERM) cancels:
 * running tools are stopped, nothing half-made is published, and the next run resumes from the
 * stages that completed. `--dry-run` prints the decisions and each stage's steps.
 */
import type { Command } from "commander";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { driverFor } from "../../drivers/registry.js";
import { execute, type ExecuteSummary } from "../../exec/executor.js";
import { makePlan, type Plan, type PlannedStage } from "../../plan/plan.js";
import type { SpecTree } from "../../spec/types.js";
import { RecordingReporter, writeBuildReport } from "../build-report.js";
import { hasErrors } from "../../report/diagnostic.js";
import type { Reporter } from "../../report/events.js";
import { createReporter } from "../../report/reporter.js";
import { loadTree } from "../../spec/tree.js";
import { describeSteps } from "../../targets/describe.js";
import { type Result, ok, err } from "../../util/result.js";
import { checkInterpreters } from "../../sandbox/interpreter.js";
import { listOf } from "../../spec/values.js";
import { toolVersionFor } from "../tool-version.js";
import { collectSelectors } from "../only.js";
import { EXIT_FATAL, EXIT_USAGE } from "../exit-codes.js";
import { testIsoAfterBuild } from "./build-and-boot.js";
import { emitStagesPlanned, formatPlan } from "./plan.js";
import { commandLine } from "../command-line.js";
import { treeArgument } from "../help.js";
import { remoteSettings } from "../../remote/settings.js";
import { RemoteStageCache } from "../../remote/stage-cache.js";
import { verifyReproducible } from "../../exec/verify-reproducible.js";

/** Options that cannot go together; the first problem in words, or undefined. */
export function buildOptionProblem(opts: {
  readonly dryRun?: boolean | undefined;
  readonly verifyReproducible?: boolean | undefined;
}): string | undefined {
  if (opts.verifyReproducible === true && opts.dryRun === true)
    return "--verify-reproducible rebuilds stages; it cannot be combined with --dry-run";
  return undefined;
}

interface BuildOptions {
  only?: string[];
  date?: string;
  jobs?: string;
  dryRun?: boolean;
  keepGoing?: boolean;
  json?: boolean;
  test?: boolean;
  keepWork?: boolean;
  cache?: string;
  keyring?: string;
  insecure?: boolean;
  remote?: string;
  push?: boolean;
  verifyReproducible?: boolean;
}

/** SOURCE_DATE_EPOCH: the environment's, else midnight UTC of the build date. */
export function sourceDateEpoch(date: string): number {
  const env = process.env["SOURCE_DATE_EPOCH"];
  if (env !== undefined && /^\d+$/.test(env)) return Number(env);
  const y = Number(date.slice(0, 4));
  const m = Number(date.slice(4, 6));
  const d = Number(date.slice(6, 8));
  return Math.floor(Date.UTC(y, m - 1, d) / 1000);
}

/** Registers `substrate build`. */
export function registerBuild(program: Command): void {
  program
    .command("build")
    .description("Build the stages of a spec tree that are not fresh")
    .addArgument(treeArgument())
    .option(
      "--only <selector>",
      "build only this stage and what it needs (arch/flavour:stage, flavour:stage, arch/flavour, flavour, arch); repeatable or comma-separated",
      collectSelectors,
    )
    .option(
      "--date <YYYYMMDD>",
      "build date (@latest@, output folder); default: today (UTC), yesterday for Portage trees",
    )
    .option("-j, --jobs <n>", "stages to run at once", "2")
    .option("-n, --dry-run", "print what would run, run nothing")
    .option("-k, --keep-going", "after a failure, keep building stages that do not depend on it")
    .option("--test", "boot-test every ISO built (substrate test); a failed boot fails the stage")
    .option("--cache <dir>", "package and work cache folder (overrides the tree's [store] cache)")
    .option("--keyring <file>", "OpenPGP keyring that verifies seeds and snapshots (Portage)")
    .option("--insecure", "use seeds and snapshots whose signatures cannot be checked (Portage)")
    .option("--keep-work", "keep each stage's work folder (build roots) for inspection")
    .option(
      "--remote <ref>",
      "OCI registry shared as a stage cache (host[:port]/prefix; overrides [remote] ref): fetch stages by fingerprint, push what is built",
    )
    .option("--no-push", "with a remote, fetch from it but push nothing")
    .option(
      "--verify-reproducible",
      "then rebuild each stage (or those --only names) in a second store from the same inputs and compare the outputs' sha256; exit 1 on a difference, shown with diffoscope",
    )
    .option("--json", "print NDJSON events instead of text")
    .action(async (tree: string, opts: BuildOptions) => {
      const reporter = createReporter({ json: opts.json === true });
      try {
        process.exitCode = await build(tree, opts, reporter);
      } finally {
        reporter.close();
      }
    });
}

/**
 * The first stage to build whose foreign arch the host cannot run yet (binfmt_misc not mounted,
 * `qemu-<arch>` not registered, ...), with the command that prepares the host. `hostRoot` is for
 * tests.
 */
export function foreignHostProblem(
  stages: readonly PlannedStage[],
  treePath: string,
  hostRoot = "/",
): { readonly message: string; readonly hint: string } | undefined {
  const installCommand = `substrate doctor --install ${treePath}`;
  for (const s of stages.filter((x) => x.decision.kind === "build")) {
    const c = checkInterpreters(listOf(s.spec.values["interpreter"]), { hostRoot, installCommand });
    if (!c.ok) {
      const hint = "hint" in c.error ? c.error.hint : `as root, run ${installCommand}`;
      return { message: `${s.id}: ${c.error.message}`, hint };
    }
  }
  return undefined;
}

/**
 * The work folder a failed stage left under `<cache>/work` (kept with `--keep-work`): the
 * entry named after the stage id, else the work folder itself.
 */
export function keptWorkFolder(cacheDir: string, stage: string): string {
  const work = join(cacheDir, "work");
  const name = stage.replace(/[/:]/g, "_");
  try {
    const entries = readdirSync(work);
    const found = entries.includes(name) ? name : entries.find((e) => e.startsWith(name));
    return found === undefined ? work : join(work, found);
  } catch {
    return work;
  }
}

/** Passes events on, naming the kept work folder in each `stage-failed` (`--keep-work`). */
function withKeptWork(reporter: Reporter, cacheDir: string): Reporter {
  return {
    emit(event) {
      reporter.emit(
        event.type === "stage-failed" && event.reason !== "locked"
          ? { ...event, workKept: keptWorkFolder(cacheDir, event.stage) }
          : event,
      );
    },
    close() {
      reporter.close();
    },
  };
}

/**
 * Writes the run's report.html; names it when the run did something (a run that found every
 * stage fresh writes it quietly). A report that cannot be written is a warning, not a failure.
 */
function reportRun(
  tree: SpecTree,
  plan: Plan,
  recorder: RecordingReporter,
  started: number,
  summary: ExecuteSummary | undefined,
): void {
  try {
    const file = writeBuildReport({
      tree,
      plan,
      events: recorder.events,
      started,
      command: commandLine(),
    });
    if (summary === undefined || summary.built.length + summary.failed.length > 0)
      recorder.emit({ type: "info", message: `report: ${file}` });
  } catch (e) {
    recorder.emit({
      type: "warning",
      message: `report.html not written: ${e instanceof Error ? e.message : String(e)}`,
    });
  }
}

function parseJobs(text: string | undefined): Result<number, string> {
  const n = Number(text ?? "2");
  return Number.isInteger(n) && n >= 1
    ? ok(n)
    : err(`--jobs takes a whole number >= 1, not ${text}`);
}

async function build(treePath: string, opts: BuildOptions, reporter: Reporter): Promise<number> {
  const jobs = parseJobs(opts.jobs);
  if (!jobs.ok) {
    reporter.emit({ type: "error", message: jobs.error });
    return EXIT_USAGE;
  }
  const problem = buildOptionProblem(opts);
  if (problem !== undefined) {
    reporter.emit({ type: "usage-error", command: "build", message: problem });
    return EXIT_USAGE;
  }
  if (opts.date !== undefined && !/^\d{8}$/.test(opts.date)) {
    reporter.emit({ type: "error", message: `--date takes YYYYMMDD, not ${opts.date}` });
    return EXIT_USAGE;
  }
  const tree = loadTree(treePath, opts.date === undefined ? {} : { date: opts.date });
  const date = tree.date;
  for (const d of tree.diagnostics) reporter.emit({ type: "diagnostic", diagnostic: d });
  if (hasErrors(tree.diagnostics)) return 1;
  const driver = driverFor(tree.config.driver, tree.config, {
    ...(opts.keyring === undefined ? {} : { keyring: resolve(opts.keyring) }),
    ...(opts.insecure === true ? { insecure: true } : {}),
  });
  const plan = makePlan(tree, {
    ...(opts.only ? { only: opts.only } : {}),
    toolVersion: await toolVersionFor(tree),
  });
  for (const d of plan.diagnostics) reporter.emit({ type: "diagnostic", diagnostic: d });
  if (hasErrors(plan.diagnostics)) return 1;
  emitStagesPlanned(reporter, plan);
  if (opts.dryRun === true) {
    // The human views show no stage-planned lines (the run's own lines say what happens to each
    // stage); a dry run prints the plan as `substrate plan` does instead.
    if (opts.json !== true)
      reporter.emit({ type: "info", message: formatPlan(tree, plan).trimEnd() });
    // Blocked stages too: the steps are what runs once the missing seed is there.
    for (const s of plan.stages.filter((x) => x.decision.kind !== "fresh")) {
      const when = s.decision.kind === "blocked" ? ` (once unblocked: ${s.decision.reason})` : "";
      reporter.emit({ type: "info", message: `${s.id} would run${when}:` });
      for (const step of describeSteps(s, driver))
        reporter.emit({ type: "info", message: `    ${step}` });
    }
    return 0;
  }
  if (
    (opts.verifyReproducible === true || plan.stages.some((s) => s.decision.kind === "build")) &&
    process.getuid?.() !== 0
  ) {
    reporter.emit({
      type: "error",
      message:
        "substrate build must run as root: stages are built in chroots inside private mount namespaces",
      hint: `run it again as root: ${commandLine()}`,
    });
    return EXIT_FATAL;
  }
  const foreign = foreignHostProblem(plan.stages, treePath);
  if (foreign !== undefined) {
    reporter.emit({ type: "error", ...foreign });
    return EXIT_FATAL;
  }
  const remote = remoteSettings(tree.config.remote, {
    ...(opts.remote === undefined ? {} : { ref: opts.remote }),
    ...(opts.push === false ? { noPush: true } : {}),
  });
  if (!remote.ok) {
    reporter.emit({
      type: "error",
      message: remote.error.message,
      ...(remote.error.hint === undefined ? {} : { hint: remote.error.hint }),
    });
    return EXIT_USAGE;
  }
  const cacheDir = opts.cache === undefined ? tree.config.store.cache : resolve(opts.cache);
  // Files substrate and the tools create get the same modes whatever the caller's umask.
  process.umask(0o022);
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    reporter.emit({
      type: "warning",
      message: `${sig}: stopping; nothing half-built is published (press Ctrl-C again to quit at once)`,
    });
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // Every event of the run also goes into the build's report.html.
  const started = Date.now();
  const base = reporter;
  const recorder = new RecordingReporter(reporter);
  reporter = recorder;
  let summary: ExecuteSummary | undefined;
  try {
    summary = await execute({
      plan,
      driver,
      reporter: opts.keepWork === true ? withKeptWork(reporter, cacheDir) : reporter,
      jobs: jobs.value,
      keepGoing: opts.keepGoing === true,
      cacheDir,
      sourceDateEpoch: sourceDateEpoch(date),
      signal: controller.signal,
      keepWork: opts.keepWork === true,
      ...(tree.config.secureBoot === undefined
        ? {}
        : { secureBootKeys: tree.config.secureBoot.keys }),
      seed: Number(process.env["SUBSTRATE_SHUFFLE_SEED"] ?? "0") || 0,
      ...(remote.value === undefined ? {} : { remote: new RemoteStageCache(remote.value) }),
      ...(opts.test === true
        ? {
            afterStage: (s: PlannedStage) =>
              testIsoAfterBuild(
                s,
                reporter,
                controller.signal,
                tree.config.secureBoot !== undefined,
              ),
          }
        : {}),
    });
    for (const s of plan.stages) {
      if (
        s.outputs.form === "iso" &&
        (summary.built.includes(s.id) || summary.fresh.includes(s.id))
      ) {
        reporter.emit({
          type: "info",
          message:
            `ISO: ${s.outputs.output}\n` +
            `  boot it:  substrate boot ${s.outputs.output}\n` +
            `  test it:  substrate test ${s.outputs.output}\n` +
            `  libvirt:  substrate virt-install ${s.outputs.output}`,
        });
      }
    }
    if (!summary.ok) return 1;
    if (opts.verifyReproducible === true) {
      const v = await verifyReproducible({
        plan,
        driver,
        // The rebuild's progress goes to the terminal, not into report.html's stages.
        progress: base,
        reporter,
        cacheDir,
        sourceDateEpoch: sourceDateEpoch(date),
        signal: controller.signal,
        only: opts.only,
        keep: opts.keepWork === true,
      });
      if (!v.ok) return 1;
    }
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    reportRun(tree, plan, recorder, started, summary);
  }
}
