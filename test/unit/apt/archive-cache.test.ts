/** The apt archive cache. shareDebs: how mmdebstrap's private archive folder is filled from, and merged back into, the shared cache. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { shareDebs, withArchiveCache } from "../../../src/drivers/apt/archive-cache.js";
import type { StageContext } from "../../../src/drivers/driver.js";
import { ok } from "../../../src/util/result.js";

void describe("shareDebs", () => {
  void it("links the packages the target lacks, leaves the others and non-packages alone", () => {
    const base = mkdtempSync(join(tmpdir(), "substrate-debs-"));
    const from = join(base, "from");
    const to = join(base, "to");
    mkdirSync(join(from, "partial"), { recursive: true });
    mkdirSync(to);
    writeFileSync(join(from, "a_1_amd64.deb"), "a");
    writeFileSync(join(from, "b_1_amd64.deb"), "b from");
    writeFileSync(join(from, "lock"), "");
    writeFileSync(join(to, "b_1_amd64.deb"), "b already");
    assert.equal(shareDebs(from, to), 1);
    assert.deepEqual(readdirSync(to).sort(), ["a_1_amd64.deb", "b_1_amd64.deb"]);
    assert.equal(readFileSync(join(to, "b_1_amd64.deb"), "utf8"), "b already");
    assert.equal(
      statSync(join(to, "a_1_amd64.deb")).ino,
      statSync(join(from, "a_1_amd64.deb")).ino,
      "a hard link, not a copy",
    );
    assert.equal(shareDebs(from, to), 0, "nothing new the second time");
    assert.equal(shareDebs(join(base, "missing"), to), 0);
  });
});

void describe("withArchiveCache", () => {
  void it("reports a cache that cannot be made as cache-lock-failed, not as cancelled", async () => {
    const base = mkdtempSync(join(tmpdir(), "substrate-lockfail-"));
    // The cache folder is a file: the lock's folder cannot be created.
    const cacheDir = join(base, "cache");
    writeFileSync(cacheDir, "not a folder\n");
    const ctx: StageContext = {
      stage: "amd64/t:stage3",
      kind: "stage3",
      logFile: join(base, "log"),
      signal: new AbortController().signal,
      emit: () => undefined,
      cacheDir,
      jobs: 1,
      values: {},
      sourceDateEpoch: 0,
    };
    let ran = false;
    const r = await withArchiveCache(ctx, "apt-get install --download-only", () => {
      ran = true;
      return Promise.resolve(ok(undefined));
    });
    assert.equal(ran, false);
    assert.ok(!r.ok);
    assert.equal(r.error.reason, "cache-lock-failed");
    assert.match(r.error.message, /cannot create the apt cache/);
  });
});
