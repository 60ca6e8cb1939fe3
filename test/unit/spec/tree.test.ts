/**
 * Tree loading: substrate.toml, build lists, computed keys (substrate.md §2 step 6), token
 * substitution, referenced paths, and diagnostics pointing into the TOML.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadTree, isDateStamp } from "../../../src/spec/tree.js";
import { checkTree } from "../../../src/spec/check.js";
import { hasErrors } from "../../../src/report/diagnostic.js";
import { makeTree } from "./helpers.js";

const CONFIG = `name = "roflmaos"
driver = "apt"

[tokens]
VENDOR = "roflmaOS"

[arch.amd64]
subarch = "amd64"
cflags = "-O2 -pipe -march=x86-64"
builds = ["roflmaos:stage3", "roflmaos:livecd-stage1", "roflmaos:livecd-stage2", "roflmaos:livecd-stage3", "roflmaos:sso"]

[arch.armv7a]
subarch = "armv7a_hardfp"
cflags = "-O2 -march=armv7-a"
interpreter = "/usr/bin/qemu-arm"
builds = []
`;

const SPECS: Record<string, string> = {
  "specs/amd64/roflmaos/stage3.spec": "compression_mode: pixz\n",
  "specs/amd64/roflmaos/livecd-stage1.spec":
    "source_subpath: amd64/roflmaos/stage3-amd64-roflmaos-latest\nlivecd/packages: systemd dracut\n",
  "specs/amd64/roflmaos/livecd-stage2.spec":
    "source_subpath: amd64/roflmaos/stage3-amd64-roflmaos-latest\nboot/kernel: linux\n" +
    "boot/kernel/linux/package: linux-image-amd64\nlivecd/volid: @VENDOR@_@latest@\n",
  "specs/amd64/roflmaos/livecd-stage3.spec":
    "source_subpath: amd64/roflmaos/livecd-stage1-amd64-roflmaos-latest\n" +
    "livecd/payload: amd64/roflmaos/livecd-stage2-amd64-roflmaos-latest\nboot/kernel: linux\n" +
    "livecd/fsscript: @REPO_DIR@/fsscripts/livecd\nlivecd/root_overlay: root_overlays/livecd\n" +
    "livecd/iso: @VENDOR@-@latest@.iso\nlivecd/volid: @VENDOR@_@latest@\ncommon_flags: -O3\n",
  "specs/amd64/roflmaos/sso.spec":
    "target: stage4\nsource_subpath: amd64/roflmaos/stage3-amd64-roflmaos-latest\nstage4/packages: sudo\n",
  "fsscripts/livecd": "#!/bin/sh\n",
  "root_overlays/livecd/etc/hostname": "roflmaOS\n",
};

void describe("loadTree", () => {
  void it("loads every build with computed keys, never overriding the spec", () => {
    const root = makeTree({ "substrate.toml": CONFIG, ...SPECS });
    const tree = loadTree(root, { date: "20261126", cwd: root });
    assert.deepEqual(tree.diagnostics, []);
    assert.equal(tree.config.name, "roflmaos");
    assert.equal(tree.config.driver, "apt");
    assert.deepEqual(tree.config.apt?.suite, "bookworm");
    assert.deepEqual(
      tree.stages.map((s) => [s.id, s.kind]),
      [
        ["amd64/roflmaos:stage3", "stage3"],
        ["amd64/roflmaos:livecd-stage1", "livecd-stage1"],
        ["amd64/roflmaos:livecd-stage2", "livecd-stage2"],
        ["amd64/roflmaos:livecd-stage3", "livecd-stage3"],
        ["amd64/roflmaos:sso", "stage4"],
      ],
    );
    const s3 = tree.stages[0]!;
    assert.deepEqual(s3.values, {
      compression_mode: "pixz",
      pkgcache_path: join(root, "cache", "packages", "amd64"),
      kerncache_path: join(root, "cache", "kerncache"),
      subarch: "amd64",
      target: "stage3",
      version_stamp: "roflmaos-20261126",
      rel_type: "amd64/roflmaos/20261126",
      snapshot_treeish: "20261126",
      common_flags: ["-O2", "-pipe", "-march=x86-64"],
    });
    assert.deepEqual(
      [...s3.computed],
      [
        "pkgcache_path",
        "kerncache_path",
        "subarch",
        "target",
        "version_stamp",
        "rel_type",
        "snapshot_treeish",
        "common_flags",
      ],
    );
    assert.equal(s3.rel, "-roflmaos");
    assert.equal(s3.file, join(root, "specs/amd64/roflmaos/stage3.spec"));

    const lc3 = tree.stages[3]!;
    assert.equal(lc3.values["livecd/fsscript"], join(root, "fsscripts/livecd"));
    assert.equal(lc3.values["livecd/iso"], "roflmaOS-20261126.iso");
    assert.equal(lc3.values["common_flags"], "-O3");
    assert.ok(!lc3.computed.has("common_flags"));
    assert.equal(lc3.tokens?.get("livecd/iso")?.[0]?.span.line, 6);

    // A spec with its own target: version_stamp and rel from the file stem.
    const sso = tree.stages[4]!;
    assert.equal(sso.values["target"], "stage4");
    assert.equal(sso.values["version_stamp"], "sso-20261126");
    assert.equal(sso.rel, "-sso");
    assert.ok(!sso.computed.has("target"));
  });

  void it("uses <date>.lzo snapshots for portage and requires portage's keys", () => {
    const root = makeTree({
      "substrate.toml": '[arch.amd64]\nbuilds = ["default:stage3"]\n',
      "specs/amd64/default/stage3.spec": "source_subpath: amd64/default/stage1-amd64-latest\n",
    });
    const tree = loadTree(root, { date: "20261126", cwd: root });
    assert.equal(tree.config.driver, "portage");
    assert.equal(tree.stages[0]?.values["snapshot_treeish"], "20261126.lzo");
    assert.equal(tree.stages[0].rel, ""); // amd64 + default: no suffix
    assert.deepEqual(
      tree.diagnostics.map((d) => d.message),
      ['missing required key "profile" for target stage3'],
    );
  });

  void it("cross builds take subarch, cflags and interpreter from the buildhost table", () => {
    const root = makeTree({
      "substrate.toml": CONFIG.replace(
        '"roflmaos:sso"]',
        '"roflmaos:sso", "hardfp:stage1:armv7a"]',
      ),
      ...SPECS,
      "specs/armv7a/hardfp/stage1.spec": "source_subpath: armv7a/hardfp/stage3-latest\n",
    });
    const tree = loadTree(root, { date: "20261126", cwd: root, only: ["armv7a"] });
    assert.deepEqual(tree.diagnostics, []);
    const s = tree.stages[0]!;
    assert.equal(s.id, "armv7a/hardfp:stage1");
    assert.equal(s.values["subarch"], "armv7a_hardfp");
    assert.equal(s.values["interpreter"], "/usr/bin/qemu-arm");
    assert.deepEqual(s.values["common_flags"], ["-O2", "-march=armv7-a"]);
    assert.equal(s.rel, "_hardfp");
  });

  void it("points a build without a spec at its string in the TOML", () => {
    const root = makeTree({
      "substrate.toml": '[arch.amd64]\nbuilds = [\n  "roflmaos:stage3",\n  "roflmaos:stage9",\n]\n',
      "specs/amd64/roflmaos/stage3.spec": "source_subpath: a\nprofile: p\n",
    });
    const tree = loadTree(root, { date: "20261126", cwd: root });
    assert.equal(tree.stages.length, 1);
    const d = tree.diagnostics[0];
    assert.equal(d?.code, "missing-spec");
    assert.deepEqual(d.span, { file: "substrate.toml", line: 4, col: 3, endCol: 20 });
    assert.match(d.hint ?? "", /did you mean `roflmaos:stage3`/);
  });

  void it("reports a TOML syntax error with its line and column", () => {
    const root = makeTree({ "substrate.toml": 'name = "x"\ndriver = = "apt"\n' });
    const tree = loadTree(root, { date: "20261126", cwd: root });
    const d = tree.diagnostics[0];
    assert.equal(d?.code, "toml-syntax");
    assert.equal(d.span?.line, 2);
    assert.equal(d.span.file, "substrate.toml");
  });

  void it("reports unknown config keys, bad values and bad build entries, all at once", () => {
    const root = makeTree({
      "substrate.toml":
        'name = "x"\ndrivr = "apt"\ndriver = "yum"\n[tokens]\nlatest = "no"\n' +
        '[arch.amd64]\nbuilds = ["justone", "a:b:nohost"]\nsubarhc = "amd64"\n',
    });
    const tree = loadTree(root, { date: "20261126", cwd: root });
    assert.deepEqual(
      tree.diagnostics.map((d) => [d.code, d.span?.line, d.hint?.slice(0, 22)]),
      [
        ["unknown-config-key", 2, "did you mean `driver`?"],
        ["bad-config-value", 3, 'drivers: "apt" (Debian'],
        ["bad-config-value", 5, "@REPO_DIR@ is the tree"],
        ["unknown-config-key", 8, "did you mean `subarch`"],
        ["bad-build-entry", 7, 'write "flavour:stage" '],
        ["unknown-buildhost", 7, "add an [arch.nohost] t"],
      ],
    );
  });

  void it("makes unknown tokens and missing referenced paths errors in a tree", () => {
    const root = makeTree({
      "substrate.toml": 'driver = "apt"\n[arch.amd64]\nbuilds = ["f:livecd-stage1"]\n',
      "specs/amd64/f/livecd-stage1.spec":
        "source_subpath: s\nlivecd/packages: a\nlivecd/fsscript: @REPO_DIR@/nope\nlivecd/root_overlay: @OVERLAYS@\n",
    });
    const tree = loadTree(root, { date: "20261126", cwd: root });
    assert.deepEqual(
      tree.diagnostics.map((d) => [d.severity, d.code, d.span?.line]),
      [
        ["error", "unknown-token", 4],
        ["error", "missing-path", 3],
      ],
    );
    assert.ok(hasErrors(checkTree(tree)));
  });

  void it("resolves store paths: defaults in the working directory, written ones from the tree", () => {
    const root = makeTree({ "substrate.toml": '[store]\nbuilds = "/srv/b"\nlogs = "l"\n' });
    const tree = loadTree(root, { date: "20261126", cwd: "/work/here" });
    assert.deepEqual(tree.config.store, {
      builds: "/srv/b",
      logs: join(root, "l"),
      cache: "/work/here/cache",
    });
  });

  void it("says when there is no substrate.toml", () => {
    const root = makeTree({ "x.spec": "a: b\n" });
    const tree = loadTree(root, { cwd: root });
    assert.equal(tree.diagnostics[0]?.code, "no-tree-config");
    assert.deepEqual(tree.stages, []);
  });

  void it("filters with only= and rejects selectors that match nothing", () => {
    const root = makeTree({ "substrate.toml": CONFIG, ...SPECS });
    const tree = loadTree(root, { date: "20261126", cwd: root, only: ["roflmaos:stage3", "nope"] });
    assert.deepEqual(
      tree.stages.map((s) => s.id),
      ["amd64/roflmaos:stage3"],
    );
    assert.equal(tree.diagnostics[0]?.code, "unknown-selector");
  });

  void it("checks dates", () => {
    assert.ok(isDateStamp("20261126"));
    assert.ok(!isDateStamp("20261326"));
    assert.ok(!isDateStamp("2026-11-26"));
  });
});

void describe("checkTree", () => {
  void it("warns that livecd/volid on a livecd-stage2 does nothing, and where it belongs", () => {
    const root = makeTree({ "substrate.toml": CONFIG, ...SPECS });
    const ds = checkTree(loadTree(root, { date: "20261126", cwd: root }));
    assert.deepEqual(
      ds.map((d) => [d.code, d.span?.file]),
      [["volid-unused", "specs/amd64/roflmaos/livecd-stage2.spec"]],
    );
    assert.match(ds[0]!.hint ?? "", /livecd-stage3/);
    const without = { ...SPECS };
    without["specs/amd64/roflmaos/livecd-stage2.spec"] = without[
      "specs/amd64/roflmaos/livecd-stage2.spec"
    ]!.replace("livecd/volid: @VENDOR@_@latest@\n", "");
    const clean = makeTree({ "substrate.toml": CONFIG, ...without });
    assert.deepEqual(checkTree(loadTree(clean, { date: "20261126", cwd: clean })), []);
  });
});
