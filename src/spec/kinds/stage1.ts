/** stage1 (catalyst `targets/stage1`): bootstraps a minimal toolchain root from a seed. */
import type { KindDefinition } from "./define.js";
import { YES_NO, many, one, stageRequired } from "./define.js";

/** The stage1 kind: its keys, inputs and output. */
export const stage1: KindDefinition<"stage1"> = {
  kind: "stage1",
  prefix: "stage1",
  summary: "a minimal root able to build a toolchain, built into /tmp/stage1root of the seed",
  bootKernel: false,
  inputs: ["source"],
  output: { form: "compressed" },
  required: stageRequired({}),
  keys: {
    chost: one("the CHOST tuple of the new toolchain"),
    update_seed: one("update the seed before building (`yes` or `no`)", { values: YES_NO }),
    update_seed_command: many("emerge arguments used to update the seed"),
  },
};
