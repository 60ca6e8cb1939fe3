/**
 * stage4: a stage3 plus packages, optional kernels, overlay, fsscript and the finishing steps,
 * in catalyst's order (catalyst.md §3 stage4).
 */
import { join } from "node:path";
import { err, ok } from "../util/result.js";
import { installKernels } from "./kernels.js";
import {
  capture,
  driverStage,
  clean,
  depclean,
  emptyPaths,
  fromDriver,
  fsscript,
  removePaths,
  rootOverlay,
  sequence,
  unmerge,
  unpackSource,
  usersAndGroups,
} from "./steps.js";
import type { TargetKind } from "./target-kind.js";
import { listOf } from "./values.js";

/** The stage4 kind. */
export const stage4: TargetKind = {
  name: "stage4",
  hostTools: [],
  inputRoles: ["source"],
  async run(ctx) {
    const root = join(ctx.workDir, "root");
    const packages = listOf(ctx.values["stage4/packages"]);
    const r = await sequence([
      () => unpackSource(ctx, root),
      () => driverStage(ctx, root),
      () =>
        ctx.step("packages", packages.join(" "), async () => {
          const i = await ctx.driver.install(ctx, root, packages);
          return i.ok ? i : err(fromDriver("packages", i.error));
        }),
      async () => {
        const k = await installKernels(ctx, root);
        return k.ok ? ok(undefined) : k;
      },
      () => rootOverlay(ctx, root),
      () => fsscript(ctx, root),
      () => unmerge(ctx, root),
      () => depclean(ctx, root),
      () => removePaths(ctx, root),
      () => usersAndGroups(ctx, root),
      () => emptyPaths(ctx, root),
      () => clean(ctx, root, "stage4"),
      () => capture(ctx, root),
    ]);
    return r.ok ? ok([ctx.outputName]) : r;
  },
};
