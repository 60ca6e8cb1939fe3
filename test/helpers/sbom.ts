/**
 * Checks an output's SBOM as a consumer would: `<output>.spdx.json` exists, validates against the
 * SPDX 2.3 JSON schema, describes the output by its real SHA256 and SHA512 (and its namespace is
 * derived from the SHA256), and the output's `.DIGESTS` names the SBOM with digests that check
 * (`sha512sum -c`).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { basename, dirname } from "node:path";
import type { SpdxDocument, SpdxPackage } from "../../src/image/sbom.js";
import { spdxSchemaErrors } from "./spdx-schema.js";

function digest(file: string, algorithm: "sha256" | "sha512"): string {
  const h = createHash(algorithm);
  h.update(readFileSync(file));
  return h.digest("hex");
}

/** The checked SBOM of `output`, with its size in bytes. */
export function checkedSbom(output: string): { doc: SpdxDocument; bytes: number } {
  const file = `${output}.spdx.json`;
  const text = readFileSync(file, "utf8");
  const doc = JSON.parse(text) as SpdxDocument;
  assert.deepEqual(spdxSchemaErrors(doc), [], `${file} validates against the SPDX 2.3 schema`);
  const image = doc.packages.find((p) => p.SPDXID === "SPDXRef-Image");
  const sha256 = digest(output, "sha256");
  assert.deepEqual(
    image?.checksums,
    [
      { algorithm: "SHA256", checksumValue: sha256 },
      { algorithm: "SHA512", checksumValue: digest(output, "sha512") },
    ],
    `${file} describes ${basename(output)} by its digests`,
  );
  assert.ok(doc.documentNamespace.endsWith(`-${sha256}`), doc.documentNamespace);
  assert.ok(
    doc.relationships.some(
      (r) => r.relationshipType === "DESCRIBES" && r.relatedSpdxElement === "SPDXRef-Image",
    ),
  );
  const digests = readFileSync(`${output}.DIGESTS`, "utf8");
  assert.ok(digests.includes(`  ${basename(file)}\n`), `${output}.DIGESTS names ${basename(file)}`);
  const checked = execFileSync(
    "sh",
    ["-c", `sed -n '/SHA512/{N;p}' '${basename(output)}.DIGESTS' | sha512sum -c`],
    {
      cwd: dirname(output),
      encoding: "utf8",
    },
  );
  assert.match(checked, new RegExp(`${basename(file).replace(/\./g, "\\.")}: OK`));
  return { doc, bytes: statSync(file).size };
}

/** The packages the image CONTAINS (not the image itself or its inputs). */
export function containedPackages(doc: SpdxDocument): SpdxPackage[] {
  const ids = new Set(
    doc.relationships
      .filter((r) => r.relationshipType === "CONTAINS" && r.spdxElementId === "SPDXRef-Image")
      .map((r) => r.relatedSpdxElement),
  );
  return doc.packages.filter((p) => ids.has(p.SPDXID));
}

/** The input the image DESCENDANT_OF, by file name. */
export function ancestorNamed(doc: SpdxDocument, name: string): SpdxPackage | undefined {
  const ids = new Set(
    doc.relationships
      .filter((r) => r.relationshipType === "DESCENDANT_OF")
      .map((r) => r.relatedSpdxElement),
  );
  return doc.packages.find((p) => ids.has(p.SPDXID) && p.name === name);
}

/** name -> version of a dpkg status file's installed packages. */
export function dpkgVersions(status: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const para of status.split(/\n\n+/)) {
    const field = (n: string): string | undefined =>
      new RegExp(`^${n}: (.*)$`, "m").exec(para)?.[1];
    const name = field("Package");
    const st = field("Status") ?? "";
    if (name !== undefined && / installed$/.test(st)) out.set(name, field("Version") ?? "");
  }
  return out;
}
