/**
 * `substrate plan [TREE] [--date D] [--only SEL ...] [--json]`: loads a spec tree, plans it and
 * prints the build order with each stage's output and decision (fresh, build and why, blocked
 * and why). `--json` prints NDJSON: `diagnostic` events, then one `stage-planned` per stage in
 * build order. Exit 1 when the tree or the plan has errors, 2 for usage errors.
 */
import { relative, resolve } from "node:path";
import type { Command } from "commander";
import { toolVersionFor } from "../tool-version.js";
import { collectSelectors } from "../only.js";
import { usageError } from "../usage.js";
import { checkTree, orderDiagnostics } from "../../spec/check.js";
import { isDateStamp, loadTree } from "../../spec/tree.js";
import type { SpecTree } from "../../spec/types.js";
import { makePlan, countDecisions, type Plan } from "../../plan/plan.js";
import { hasErrors, type Diagnostic } from "../../report/diagnostic.js";
import type { Reporter } from "../../report/events.js";
import { writeOutput } from "../../report/output.js";
import { createReporter } from "../../report/reporter.js";
import { CI_ENGINES, type CiEngine, exportPipeline } from "../../plan/render/ci.js";
import { remoteSettings } from "../../remote/settings.js";
import { RemoteStageCache } from "../../remote/stage-cache.js";
import { describeFailure } from "../../report/failure-text.js";
import { type Result, ok } from "../../util/result.js";

/** Options shared by `plan` and `graph`. */
export interface TreeCommandOptions {
  date?: string;
  only?: string[];
  json?: boolean;
  color?: boolean;
}

/** Loads the tree and plans it; undefined (after reporting) when the date is malformed. */
export async function loadAndPlan(
  command: string,
  treeArg: string | undefined,
  opts: TreeCommandOptions,
): Promise<{ tree: SpecTree; plan: Plan; diagnostics: Diagnostic[] } | undefined> {
  if (opts.date !== undefined && !isDateStamp(opts.date)) {
    usageError(command, `--date must be a date written YYYYMMDD, got "${opts.date}"`);
    return undefined;
  }
  // The whole tree is loaded: --only keeps the selected stages *and* what they need.
  const tree = loadTree(
    resolve(treeArg ?? "."),
    opts.date !== undefined ? { date: opts.date } : {},
  );
  const plan = makePlan(tree, {
    toolVersion: await toolVersionFor(tree),
    ...(opts.only !== undefined ? { only: opts.only } : {}),
  });
  const diagnostics = orderDiagnostics([...checkTree(tree), ...plan.diagnostics]);
  return { tree, plan, diagnostics };
}

function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" || rel.startsWith("..") ? path : rel;
}

/** The human text of a plan: one block per stage in build order and a summary line. */
export function formatPlan(
  tree: SpecTree,
  plan: Plan,
  remote?: {
    readonly label: string;
    readonly pushes: boolean;
    readonly hits: ReadonlyMap<string, boolean | string>;
  },
): string {
  const lines: string[] = [];
  const width = Math.max(0, ...plan.stages.map((s) => s.id.length));
  plan.stages.forEach((s, i) => {
    const d = s.decision;
    const hit = remote?.hits.get(s.id);
    const where =
      hit === undefined
        ? ""
        : hit === true
          ? `; in ${remote?.label ?? ""} (fingerprint ${s.fingerprint.slice(0, 12)}…): will be fetched`
          : hit === false
            ? `; not in ${remote?.label ?? ""}: will be built${remote?.pushes === true ? " and pushed" : ""}`
            : `; ${remote?.label ?? ""} cannot be asked: ${hit}`;
    const verdict = d.kind === "fresh" ? "fresh" : `${d.kind}: ${d.reason}${where}`;
    lines.push(`${String(i + 1).padStart(3)}. ${s.id.padEnd(width)}  ${verdict}`);
    lines.push(`     ${" ".repeat(width)}  -> ${display(s.outputs.output)}`);
  });
  const c = countDecisions(plan);
  lines.push(
    `plan for ${display(tree.config.root) || "."} on ${tree.date}: ${plan.stages.length} stage(s), ` +
      `${c.build} to build, ${c.fresh} fresh, ${c.blocked} blocked`,
  );
  return lines.join("\n") + "\n";
}

/**
 * With a remote (`--remote` or `[remote] ref`), asks the registry for each stage to build
 * whether it holds its fingerprint: `true`, `false`, or why it could not be asked.
 */
async function remoteLookups(
  tree: SpecTree,
  plan: Plan,
  ref: string | undefined,
): Promise<
  | Result<
      { label: string; pushes: boolean; hits: Map<string, boolean | string> },
      { message: string; hint?: string }
    >
  | undefined
