// Corrupt inputs: a published stage output used as the next stage's input is verified against its
// .DIGESTS first (a flipped byte, a truncated file, a tarball replaced by another valid one, a
// missing .DIGESTS: each refused with a typed failure naming the file), and planning does not
// call a replaced or touched output fresh (size and mtime recorded in its stamp).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { packTarball } from "../../../src/image/tarball.js";
import { makePlan, type PlannedStage } from "../../../src/plan/plan.js";
import { publishStage, stagingDirFor } from "../../../src/store/publish.js";
import { verifyInput } from "../../../src/store/verify-input.js";
import { makeTree, roflmaosStages, tempRoot } from "../../unit/plan/tree-builder.js";

async function publishedTarball(tag: string): Promise<string> {
  const flavourDir = join(mkdtempSync(join(tmpdir(), "substrate-verify-")), "builds/amd64/x");
  const dateDir = join(flavourDir, "20260101");
  const name = "stage3-amd64-x-20260101.tar.zst";
  const staging = stagingDirFor(dateDir, "stage3");
  mkdirSync(staging, { recursive: true });
  const src = join(flavourDir, `src-${tag}`);
  mkdirSync(join(src, "etc"), { recursive: true });
  writeFileSync(join(src, "etc/passwd"), `root:x:0:0::/root:/bin/sh\n${tag}\n`);
  const p = await packTarball({
    source: src,
    output: join(staging, name),
    mode: "zstd",
    sourceDateEpoch: 1,
  });
  assert.ok(p.ok, JSON.stringify(p));
  const output = join(dateDir, name);
  const r = await publishStage({
    stagingDir: staging,
    names: [name],
    outputs: {
      output,
      latest: join(flavourDir, "stage3-amd64-x-latest.tar.zst"),
      pointer: join(flavourDir, "latest-stage3-amd64-x.txt"),
      pointerText: `20260101/${name}\n`,
    },
    stamp: { fingerprint: tag, record: {} },
  });
  assert.ok(r.ok, JSON.stringify(r));
  return output;
}

void describe("verifyInput", () => {
  void it("accepts a published output and returns the very file it checked", async () => {
    const out = await publishedTarball("good");
    const r = await verifyInput(out, "x:stage3", true);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value, realpathSync(out));
    assert.equal(basename(r.value), basename(out));
  });

  void it("refuses a flipped byte, a truncated file and a replaced tarball, naming the file", async () => {
    const cases: [string, (p: string) => Promise<void> | void][] = [
      [
        "flipped byte",
        (p) => {
          const b = readFileSync(p);
          b[b.length >> 1] = (b[b.length >> 1] ?? 0) ^ 0x01;
          writeFileSync(p, b);
        },
      ],
      [
        "truncated",
        (p) => {
          truncateSync(p, Math.floor(readFileSync(p).length / 2));
        },
      ],
      [
        "replaced by another valid tarball",
        async (p) => {
          writeFileSync(p, readFileSync(await publishedTarball("uid0-intruder")));
        },
      ],
    ];
    for (const [what, tamper] of cases) {
      const out = await publishedTarball("good");
      await tamper(out);
      const r = await verifyInput(out, "x:stage3", true);
      assert.ok(!r.ok, `${what}: refused`);
      assert.equal(r.error.reason, "input-corrupt", what);
      assert.equal(r.error.path, out);
      assert.ok(r.error.message.includes(out), `${what}: ${r.error.message}`);
      assert.match(r.error.message, /BLAKE2B|SHA512/, what);
      assert.match(r.error.message, /refused before use/, what);
      // A seed (not a stage of the plan) whose .DIGESTS does not verify is refused alike.
      const seed = await verifyInput(out, "seed", false);
      assert.ok(!seed.ok && seed.error.reason === "input-corrupt", what);
    }
  });

  void it("refuses a stage output without .DIGESTS; a seed without one is the driver's business", async () => {
    const out = await publishedTarball("good");
    rmSync(`${realpathSync(out)}.DIGESTS`);
    const r = await verifyInput(out, "x:stage3", true);
    assert.ok(!r.ok && r.error.reason === "input-unverifiable", JSON.stringify(r));
    assert.ok((await verifyInput(out, "seed", false)).ok);
    const missing = await verifyInput(join(dirname(out), "nope.tar.zst"), "x:stage3", true);
    assert.ok(!missing.ok && missing.error.reason === "input-missing");
  });
});

