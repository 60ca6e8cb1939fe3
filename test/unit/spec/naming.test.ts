/** Output naming: the rel suffix. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { relSuffix } from "../../../src/spec/naming.js";

void describe("naming", () => {
  void it("follows substrate's rel rule", () => {
    assert.equal(relSuffix("amd64", "default"), "");
    assert.equal(relSuffix("armv7a", "hardfp"), "_hardfp");
    assert.equal(relSuffix("armv7a", "systemd"), "_hardfp-systemd");
    assert.equal(relSuffix("amd64", "roflmaos"), "-roflmaos");
    assert.equal(relSuffix("arm64", "default"), "-default");
  });
});
