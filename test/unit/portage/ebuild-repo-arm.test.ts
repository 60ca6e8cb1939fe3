/**
 * The arm profile chain of the real-Portage tier's repository (test/helpers/portage-repo-arm.ts):
 * the driver stacks it like Gentoo's default/linux/arm/23.0/armv7a, it says ARCH=arm with the
 * armv7a hard-float CHOST the arch table has, and every ebuild keywords arm.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { test } from "node:test";
import { archEntry } from "../../../src/drivers/portage/arch-table.js";
import { profileStack, stage1Packages } from "../../../src/drivers/portage/profile.js";
import { ARM_CHOST, ARM_PROFILE } from "../../helpers/portage-repo-arm.js";
import { BUILD_PACKAGES, writeEbuildRepo } from "../../helpers/portage-repo.js";

void test("the arm chain is shaped like 23.0/armv7a: ARCH=arm, KEYWORDS arm, armv7a hard-float CHOST", () => {
  const dir = mkdtempSync(join(tmpdir(), "substrate-ebuild-repo-arm-"));
  try {
    const repo = writeEbuildRepo(dir);
    const stack = profileStack(dir, ARM_PROFILE);
    assert.ok(stack.ok, JSON.stringify(stack));
    assert.deepEqual(
      stack.value.map((p) => relative(join(dir, "profiles"), p)),
      [
        "base",
        "default/linux",
        "arch/base",
        "arch/arm",
        "default/linux/arm/23.0",
        "arch/arm/armv7a",
        "default/linux/arm/23.0/armv7a",
      ],
    );
    const build = stage1Packages(dir, ARM_PROFILE);
    assert.ok(build.ok);
    assert.deepEqual(build.value, [...BUILD_PACKAGES]);
    const defaults = (node: string): string =>
      readFileSync(join(dir, "profiles", node, "make.defaults"), "utf8");
    assert.match(defaults("arch/arm"), /^ARCH="arm"$/m);
    assert.match(defaults("arch/arm"), /^ACCEPT_KEYWORDS="arm"$/m);
    assert.match(defaults("arch/arm/armv7a"), new RegExp(`^CHOST="${ARM_CHOST}"$`, "m"));
    assert.equal(archEntry("armv7a_hardfp")?.chost, ARM_CHOST);
    assert.match(
      readFileSync(join(dir, "profiles/profiles.desc"), "utf8"),
      new RegExp(`^arm\t${ARM_PROFILE}\tstable$`, "m"),
    );
    for (const cpv of repo.packages) {
      const [cat, pf] = cpv.split("/");
      const pn = (pf ?? "").replace(/-\d.*$/, "");
      const ebuild = readFileSync(join(dir, cat ?? "", pn, `${pf ?? ""}.ebuild`), "utf8");
      assert.match(ebuild, /^KEYWORDS="[^"]*\barm\b[^"]*"$/m, `${cpv} keywords arm`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
