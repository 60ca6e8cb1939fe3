import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { describeEvent } from "../../../src/report/format.js";
import type { Event } from "../../../src/report/events.js";

const failed: Event = {
  type: "stage-failed",
  stage: "amd64/r:stage4",
  durationMs: 1500,
  reason: "step-failed",
  message: "fsscript exited with status 1",
  step: "fsscript",
  failure: { reason: "step-failed", step: "fsscript", message: "fsscript exited with status 1" },
  log: "/b/stage4.log",
};

void describe("describeEvent", () => {
  void it("renders an error event as an error with its hint", () => {
    assert.equal(
      describeEvent({ type: "error", message: "must run as root", hint: "run it as root" }, false),
      "error: must run as root\n  hint: run it as root",
    );
  });

  void it("says in a stage's failure block how to keep its work folder", () => {
    const text = describeEvent(failed, false) ?? "";
    assert.match(text, /full log: \/b\/stage4\.log\n {2}to keep its work folder .* --keep-work$/);
  });

  void it("names the kept work folder when --keep-work kept it", () => {
    const text = describeEvent({ ...failed, workKept: "/c/work/amd64_r_stage4" }, false) ?? "";
    assert.match(text, /\n {2}work folder kept: \/c\/work\/amd64_r_stage4$/);
    assert.doesNotMatch(text, /rerun with --keep-work/);
  });

  void it("does not suggest --keep-work for a cancelled stage", () => {
    const text = describeEvent({ ...failed, reason: "cancelled" }, false) ?? "";
    assert.doesNotMatch(text, /--keep-work/);
  });
});

void describe("the run's human lines (issue 16, item 5)", () => {
  void it("show no stage-planned line: the plan is `plan`'s and --json's", () => {
    const planned: Event = {
      type: "stage-planned",
      stage: "amd64/r:stage3",
      decision: "build",
      reason: "no output yet",
      output: "/b/x.tar.zst",
      fingerprint: "f",
    };
    assert.equal(describeEvent(planned, false), undefined);
  });

  void it("name one output per built stage, not its sidecars", () => {
    const done: Event = {
      type: "stage-succeeded",
      stage: "amd64/r:stage3",
      durationMs: 2500,
      outputs: ["/b/s.tar.zst", "/b/s.tar.zst.CONTENTS.gz", "/b/s.tar.zst.DIGESTS"],
    };
    assert.equal(describeEvent(done, false), "done   amd64/r:stage3  2.5s  -> /b/s.tar.zst");
  });
});
