/** emerge options and the example tree's Portage steps for `build --dry-run`. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { describePortageSteps } from "../../../src/drivers/portage/describe.js";
import {
  emergeEnv,
  emergeOptions,
  emergeSettingsFor,
  installArgs,
  stageCommands,
} from "../../../src/drivers/portage/emerge.js";
import { loadTree } from "../../../src/spec/tree.js";

/** examples/gentoo beside the compiled tests (dist/), else in the working directory (the repo). */
const EXAMPLE =
  [
    fileURLToPath(new URL("../../../../examples/gentoo", import.meta.url)),
    join(process.cwd(), "examples", "gentoo"),
  ].find((p) => existsSync(join(p, "substrate.toml"))) ?? "examples/gentoo";

void test("emerge settings follow the host size; pkgcache adds catalyst's binary package options", () => {
  const s = emergeSettingsFor({
    jobs: 8,
    cores: 8,
    values: { pkgcache_path: "/c", interpreter: "/usr/bin/qemu-arm" },
  });
  assert.deepEqual(s, {
    makeJobs: 8,
    jobs: 4,
    load: 8,
    pkgcache: true,
    foreign: true,
    sandboxBinary: true,
  });
  assert.deepEqual(emergeOptions(s), [
    "--quiet",
    "--jobs",
    "4",
    "--load-average",
    "8",
    "--usepkg",
    "--buildpkg",
    "--binpkg-respect-use=y",
    "--newuse",
  ]);
  assert.deepEqual(emergeOptions(s, { seedUpdate: true }), [
    "--quiet",
    "--jobs",
    "4",
    "--load-average",
    "8",
  ]);
  const env = emergeEnv(s);
  assert.equal(
    env["FEATURES"],
    "-news binpkg-multi-instance clean-logs parallel-install -pid-sandbox -network-sandbox -ipc-sandbox",
  );
  assert.equal(env["MAKEOPTS"], "-j8 -l8");
  assert.equal(env["CONFIG_PROTECT"], "-*");
});

void test("FEATURES: the namespace sandboxes are off for every build; sandbox only without its binary", () => {
  const features = (values: Record<string, string>, sandboxBinary?: boolean): string =>
    emergeEnv(
      emergeSettingsFor({
        jobs: 2,
        cores: 2,
        values,
        ...(sandboxBinary === undefined ? {} : { sandboxBinary }),
      }),
    )["FEATURES"] ?? "";
  const catalyst = "-news binpkg-multi-instance clean-logs parallel-install";
  const namespaces = "-pid-sandbox -network-sandbox -ipc-sandbox";
  // Native, Gentoo seed (the default: a root with /usr/bin/sandbox).
  assert.equal(features({}), `${catalyst} ${namespaces}`);
  assert.equal(features({}, true), `${catalyst} ${namespaces}`);
  // Native, a root without Portage's sandbox binary (the Debian-made Portage seed).
  assert.equal(features({}, false), `${catalyst} ${namespaces} -sandbox -usersandbox`);
  // Foreign: the same rule, no special case.
  assert.equal(features({ interpreter: "/usr/bin/qemu-arm-static" }), `${catalyst} ${namespaces}`);
  assert.equal(
    features({ interpreter: "/usr/bin/qemu-arm-static" }, false),
    `${catalyst} ${namespaces} -sandbox -usersandbox`,
  );
  // Every stage command carries them (stage3's emerge -e @system, stage2's bootstrap.sh).
  const s = emergeSettingsFor({ jobs: 2, cores: 2, values: {}, sandboxBinary: false });
  for (const kind of ["stage2", "stage3", "stage4"] as const) {
    for (const c of stageCommands(kind, {}, s)) {
      if ("argv" in c && c.env !== undefined) {
        assert.equal(c.env["FEATURES"], `${catalyst} ${namespaces} -sandbox -usersandbox`);
      }
    }
  }
});

