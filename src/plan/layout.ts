/**
 * Store layout: where each stage's output, `-latest` link, pointer file, log and freshness
 * stamp live. Names follow substrate's conventions so existing users find their files:
 * `<builds>/<arch>/<flavour>/<date>/<stage>-<arch><rel>-<date><ext>`.
 */
import { isAbsolute, join } from "node:path";
import { KINDS } from "../spec/kinds/registry.js";
import type { DriverName, StageSpec, TreeConfig } from "../spec/types.js";
import { singleOf } from "../spec/values.js";
import { compressionExtension, relSuffix } from "./naming.js";
import { defaultCompressionMode } from "../spec/compression.js";
import type { OutputForm, StageOutputs } from "./types.js";

/**
 * The `<stage>` word of a stage's release name, and the word its `rel` suffix is computed from.
 * A spec that sets its own `target:` (substrate's `sso.spec` holding `target: stage4`) is named
 * after its kind, with the stem in place of the flavour (`stage4-amd64-sso`), as substrate does.
 */
export function nameParts(spec: StageSpec): { stageName: string; relWord: string } {
  const ownTarget = !spec.computed.has("target");
  return ownTarget
    ? { stageName: spec.kind, relWord: spec.stage }
    : { stageName: spec.stage, relWord: spec.flavour };
}

/**
 * The form of a stage's output, which decides its extension: its kind's (`KindDefinition.output`),
 * or for a `compressed` kind the form its `compression_mode` gives.
 */
export function outputForm(spec: StageSpec, driver: DriverName): OutputForm {
  const output = KINDS[spec.kind].output;
  if (output.form !== "compressed") return output.form;
  const ext = compressionExtension(
    singleOf(spec.values["compression_mode"]) ?? defaultCompressionMode(driver),
  );
  return ext === "" ? "directory" : ext === ".squashfs" ? "squashfs" : "tarball";
}

/** The extension of a stage's dated output (empty for folders; ISOs and qcow2s are named by the spec). */
export function outputExtension(spec: StageSpec, driver: DriverName): string {
  const form = outputForm(spec, driver);
  switch (form) {
    case "squashfs":
      return ".squashfs";
    case "directory":
      return "";
    case "iso":
      return ".iso";
    case "qcow2":
      return ".qcow2";
    case "tarball":
      return compressionExtension(
        singleOf(spec.values["compression_mode"]) ?? defaultCompressionMode(driver),
      );
  }
}

/** Every store path of one stage for the given tree config and date. */
export function stageOutputs(spec: StageSpec, config: TreeConfig, date: string): StageOutputs {
  const { stageName, relWord } = nameParts(spec);
  const rel = spec.rel ?? relSuffix(spec.arch, relWord);
  const name = `${stageName}-${spec.arch}${rel}`;
  const form = outputForm(spec, config.driver);
  const ext = outputExtension(spec, config.driver);
  const flavourDir = join(config.store.builds, spec.arch, spec.flavour);
  const dateDir = join(flavourDir, date);
  let output = join(dateDir, `${name}-${date}${ext}`);
  let latest = join(flavourDir, `${name}-latest${ext}`);
  // ISOs and disk images are named by the spec (`livecd/iso`, `diskimage/qcow2`); a relative
  // name sits in the dated folder, like catalyst's `$storedir/builds/<rel_type>/<value>`.
  const kindOutput = KINDS[spec.kind].output;
  if (kindOutput.form === "iso" || kindOutput.form === "qcow2") {
    const named = singleOf(spec.values[kindOutput.nameKey]);
    if (named !== undefined) output = isAbsolute(named) ? named : join(dateDir, named);
    latest = join(flavourDir, `latest-${name}${ext}`);
  }
  const base = output.slice(output.lastIndexOf("/") + 1);
  return {
    name,
    stageName,
    rel,
    ext,
    form,
    flavourDir,
    dateDir,
    output,
    latest,
    pointer: join(flavourDir, `latest-${name}.txt`),
    pointerText: `${date}/${base}\n`,
    log: join(config.store.logs, spec.flavour, `${name}-${date}.log`),
    stamp: `${output}.stamp`,
  };
}
