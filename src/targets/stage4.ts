/**
 * stage4: a stage3 plus packages, optional kernels, overlay, fsscript and the finishing steps,
 * in catalyst's order (catalyst.md §3 stage4).
 */
import { join } from "node:path";
import { ok } from "../util/result.js";
import { describePackagedStage, sbomStep } from "./describe-steps.js";
import { installKernels } from "./kernels.js";
import {
  capture,
  driverStage,
  finishRoot,
  installPackages,
  sequence,
  unpackSource,
} from "./steps.js";
import { newInventory, writeSbom } from "./sbom-steps.js";
import { sbomName } from "../image/sbom.js";
import type { TargetKind } from "./target-kind.js";
import { listOf } from "../spec/values.js";

/** The stage4 kind. */
export const stage4: TargetKind = {
  name: "stage4",
  hostTools: [],
  describe: (d) => [...describePackagedStage(d), sbomStep(d)],
  async run(ctx) {
    const root = join(ctx.workDir, "root");
    const packages = listOf(ctx.values["stage4/packages"]);
    const inventory = newInventory();
    const r = await sequence([
      () => unpackSource(ctx, root),
      () => driverStage(ctx, root),
      () => installPackages(ctx, root, packages),
      async () => {
        const k = await installKernels(ctx, root);
        return k.ok ? ok(undefined) : k;
      },
      ...finishRoot(ctx, root, inventory),
      () => capture(ctx, root),
      async () => {
        const s = await writeSbom(ctx, inventory, "tarball");
        return s.ok ? ok(undefined) : s;
      },
    ]);
    return r.ok ? ok([ctx.outputName, sbomName(ctx.outputName)]) : r;
  },
};
