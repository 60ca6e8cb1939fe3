/** Output naming: rel suffix, output and pointer names. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  catalystTargetSubpath,
  latestLinkName,
  latestPointerName,
  relSuffix,
  stageOutputName,
} from "../../../src/spec/naming.js";

void describe("naming", () => {
  void it("follows substrate's rel rule", () => {
    assert.equal(relSuffix("amd64", "default"), "");
    assert.equal(relSuffix("armv7a", "hardfp"), "_hardfp");
    assert.equal(relSuffix("armv7a", "systemd"), "_hardfp-systemd");
    assert.equal(relSuffix("amd64", "roflmaos"), "-roflmaos");
    assert.equal(relSuffix("arm64", "default"), "-default");
  });

  void it("names outputs and pointers like substrate", () => {
    const parts = { target: "stage3", arch: "amd64", rel: relSuffix("amd64", "roflmaos") };
    assert.equal(
      stageOutputName({ ...parts, date: "20261126" }, "pixz"),
      "stage3-amd64-roflmaos-20261126.tar.xz",
    );
    assert.equal(stageOutputName({ ...parts, date: "20261126" }, "nope"), undefined);
    assert.equal(latestLinkName(parts, ".tar.xz"), "stage3-amd64-roflmaos-latest.tar.xz");
    assert.equal(latestPointerName(parts), "latest-stage3-amd64-roflmaos.txt");
  });

  void it("computes catalyst's target_subpath", () => {
    assert.equal(
      catalystTargetSubpath({
        rel_type: "amd64/roflmaos/20261126",
        target: "stage3",
        subarch: "amd64",
        version_stamp: "roflmaos-20261126",
      }),
      "amd64/roflmaos/20261126/stage3-amd64-roflmaos-20261126",
    );
    assert.equal(catalystTargetSubpath({ target: "stage3" }), undefined);
  });
});
