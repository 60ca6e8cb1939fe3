/**
 * `build --dry-run` lines of every stage kind (each kind's `describe`, apt driver: no Portage
 * lines), pinned so a kind's description cannot drift when its module changes.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { PlannedStage } from "../../../src/plan/plan.js";
import type { SpecValue, TargetKindName } from "../../../src/spec/types.js";
import { TARGET_KINDS } from "../../../src/spec/types.js";
import { AptDriver } from "../../../src/drivers/apt/apt-driver.js";
import { describeSteps } from "../../../src/targets/describe.js";

const values: Record<string, SpecValue> = {
  "stage4/packages": "a b",
  "livecd/packages": ["c"],
  "embedded/packages": "e",
  "diskimage/packages": "d",
  "boot/kernel": "k1",
  "livecd/root_overlay": "ov",
  "stage4/fsscript": "fs.sh",
  "livecd/rm": "x",
  "stage4/users": "u",
};

function stage(kind: TargetKindName, source: unknown): PlannedStage {
  const payload = { type: "stage", stage: "a/b:livecd-stage2" };
  return {
    kind,
    spec: { values },
    inputs: { source, payload },
    outputs: { output: "/out/x" },
  } as unknown as PlannedStage;
}

const CLEAN = "clean (machine-id, /tmp, /var/tmp, package caches)";
const IMAGE = [
  "root a/b:src",
  "payload a/b:livecd-stage2",
  "ESP image (systemd-boot, kernel, initramfs)",
  "ISO /out/x",
];
const SBOM = "SBOM /out/x.spdx.json (SPDX 2.3)";
const driverStage = (kind: string): string[] => [
  "unpack a/b:src",
  `build ${kind} with the driver`,
  CLEAN,
  "capture /out/x",
  SBOM,
];

const EXPECTED: Readonly<Record<TargetKindName, readonly string[]>> = {
  stage1: driverStage("stage1"),
  stage2: driverStage("stage2"),
  stage3: driverStage("stage3"),
  stage4: [
    "unpack a/b:src",
    "packages a b",
    "kernel k1",
    "fsscript fs.sh",
    "users u",
    CLEAN,
    "capture /out/x",
    SBOM,
  ],
  embedded: ["unpack a/b:src", "merge e into /tmp/mergeroot", CLEAN, "capture /out/x", SBOM],
  "livecd-stage1": [
    "unpack a/b:src",
    "packages c",
    "live setup (hostname, empty root password, systemd presets)",
    "root_overlay ov",
    "rm x",
    CLEAN,
    "package manifest",
    "squashfs /out/x",
    SBOM,
  ],
  "livecd-stage2": [
    "unpack a/b:src (build environment, not kept)",
    "kernel k1",
    "live initramfs (dracut dmsquash-live)",
    "boot loader binaries",
    "payload /out/x",
  ],
  "livecd-stage3": [...IMAGE, SBOM],
  "diskimage-stage1": ["unpack a/b:src", "packages d", "kernel k1", CLEAN, "capture /out/x"],
  "diskimage-stage2": IMAGE,
  netboot: IMAGE,
};

void describe("describeSteps", () => {
  void it("describes every kind's steps in the order its target runs them", () => {
    for (const kind of TARGET_KINDS) {
      const steps = describeSteps(
        stage(kind, { type: "stage", stage: "a/b:src" }),
        new AptDriver(),
      );
      assert.deepEqual(steps, EXPECTED[kind], kind);
    }
  });

  void it("describes a stage3 bootstrapped from the archive without a driver build", () => {
    assert.deepEqual(describeSteps(stage("stage3", { type: "bootstrap" }), new AptDriver()), [
      "bootstrap a base root from the archive",
      CLEAN,
      "capture /out/x",
      SBOM,
    ]);
  });
});
