/** Licence groups and LICENSE expressions for bindist builds. */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  expandGroup,
  nonFreePackages,
  parseLicenseGroups,
  splitPf,
  unacceptedLicences,
} from "../../../src/drivers/portage/licences.js";

const groups = parseLicenseGroups(
  "# comment\nGPL-COMPATIBLE GPL-2 GPL-3 MIT\nFSF-APPROVED @GPL-COMPATIBLE Apache-2.0\nOSI-APPROVED @GPL-COMPATIBLE BSD\nFREE-SOFTWARE @FSF-APPROVED @OSI-APPROVED\nFREE-DOCUMENTS CC-BY-4.0\nFREE @FREE-SOFTWARE @FREE-DOCUMENTS\n",
);
const free = expandGroup(groups, "FREE");

void test("expandGroup resolves nested groups", () => {
  assert.deepEqual([...free].sort(), ["Apache-2.0", "BSD", "CC-BY-4.0", "GPL-2", "GPL-3", "MIT"]);
});

void test("LICENSE expressions: all-of, || any-of, USE conditionals", () => {
  const none = new Set<string>();
  assert.deepEqual(unacceptedLicences("GPL-2 MIT", none, free), []);
  assert.deepEqual(unacceptedLicences("GPL-2 unRAR", none, free), ["unRAR"]);
  assert.deepEqual(unacceptedLicences("|| ( GPL-2 unRAR )", none, free), []);
  assert.deepEqual(unacceptedLicences("|| ( unRAR no-source-code )", none, free), ["unRAR"]);
  assert.deepEqual(
    unacceptedLicences("GPL-2 firmware? ( linux-fw-redistributable )", none, free),
    [],
  );
  assert.deepEqual(
    unacceptedLicences("GPL-2 firmware? ( linux-fw-redistributable )", new Set(["firmware"]), free),
    ["linux-fw-redistributable"],
  );
  assert.deepEqual(unacceptedLicences("!doc? ( MIT ) doc? ( OPL )", none, free), []);
  assert.deepEqual(unacceptedLicences("", none, free), []);
});

void test("nonFreePackages names the packages and licences", () => {
  const r = nonFreePackages(
    [
      {
        name: "sys-kernel/linux-firmware",
        version: "20250101",
        license: "GPL-2 linux-fw-redistributable",
        use: [],
      },
      { name: "app-editors/nano", version: "8.2", license: "GPL-3", use: [] },
    ],
    free,
  );
  assert.deepEqual(r, [
    {
      name: "sys-kernel/linux-firmware",
      version: "20250101",
      licences: ["linux-fw-redistributable"],
    },
  ]);
});

void test("splitPf separates name and version (revisions, suffixes, dashes in names)", () => {
  assert.deepEqual(splitPf("glibc-2.40-r6"), { name: "glibc", version: "2.40-r6" });
  assert.deepEqual(splitPf("python-exec-2.4.10"), { name: "python-exec", version: "2.4.10" });
  assert.deepEqual(splitPf("gentoo-kernel-6.6.58_p1"), {
    name: "gentoo-kernel",
    version: "6.6.58_p1",
  });
  assert.deepEqual(splitPf("openssl-3.3.2a_rc1-r1"), { name: "openssl", version: "3.3.2a_rc1-r1" });
});
