/**
 * SBOMs: an SPDX 2.3 JSON document beside every stage tarball, squashfs and ISO
 * (`<output>.spdx.json`, docs/store.md "SBOMs"). The document describes the image (a package
 * with the image's SHA256 and SHA512), which CONTAINS every package the driver's inventory found
 * in its root, and is DESCENDANT_OF the stage's inputs (seed, parent stage, payload) with their
 * digests. Deterministic: packages sorted, ids derived from names, `created` is the build's
 * SOURCE_DATE_EPOCH and the namespace is derived from the image's SHA256, so the same image gives
 * the same bytes. Pure: the caller hashes files and takes the inventory.
 */
import type { InventoryPackage } from "../drivers/driver.js";
import type { LicenceRef } from "../drivers/spdx-licence.js";

/** `<output>.spdx.json`: the SBOM's name beside its output. */
export function sbomName(outputName: string): string {
  return `${outputName}.spdx.json`;
}

/** A file the document names with its digests: the image itself or one of its inputs. */
export interface SbomFile {
  /** The file's basename (a payload folder: its manifest's name, `payload.json`). */
  readonly name: string;
  readonly sha256?: string;
  readonly sha512?: string;
  /** One line on what it is, e.g. `source_subpath amd64/roflmaos:stage3`. */
  readonly comment?: string;
}

/** Packages that came from somewhere else than the image's root (the ISO's boot payload). */
export interface SbomPackageGroup {
  readonly packages: readonly InventoryPackage[];
  /** Said on each of them, e.g. `in the boot payload (kernel, initramfs, boot loader)`. */
  readonly comment: string;
}

/** What the document is made from. */
export interface SbomInput {
  /** The image: its name and digests (both required). */
  readonly image: SbomFile & { readonly sha256: string; readonly sha512: string };
  /** What the image is: a stage tarball, a squashfs root, an ISO. */
  readonly purpose: "tarball" | "squashfs" | "iso" | "payload";
  /** The packages of its root. */
  readonly packages: readonly InventoryPackage[];
  /** More packages the image holds (the ISO's payload). */
  readonly extra?: readonly SbomPackageGroup[];
  /** The inputs it was built from (the seed or parent stage, the payload). */
  readonly ancestors: readonly SbomFile[];
  /** SOURCE_DATE_EPOCH (seconds): the document's `created`. */
  readonly created: number;
  /** `substrate-<version>`. */
  readonly tool: string;
  /** The stage id, for the document's name and comment (`amd64/roflmaos:stage3`). */
  readonly stage: string;
}

/** An SPDX 2.3 checksum. */
interface Checksum {
  readonly algorithm: "SHA256" | "SHA512";
  readonly checksumValue: string;
}

/** The subset of SPDX 2.3 this writer produces (and {@link sbomPackages} reads back). */
export interface SpdxDocument {
  readonly spdxVersion: "SPDX-2.3";
  readonly dataLicense: "CC0-1.0";
  readonly SPDXID: "SPDXRef-DOCUMENT";
  readonly name: string;
  readonly documentNamespace: string;
  readonly comment?: string;
  readonly creationInfo: { readonly created: string; readonly creators: readonly string[] };
  readonly packages: readonly SpdxPackage[];
  readonly relationships: readonly SpdxRelationship[];
  readonly hasExtractedLicensingInfos?: readonly {
    readonly licenseId: string;
    readonly name: string;
    readonly extractedText: string;
  }[];
}

/** One SPDX package. */
export interface SpdxPackage {
  readonly SPDXID: string;
  readonly name: string;
  readonly versionInfo?: string;
  readonly packageFileName?: string;
  readonly supplier?: string;
  readonly downloadLocation: "NOASSERTION";
  readonly filesAnalyzed: false;
  readonly checksums?: readonly Checksum[];
  readonly licenseConcluded: "NOASSERTION";
  readonly licenseDeclared: string;
  readonly copyrightText: "NOASSERTION";
  readonly primaryPackagePurpose?: string;
  readonly comment?: string;
  readonly externalRefs?: readonly {
    readonly referenceCategory: string;
    readonly referenceType: string;
    readonly referenceLocator: string;
  }[];
}

