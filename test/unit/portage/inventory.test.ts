/**
 * The Portage driver's SBOM inventory on a VDB laid out by hand: versions from PF, the CHOST as
 * architecture, LICENSE as SPDX with the package's USE, Gentoo as supplier, ebuild purls, and the
 * `owning` filter through CONTENTS (merged /usr taken into account).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { inventory } from "../../../src/drivers/portage/inventory.js";

const root = mkdtempSync(join(tmpdir(), "substrate-vdb-"));
after(() => {
  rmSync(root, { recursive: true, force: true });
});

function pkg(cat: string, pf: string, files: Record<string, string>): void {
  const dir = join(root, "var/db/pkg", cat, pf);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

pkg("sys-apps", "systemd-256.7-r1", {
  PF: "systemd-256.7-r1\n",
  LICENSE: "GPL-2 LGPL-2.1 MIT public-domain doc? ( FDL-1.3 )\n",
  USE: "boot\n",
  CHOST: "x86_64-pc-linux-gnu\n",
  CONTENTS:
    "dir /usr/lib/systemd\nobj /usr/lib/systemd/boot/efi/systemd-bootx64.efi 0123456789abcdef0123456789abcdef 1700000000\n",
});
pkg("sys-kernel", "gentoo-kernel-bin-6.6.58", {
  PF: "gentoo-kernel-bin-6.6.58\n",
  LICENSE: "GPL-2\n",
  CHOST: "x86_64-pc-linux-gnu\n",
  CONTENTS: "dir /usr/lib/modules/6.6.58-gentoo-dist\n",
});

void test("inventory reads the VDB into SPDX packages", () => {
  const r = inventory(root, {});
  assert.ok(r.ok);
  assert.deepEqual(r.value[0], {
    name: "sys-apps/systemd",
    version: "256.7-r1",
    architecture: "x86_64-pc-linux-gnu",
    licence: {
      expression: "GPL-2.0-only AND LGPL-2.1-only AND MIT AND LicenseRef-Gentoo-public-domain",
      refs: [
        {
          id: "LicenseRef-Gentoo-public-domain",
          name: "public-domain",
          text: `Gentoo's licence "public-domain"; its text is the Gentoo repository's licenses/public-domain`,
        },
      ],
    },
    supplier: "Organization: Gentoo",
    purl: "pkg:ebuild/gentoo/sys-apps/systemd@256.7-r1?arch=x86_64-pc-linux-gnu",
  });
  assert.equal(r.value.length, 2);
});

void test("inventory's owning filter reads CONTENTS, /lib and /usr/lib alike", () => {
  const names = (paths: string[]): string[] => {
    const r = inventory(root, { owning: paths });
    return r.ok ? r.value.map((p) => p.name) : [];
  };
  assert.deepEqual(names(["/lib/modules/6.6.58-gentoo-dist"]), ["sys-kernel/gentoo-kernel-bin"]);
  assert.deepEqual(names(["/usr/lib/systemd/boot/efi/systemd-bootx64.efi"]), ["sys-apps/systemd"]);
  assert.deepEqual(names(["/usr/bin/dracut"]), []);
  assert.deepEqual(inventory(join(root, "nothing"), {}), { ok: true, value: [] });
});
