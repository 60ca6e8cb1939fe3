/**
 * What a stage would do, step by step, for `substrate build --dry-run`: the same order the
 * target modules run their steps in, with the spec values that drive each step.
 */
import { describePortageSteps } from "../drivers/portage/describe.js";
import type { PlannedStage } from "../plan/plan.js";
import type { DriverName } from "../spec/types.js";
import { unreachable } from "../util/unreachable.js";
import { kernelRequests } from "./kernels.js";
import { keyPrefix, listOf, stringOf } from "./values.js";

/** Human lines, one per step. Portage trees get the driver's own steps after the unpack. */
export function describeSteps(stage: PlannedStage, driver: DriverName): string[] {
  const steps = genericSteps(stage);
  if (driver !== "portage") return steps;
  const portage = describePortageSteps(stage.kind, stage.spec.values);
  const generic = steps.filter((s) => !s.startsWith("build ") || !s.endsWith(" with the driver"));
  const at = generic.findIndex((s) => s.startsWith("unpack ") || s.startsWith("bootstrap "));
  return [...generic.slice(0, at + 1), ...portage, ...generic.slice(at + 1)];
}

function genericSteps(stage: PlannedStage): string[] {
  const v = stage.spec.values;
  const p = keyPrefix(stage.kind);
  const steps: string[] = [];
  const add = (cond: boolean, text: string): void => {
    if (cond) steps.push(text);
  };
  const src = stage.inputs.source;
  const srcText =
    src === undefined || src.type === "bootstrap"
      ? "bootstrap a base root from the archive"
      : `unpack ${src.type === "stage" ? src.stage : src.path}`;
  const finish = (): void => {
    add(
      listOf(v[`${p}/root_overlay`]).length > 0,
      `root_overlay ${listOf(v[`${p}/root_overlay`]).join(" ")}`,
    );
    add(v[`${p}/fsscript`] !== undefined, `fsscript ${stringOf(v[`${p}/fsscript`]) ?? ""}`);
    add(listOf(v[`${p}/unmerge`]).length > 0, `unmerge ${listOf(v[`${p}/unmerge`]).join(" ")}`);
    add(v[`${p}/depclean`] !== undefined, "depclean");
    add(listOf(v[`${p}/rm`]).length > 0, `rm ${listOf(v[`${p}/rm`]).join(" ")}`);
    add(listOf(v[`${p}/users`]).length > 0, `users ${listOf(v[`${p}/users`]).join(" ")}`);
    add(listOf(v[`${p}/empty`]).length > 0, `empty ${listOf(v[`${p}/empty`]).join(" ")}`);
    steps.push("clean (machine-id, /tmp, /var/tmp, package caches)");
  };
  const kernels = (): void => {
    for (const k of kernelRequests(v)) steps.push(`kernel ${k.label}`);
  };
  switch (stage.kind) {
    case "stage1":
    case "stage2":
    case "stage3":
      steps.push(srcText);
      if (src !== undefined && src.type !== "bootstrap")
        steps.push(`build ${stage.kind} with the driver`);
      steps.push("clean (machine-id, /tmp, /var/tmp, package caches)");
      steps.push(`capture ${stage.outputs.output}`);
      break;
    case "stage4":
    case "diskimage-stage1":
      steps.push(srcText, `packages ${listOf(v[`${p}/packages`]).join(" ")}`);
      kernels();
      finish();
      steps.push(`capture ${stage.outputs.output}`);
      break;
    case "embedded":
      steps.push(srcText, `merge ${listOf(v["embedded/packages"]).join(" ")} into /tmp/mergeroot`);
      finish();
      steps.push(`capture ${stage.outputs.output}`);
      break;
    case "livecd-stage1":
      steps.push(srcText);
      add(
        listOf(v["livecd/packages"]).length > 0,
        `packages ${listOf(v["livecd/packages"]).join(" ")}`,
      );
      steps.push("live setup (hostname, empty root password, systemd presets)");
      finish();
      steps.push("package manifest", `squashfs ${stage.outputs.output}`);
      break;
    case "livecd-stage2":
      steps.push(`${srcText} (build environment, not kept)`);
      kernels();
      steps.push(
        "live initramfs (dracut dmsquash-live)",
        "boot loader binaries",
        `payload ${stage.outputs.output}`,
      );
      break;
    case "livecd-stage3":
    case "diskimage-stage2":
    case "netboot":
      steps.push(
        `root ${src?.type === "stage" ? src.stage : "input"}`,
        `payload ${stage.inputs.payload?.type === "stage" ? stage.inputs.payload.stage : "input"}`,
        "ESP image (systemd-boot, kernel, initramfs)",
        `ISO ${stage.outputs.output}`,
      );
      break;
    default:
      unreachable(stage.kind);
  }
  return steps;
}
