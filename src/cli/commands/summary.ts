/**
 * `substrate summary [TREE] [--date D] [--only SEL] [--json]`: the fully resolved configuration
 * of every stage, as `mkosi summary` shows it: the tree's config (name, driver, store, tokens,
 * arches), the driver's settings and identity (what every fingerprint records), and per stage
 * its spec values after token substitution (computed keys marked), resolved inputs, output
 * paths, fingerprint and decision, and the steps a build would run (as `build --dry-run` lists
 * them). Everything comes from the spec and plan layers; nothing is worked out again here.
 */
import { relative } from "node:path";
import type { Command } from "commander";
import { collectSelectors } from "../only.js";
import { loadAndPlan, type TreeCommandOptions } from "./plan.js";
import { driverFor } from "../../drivers/registry.js";
import type { PlannedStage, StageInput } from "../../plan/plan.js";
import { hasErrors } from "../../report/diagnostic.js";
import { writeOutput } from "../../report/output.js";
import { createReporter } from "../../report/reporter.js";
import type { SpecValue, TreeConfig } from "../../spec/types.js";
import { describeSteps } from "../../targets/describe.js";

function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" || rel.startsWith("..") ? path : rel;
}

/** A value as JSON without source spans (they are where, not what). */
function withoutSpans(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (k, v: unknown) => (k === "span" ? undefined : v)));
}

function inputText(input: StageInput): string {
  switch (input.type) {
    case "stage":
      return `stage ${input.stage} (${input.key}: ${input.value})`;
    case "seed":
      return `seed ${display(input.path)}${input.found ? "" : " (missing)"} (${input.key}: ${input.value})`;
    case "bootstrap":
      return "bootstrapped by the driver";
  }
}

function valueLines(key: string, value: SpecValue, computed: boolean): string[] {
  const mark = computed ? "  (computed)" : "";
  if (value === null) return [`    ${key}:${mark}`];
  if (typeof value === "string") return [`    ${key}: ${value}${mark}`];
  // Short lists on one line (`livecd/fsops: -comp zstd`), long ones one item a line.
  if (value.join(" ").length <= 60) return [`    ${key}: ${value.join(" ")}${mark}`];
  return [`    ${key}:${mark}`, ...value.map((v) => `        ${v}`)];
}

function configLines(config: TreeConfig, date: string, identity: string): string[] {
  const lines = [
    `tree ${display(config.root) || "."} (${display(config.file)})`,
    `  name: ${config.name}`,
    `  date: ${date}`,
    `  driver: ${config.driver}`,
    `  driver identity: ${identity}`,
  ];
  if (config.apt !== undefined) {
    const a = config.apt;
    lines.push(
      `  apt: suite ${a.suite}, mirror ${a.mirror}, components ${a.components.join(" ")}` +
        (a.variant !== undefined ? `, variant ${a.variant}` : "") +
        (a.keyring !== undefined ? `, keyring ${display(a.keyring)}` : ""),
    );
  }
  if (config.driver === "portage") lines.push(`  mirrors: ${config.mirrors.join(" ")}`);
  if (config.secureBoot !== undefined)
    lines.push(`  secureboot: keys ${display(config.secureBoot.keys)} (livecd-stage2 signs)`);
  lines.push(
    `  store: builds ${display(config.store.builds)}, logs ${display(config.store.logs)}, cache ${display(config.store.cache)}`,
  );
  for (const [k, v] of Object.entries(config.tokens)) lines.push(`  token @${k}@: ${v}`);
  for (const a of config.arches) {
    const parts = [`subarch ${a.subarch}`];
    if (a.cflags !== undefined) parts.push(`cflags "${a.cflags}"`);
    if (a.interpreter !== undefined) parts.push(`interpreter ${a.interpreter.join(" ")}`);
    lines.push(`  arch ${a.name}: ${parts.join(", ")}`);
  }
  return lines;
}

function stageLines(s: PlannedStage, steps: readonly string[]): string[] {
  const d = s.decision;
  const lines = [
    "",
    `${s.id}  (${s.kind}, ${display(s.spec.file)})`,
    `  decision: ${d.kind === "fresh" ? "fresh" : `${d.kind}: ${d.reason}`}`,
    `  fingerprint: ${s.fingerprint}`,
  ];
  for (const [role, input] of Object.entries(s.inputs))
    lines.push(`  ${role}: ${inputText(input)}`);
  lines.push(`  output: ${display(s.outputs.output)}`);
  lines.push(`  latest: ${display(s.outputs.latest)}`);
  lines.push(`  log: ${display(s.outputs.log)}`);
  lines.push("  values:");
  for (const [k, v] of Object.entries(s.spec.values))
    lines.push(...valueLines(k, v, s.spec.computed.has(k)));
  lines.push("  steps:");
  for (const step of steps) lines.push(`    ${step}`);
  return lines;
}

/** Registers `substrate summary`. */
export function registerSummary(program: Command): void {
  program
    .command("summary")
    .description(
      "Show each stage's fully resolved configuration: spec values after tokens, tree config, driver settings, inputs, outputs and steps",
    )
    .argument("[tree]", "the spec tree folder (default: the current folder)")
    .option("--date <YYYYMMDD>", "build date (default: today, UTC; yesterday for Portage trees)")
    .option(
      "--only <selector>",
      "only this stage and what it needs (arch/flavour:stage, flavour:stage, ...); repeatable or comma-separated",
      collectSelectors,
    )
    .option("--json", "print one JSON document instead of text")
    .action(async (treeArg: string | undefined, opts: TreeCommandOptions) => {
      const loaded = await loadAndPlan("summary", treeArg, opts);
      if (loaded === undefined) return;
      const { tree, plan, diagnostics } = loaded;
      const reporter = createReporter({ json: opts.json === true, text: {} });
      for (const diagnostic of diagnostics.filter((d) => d.severity === "error"))
        reporter.emit({ type: "diagnostic", diagnostic });
      reporter.close();
      if (hasErrors(diagnostics)) {
        process.exitCode = 1;
        return;
      }
      const driver = driverFor(tree.config.driver, tree.config);
      const identity = await driver.identity();
      const steps = new Map(plan.stages.map((s) => [s.id, describeSteps(s, driver)]));
      if (opts.json === true) {
        writeOutput(
          JSON.stringify({
            tree: withoutSpans(tree.config),
            date: tree.date,
            driver: { name: driver.name, identity, bootLoader: driver.bootLoader },
            stages: plan.stages.map((s) => ({
              id: s.id,
              kind: s.kind,
              file: s.spec.file,
              values: s.spec.values,
              computed: [...s.spec.computed],
              inputs: withoutSpans(s.inputs),
              outputs: s.outputs,
              fingerprint: s.fingerprint,
              decision: s.decision,
              steps: steps.get(s.id) ?? [],
            })),
          }) + "\n",
        );
        return;
      }
      const lines = configLines(tree.config, tree.date, identity);
      for (const s of plan.stages) lines.push(...stageLines(s, steps.get(s.id) ?? []));
      writeOutput(lines.join("\n") + "\n");
    });
}
