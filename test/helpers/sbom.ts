/**
 * Checks an output's SBOM as a consumer would: `<output>.spdx.json` exists, validates against the
 * SPDX 2.3 JSON schema, describes the output by its real SHA256 and SHA512 (and its namespace is
 * derived from the SHA256), and the output's `.DIGESTS` names the SBOM with digests that check
 * (`sha512sum -c`).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
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

/** Where the default tree's build put things, for {@link checkDefaultTreeSboms}. */
export interface DefaultTreeBuild {
  /** The build's working folder (its store is `<work>/builds`). */
  readonly work: string;
  /** `<work>/builds/amd64/roflmaos`. */
  readonly flavour: string;
  readonly iso: string;
  readonly date: string;
  /** The package cache the build used. */
  readonly cache: string;
  /** Prints a figure (the test's diagnostic). */
  readonly note: (message: string) => void;
}

/**
 * The SBOMs of the default tree (examples/roflmaos, both flavours) after a real build: each
 * validates and names its output's digests ({@link checkedSbom}); stage4's lists exactly its dpkg
 * packages and versions; the ISO's lists its live root's dpkg packages, systemd with a Debian
 * licence and purl, and the payload's kernel, boot loader and dracut, the kernel with the SHA256
 * of the very .deb in the cache whose control file has that version; every image descends from
 * its input with the input's SHA512. Notes each SBOM's size and package count.
 */
export function checkDefaultTreeSboms(b: DefaultTreeBuild): void {
  const out = (stage: string, ext: string): string =>
    join(b.flavour, b.date, `${stage}-amd64-roflmaos-${b.date}${ext}`);
  const outputs = {
    stage3: out("stage3", ".tar.zst"),
    stage4: out("stage4", ".tar.zst"),
    squashfs: out("livecd-stage1", ".squashfs"),
    iso: b.iso,
    embedded: join(
      b.work,
      "builds/amd64/minimal",
      b.date,
      `embedded-amd64-minimal-${b.date}.tar.zst`,
    ),
    minimal: join(b.work, "builds/amd64/minimal", b.date, `roflmaOS-minimal-${b.date}.iso`),
  };
  const docs = new Map(
    Object.entries(outputs).map(([k, f]) => [k, { file: f, ...checkedSbom(f) }]),
  );
  for (const [k, d] of docs)
    b.note(
      `SBOM ${k}: ${d.bytes} bytes, ${containedPackages(d.doc).length} packages (${basename(d.file)}.spdx.json)`,
    );
  const docOf = (k: string): SpdxDocument => {
    const d = docs.get(k);
    assert.ok(d, k);
    return d.doc;
  };
  // stage4 lists exactly what its dpkg database lists, with the same versions.
  const status = execFileSync("tar", ["-xOf", outputs.stage4, "./var/lib/dpkg/status"], {
    maxBuffer: 64 << 20,
  }).toString();
  const dpkg = dpkgVersions(status);
  const stage4 = containedPackages(docOf("stage4"));
  assert.deepEqual(
    new Map(stage4.map((p) => [p.name, p.versionInfo])),
    dpkg,
    "stage4's SBOM lists its dpkg packages and versions",
  );
  assert.ok(stage4.some((p) => p.name === "nano"));
  // The ISO: the live root's packages (its squashfs's dpkg database) plus the payload's kernel.
  const sq = join(b.work, "sbom-sq.img");
  execFileSync("osirrox", ["-indev", b.iso, "-extract", "/LiveOS/squashfs.img", sq], {
    stdio: "ignore",
  });
  const liveStatus = execFileSync("unsquashfs", ["-cat", sq, "var/lib/dpkg/status"], {
    maxBuffer: 64 << 20,
  }).toString();
  rmSync(sq);
  const isoDoc = docOf("iso");
  const isoPackages = new Map(containedPackages(isoDoc).map((p) => [p.name, p]));
  for (const [name, version] of dpkgVersions(liveStatus))
    assert.equal(
      isoPackages.get(name)?.versionInfo,
      version,
      `${name} ${version} in the ISO's SBOM`,
    );
  const systemd = isoPackages.get("systemd");
  assert.ok(systemd, "the ISO's SBOM lists systemd");
  assert.equal(systemd.supplier, "Organization: Debian");
  assert.match(systemd.licenseDeclared, /LGPL-2\.1-or-later/);
  assert.match(
    systemd.externalRefs?.[0]?.referenceLocator ?? "",
    /^pkg:deb\/debian\/systemd@[^?]+\?arch=amd64&distro=bookworm$/,
  );
  const payloadJson = join(b.work, "sbom-payload.json");
  execFileSync("osirrox", ["-indev", b.iso, "-extract", "/boot/payload.json", payloadJson], {
    stdio: "ignore",
  });
  const kver = (JSON.parse(readFileSync(payloadJson, "utf8")) as { kernels: { version: string }[] })
    .kernels[0]?.version;
  rmSync(payloadJson);
  const kernel = isoPackages.get(`linux-image-${kver}`);
  assert.ok(kernel, `the ISO's SBOM lists linux-image-${kver}`);
  assert.match(kernel.comment ?? "", /boot payload/);
  // The payload: the boot loader and the initramfs generator (Debian: dracut-core owns it).
  assert.ok(isoPackages.has("systemd-boot-efi") && isoPackages.has("dracut-core"));
  // Its checksum is the SHA256 of the very .deb in the cache, whose control says that version.
  const deb = join(
    b.cache,
    "apt/archives",
    `${kernel.name}_${(kernel.versionInfo ?? "").replace(/:/g, "%3a")}_amd64.deb`,
  );
  assert.equal(
    execFileSync("dpkg-deb", ["-f", deb, "Version"]).toString().trim(),
    kernel.versionInfo,
  );
  assert.equal(
    kernel.checksums?.[0]?.checksumValue,
    execFileSync("sha256sum", [deb]).toString().split(" ")[0],
  );
  // Each image descends from its input, named with the input's published SHA512.
  const sha512Of = (f: string): string =>
    execFileSync("sha512sum", [f]).toString().split(" ")[0] ?? "";
  for (const [k, from] of [
    ["stage4", outputs.stage3],
    ["squashfs", outputs.stage4],
    ["iso", outputs.squashfs],
  ] as const) {
    const a = ancestorNamed(docOf(k), from.slice(from.lastIndexOf("/") + 1));
    assert.equal(
      a?.checksums?.find((c) => c.algorithm === "SHA512")?.checksumValue,
      sha512Of(from),
      `${k} descends from its input`,
    );
  }
}
