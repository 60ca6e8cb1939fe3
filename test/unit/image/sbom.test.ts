/**
 * The SPDX writer (src/image/sbom.ts) and the licence mapping of both drivers: documents validate
 * against the SPDX 2.3 JSON schema (ajv), are byte-identical for the same image whatever the
 * order the packages came in, name the image's digests and its inputs, and read back.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { InventoryPackage } from "../../../src/drivers/driver.js";
import { debianSpdxLicence } from "../../../src/drivers/apt/licence-spdx.js";
import { gentooSpdxLicence } from "../../../src/drivers/portage/licence-spdx.js";
import { debianPurl } from "../../../src/drivers/apt/inventory.js";
import { gentooPurl } from "../../../src/drivers/portage/inventory.js";
import {
  formatSbom,
  sbomName,
  sbomPackages,
  spdxDate,
  spdxDocument,
  type SbomInput,
} from "../../../src/image/sbom.js";
import { spdxSchemaErrors } from "../../helpers/spdx-schema.js";

const SHA256 = "a".repeat(64);
const SHA512 = "b".repeat(128);

const COPYRIGHT = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: example

Files: *
Copyright: 2020 Someone
License: LGPL-2.1+

Files: src/compat/*
Copyright: 1999 Someone Else
License: GPL-2+ or Artistic

Files: debian/*
License: public-domain
 No rights reserved.

License: LGPL-2.1+
 The text of the licence.
`;

function pkg(
  name: string,
  version: string,
  extra: Partial<InventoryPackage> = {},
): InventoryPackage {
  return {
    name,
    version,
    architecture: "amd64",
    supplier: "Organization: Debian",
    purl: debianPurl(name, version, "amd64", "bookworm"),
    ...extra,
  };
}

const systemd = pkg("systemd", "252.33-1~deb12u1", {
  licence: debianSpdxLicence(COPYRIGHT, "systemd") ?? { expression: "", refs: [] },
  checksum: { algorithm: "SHA256", value: "c".repeat(64) },
});
const libc = pkg("libc6", "2.36-9+deb12u9", {
  licence: { expression: "LGPL-2.1-or-later", refs: [] },
});
const kernel = pkg("linux-image-6.1.0-28-amd64", "6.1.119-1");

function input(packages: readonly InventoryPackage[]): SbomInput {
  return {
    image: { name: "stage3-amd64-roflmaos-20260101.tar.zst", sha256: SHA256, sha512: SHA512 },
    purpose: "tarball",
    packages,
    extra: [{ packages: [kernel], comment: "in the boot payload" }],
    ancestors: [
      { name: "stage3-seed.tar.xz", sha512: "d".repeat(128), comment: "source_subpath: x" },
    ],
    created: 1767225600,
    tool: "substrate-0.1.0",
    stage: "amd64/roflmaos:stage3",
  };
}

void test("an SBOM validates against the SPDX 2.3 JSON schema", () => {
  const doc = spdxDocument(input([systemd, libc]));
  assert.deepEqual(spdxSchemaErrors(JSON.parse(formatSbom(doc))), []);
  // The validator is real: a document without its namespace, or with a bad relationship type, fails.
  const { documentNamespace, ...broken } = doc;
  assert.ok(documentNamespace !== "");
  assert.notDeepEqual(spdxSchemaErrors(broken), []);
  const badRel = {
    ...doc,
    relationships: [{ ...doc.relationships[0], relationshipType: "IS_IN" }],
  };
  assert.ok(spdxSchemaErrors(badRel).some((e) => e.includes("relationshipType")));
});

void test("an SBOM is deterministic: same image, same bytes, whatever the package order", () => {
  const a = formatSbom(spdxDocument(input([systemd, libc])));
  const b = formatSbom(spdxDocument(input([libc, systemd])));
  assert.equal(a, b);
  const doc = JSON.parse(a) as ReturnType<typeof spdxDocument>;
  assert.equal(doc.creationInfo.created, "2026-01-01T00:00:00Z");
  assert.equal(spdxDate(0), "1970-01-01T00:00:00Z");
  assert.ok(doc.documentNamespace.endsWith(`-${SHA256}`));
  assert.equal(sbomName("x.iso"), "x.iso.spdx.json");
  // Sorted by name: libc6, linux-image..., systemd after the image and its input.
  assert.deepEqual(
    doc.packages.map((p) => p.name),
    [
      "stage3-amd64-roflmaos-20260101.tar.zst",
      "stage3-seed.tar.xz",
      "libc6",
      "linux-image-6.1.0-28-amd64",
      "systemd",
    ],
  );
});

void test("an SBOM describes the image with its digests, contains the packages, descends from its inputs", () => {
  const doc = spdxDocument(input([systemd, libc]));
  const image = doc.packages[0];
  assert.equal(image?.SPDXID, "SPDXRef-Image");
  assert.deepEqual(image.checksums, [
    { algorithm: "SHA256", checksumValue: SHA256 },
    { algorithm: "SHA512", checksumValue: SHA512 },
  ]);
  const rel = (type: string) =>
    doc.relationships.filter((r) => r.relationshipType === type).map((r) => r.relatedSpdxElement);
  assert.deepEqual(rel("DESCRIBES"), ["SPDXRef-Image"]);
  assert.equal(rel("CONTAINS").length, 3);
  const seed = doc.packages.find((p) => p.SPDXID === rel("DESCENDANT_OF")[0]);
  assert.equal(seed?.checksums?.[0]?.checksumValue, "d".repeat(128));
  const s = doc.packages.find((p) => p.name === "systemd");
  assert.equal(s?.versionInfo, "252.33-1~deb12u1");
  assert.equal(s.supplier, "Organization: Debian");
  assert.deepEqual(s.checksums, [{ algorithm: "SHA256", checksumValue: "c".repeat(64) }]);
  assert.equal(
    s.externalRefs?.[0]?.referenceLocator,
    "pkg:deb/debian/systemd@252.33-1~deb12u1?arch=amd64&distro=bookworm",
  );
  // No readable licence is NOASSERTION, never a guess.
  assert.equal(doc.packages.find((p) => p.name === kernel.name)?.licenseDeclared, "NOASSERTION");
  assert.equal(doc.packages.find((p) => p.name === kernel.name)?.comment, "in the boot payload");
  // Every LicenseRef used is defined once.
  assert.deepEqual(
    doc.hasExtractedLicensingInfos?.map((r) => r.licenseId),
    ["LicenseRef-Debian-Artistic", "LicenseRef-Debian-public-domain"],
  );
});

void test("an SBOM reads back into the packages it lists", () => {
  const doc = spdxDocument(input([systemd, libc]));
  const back = sbomPackages(JSON.parse(formatSbom(doc)) as typeof doc);
  assert.deepEqual(
    back.map((p) => p.name),
    ["libc6", "linux-image-6.1.0-28-amd64", "systemd"],
  );
  assert.deepEqual(
    back.find((p) => p.name === "systemd"),
    systemd,
  );
});

void test("Debian copyright files map to SPDX expressions; unreadable ones to none", () => {
  assert.equal(
    debianSpdxLicence(COPYRIGHT, "x")?.expression,
    "LGPL-2.1-or-later AND (GPL-2.0-or-later OR LicenseRef-Debian-Artistic) AND LicenseRef-Debian-public-domain",
  );
  const dep5 = (l: string) =>
    debianSpdxLicence(
      `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: ${l}\n`,
      "p",
    )?.expression;
  assert.equal(dep5("Expat"), "MIT");
  assert.equal(dep5("BSD-3-clause and GPL-3+"), "BSD-3-Clause AND GPL-3.0-or-later");
  assert.equal(
    dep5("GPL-2+ with OpenSSL exception"),
    "LicenseRef-Debian-GPL-2-plus-with-OpenSSL-exception",
  );
  assert.equal(dep5("Apache-2.0"), "Apache-2.0");
  assert.equal(
    dep5("GPL-2 with Linux-syscall-note exception"),
    "GPL-2.0-only WITH Linux-syscall-note",
  );
  assert.equal(
    debianSpdxLicence("This package was debianized by someone.\nGPL.\n", "p"),
    undefined,
  );
  assert.equal(debianSpdxLicence(undefined, "p"), undefined);
  const ref = debianSpdxLicence(COPYRIGHT, "systemd")?.refs.find((r) => r.name === "public-domain");
  assert.match(ref?.text ?? "", /\/usr\/share\/doc\/systemd\/copyright/);
});

void test("Portage LICENSE maps to SPDX with USE conditionals decided", () => {
  const none = new Set<string>();
  assert.equal(gentooSpdxLicence("GPL-2", none)?.expression, "GPL-2.0-only");
  assert.equal(
    gentooSpdxLicence("GPL-2+ LGPL-2.1+", none)?.expression,
    "GPL-2.0-or-later AND LGPL-2.1-or-later",
  );
  assert.equal(gentooSpdxLicence("|| ( MIT BSD )", none)?.expression, "MIT OR BSD-3-Clause");
  assert.equal(
    gentooSpdxLicence("GPL-2 || ( MIT BSD-2 ) doc? ( FDL-1.3 )", new Set(["doc"]))?.expression,
    "GPL-2.0-only AND (MIT OR BSD-2-Clause) AND GFDL-1.3-only",
  );
  assert.equal(
    gentooSpdxLicence("GPL-2 doc? ( FDL-1.3 ) !ssl? ( ZLIB )", none)?.expression,
    "GPL-2.0-only AND Zlib",
  );
  const fw = gentooSpdxLicence("GPL-2 linux-fw-redistributable", none);
  assert.equal(fw?.expression, "GPL-2.0-only AND LicenseRef-Gentoo-linux-fw-redistributable");
  assert.match(fw.refs[0]?.text ?? "", /licenses\/linux-fw-redistributable/);
  assert.equal(gentooSpdxLicence("", none), undefined);
  assert.equal(
    gentooPurl("sys-apps/systemd", "256.7-r1", "x86_64-pc-linux-gnu"),
    "pkg:ebuild/gentoo/sys-apps/systemd@256.7-r1?arch=x86_64-pc-linux-gnu",
  );
  assert.equal(
    debianPurl("dpkg", "1:1.21.22", "amd64", undefined),
    "pkg:deb/debian/dpkg@1%3A1.21.22?arch=amd64",
  );
});

void test("a Portage package's SBOM entry validates and reads back", () => {
  const p: InventoryPackage = {
    name: "sys-apps/systemd",
    version: "256.7-r1",
    architecture: "x86_64-pc-linux-gnu",
    licence: gentooSpdxLicence("GPL-2 LGPL-2.1 MIT public-domain", new Set()) ?? {
      expression: "",
      refs: [],
    },
    supplier: "Organization: Gentoo",
    purl: gentooPurl("sys-apps/systemd", "256.7-r1", "x86_64-pc-linux-gnu"),
  };
  const doc = spdxDocument({ ...input([p]), extra: [] });
  assert.deepEqual(spdxSchemaErrors(JSON.parse(formatSbom(doc))), []);
  assert.deepEqual(sbomPackages(doc), [p]);
  assert.match(doc.packages[2]?.SPDXID ?? "", /^SPDXRef-[A-Za-z0-9.-]+$/);
});