/** One SPDX relationship. */
export interface SpdxRelationship {
  readonly spdxElementId: string;
  readonly relationshipType: "DESCRIBES" | "CONTAINS" | "DESCENDANT_OF";
  readonly relatedSpdxElement: string;
}

/** ISO 8601 UTC without fractions, as SPDX wants: `2026-01-01T00:00:00Z`. */
export function spdxDate(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function idPart(s: string): string {
  return s.replace(/[^A-Za-z0-9.-]+/g, "-").replace(/^-+|-+$/g, "") || "x";
}

function checksums(f: { sha256?: string; sha512?: string }): Checksum[] {
  const out: Checksum[] = [];
  if (f.sha256 !== undefined) out.push({ algorithm: "SHA256", checksumValue: f.sha256 });
  if (f.sha512 !== undefined) out.push({ algorithm: "SHA512", checksumValue: f.sha512 });
  return out;
}

function fileChecksums(f: SbomFile): { checksums?: Checksum[] } {
  const c = checksums(f);
  return c.length > 0 ? { checksums: c } : {};
}

const PURPOSE: Readonly<Record<SbomInput["purpose"], string>> = {
  tarball: "ARCHIVE",
  squashfs: "OPERATING_SYSTEM",
  iso: "OPERATING_SYSTEM",
  payload: "OPERATING_SYSTEM",
};

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The SPDX 2.3 document of an image. Pure and deterministic. */
export function spdxDocument(input: SbomInput): SpdxDocument {
  const imageId = "SPDXRef-Image";
  const packages: SpdxPackage[] = [
    {
      SPDXID: imageId,
      name: input.image.name,
      packageFileName: input.image.name,
      downloadLocation: "NOASSERTION",
      filesAnalyzed: false,
      checksums: checksums(input.image),
      licenseConcluded: "NOASSERTION",
      licenseDeclared: "NOASSERTION",
      copyrightText: "NOASSERTION",
      primaryPackagePurpose: PURPOSE[input.purpose],
      comment: `${input.purpose} made by substrate stage ${input.stage}`,
    },
  ];
  const relationships: SpdxRelationship[] = [
    {
      spdxElementId: "SPDXRef-DOCUMENT",
      relationshipType: "DESCRIBES",
      relatedSpdxElement: imageId,
    },
  ];
  input.ancestors.forEach((a, i) => {
    const id = `SPDXRef-Input-${i + 1}-${idPart(a.name)}`;
    packages.push({
      SPDXID: id,
      name: a.name,
      packageFileName: a.name,
      downloadLocation: "NOASSERTION",
      filesAnalyzed: false,
      ...fileChecksums(a),
      licenseConcluded: "NOASSERTION",
      licenseDeclared: "NOASSERTION",
      copyrightText: "NOASSERTION",
      ...(a.comment === undefined ? {} : { comment: a.comment }),
    });
    relationships.push({
      spdxElementId: imageId,
      relationshipType: "DESCENDANT_OF",
      relatedSpdxElement: id,
    });
  });
  const refs = new Map<string, LicenceRef>();
  const seen = new Set<string>();
  const used = new Set<string>();
  const groups: { packages: readonly InventoryPackage[]; comment?: string }[] = [
    { packages: input.packages },
    ...(input.extra ?? []),
  ];
  const entries: { p: InventoryPackage; comment?: string }[] = [];
  for (const g of groups) {
    for (const p of g.packages) {
      if (seen.has(p.purl)) continue;
      seen.add(p.purl);
      entries.push(g.comment === undefined ? { p } : { p, comment: g.comment });
    }
  }
  entries.sort(
    (x, y) =>
      compare(x.p.name, y.p.name) ||
      compare(x.p.architecture, y.p.architecture) ||
      compare(x.p.purl, y.p.purl),
  );
  for (const { p, comment } of entries) {
    let id = `SPDXRef-Package-${idPart(p.name)}-${idPart(p.architecture)}`;
    for (let n = 2; used.has(id); n++)
      id = `SPDXRef-Package-${idPart(p.name)}-${idPart(p.architecture)}-${n}`;
    used.add(id);
    for (const r of p.licence?.refs ?? []) refs.set(r.id, r);
    packages.push({
      SPDXID: id,
      name: p.name,
      versionInfo: p.version,
      supplier: p.supplier,
      downloadLocation: "NOASSERTION",
      filesAnalyzed: false,
      ...(p.checksum === undefined
        ? {}
        : { checksums: [{ algorithm: p.checksum.algorithm, checksumValue: p.checksum.value }] }),
      licenseConcluded: "NOASSERTION",
      licenseDeclared: p.licence?.expression ?? "NOASSERTION",
      copyrightText: "NOASSERTION",
      ...(comment === undefined ? {} : { comment }),
      externalRefs: [
        { referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: p.purl },
      ],
    });
    relationships.push({
      spdxElementId: imageId,
      relationshipType: "CONTAINS",
      relatedSpdxElement: id,
    });
  }
  const extracted = [...refs.values()]
    .sort((a, b) => compare(a.id, b.id))
    .map((r) => ({ licenseId: r.id, name: r.name, extractedText: r.text }));
  return {
    spdxVersion: "SPDX-2.3",
    dataLicense: "CC0-1.0",
    SPDXID: "SPDXRef-DOCUMENT",
    name: input.image.name,
    documentNamespace: `https://substrate.invalid/spdx/${encodeURIComponent(input.image.name)}-${input.image.sha256}`,
    comment: `Packages of ${input.image.name} (substrate stage ${input.stage}) as its package database recorded them when it was built.`,
    creationInfo: { created: spdxDate(input.created), creators: [`Tool: ${input.tool}`] },
    packages,
    relationships,
    ...(extracted.length > 0 ? { hasExtractedLicensingInfos: extracted } : {}),
  };
}

/** The document as written: 2-space JSON with a final newline. */
export function formatSbom(doc: SpdxDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** The architecture qualifier of a purl, or "". */
function archOfPurl(purl: string): string {
  const q = purl.split("?")[1] ?? "";
  for (const kv of q.split("&")) {
    const [k, v] = kv.split("=");
    if (k === "arch") return decodeURIComponent(v ?? "");
  }
  return "";
}

/**
 * The packages an SBOM of this writer lists as CONTAINED in its image (the inverse of
 * {@link spdxDocument}'s packages): livecd-stage3 reads its squashfs input's SBOM when it puts
 * that image in the ISO unchanged. Packages without a purl are not inventory packages.
 */
export function sbomPackages(doc: SpdxDocument): InventoryPackage[] {
  const refs = new Map((doc.hasExtractedLicensingInfos ?? []).map((r) => [r.licenseId, r]));
  const contained = new Set(
    doc.relationships
      .filter((r) => r.relationshipType === "CONTAINS" && r.spdxElementId === "SPDXRef-Image")
      .map((r) => r.relatedSpdxElement),
  );
  const out: InventoryPackage[] = [];
  for (const p of doc.packages) {
    const purl = p.externalRefs?.find((r) => r.referenceType === "purl")?.referenceLocator;
    if (!contained.has(p.SPDXID) || purl === undefined) continue;
    const sha = p.checksums?.find((c) => c.algorithm === "SHA256");
    const expression = p.licenseDeclared;
    const used = expression.match(/LicenseRef-[A-Za-z0-9.-]+/g) ?? [];
    out.push({
      name: p.name,
      version: p.versionInfo ?? "",
      architecture: archOfPurl(purl),
      ...(expression === "NOASSERTION"
        ? {}
        : {
            licence: {
              expression,
              refs: used.flatMap((id) => {
                const r = refs.get(id);
                return r === undefined ? [] : [{ id, name: r.name, text: r.extractedText }];
              }),
            },
          }),
      supplier: p.supplier ?? "NOASSERTION",
      purl,
      ...(sha === undefined ? {} : { checksum: { algorithm: "SHA256", value: sha.checksumValue } }),
    });
  }
  return out;
}
