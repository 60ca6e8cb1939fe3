/**
 * livecd-stage1: customises a stage4 or embedded root for live booting and outputs it as a
 * squashfs image (compressor and options from `livecd/fsops`, zstd by default), plus a package
 * manifest (name, version, licence of every installed package). Contains no kernel: the
 * payload's modules are joined at boot (see payload.ts), so a kernel change never rebuilds this.
 */
import { join } from "node:path";
import { makeSquashfs, squashfsKeepsContent } from "../image/squashfs.js";
import { err, ok } from "../util/result.js";
import { liveSetup } from "./live-setup.js";
import {
  driverStage,
  finishRoot,
  installPackages,
  packageManifest,
  sequence,
  unpackSource,
  type StepResult,
} from "./steps.js";
import { newInventory, writeSbom } from "./sbom-steps.js";
import { sbomName } from "../image/sbom.js";
import { sbomStep } from "./describe-steps.js";
import type { TargetContext, TargetKind } from "./target-kind.js";
import { listOf } from "../spec/values.js";

/** `<output>.packages.tsv`: the package manifest's name. */
export function manifestName(outputName: string): string {
  return `${outputName}.packages.tsv`;
}

/** Squashes `root` into `<staging>/<name>` with the spec's `livecd/fsops`. */
export async function squashRoot(
  ctx: TargetContext,
  root: string,
  name: string,
): Promise<StepResult> {
  const fsops = listOf(ctx.values["livecd/fsops"]);
  return ctx.step("squashfs", fsops.length > 0 ? fsops.join(" ") : "zstd", async () => {
    const r = await makeSquashfs({
      source: root,
      output: join(ctx.stagingDir, name),
      options: fsops,
      sourceDateEpoch: ctx.sourceDateEpoch,
      logFile: ctx.logFile,
      signal: ctx.signal,
      processors: ctx.jobs,
    });
    return r.ok ? ok(undefined) : err(r.error);
  });
}

/** The livecd-stage1 kind. */
export const livecdStage1: TargetKind = {
  name: "livecd-stage1",
  hostTools: [
    { command: "mksquashfs", debianPackage: "squashfs-tools", why: "makes the live root image" },
  ],
  describe: (d) => [
    d.source,
    ...d.driverSteps,
    ...(d.own("packages").length > 0 ? [`packages ${d.own("packages").join(" ")}`] : []),
    "live setup (hostname, empty root password, systemd presets)",
    ...d.finish(),
    "package manifest",
    `squashfs ${d.stage.outputs.output}`,
    sbomStep(d),
  ],
  async run(ctx) {
    const root = join(ctx.workDir, "root");
    const packages = listOf(ctx.values["livecd/packages"]);
    const inventory = newInventory();
    const r = await sequence([
      () => unpackSource(ctx, root),
      () => driverStage(ctx, root),
      () => installPackages(ctx, root, packages),
      () => liveSetup(ctx, root),
      ...finishRoot(ctx, root, inventory),
      () => packageManifest(ctx, root, manifestName(ctx.outputName)),
      () => squashRoot(ctx, root, ctx.outputName),
      async () => {
        const s = await writeSbom(ctx, inventory, "squashfs");
        return s.ok ? ok(undefined) : s;
      },
    ]);
    if (!r.ok) return r;
    // The image holds exactly this folder: livecd-stage3 can use it instead of unsquashing.
    if (squashfsKeepsContent(listOf(ctx.values["livecd/fsops"]))) ctx.keepRoot(root);
    return ok([ctx.outputName, manifestName(ctx.outputName), sbomName(ctx.outputName)]);
  },
};
