/**
 * Every stage kind's pure definition (keys, inputs, output). Typed as a record over
 * `TargetKindName`, so a kind named in `TARGET_KINDS` without a definition fails to compile.
 * The effectful half of each kind is `targets/registry.ts`.
 */
import type { TargetKindName } from "../types.js";
import { TARGET_KINDS } from "../types.js";
import type { KindDefinition } from "./define.js";
import { diskimageStage1 } from "./diskimage-stage1.js";
import { diskimageStage2 } from "./diskimage-stage2.js";
import { embedded } from "./embedded.js";
import { livecdStage1 } from "./livecd-stage1.js";
import { livecdStage2 } from "./livecd-stage2.js";
import { livecdStage3 } from "./livecd-stage3.js";
import { netboot } from "./netboot.js";
import { stage1 } from "./stage1.js";
import { stage2 } from "./stage2.js";
import { stage3 } from "./stage3.js";
import { stage4 } from "./stage4.js";

/** The registry; each entry's `kind` must be its own name. */
export const KINDS: { readonly [K in TargetKindName]: KindDefinition<K> } = {
  stage1,
  stage2,
  stage3,
  stage4,
  embedded,
  "livecd-stage1": livecdStage1,
  "livecd-stage2": livecdStage2,
  "livecd-stage3": livecdStage3,
  "diskimage-stage1": diskimageStage1,
  "diskimage-stage2": diskimageStage2,
  netboot,
};

/** True when `name` is a target kind. */
export function isTargetKind(name: string): name is TargetKindName {
  return (TARGET_KINDS as readonly string[]).includes(name);
}