> {
  const settings = remoteSettings(tree.config.remote, ref === undefined ? {} : { ref });
  if (!settings.ok) return settings;
  if (settings.value === undefined) return undefined;
  const cache = new RemoteStageCache(settings.value);
  const hits = new Map<string, boolean | string>();
  let down: string | undefined;
  for (const s of plan.stages.filter((x) => x.decision.kind === "build")) {
    // One failure to connect is enough: the others would wait as long.
    if (down !== undefined) {
      hits.set(s.id, down);
      continue;
    }
    const h = await cache.has({ name: s.outputs.name, fingerprint: s.fingerprint });
    if (!h.ok && h.error.reason === "download-failed") down = describeFailure(h.error);
    hits.set(s.id, h.ok ? h.value : describeFailure(h.error));
  }
  return ok({ label: cache.label, pushes: cache.pushes, hits });
}

/** One `stage-planned` event per stage, in build order (`plan --json` and `build`). */
export function emitStagesPlanned(
  reporter: Reporter,
  plan: Plan,
  hits?: ReadonlyMap<string, boolean | string>,
): void {
  for (const s of plan.stages) {
    const hit = hits?.get(s.id);
    reporter.emit({
      type: "stage-planned",
      stage: s.id,
      decision: s.decision.kind,
      reason: s.decision.reason,
      output: s.outputs.output,
      fingerprint: s.fingerprint,
      ...(hit === undefined
        ? {}
        : { remote: hit === true ? "hit" : hit === false ? "miss" : "unreachable" }),
    });
  }
}

interface PlanOptions extends TreeCommandOptions {
  export?: string;
  remote?: string;
  runner: string;
}

/** Registers the `plan` command. */
export function registerPlan(program: Command): void {
  program
    .command("plan")
    .description(
      "Show what a build would do: stages in build order, their outputs, and whether each is fresh, to build (and why) or blocked",
    )
    .argument("[tree]", "the spec tree folder (default: the current folder)")
    .option("--date <YYYYMMDD>", "build date (default: today, UTC)")
    .option(
      "--only <selector>",
      "plan only this stage and what it needs (arch/flavour:stage, flavour:stage, arch/flavour, flavour, arch); repeatable or comma-separated",
      collectSelectors,
    )
    .option("--json", "print NDJSON events (diagnostic, stage-planned) instead of text")
    .option("--color", "colour the diagnostics")
    .option(
      "--export <engine>",
      `print a CI pipeline with one job per stage (${CI_ENGINES.join(", ")}); outputs travel through the remote stage cache`,
    )
    .option(
      "--remote <ref>",
      "the remote stage cache (default: [remote] ref): say which stages it holds; with --export, the registry the jobs share",
    )
    .option(
      "--runner <labels>",
      "comma-separated runner labels for the exported jobs",
      "self-hosted,linux,substrate",
    )
    .action(async (treeArg: string | undefined, opts: PlanOptions) => {
      if (opts.export !== undefined && !(CI_ENGINES as readonly string[]).includes(opts.export)) {
        usageError("plan", `--export is ${CI_ENGINES.join(" or ")}, got "${opts.export}"`);
        return;
      }
      const loaded = await loadAndPlan("plan", treeArg, opts);
      if (loaded === undefined) return;
      const { tree, plan, diagnostics } = loaded;
      if (opts.export !== undefined) {
        const remote = opts.remote ?? tree.config.remote?.ref;
        const reporter = createReporter({ text: { diagnostics: "stdout" } });
        for (const diagnostic of diagnostics) reporter.emit({ type: "diagnostic", diagnostic });
        if (remote === undefined) {
          reporter.emit({
            type: "error",
            message:
              "an exported pipeline needs a remote stage cache: its jobs share stages only through it",
            hint: "pass --remote host[:port]/prefix or set [remote] ref in substrate.toml (docs/remote.md)",
          });
          reporter.close();
          process.exitCode = 2;
          return;
        }
        reporter.close();
        if (hasErrors(diagnostics)) {
          process.exitCode = 1;
          return;
        }
        writeOutput(
          exportPipeline(opts.export as CiEngine, plan, {
            tree: display(tree.config.root) || ".",
            treeName: tree.config.name,
            remote,
            runnerLabels: opts.runner
              .split(",")
              .map((l) => l.trim())
              .filter((l) => l !== ""),
          }),
        );
        process.exitCode = 0;
        return;
      }
      const json = opts.json === true;
      const reporter = createReporter({
        json,
        text: { diagnostics: "stdout", color: opts.color === true },
      });
      for (const diagnostic of diagnostics) reporter.emit({ type: "diagnostic", diagnostic });
      const hits = await remoteLookups(tree, plan, opts.remote);
      if (hits !== undefined && !hits.ok) {
        reporter.emit({
          type: "error",
          message: hits.error.message,
          ...(hits.error.hint === undefined ? {} : { hint: hits.error.hint }),
        });
        reporter.close();
        process.exitCode = 2;
        return;
      }
      if (json) emitStagesPlanned(reporter, plan, hits?.value.hits);
      else writeOutput(formatPlan(tree, plan, hits?.value));
      reporter.close();
      process.exitCode = hasErrors(diagnostics) ? 1 : 0;
    });
}
