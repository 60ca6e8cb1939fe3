/** Reading dpkg's status file, DEP-5 copyright files and picking the installed kernel. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { licenceOf } from "../../../src/drivers/apt/copyright.js";
import { parseDeb822 } from "../../../src/drivers/apt/deb822.js";
import { installedPackages } from "../../../src/drivers/apt/dpkg-status.js";
import { defaultKernelPackage, pickKernelVersion } from "../../../src/drivers/apt/kernel.js";

const STATUS = `Package: zlib1g
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Version: 1:1.2.13.dfsg-1
Description: compression library - runtime
 zlib is a library implementing the deflate compression method found
 .
 in gzip and PKZIP.

Package: less
Status: deinstall ok config-files
Architecture: amd64
Version: 590-2

Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.36-9
Depends: libgcc-s1

Package: libc6
Status: install ok installed
Architecture: i386
Version: 2.36-9

Package: linux-image-amd64
Status: install ok installed
Architecture: amd64
Version: 6.1.119-1
Depends: linux-image-6.1.0-28-amd64 (= 6.1.119-1)
`;

void test("deb822 paragraphs keep continuation lines", () => {
  const [first] = parseDeb822(STATUS);
  const desc = first?.fields.find((f) => f.name === "Description");
  assert.deepEqual(desc?.rest, [
    "zlib is a library implementing the deflate compression method found",
    ".",
    "in gzip and PKZIP.",
  ]);
});

void test("installed packages: config-files are gone, two architectures are qualified, sorted", () => {
  const pkgs = installedPackages(STATUS);
  assert.deepEqual(
    pkgs.map((p) => `${p.name}=${p.version}`),
    [
      "libc6:amd64=2.36-9",
      "libc6:i386=2.36-9",
      "linux-image-amd64=6.1.119-1",
      "zlib1g=1:1.2.13.dfsg-1",
    ],
  );
});

const DEP5 = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: apt

Files: *
Copyright: 1997-1999 Jason Gunthorpe and others
License: GPL-2+

Files: methods/rsh.cc
Copyright: 2000 Ben Collins
License: GPL-2
 This text is the licence.

Files: doc/*
Copyright: someone
License: GPL-2+ or Artistic

License: GPL-2+
 The full text.
`;

void test("licences of a DEP-5 file: distinct names in order, expressions parenthesised", () => {
  assert.equal(licenceOf(DEP5), "GPL-2+ AND GPL-2 AND (GPL-2+ or Artistic)");
  assert.equal(
    licenceOf(
      `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: MIT\n`,
    ),
    "MIT",
  );
});

void test("a free-form or missing copyright file gives unknown", () => {
  assert.equal(licenceOf("This package was debianized by someone.\nLicense: GPL\n"), "unknown");
  assert.equal(licenceOf(undefined), "unknown");
  assert.equal(
    licenceOf("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"),
    "unknown",
  );
});

void test("the kernel version comes from the metapackage's dependency", () => {
  const installed = installedPackages(STATUS);
  const two = ["6.1.0-27-amd64", "6.1.0-28-amd64"];
  assert.deepEqual(pickKernelVersion("linux-image-amd64", two, installed), {
    ok: true,
    value: "6.1.0-28-amd64",
  });
  assert.deepEqual(pickKernelVersion("linux-image-6.1.0-27-amd64", two, installed), {
    ok: true,
    value: "6.1.0-27-amd64",
  });
  assert.deepEqual(pickKernelVersion("linux-image-cloud-amd64", ["6.1.0-28-cloud-amd64"], []), {
    ok: true,
    value: "6.1.0-28-cloud-amd64",
  });
  const ambiguous = pickKernelVersion("linux-image-cloud-amd64", two, installed);
  assert.ok(!ambiguous.ok && ambiguous.error.reason === "ambiguous");
  const none = pickKernelVersion("linux-image-amd64", [], installed);
  assert.ok(!none.ok && none.error.reason === "none");
});

void test("the default kernel package follows the root's architecture", () => {
  assert.equal(defaultKernelPackage("amd64"), "linux-image-amd64");
  assert.equal(defaultKernelPackage("armhf"), "linux-image-armmp");
  assert.equal(defaultKernelPackage("arm64"), "linux-image-arm64");
  assert.equal(defaultKernelPackage(undefined), "linux-image-amd64");
  assert.equal(defaultKernelPackage("hurd-i386"), "linux-image-amd64");
});
