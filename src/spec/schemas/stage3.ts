/**
 * stage3 (catalyst `targets/stage3`): a complete @system. With the apt driver mmdebstrap
 * bootstraps it from nothing, so `source_subpath` is optional there.
 */
import type { TargetSchema } from "./define.js";
import { stageRequired } from "./define.js";

/** The stage3 schema. */
export const stage3: TargetSchema = {
  kind: "stage3",
  prefix: "stage3",
  summary: "a complete base system (@system, or a Debian base bootstrapped by mmdebstrap)",
  bootKernel: false,
  required: stageRequired({ sourceOptionalForApt: true }),
  keys: {},
};
