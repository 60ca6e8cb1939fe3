/** diskimage-stage1 (prefix `diskimage`): like livecd-stage1, the disk image's root. */
import type { KindDefinition } from "./define.js";
import { many, prefixed, stageRequired } from "./define.js";

/** The diskimage-stage1 kind: its keys, inputs and output. */
export const diskimageStage1: KindDefinition<"diskimage-stage1"> = {
  kind: "diskimage-stage1",
  prefix: "diskimage",
  summary: "the disk image's root: packages installed on top of a stage",
  bootKernel: false,
  inputs: ["source"],
  output: { form: "compressed" },
  required: [...stageRequired({}), { key: "diskimage/packages" }],
  keys: prefixed("diskimage", {
    packages: many("packages for the image"),
    use: many("USE for the image's packages"),
  }),
};
