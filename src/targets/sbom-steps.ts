/**
 * The SBOM steps stage kinds share: reading the root's packages through the driver
 * ({@link takeInventory}) before `rm` and `clean` remove what it reads, and writing
 * `<output>.spdx.json` beside the staged output ({@link writeSbom}, src/image/sbom.ts) with the
 * stage's inputs and their digests.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { InventoryPackage } from "../drivers/driver.js";
import {
  formatSbom,
  sbomName,
  sbomPackages,
  spdxDocument,
  type SbomFile,
  type SbomInput,
  type SpdxDocument,
} from "../image/sbom.js";
import { hashFile, parseDigests } from "../store/digests.js";
import { VERSION } from "../version.js";
import { type Result, ok, err } from "../util/result.js";
import type { StageFailure, TargetContext } from "./target-kind.js";
import type { StepResult } from "./steps.js";

const OK: StepResult = ok(undefined);

/** The packages of a root, filled by {@link takeInventory} and written by {@link writeSbom}. */
export interface Inventory {
  packages: readonly InventoryPackage[];
}

/** A new, empty {@link Inventory}. */
export function newInventory(): Inventory {
  return { packages: [] };
}

/**
 * Reads the root's packages through the driver into `into`, for the SBOM. Runs once the package
 * set is final and before `rm` and `clean` remove what the driver reads licences and
 * checksums from (copyright files, package lists).
 */
export async function takeInventory(
  ctx: TargetContext,
  root: string,
  into: Inventory,
): Promise<StepResult> {
  return ctx.step("inventory", undefined, async () => {
    const r = await ctx.driver.inventory(ctx, root);
    if (!r.ok) return err(r.error);
    into.packages = r.value;
    return OK;
  });
}

/** SHA256 and SHA512 of `file`, from its `.DIGESTS` when one names it, else hashed. */
async function inputDigests(
  ctx: TargetContext,
  file: string,
  digestsFile = `${file}.DIGESTS`,
  entryName = basename(file),
): Promise<{ sha256?: string; sha512?: string }> {
  let text: string | undefined;
  try {
    text = readFileSync(digestsFile, "utf8");
  } catch {
    text = undefined;
  }
  const entries = text === undefined ? [] : parseDigests(text, true);
  const pick = (a: string): string | undefined =>
    entries.find(
      (e) =>
        e.algorithm === a &&
        basename(e.name) === basename(entryName) &&
        (e.name === entryName || !e.name.includes("/")),
    )?.hex;
  const sha512 = pick("SHA512");
  const sha256 = pick("SHA256");
  if (sha512 !== undefined) return { sha512, ...(sha256 === undefined ? {} : { sha256 }) };
  const h = await hashFile(file, ["SHA256", "SHA512"], ctx.signal);
  return h.ok
    ? {
        ...(h.value.SHA256 === undefined ? {} : { sha256: h.value.SHA256 }),
        ...(h.value.SHA512 === undefined ? {} : { sha512: h.value.SHA512 }),
      }
    : {};
}

/** The stage's inputs as the SBOM names them: the source (seed or parent) and the payload. */
export async function sbomAncestors(ctx: TargetContext): Promise<SbomFile[]> {
  const out: SbomFile[] = [];
  const source = ctx.inputs.source;
  if (source !== undefined && source.kind !== "payload") {
    out.push({
      name: basename(source.path),
      ...(await inputDigests(ctx, source.path)),
      comment: `source_subpath: ${source.from}`,
    });
  }
  const payload = ctx.inputs.payload;
  if (payload !== undefined) {
    const manifest = join(payload.path, "payload.json");
    out.push({
      name: `${basename(payload.path)}/payload.json`,
      ...(await inputDigests(
        ctx,
        manifest,
        `${payload.path}.DIGESTS`,
        `${basename(payload.path)}/payload.json`,
      )),
      comment: `livecd/payload: ${payload.from} (its manifest)`,
    });
  }
  return out;
}

/**
 * Packages without a checksum (their `.deb` is not in this build's cache) take the one the
 * source's SBOM recorded for the same package URL (same name, version and architecture), when
 * the source has an SBOM beside it: the digest of the same package file, seen when the parent
 * was built.
 */
function withInheritedChecksums(
  packages: readonly InventoryPackage[],
  source: string | undefined,
): readonly InventoryPackage[] {
  if (source === undefined || packages.every((p) => p.checksum !== undefined)) return packages;
  let known: Map<string, InventoryPackage>;
  try {
    const doc = JSON.parse(readFileSync(sbomName(source), "utf8")) as SpdxDocument;
    known = new Map(sbomPackages(doc).map((p) => [p.purl, p]));
  } catch {
    return packages;
  }
  return packages.map((p) => {
    const checksum = p.checksum ?? known.get(p.purl)?.checksum;
    return checksum === undefined ? p : { ...p, checksum };
  });
}

/**
 * Writes `<output>.spdx.json` (src/image/sbom.ts) beside the staged main output: the packages
 * of `inventory`, the output's own SHA256 and SHA512, and the stage's inputs. Returns its name.
 */
export async function writeSbom(
  ctx: TargetContext,
  inventory: Inventory,
  purpose: SbomInput["purpose"],
  extra: SbomInput["extra"] = [],
): Promise<Result<string, StageFailure>> {
  const name = sbomName(ctx.outputName);
  return ctx.step("sbom", name, async () => {
    const output = join(ctx.stagingDir, ctx.outputName);
    const h = await hashFile(output, ["SHA256", "SHA512"], ctx.signal);
    if (!h.ok) return err({ reason: "io-error", message: h.error.message });
    const doc = spdxDocument({
      image: { name: ctx.outputName, sha256: h.value.SHA256 ?? "", sha512: h.value.SHA512 ?? "" },
      purpose,
      packages: withInheritedChecksums(inventory.packages, ctx.inputs.source?.path),
      extra,
      ancestors: await sbomAncestors(ctx),
      created: ctx.sourceDateEpoch,
      tool: `substrate-${VERSION}`,
      stage: ctx.stage,
    });
    writeFileSync(join(ctx.stagingDir, name), formatSbom(doc), { mode: 0o644 });
    return ok(name);
  });
}