void describe("planning a tampered output", () => {
  void it("is not fresh when the output's size or mtime differs from its stamp", async () => {
    const root = tempRoot();
    const tree = makeTree({ root, stages: roflmaosStages() });
    const first = makePlan(tree, { toolVersion: "t" });
    const publish = async (s: PlannedStage): Promise<void> => {
      const staging = stagingDirFor(s.outputs.dateDir, s.outputs.name);
      mkdirSync(staging, { recursive: true });
      const staged = join(staging, basename(s.outputs.output));
      if (s.outputs.form === "directory") mkdirSync(staged);
      else writeFileSync(staged, `output of ${s.id}`);
      const r = await publishStage({
        stagingDir: staging,
        names: [basename(s.outputs.output)],
        outputs: s.outputs,
        stamp: { fingerprint: s.fingerprint, record: s.record },
        digests: false,
      });
      assert.ok(r.ok, JSON.stringify(r));
    };
    for (const s of first.stages) await publish(s);
    const fresh = makePlan(tree, { toolVersion: "t" });
    assert.ok(fresh.stages.every((s) => s.decision.kind === "fresh"));
    const s3 = first.stages[0]!.outputs.output;
    writeFileSync(s3, "a replaced tarball, longer than before");
    const replaced = makePlan(tree, { toolVersion: "t" }).stages[0]!.decision;
    assert.equal(replaced.kind === "build" && replaced.code, "output-changed");
    // Same size, other bytes, other mtime.
    await publish(first.stages[0]!);
    const size = readFileSync(s3).length;
    writeFileSync(s3, "x".repeat(size));
    utimesSync(s3, new Date(), new Date(Date.now() + 5000));
    const touched = makePlan(tree, { toolVersion: "t" }).stages[0]!.decision;
    assert.equal(touched.kind === "build" && touched.code, "output-changed");
    await publish(first.stages[0]!);
    assert.equal(makePlan(tree, { toolVersion: "t" }).stages[0]!.decision.kind, "fresh");
  });
});

void describe("verifyInput on a folder output (the live CD payload)", () => {
  async function publishedPayload(): Promise<string> {
    const flavourDir = join(mkdtempSync(join(tmpdir(), "substrate-verify-dir-")), "builds/amd64/x");
    const dateDir = join(flavourDir, "20260101");
    const name = "livecd-stage2-amd64-x-20260101";
    const staging = stagingDirFor(dateDir, "livecd-stage2-amd64-x");
    mkdirSync(join(staging, name, "boot"), { recursive: true });
    writeFileSync(join(staging, name, "boot/vmlinuz"), "kernel\n");
    writeFileSync(join(staging, name, "payload.json"), "{}\n");
    const output = join(dateDir, name);
    const r = await publishStage({
      stagingDir: staging,
      names: [name],
      outputs: {
        output,
        latest: join(flavourDir, "livecd-stage2-amd64-x-latest"),
        pointer: join(flavourDir, "latest-livecd-stage2-amd64-x.txt"),
        pointerText: `20260101/${name}\n`,
      },
      stamp: { fingerprint: "p", record: {} },
    });
    assert.ok(r.ok, JSON.stringify(r));
    return output;
  }

  void it("publishes a DIGESTS entry per file and accepts the untouched folder", async () => {
    const out = await publishedPayload();
    const digests = readFileSync(`${out}.DIGESTS`, "utf8");
    assert.match(
      digests,
      /# SHA512 HASH\n[0-9a-f]{128} {2}livecd-stage2-amd64-x-20260101\/boot\/vmlinuz\n/,
    );
    const r = await verifyInput(out, "x:livecd-stage2", true);
    assert.ok(r.ok, JSON.stringify(r));
  });

  void it("refuses a changed, an added or a removed file before use", async () => {
    for (const change of ["changed", "added", "removed"] as const) {
      const out = await publishedPayload();
      const real = realpathSync(out);
      if (change === "changed") writeFileSync(join(real, "boot/vmlinuz"), "evil kernel\n");
      if (change === "added") writeFileSync(join(real, "boot/extra"), "x\n");
      if (change === "removed") rmSync(join(real, "payload.json"));
      const r = await verifyInput(out, "x:livecd-stage2", true);
      assert.ok(!r.ok, `${change}: refused`);
      assert.equal(
        r.error.reason,
        change === "changed" ? "input-corrupt" : "input-unverifiable",
        `${change}: ${r.error.message}`,
      );
    }
  });
});
