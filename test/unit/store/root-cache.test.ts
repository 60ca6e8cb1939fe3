/**
 * Kept roots (store/root-cache.ts): a root is used only for the very file it was squashed
 * into; a replaced or touched output, another store folder or an entry in use is a miss; the
 * cache keeps only the most recently used entries.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  MAX_KEPT_ROOTS,
  keepRoot,
  openKeptRoot,
  rootCacheDir,
  settleKeptRoots,
} from "../../../src/store/root-cache.js";

const STAGE = "amd64/roflmaos:livecd-stage1";

function fixture(): { cache: string; output: string; makeRoot: (marker: string) => string } {
  const base = mkdtempSync(join(tmpdir(), "substrate-roots-"));
  const cache = join(base, "cache");
  const dateDir = join(base, "builds/amd64/roflmaos/20260101");
  mkdirSync(dateDir, { recursive: true });
  mkdirSync(join(cache, "work"), { recursive: true });
  const output = join(dateDir, "livecd-stage1-amd64-roflmaos-20260101.squashfs");
  writeFileSync(output, "image bytes");
  let n = 0;
  const makeRoot = (marker: string): string => {
    const root = join(cache, "work", `root-${n++}`);
    mkdirSync(join(root, "etc"), { recursive: true });
    writeFileSync(join(root, "etc/marker"), marker);
    return root;
  };
  return { cache, output, makeRoot };
}

void describe("kept roots", () => {
  void it("a kept root is found for exactly the file it was squashed into", () => {
    const { cache, output, makeRoot } = fixture();
    const root = makeRoot("one");
    assert.equal(keepRoot({ cacheDir: cache, stageId: STAGE, root, output }), "kept");
    assert.ok(!existsSync(root), "the root was moved, not copied");
    const k = openKeptRoot({ cacheDir: cache, stageId: STAGE, input: output });
    assert.ok(k, "a hit for the same file");
    assert.ok(existsSync(join(k.root, "etc/marker")));
    // In use: a second user (or a producer replacing it) cannot take it meanwhile.
    assert.equal(openKeptRoot({ cacheDir: cache, stageId: STAGE, input: output }), undefined);
    k.release();
    const again = openKeptRoot({ cacheDir: cache, stageId: STAGE, input: output });
    assert.ok(again);
    again.release();
  });

  void it("a rebuilt, replaced or touched output, or another stage id, is a miss", () => {
    const { cache, output, makeRoot } = fixture();
    keepRoot({ cacheDir: cache, stageId: STAGE, root: makeRoot("one"), output });
    assert.equal(
      openKeptRoot({ cacheDir: cache, stageId: "amd64/other:livecd-stage1", input: output }),
      undefined,
    );
    utimesSync(output, new Date(1_000_000), new Date(1_000_000));
    assert.equal(openKeptRoot({ cacheDir: cache, stageId: STAGE, input: output }), undefined);
    keepRoot({ cacheDir: cache, stageId: STAGE, root: makeRoot("two"), output });
    writeFileSync(`${output}.new`, "image bytes");
    renameSync(`${output}.new`, output);
    assert.equal(openKeptRoot({ cacheDir: cache, stageId: STAGE, input: output }), undefined);
  });

  void it("an entry in use is not replaced: the new root is dropped", () => {
    const { cache, output, makeRoot } = fixture();
    keepRoot({ cacheDir: cache, stageId: STAGE, root: makeRoot("one"), output });
    const k = openKeptRoot({ cacheDir: cache, stageId: STAGE, input: output });
    assert.ok(k);
    const second = makeRoot("two");
    assert.equal(keepRoot({ cacheDir: cache, stageId: STAGE, root: second, output }), "in-use");
    assert.ok(!existsSync(second), "the dropped root is deleted");
    assert.ok(existsSync(join(k.root, "etc/marker")), "the root in use is untouched");
    k.release();
  });

  void it("a missing output keeps nothing", () => {
    const { cache, output, makeRoot } = fixture();
    const root = makeRoot("one");
    const outcome = keepRoot({ cacheDir: cache, stageId: STAGE, root, output: `${output}.gone` });
    assert.equal(outcome, "no-output");
    assert.ok(!existsSync(root));
  });

  void it(`keeps at most ${MAX_KEPT_ROOTS} entries, dropping the least recently used`, async () => {
    const { cache, output, makeRoot } = fixture();
    for (let i = 0; i < MAX_KEPT_ROOTS + 2; i++) {
      keepRoot({
        cacheDir: cache,
        stageId: `amd64/f${i}:livecd-stage1`,
        root: makeRoot(`${i}`),
        output,
      });
      // Distinct use times, oldest first.
      const entries = readdirSync(rootCacheDir(cache)).filter((n) => n.startsWith(`amd64_f${i}_`));
      assert.equal(entries.length, 1);
      const t = new Date(Date.now() - (MAX_KEPT_ROOTS + 2 - i) * 60_000);
      utimesSync(join(rootCacheDir(cache), entries[0]!, "identity.json"), t, t);
    }
    await settleKeptRoots();
    // Replaced and pruned roots are deleted in the background; settled, nothing else is left.
    const left = readdirSync(rootCacheDir(cache)).filter((n) => !n.endsWith(".lock"));
    assert.equal(left.length, MAX_KEPT_ROOTS);
    assert.ok(
      !left.some((n) => n.startsWith("amd64_f0_") || n.startsWith("amd64_f1_")),
      left.join(),
    );
  });
});

void describe("kept roots: crash leftovers", () => {
  void it("a half-done keep of a dead process is cleaned up by the next keep", () => {
    const { cache, output, makeRoot } = fixture();
    mkdirSync(join(rootCacheDir(cache), ".new-x-999999999-0/root"), { recursive: true });
    keepRoot({ cacheDir: cache, stageId: STAGE, root: makeRoot("one"), output });
    assert.ok(!existsSync(join(rootCacheDir(cache), ".new-x-999999999-0")));
  });
});
