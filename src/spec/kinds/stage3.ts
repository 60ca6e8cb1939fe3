/**
 * stage3 (catalyst `targets/stage3`): a complete @system. With the apt driver mmdebstrap
 * bootstraps it from nothing, so `source_subpath` is optional there.
 */
import type { KindDefinition } from "./define.js";
import { stageRequired } from "./define.js";

/** The stage3 kind: its keys, inputs and output. */
export const stage3: KindDefinition<"stage3"> = {
  kind: "stage3",
  prefix: "stage3",
  summary: "a complete base system (@system, or a Debian base bootstrapped by mmdebstrap)",
  bootKernel: false,
  inputs: ["source"],
  output: { form: "compressed" },
  required: stageRequired({ sourceOptionalForApt: true }),
  keys: {},
};
