// Store layout: output, latest link, pointer, log and stamp paths per stage form.
import { strict as assert } from "node:assert";
import { test } from "node:test";
import { stageOutputs } from "../../../src/plan/layout.js";
import { makeTree, roflmaosStages } from "./tree-builder.js";

void test("each roflmaOS stage gets substrate's names under builds/<arch>/<flavour>/<date>", () => {
  const root = "/t";
  const tree = makeTree({ root, stages: roflmaosStages("20260101") });
  const rows = tree.stages.map((s) => {
    const o = stageOutputs(s, tree.config, tree.date);
    return [o.output, o.latest, o.pointer, o.pointerText, o.log, o.stamp, o.form];
  });
  assert.deepEqual(rows, [
    [
      "/t/builds/amd64/roflmaos/20260101/stage3-amd64-roflmaos-20260101.tar.zst",
      "/t/builds/amd64/roflmaos/stage3-amd64-roflmaos-latest.tar.zst",
      "/t/builds/amd64/roflmaos/latest-stage3-amd64-roflmaos.txt",
      "20260101/stage3-amd64-roflmaos-20260101.tar.zst\n",
      "/t/logs/roflmaos/stage3-amd64-roflmaos-20260101.log",
      "/t/builds/amd64/roflmaos/20260101/stage3-amd64-roflmaos-20260101.tar.zst.stamp",
      "tarball",
    ],
    [
      "/t/builds/amd64/roflmaos/20260101/stage4-amd64-roflmaos-20260101.tar.zst",
      "/t/builds/amd64/roflmaos/stage4-amd64-roflmaos-latest.tar.zst",
      "/t/builds/amd64/roflmaos/latest-stage4-amd64-roflmaos.txt",
      "20260101/stage4-amd64-roflmaos-20260101.tar.zst\n",
      "/t/logs/roflmaos/stage4-amd64-roflmaos-20260101.log",
      "/t/builds/amd64/roflmaos/20260101/stage4-amd64-roflmaos-20260101.tar.zst.stamp",
      "tarball",
    ],
    [
      "/t/builds/amd64/roflmaos/20260101/livecd-stage1-amd64-roflmaos-20260101.squashfs",
      "/t/builds/amd64/roflmaos/livecd-stage1-amd64-roflmaos-latest.squashfs",
      "/t/builds/amd64/roflmaos/latest-livecd-stage1-amd64-roflmaos.txt",
      "20260101/livecd-stage1-amd64-roflmaos-20260101.squashfs\n",
      "/t/logs/roflmaos/livecd-stage1-amd64-roflmaos-20260101.log",
      "/t/builds/amd64/roflmaos/20260101/livecd-stage1-amd64-roflmaos-20260101.squashfs.stamp",
      "squashfs",
    ],
    [
      "/t/builds/amd64/roflmaos/20260101/livecd-stage2-amd64-roflmaos-20260101",
      "/t/builds/amd64/roflmaos/livecd-stage2-amd64-roflmaos-latest",
      "/t/builds/amd64/roflmaos/latest-livecd-stage2-amd64-roflmaos.txt",
      "20260101/livecd-stage2-amd64-roflmaos-20260101\n",
      "/t/logs/roflmaos/livecd-stage2-amd64-roflmaos-20260101.log",
      "/t/builds/amd64/roflmaos/20260101/livecd-stage2-amd64-roflmaos-20260101.stamp",
      "directory",
    ],
    [
      "/t/builds/amd64/roflmaos/20260101/roflmaOS-20260101.iso",
      "/t/builds/amd64/roflmaos/latest-livecd-stage3-amd64-roflmaos.iso",
      "/t/builds/amd64/roflmaos/latest-livecd-stage3-amd64-roflmaos.txt",
      "20260101/roflmaOS-20260101.iso\n",
      "/t/logs/roflmaos/livecd-stage3-amd64-roflmaos-20260101.log",
      "/t/builds/amd64/roflmaos/20260101/roflmaOS-20260101.iso.stamp",
      "iso",
    ],
  ]);
});

void test("portage defaults to lbzip2, compression_mode picks the extension, rel follows substrate", () => {
  const tree = makeTree({
    root: "/t",
    driver: "portage",
    stages: [
      { flavour: "systemd", stage: "stage3" },
      { flavour: "systemd", stage: "stage4", values: { compression_mode: "pixz" } },
      { flavour: "default", stage: "stage3", values: { compression_mode: "rsync" } },
      { arch: "armv7a", flavour: "hardfp", stage: "stage3" },
      { arch: "armv7a", flavour: "ella", stage: "stage3" },
      { flavour: "systemd", stage: "sso", kind: "stage4", values: { target: "stage4" } },
    ],
  });
  const names = tree.stages.map((s) =>
    stageOutputs(s, tree.config, tree.date).output.slice("/t/builds/".length),
  );
  assert.deepEqual(names, [
    "amd64/systemd/20260101/stage3-amd64-systemd-20260101.tar.bz2",
    "amd64/systemd/20260101/stage4-amd64-systemd-20260101.tar.xz",
    "amd64/default/20260101/stage3-amd64-20260101",
    "armv7a/hardfp/20260101/stage3-armv7a_hardfp-20260101.tar.bz2",
    "armv7a/ella/20260101/stage3-armv7a_hardfp-ella-20260101.tar.bz2",
    "amd64/systemd/20260101/stage4-amd64-sso-20260101.tar.bz2",
  ]);
});
