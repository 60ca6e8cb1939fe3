/** stage2 (catalyst `targets/stage2`): runs bootstrap.sh on a stage1. */
import type { KindDefinition } from "./define.js";
import { one, stageRequired } from "./define.js";

/** The stage2 kind: its keys, inputs and output. */
export const stage2: KindDefinition<"stage2"> = {
  kind: "stage2",
  prefix: "stage2",
  summary: "a bootstrapped toolchain (releng builds none: stage3 comes from stage1)",
  bootKernel: false,
  inputs: ["source"],
  output: { form: "compressed" },
  required: stageRequired({}),
  keys: { chost: one("the CHOST tuple") },
};