void test("stage kinds without Portage work of their own get no commands", () => {
  const s = emergeSettingsFor({ jobs: 2, cores: 2, values: {} });
  assert.deepEqual(stageCommands("embedded", {}, s), []);
  assert.deepEqual(stageCommands("livecd-stage2", {}, s), []);
  assert.deepEqual(
    stageCommands("stage3", {}, s).map((c) => c.step),
    ["@system", "etc-update", "depclean", "preclean"],
  );
});

void test("stage4 follows catalyst's stage4 chroot.sh: emerge -u @system, then the packages as given", () => {
  const s = emergeSettingsFor({ jobs: 4, cores: 2, values: { pkgcache_path: "/c" } });
  const cmds = stageCommands("stage4", {}, s);
  assert.deepEqual(
    cmds.map((c) => ("argv" in c ? c.argv.join(" ") : c.step)),
    [
      "emerge --quiet --jobs 2 --load-average 2 --usepkg --buildpkg --binpkg-respect-use=y --newuse -u @system",
    ],
  );
  assert.equal(cmds[0]?.env?.["ROOT"], undefined, "into / (no ROOT)");
  // run_merge "${clst_packages}": no --update/--deep of its own.
  assert.deepEqual(installArgs("stage4", ["app-editors/nano", "app-misc/tmux"]), [
    "app-editors/nano",
    "app-misc/tmux",
  ]);
  // livecd-stage1 installs with --update --deep --newuse (catalyst's livecd-stage1 chroot.sh).
  assert.deepEqual(installArgs("livecd-stage1", ["sys-apps/usbutils"]), [
    "--update",
    "--deep",
    "--newuse",
    "sys-apps/usbutils",
  ]);
});

void test("describePortageSteps lists the amd64 and armv7a chains of examples/gentoo", () => {
  const tree = loadTree(EXAMPLE, { date: "20260101" });
  const byId = new Map(tree.stages.map((s) => [s.id, s]));
  const s1 = byId.get("amd64/systemd:stage1");
  assert.ok(s1 !== undefined);
  const lines = describePortageSteps(s1.kind, s1.values, 4);
  assert.deepEqual(lines.slice(0, 3), [
    "snapshot gentoo-20260101.lzo.sqfs at /var/db/repos/gentoo (read-only)",
    "profile default/linux/amd64/23.0/no-multilib/systemd",
    `portage_confdir ${EXAMPLE}/confdirs/stages`,
  ]);
  assert.ok(
    lines.includes(
      "update seed: emerge --quiet --jobs 2 --load-average 4 --buildpkg=n --update --deep --newuse @world",
    ),
  );
  assert.ok(
    lines.some(
      (l) =>
        l.startsWith("packages.build: ROOT=/tmp/stage1root emerge") &&
        l.includes("<packages.build of default/linux/amd64/23.0/no-multilib/systemd>"),
    ),
  );
  const arm = byId.get("armv7a/hardfp:stage1");
  assert.ok(arm !== undefined);
  assert.deepEqual(arm.values["interpreter"], "/usr/bin/qemu-arm-static");
  assert.ok(describePortageSteps(arm.kind, arm.values, 4).includes("make.conf for armv7a_hardfp"));
  const s4 = byId.get("amd64/systemd:stage4");
  assert.ok(s4 !== undefined);
  assert.deepEqual(
    describePortageSteps(s4.kind, s4.values, 4).filter((l) => l.includes("emerge")),
    [
      "@system: emerge --quiet --jobs 2 --load-average 4 --usepkg --buildpkg --binpkg-respect-use=y --newuse -u @system",
    ],
  );
  const l2 = byId.get("amd64/systemd:livecd-stage2");
  assert.ok(l2 !== undefined);
  assert.ok(
    describePortageSteps(l2.kind, l2.values, 4).includes(
      "kernel gentoo: dist kernel sys-kernel/gentoo-kernel (dracut)",
    ),
  );
  const l3 = byId.get("amd64/systemd:livecd-stage3");
  assert.ok(l3 !== undefined);
  assert.deepEqual(describePortageSteps(l3.kind, l3.values, 4), []);
});
