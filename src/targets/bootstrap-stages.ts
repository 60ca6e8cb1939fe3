/**
 * stage1 and stage2: Gentoo's bootstrap stages. They have no Debian meaning: a Debian root is
 * bootstrapped from the archive in one step (stage3). The Portage driver builds them; a driver
 * that cannot says so through `Driver.supportsKind`.
 */
import { err } from "../util/result.js";
import { capture, clean, sequence, unpackSource } from "./steps.js";
import { newInventory, takeInventory, writeSbom } from "./sbom-steps.js";
import { sbomName } from "../image/sbom.js";
import { describeDriverStage } from "./describe-steps.js";
import type { TargetKind } from "./target-kind.js";
import { join } from "node:path";

function bootstrapStage(name: "stage1" | "stage2"): TargetKind {
  return {
    name,
    hostTools: [],
    describe: describeDriverStage,
    async run(ctx) {
      const support = ctx.driver.supportsKind?.(name);
      if (support !== undefined && !support.ok) return err(support.error);
      const root = join(ctx.workDir, "root");
      const inventory = newInventory();
      const r = await sequence([
        () => unpackSource(ctx, root),
        () =>
          ctx.step("bootstrap", name, async () => {
            const b = await ctx.driver.bootstrap(ctx, root, []);
            return b.ok ? b : err(b.error);
          }),
        () => takeInventory(ctx, root, inventory),
        () => clean(ctx, root, name),
        () => capture(ctx, root),
        async () => {
          const s = await writeSbom(ctx, inventory, "tarball");
          return s.ok ? { ok: true, value: undefined } : s;
        },
      ]);
      return r.ok ? { ok: true, value: [ctx.outputName, sbomName(ctx.outputName)] } : r;
    },
  };
}

/** The stage1 kind. */
export const stage1: TargetKind = bootstrapStage("stage1");
/** The stage2 kind. */
export const stage2: TargetKind = bootstrapStage("stage2");
