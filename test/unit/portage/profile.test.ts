/** stage1's package list from a stacked profile (catalyst's build.py). */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { atomKey, profileStack, stage1Packages } from "../../../src/drivers/portage/profile.js";

void test("atomKey strips operators, versions, slots and USE deps", () => {
  assert.equal(atomKey(">=sys-libs/glibc-2.40-r1"), "sys-libs/glibc");
  assert.equal(atomKey("*sys-apps/baselayout"), "sys-apps/baselayout");
  assert.equal(atomKey("sys-devel/gcc:14"), "sys-devel/gcc");
  assert.equal(atomKey("dev-lang/python-exec[python_targets_python3_12]"), "dev-lang/python-exec");
  assert.equal(atomKey("app-alternatives/sh"), "app-alternatives/sh");
});

void test("packages.build stacks incrementally, takes versions from packages, fails on an empty list", () => {
  const repo = mkdtempSync(join(tmpdir(), "substrate-profile-"));
  try {
    const p = (...parts: string[]): string => join(repo, "profiles", ...parts);
    mkdirSync(p("base"), { recursive: true });
    mkdirSync(p("arch", "amd64"), { recursive: true });
    mkdirSync(p("default", "linux", "amd64", "23.0", "systemd"), { recursive: true });
    mkdirSync(p("empty"), { recursive: true });
    writeFileSync(p("empty", "eapi"), "8\n");
    writeFileSync(
      p("base", "packages.build"),
      "# comment\nsys-apps/baselayout\nsys-libs/glibc\nsys-devel/gcc\n",
    );
    writeFileSync(p("base", "packages"), "*>=sys-libs/glibc-2.40\n*sys-apps/baselayout\n");
    writeFileSync(p("arch", "amd64", "parent"), "../../base\n");
    writeFileSync(p("default", "linux", "amd64", "23.0", "parent"), "../../../../arch/amd64\n");
    writeFileSync(
      p("default", "linux", "amd64", "23.0", "systemd", "parent"),
      "..\ngentoo:empty\n",
    );
    writeFileSync(
      p("default", "linux", "amd64", "23.0", "systemd", "packages.build"),
      "-sys-devel/gcc\nsys-apps/systemd-utils\n",
    );
    const stack = profileStack(repo, "default/linux/amd64/23.0/systemd", { gentoo: repo });
    assert.ok(stack.ok);
    assert.deepEqual(
      stack.value.map((d) => d.slice(repo.length + "/profiles/".length)),
      [
        "base",
        "arch/amd64",
        "default/linux/amd64/23.0",
        "empty",
        "default/linux/amd64/23.0/systemd",
      ],
    );
    const list = stage1Packages(repo, "default/linux/amd64/23.0/systemd", { gentoo: repo });
    assert.deepEqual(list, {
      ok: true,
      value: ["sys-apps/baselayout", ">=sys-libs/glibc-2.40", "sys-apps/systemd-utils"],
    });
    const none = stage1Packages(repo, "empty");
    assert.equal(none.ok, false);
    const missing = stage1Packages(repo, "no/such/profile");
    assert.ok(!missing.ok && missing.error.reason === "missing-profile");
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});
