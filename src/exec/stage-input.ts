/**
 * Where a stage's input is, as its target sees it: a parent stage's output or a seed from the
 * plan, checked to exist, and its kind (tarball, squashfs or payload folder) from what it is.
 */
import { existsSync, statSync } from "node:fs";
import type { Plan, StageInput as PlanInput } from "../plan/plan.js";
import type { StageInput } from "../targets/target-kind.js";
import { type Result, err, ok } from "../util/result.js";

/** The input of a stage as a target sees it, from where the plan says it comes. */
export function targetInput(
  plan: Plan,
  input: PlanInput | undefined,
): Result<StageInput | undefined, string> {
  if (input === undefined || input.type === "bootstrap") return ok(undefined);
  let path: string;
  let from: string;
  if (input.type === "stage") {
    const parent = plan.stages.find((s) => s.id === input.stage);
    if (parent === undefined) return err(`Internal error: input ${input.stage} is not in the plan`);
    path = parent.outputs.output;
    from = parent.id;
  } else {
    if (!input.found)
      return err(`the seed ${input.path} (${input.key}: ${input.value}) does not exist`);
    path = input.path;
    from = input.value;
  }
  if (!existsSync(path)) return err(`input ${from} has no output at ${path}`);
  const base = { path, from };
  if (statSync(path).isDirectory()) return ok({ kind: "payload", ...base });
  if (path.endsWith(".squashfs") || path.endsWith(".sfs")) return ok({ kind: "squashfs", ...base });
  return ok({ kind: "tarball", ...base });
}
