/**
 * stage3: a complete base system. apt: bootstrapped from the archive with mmdebstrap when the
 * spec has no `source_subpath`; otherwise (and always for Portage) the seed is unpacked and the
 * driver brings it up to date.
 */
import { join } from "node:path";
import { err, ok } from "../util/result.js";
import { capture, clean, sequence, unpackSource } from "./steps.js";
import { newInventory, takeInventory, writeSbom } from "./sbom-steps.js";
import { sbomName } from "../image/sbom.js";
import { describeDriverStage } from "./describe-steps.js";
import type { TargetKind } from "./target-kind.js";

/** The stage3 kind. */
export const stage3: TargetKind = {
  name: "stage3",
  hostTools: [],
  describe: describeDriverStage,
  async run(ctx) {
    const root = join(ctx.workDir, "root");
    const inventory = newInventory();
    const r = await sequence([
      async () => (ctx.inputs.source === undefined ? ok(undefined) : unpackSource(ctx, root)),
      () =>
        ctx.step(
          "bootstrap",
          ctx.inputs.source === undefined ? "from the archive" : "update the seed",
          async () => {
            const b = await ctx.driver.bootstrap(ctx, root, []);
            return b.ok ? b : err(b.error);
          },
        ),
      () => takeInventory(ctx, root, inventory),
      () => clean(ctx, root, "stage3"),
      () => capture(ctx, root),
      async () => {
        const s = await writeSbom(ctx, inventory, "tarball");
        return s.ok ? ok(undefined) : s;
      },
    ]);
    return r.ok ? ok([ctx.outputName, sbomName(ctx.outputName)]) : r;
  },
};
