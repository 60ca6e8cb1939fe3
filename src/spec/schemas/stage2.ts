/** stage2 (catalyst `targets/stage2`): runs bootstrap.sh on a stage1. */
import type { TargetSchema } from "./define.js";
import { one, stageRequired } from "./define.js";

/** The stage2 schema. */
export const stage2: TargetSchema = {
  kind: "stage2",
  prefix: "stage2",
  summary: "a bootstrapped toolchain (releng builds none: stage3 comes from stage1)",
  bootKernel: false,
  required: stageRequired({}),
  keys: { chost: one("the CHOST tuple") },
};
