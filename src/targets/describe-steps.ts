/**
 * The phrases a kind's `describe` (`TargetKind.describe`) builds its `build --dry-run` lines
 * from: the source step, the kernels, catalyst's finishing steps, the clean step. Pure.
 */
import type { PlannedStage } from "../plan/plan.js";
import { KINDS } from "../spec/kinds/registry.js";
import { kernelRequests } from "./kernels.js";
import { listOf, stringOf } from "../spec/values.js";

/** The clean step every kind that builds a root ends with. */
export const CLEAN_STEP = "clean (machine-id, /tmp, /var/tmp, package caches)";

/** What a kind's `describe` gets: the planned stage and the lines its steps share. */
export interface StepsToDescribe {
  readonly stage: PlannedStage;
  /** `bootstrap a base root from the archive`, or `unpack <input>`. */
  readonly source: string;
  /**
   * The driver's own steps (`Driver.describeStage`), shown right after the source line;
   * empty when the driver describes none (apt).
   */
  readonly driverSteps: readonly string[];
  /** The tokens of the kind's own `<prefix>/<key>` (`packages` is `livecd/packages` for livecd). */
  own(key: string): string[];
  /** One line per kernel in `boot/kernel`. */
  kernels(): string[];
  /** catalyst's finishing steps in order (root_overlay … empty) and the clean step. */
  finish(): string[];
}

/** The description helpers for one planned stage. */
export function stepsToDescribe(
  stage: PlannedStage,
  driverSteps: readonly string[] = [],
): StepsToDescribe {
  const v = stage.spec.values;
  const p = KINDS[stage.kind].prefix;
  const own = (key: string): string[] => listOf(v[`${p}/${key}`]);
  const src = stage.inputs.source;
  return {
    stage,
    driverSteps,
    source:
      src === undefined || src.type === "bootstrap"
        ? "bootstrap a base root from the archive"
        : `unpack ${src.type === "stage" ? src.stage : src.path}`,
    own,
    kernels: () => kernelRequests(v).map((k) => `kernel ${k.label}`),
    finish: () => {
      const steps: [boolean, string][] = [
        [own("root_overlay").length > 0, `root_overlay ${own("root_overlay").join(" ")}`],
        [v[`${p}/fsscript`] !== undefined, `fsscript ${stringOf(v[`${p}/fsscript`]) ?? ""}`],
        [own("unmerge").length > 0, `unmerge ${own("unmerge").join(" ")}`],
        [v[`${p}/depclean`] !== undefined, "depclean"],
        [own("rm").length > 0, `rm ${own("rm").join(" ")}`],
        [own("users").length > 0, `users ${own("users").join(" ")}`],
        [own("empty").length > 0, `empty ${own("empty").join(" ")}`],
      ];
      return [...steps.filter(([cond]) => cond).map(([, text]) => text), CLEAN_STEP];
    },
  };
}

/** The SBOM line of kinds that write one beside their output (docs/store.md, "SBOMs"). */
export function sbomStep(d: StepsToDescribe): string {
  return `SBOM ${d.stage.outputs.output}.spdx.json (SPDX 2.3)`;
}

/**
 * The description of a kind that brings a root up to date with the driver and packs it
 * (stage1, stage2, stage3): the source, the driver's build unless it bootstrapped (its own steps
 * when it describes them), clean, capture.
 */
export function describeDriverStage(d: StepsToDescribe): string[] {
  const src = d.stage.inputs.source;
  const build =
    src !== undefined && src.type !== "bootstrap" ? [`build ${d.stage.kind} with the driver`] : [];
  return [
    d.source,
    ...(d.driverSteps.length > 0 ? d.driverSteps : build),
    CLEAN_STEP,
    `capture ${d.stage.outputs.output}`,
    sbomStep(d),
  ];
}

/** The description of a root-building kind with packages and kernels (stage4, diskimage-stage1). */
export function describePackagedStage(d: StepsToDescribe): string[] {
  return [
    d.source,
    ...d.driverSteps,
    `packages ${d.own("packages").join(" ")}`,
    ...d.kernels(),
    ...d.finish(),
    `capture ${d.stage.outputs.output}`,
  ];
}

/**
 * The description of a kind that joins a root and a livecd-stage2 payload into an image
 * (livecd-stage3, and the planned diskimage-stage2 and netboot).
 */
export function describeImageStage(d: StepsToDescribe): string[] {
  const { source, payload } = d.stage.inputs;
  return [
    `root ${source?.type === "stage" ? source.stage : "input"}`,
    `payload ${payload?.type === "stage" ? payload.stage : "input"}`,
    "ESP image (systemd-boot, kernel, initramfs)",
    `ISO ${d.stage.outputs.output}`,
  ];
}
