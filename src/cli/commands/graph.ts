/**
 * `substrate graph [TREE] [--format dot|mermaid|svg] [-o FILE] [--date D] [--only SEL ...]`: draws
 * the "Substrate Stage Paths" picture of a tree (stages, the seeds they start from, source and
 * payload arrows, grouped by arch/flavour), coloured by the plan's decisions. Without `-o` the
 * picture goes to stdout. Exit 1 when the tree has errors (the picture is still drawn on stdout,
 * but no `-o` file is written).
 */
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { resolveGraph } from "../../plan/graph.js";
import { pictureOf, type Picture } from "../../plan/render/picture.js";
import type { Plan } from "../../plan/plan.js";
import type { SpecTree } from "../../spec/types.js";
import { renderDot } from "../../plan/render/dot.js";
import { renderMermaid } from "../../plan/render/mermaid.js";
import { renderSvg } from "../../plan/render/svg.js";
import { hasErrors } from "../../report/diagnostic.js";
import { writeOutput } from "../../report/output.js";
import { createReporter } from "../../report/reporter.js";
import { collectSelectors } from "../only.js";
import { usageError } from "../usage.js";
import { loadAndPlan, type TreeCommandOptions } from "./plan.js";

interface GraphOptions extends TreeCommandOptions {
  format?: string;
  output?: string;
}

/** The picture formats `--format` takes. */
export const GRAPH_FORMATS = ["dot", "mermaid", "svg"] as const;
const FORMATS = GRAPH_FORMATS;

/** The picture of the planned stages (all of them, or --only and their inputs), coloured by decision. */
export function stagePicture(tree: SpecTree, plan: Plan): Picture {
  const planned = new Set(plan.stages.map((s) => s.id));
  const full = resolveGraph(tree);
  const graph = { ...full, order: full.order.filter((id) => planned.has(id)) };
  const decisions = new Map(plan.stages.map((s) => [s.id, s.decision.kind]));
  return pictureOf(tree, graph, decisions);
}

/**
 * The SVG picture `graph --format svg` draws and every build report shows: titled with the
 * tree and the date, a legend of colours and arrows, and a tooltip per stage with its
 * decision, reason and output path.
 */
export function stagePathsSvg(tree: SpecTree, plan: Plan): string {
  const tooltips = new Map(
    plan.stages.map((s) => [
      s.id,
      `${s.id}\n${s.decision.kind}${s.decision.kind === "fresh" ? "" : `: ${s.decision.reason}`}\n-> ${s.outputs.output}`,
    ]),
  );
  return renderSvg(stagePicture(tree, plan), {
    title: `Substrate Stage Paths: ${tree.config.name}, ${tree.date}`,
    tooltips,
    legend: true,
  });
}

/** Registers the `graph` command. */
export function registerGraph(program: Command): void {
  program
    .command("graph")
    .description("Draw the tree's stage paths (DOT, mermaid or SVG), coloured by plan decision")
    .argument("[tree]", "the spec tree folder (default: the current folder)")
    .option("--format <format>", "dot, mermaid or svg", "dot")
    .option("-o, --output <file>", "write the picture to a file instead of stdout")
    .option("--date <YYYYMMDD>", "build date (default: today, UTC)")
    .option(
      "--only <selector>",
      "draw only this stage and what it needs; repeatable or comma-separated",
      collectSelectors,
    )
    .option("--color", "colour the diagnostics")
    .action(async (treeArg: string | undefined, opts: GraphOptions) => {
      const format = opts.format ?? "dot";
      if (!(FORMATS as readonly string[]).includes(format)) {
        usageError("graph", `--format must be one of ${FORMATS.join(", ")}, got "${format}"`);
        return;
      }
      const loaded = await loadAndPlan("graph", treeArg, opts);
      if (loaded === undefined) return;
      const { tree, plan, diagnostics } = loaded;
      const text =
        format === "svg"
          ? stagePathsSvg(tree, plan)
          : format === "mermaid"
            ? renderMermaid(stagePicture(tree, plan))
            : renderDot(stagePicture(tree, plan));
      // Keep stdout for the picture: diagnostics go to stderr here.
      const reporter = createReporter({
        text: { diagnostics: "stderr", color: opts.color === true },
      });
      for (const diagnostic of diagnostics) reporter.emit({ type: "diagnostic", diagnostic });
      const failed = hasErrors(diagnostics);
      // A file is a deliverable: a tree with errors writes none (stdout still shows the picture).
      if (opts.output !== undefined) {
        if (failed)
          reporter.emit({
            type: "error",
            message: `${opts.output} not written: the tree has errors`,
          });
        else writeFileSync(opts.output, text);
      } else writeOutput(text);
      reporter.close();
      process.exitCode = failed ? 1 : 0;
    });
}
