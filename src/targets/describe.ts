/**
 * What a stage would do, step by step, for `substrate build --dry-run`: the same order the
 * target modules run their steps in, with the spec values that drive each step.
 */
import { describePortageSteps } from "../drivers/portage/describe.js";
import type { PlannedStage } from "../plan/plan.js";
import type { DriverName } from "../spec/types.js";
import { stepsToDescribe } from "./describe-steps.js";
import { TARGETS } from "./registry.js";

/** Human lines, one per step. Portage trees get the driver's own steps after the unpack. */
export function describeSteps(stage: PlannedStage, driver: DriverName): string[] {
  const steps = genericSteps(stage);
  if (driver !== "portage") return steps;
  const portage = describePortageSteps(stage.kind, stage.spec.values);
  const generic = steps.filter((s) => !s.startsWith("build ") || !s.endsWith(" with the driver"));
  const at = generic.findIndex((s) => s.startsWith("unpack ") || s.startsWith("bootstrap "));
  return [...generic.slice(0, at + 1), ...portage, ...generic.slice(at + 1)];
}

function genericSteps(stage: PlannedStage): string[] {
  return TARGETS[stage.kind].describe(stepsToDescribe(stage));
}
