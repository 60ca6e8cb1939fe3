/**
 * What a stage would do, step by step, for `substrate build --dry-run`: the same order the
 * target modules run their steps in, with the spec values that drive each step. The driver
 * describes its own steps through {@link Driver.describeStage}; each kind's `describe` places
 * them after its source line.
 */
import type { Driver } from "../drivers/driver.js";
import type { PlannedStage } from "../plan/plan.js";
import { stepsToDescribe } from "./describe-steps.js";
import { TARGETS } from "./registry.js";

/** Human lines, one per step, with the driver's own steps after the unpack. */
export function describeSteps(stage: PlannedStage, driver: Driver): string[] {
  const own = driver.describeStage?.(stage.kind, stage.spec.values) ?? [];
  return TARGETS[stage.kind].describe(stepsToDescribe(stage, own));
}
