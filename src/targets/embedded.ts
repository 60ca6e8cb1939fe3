/**
 * embedded: a minimal root holding only the listed packages and their run-time dependencies,
 * merged from a build environment (catalyst's `ROOT=/tmp/mergeroot`). Overlay, fsscript (with
 * `clst_root_path=/tmp/mergeroot`), `rm` and `empty` apply to the merged root.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { err, ok } from "../util/result.js";
import {
  capture,
  clean,
  emptyPaths,
  fsscript,
  removePaths,
  rootOverlay,
  sequence,
  unpackSource,
} from "./steps.js";
import { newInventory, takeInventory, writeSbom } from "./sbom-steps.js";
import { sbomName } from "../image/sbom.js";
import { sbomStep } from "./describe-steps.js";
import type { TargetKind } from "./target-kind.js";
import { listOf } from "../spec/values.js";

/** Where catalyst's embedded scripts see the merge root. */
export const MERGE_ROOT_PATH = "/tmp/mergeroot";

/** The embedded kind. */
export const embedded: TargetKind = {
  name: "embedded",
  hostTools: [],
  describe: (d) => [
    d.source,
    ...d.driverSteps,
    `merge ${d.own("packages").join(" ")} into ${MERGE_ROOT_PATH}`,
    ...d.finish(),
    `capture ${d.stage.outputs.output}`,
    sbomStep(d),
  ],
  async run(ctx) {
    const buildRoot = join(ctx.workDir, "root");
    const mergeRoot = join(ctx.workDir, "mergeroot");
    const packages = listOf(ctx.values["embedded/packages"]);
    const inventory = newInventory();
    const r = await sequence([
      () => unpackSource(ctx, buildRoot),
      () =>
        ctx.step("merge", packages.join(" "), async () => {
          mkdirSync(mergeRoot, { recursive: true });
          const m = await ctx.driver.mergeRoot(ctx, buildRoot, mergeRoot, packages);
          return m.ok ? m : err(m.error);
        }),
      () => rootOverlay(ctx, mergeRoot),
      () => fsscript(ctx, buildRoot, { rootPath: MERGE_ROOT_PATH, mergeRoot }),
      // The merged root's own package database, if the driver writes one (Portage's ROOT= VDB).
      () => takeInventory(ctx, mergeRoot, inventory),
      () => removePaths(ctx, mergeRoot),
      () => emptyPaths(ctx, mergeRoot),
      () => clean(ctx, mergeRoot, "embedded"),
      () => capture(ctx, mergeRoot),
      async () => {
        const s = await writeSbom(ctx, inventory, "tarball");
        return s.ok ? ok(undefined) : s;
      },
    ]);
    return r.ok ? ok([ctx.outputName, sbomName(ctx.outputName)]) : r;
  },
};
