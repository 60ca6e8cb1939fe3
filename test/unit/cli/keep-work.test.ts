import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keptWorkFolder } from "../../../src/cli/commands/build.js";
import { collectSelectors } from "../../../src/cli/only.js";

void describe("keptWorkFolder", () => {
  void it("names the failed stage's folder under <cache>/work, else the work folder", () => {
    const cache = mkdtempSync(join(tmpdir(), "substrate-keep-"));
    assert.equal(keptWorkFolder(cache, "amd64/r:stage4"), join(cache, "work"));
    mkdirSync(join(cache, "work", "amd64_r_stage4-1234"), { recursive: true });
    assert.equal(
      keptWorkFolder(cache, "amd64/r:stage4"),
      join(cache, "work", "amd64_r_stage4-1234"),
    );
    mkdirSync(join(cache, "work", "amd64_r_stage4"));
    assert.equal(keptWorkFolder(cache, "amd64/r:stage4"), join(cache, "work", "amd64_r_stage4"));
  });
});

void describe("collectSelectors", () => {
  void it("adds one value, split on commas, to the ones before", () => {
    assert.deepEqual(collectSelectors("a:b", undefined), ["a:b"]);
    assert.deepEqual(collectSelectors("c:d, e ,", ["a:b"]), ["a:b", "c:d", "e"]);
  });
});
