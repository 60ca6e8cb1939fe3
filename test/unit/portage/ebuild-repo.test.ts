/**
 * The real-Portage tier's generated ebuild repository (test/helpers/portage-repo.ts): its
 * Manifests match the files, its profile chain is the one the driver stacks, and its licence
 * groups are complete. The real emerge reads the same repository in
 * scripts/portage-tier/prove-stage1.sh.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { test } from "node:test";
import { expandGroup, parseLicenseGroups } from "../../../src/drivers/portage/licences.js";
import { profileStack, stage1Packages } from "../../../src/drivers/portage/profile.js";
import {
  BUILD_PACKAGES,
  BZIP2_DISTFILE,
  fileDigests,
  PROFILE,
  writeEbuildRepo,
} from "../../helpers/portage-repo.js";

function withRepo(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "substrate-ebuild-repo-"));
  try {
    writeEbuildRepo(dir);
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void test("every Manifest line matches its file; bzip2's DIST line is the pinned upstream tarball", () => {
  withRepo((dir) => {
    const repo = writeEbuildRepo(dir);
    assert.deepEqual(repo.packages, ["sys-apps/baselayout-2.17", "app-arch/bzip2-1.0.8"]);
    for (const pkg of ["sys-apps/baselayout", "app-arch/bzip2"]) {
      const lines = readFileSync(join(dir, pkg, "Manifest"), "utf8")
        .trim()
        .split("\n");
      const kinds = lines.map((l) => l.split(" ")[0]);
      assert.ok(kinds.includes("EBUILD") && kinds.includes("MISC"), `${pkg}: ${kinds.join(",")}`);
      for (const line of lines) {
        const [kind, name, ...rest] = line.split(" ");
        assert.match(rest.join(" "), /^\d+ BLAKE2B [0-9a-f]{128} SHA512 [0-9a-f]{128}$/);
        if (kind === "DIST") continue;
        const file =
          kind === "AUX" ? join(dir, pkg, "files", name ?? "") : join(dir, pkg, name ?? "");
        assert.equal(rest.join(" "), fileDigests(file), relative(dir, file));
      }
    }
    const bz = readFileSync(join(dir, "app-arch/bzip2/Manifest"), "utf8");
    const d = BZIP2_DISTFILE;
    assert.ok(bz.includes(`DIST ${d.name} 810029 BLAKE2B ${d.blake2b} SHA512 ${d.sha512}\n`));
    const ebuild = readFileSync(join(dir, "app-arch/bzip2/bzip2-1.0.8.ebuild"), "utf8");
    assert.match(ebuild, /^EAPI=8$/m);
    assert.match(ebuild, /^SRC_URI="mirror:\/\/sourceware\/bzip2\/\$\{P\}\.tar\.gz"$/m);
  });
});

void test("the profile chain is shaped like 23.0/systemd and stage1's list is packages.build", () => {
  withRepo((dir) => {
    const stack = profileStack(dir, PROFILE);
    assert.ok(stack.ok);
    assert.deepEqual(
      stack.value.map((p) => relative(join(dir, "profiles"), p)),
      [
        "base",
        "default/linux",
        "arch/base",
        "arch/amd64",
        "default/linux/amd64/23.0",
        "features/systemd",
        "default/linux/amd64/23.0/systemd",
      ],
    );
    const build = stage1Packages(dir, PROFILE);
    assert.ok(build.ok);
    assert.deepEqual(build.value, [...BUILD_PACKAGES]);
    const layout = readFileSync(join(dir, "metadata/layout.conf"), "utf8");
    assert.match(layout, /^masters =$/m);
    assert.match(layout, /^thin-manifests = false$/m);
    assert.equal(readFileSync(join(dir, "profiles/repo_name"), "utf8"), "gentoo\n");
  });
});

void test("licence groups: @FREE and @BINARY-REDISTRIBUTABLE expand, every licence has a file", () => {
  withRepo((dir) => {
    const groups = parseLicenseGroups(readFileSync(join(dir, "profiles/license_groups"), "utf8"));
    const free = expandGroup(groups, "FREE");
    assert.ok(free.has("GPL-2") && free.has("BZIP2"));
    assert.ok(!free.has("linux-fw-redistributable"));
    const bin = expandGroup(groups, "BINARY-REDISTRIBUTABLE");
    assert.ok(bin.has("linux-fw-redistributable") && bin.has("BZIP2"));
    for (const members of groups.values()) {
      for (const m of members.filter((x) => !x.startsWith("@"))) {
        assert.ok(existsSync(join(dir, "licenses", m)), `licenses/${m}`);
      }
    }
  });
});
