/**
 * Every stage kind's target module (what it runs, how that reads in a dry run). Typed as a
 * record over all kind names, so a kind without a module fails to compile. The kinds' pure
 * definitions (keys, inputs, output) are `spec/kinds/registry.ts`.
 */
import type { TargetKindName } from "../spec/types.js";
import { stage1, stage2 } from "./bootstrap-stages.js";
import { describeImageStage, describePackagedStage } from "./describe-steps.js";
import { embedded } from "./embedded.js";
import { livecdStage1 } from "./livecd-stage1.js";
import { livecdStage2 } from "./livecd-stage2.js";
import { livecdStage3 } from "./livecd-stage3.js";
import { stage3 } from "./stage3.js";
import { stage4 } from "./stage4.js";
import type { TargetKind } from "./target-kind.js";
import { notYetBuildable } from "./unsupported.js";

/** The registry. */
export const TARGETS: Readonly<Record<TargetKindName, TargetKind>> = {
  stage1,
  stage2,
  stage3,
  stage4,
  embedded,
  "livecd-stage1": livecdStage1,
  "livecd-stage2": livecdStage2,
  "livecd-stage3": livecdStage3,
  "diskimage-stage1": notYetBuildable(
    "diskimage-stage1",
    "build a stage4 instead; qcow2 disk images are planned",
    describePackagedStage,
  ),
  "diskimage-stage2": notYetBuildable(
    "diskimage-stage2",
    "qcow2 disk images are planned; use livecd-stage3 for bootable media",
    describeImageStage,
  ),
  netboot: notYetBuildable(
    "netboot",
    "netboot images are planned; use livecd-stage3 for bootable media",
    describeImageStage,
  ),
};
