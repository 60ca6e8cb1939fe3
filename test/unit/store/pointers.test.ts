/**
 * `-latest` links and `latest-*.txt` pointer files: relative, replaced atomically (a reader in
 * another thread never finds them missing), older-extension links removed.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Worker } from "node:worker_threads";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pointerTextFor, updatePointers } from "../../../src/store/pointers.js";

function flavourDir(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "substrate-ptr-")), "builds/amd64/roflmaos");
  for (const date of ["20260101", "20260102"]) {
    mkdirSync(join(dir, date), { recursive: true });
    writeFileSync(join(dir, date, `stage3-amd64-roflmaos-${date}.tar.zst`), date);
  }
  return dir;
}

void describe("pointers", () => {
  void it("points a relative -latest link and the pointer file at the dated output", () => {
    const dir = flavourDir();
    const output = join(dir, "20260101/stage3-amd64-roflmaos-20260101.tar.zst");
    // An older link with another extension (compression_mode changed) and an unrelated link.
    symlinkSync(
      "20251231/stage3-amd64-roflmaos-20251231.tar.bz2",
      join(dir, "stage3-amd64-roflmaos-latest.tar.bz2"),
    );
    symlinkSync("x", join(dir, "stage3-amd64-latest.tar.bz2"));
    const r = updatePointers({
      output,
      latest: join(dir, "stage3-amd64-roflmaos-latest.tar.zst"),
      pointer: join(dir, "latest-stage3-amd64-roflmaos.txt"),
    });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(
      readlinkSync(join(dir, "stage3-amd64-roflmaos-latest.tar.zst")),
      "20260101/stage3-amd64-roflmaos-20260101.tar.zst",
    );
    assert.equal(
      readFileSync(join(dir, "latest-stage3-amd64-roflmaos.txt"), "utf8"),
      "20260101/stage3-amd64-roflmaos-20260101.tar.zst\n",
    );
    const pointed = readFileSync(join(dir, "latest-stage3-amd64-roflmaos.txt"), "utf8").trim();
    assert.equal(resolve(dir, pointed), output);
    assert.equal(
      resolve(dir, readlinkSync(join(dir, "stage3-amd64-roflmaos-latest.tar.zst"))),
      output,
    );
    assert.deepEqual(readdirSync(dir).sort(), [
      "20260101",
      "20260102",
      "latest-stage3-amd64-roflmaos.txt",
      "stage3-amd64-latest.tar.bz2",
      "stage3-amd64-roflmaos-latest.tar.zst",
    ]);
    assert.equal(pointerTextFor(dir, output), "20260101/stage3-amd64-roflmaos-20260101.tar.zst\n");
  });

  void it("names ISOs latest-<name>.iso and keeps other latest-* files", () => {
    const dir = flavourDir();
    writeFileSync(join(dir, "20260102/roflmaOS-20260102.iso"), "iso");
    writeFileSync(join(dir, "latest-livecd-stage3-amd64-roflmaos.qcow2"), "keep");
    const r = updatePointers({
      output: join(dir, "20260102/roflmaOS-20260102.iso"),
      latest: join(dir, "latest-livecd-stage3-amd64-roflmaos.iso"),
      pointer: join(dir, "latest-livecd-stage3-amd64-roflmaos.txt"),
      pointerText: "20260102/roflmaOS-20260102.iso\n",
    });
    assert.ok(r.ok);
    assert.equal(
      readlinkSync(join(dir, "latest-livecd-stage3-amd64-roflmaos.iso")),
      "20260102/roflmaOS-20260102.iso",
    );
    assert.ok(lstatSync(join(dir, "latest-livecd-stage3-amd64-roflmaos.qcow2")).isFile());
  });

  void it("is never missing for a concurrent reader while it moves", async () => {
    const dir = flavourDir();
    const latest = join(dir, "stage3-amd64-roflmaos-latest.tar.zst");
    const pointer = join(dir, "latest-stage3-amd64-roflmaos.txt");
    const outputs = ["20260101", "20260102"].map((d) =>
      join(dir, d, `stage3-amd64-roflmaos-${d}.tar.zst`),
    );
    assert.ok(updatePointers({ output: outputs[0] ?? "", latest, pointer }).ok);
    // The reader runs until the mover has made its moves (a count, not a time: a loaded
    // machine only makes it slower).
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const reader = new Worker(
      `const { readFileSync, readlinkSync } = require("node:fs");
       const { workerData, parentPort } = require("node:worker_threads");
       let reads = 0, misses = 0;
       parentPort.postMessage("started");
       while (Atomics.load(workerData.stop, 0) === 0) {
         for (const f of [() => readlinkSync(workerData.latest), () => readFileSync(workerData.pointer, "utf8")]) {
           try { const v = f(); if (v === "") misses++; } catch { misses++; }
           reads++;
         }
       }
       parentPort.postMessage({ reads, misses });`,
      { eval: true, workerData: { latest, pointer, stop } },
    );
    await new Promise((resolve) => reader.once("message", resolve));
    const result = new Promise<{ reads: number; misses: number }>((resolve) =>
      reader.once("message", resolve),
    );
    const MOVES = 200;
    for (let moves = 0; moves < MOVES; moves++) {
      assert.ok(updatePointers({ output: outputs[moves % 2] ?? "", latest, pointer }).ok);
      await new Promise((r) => setImmediate(r));
    }
    Atomics.store(stop, 0, 1);
    const { reads, misses } = await result;
    assert.ok(reads > MOVES, `reads ${reads} during ${MOVES} moves`);
    assert.equal(misses, 0);
    assert.ok(!readdirSync(dir).some((n) => n.startsWith(".tmp-")), "no temporary names left");
  });
});
