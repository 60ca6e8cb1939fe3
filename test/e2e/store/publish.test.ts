/**
 * Publishing stage outputs into the store (needs tar, zstd, xz, coreutils): CONTENTS, DIGESTS
 * (checked with `sha512sum -c` as substrate's seed Makefile did), pointers, stamp last; and a
 * publisher killed at any moment never leaves a partial file at a final name.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { packTarball } from "../../../src/image/tarball.js";
import { verifyDigests } from "../../../src/store/digests.js";
import {
  Publisher,
  generationsDirFor,
  publishStage,
  readStamp,
  removeStamp,
  removeStaleTemps,
  stagingDirFor,
} from "../../../src/store/publish.js";

const tarballModule = fileURLToPath(new URL("../../../src/image/tarball.js", import.meta.url));
const publishModule = fileURLToPath(new URL("../../../src/store/publish.js", import.meta.url));

function store(): {
  flavourDir: string;
  dateDir: string;
  outputs: Parameters<typeof publishStage>[0]["outputs"];
} {
  const flavourDir = join(mkdtempSync(join(tmpdir(), "substrate-store-")), "builds/amd64/roflmaos");
  const dateDir = join(flavourDir, "20260101");
  mkdirSync(dateDir, { recursive: true });
  const file = "stage3-amd64-roflmaos-20260101.tar.zst";
  return {
    flavourDir,
    dateDir,
    outputs: {
      output: join(dateDir, file),
      latest: join(flavourDir, "stage3-amd64-roflmaos-latest.tar.zst"),
      pointer: join(flavourDir, "latest-stage3-amd64-roflmaos.txt"),
      pointerText: `20260101/${file}\n`,
    },
  };
}

async function stageTarball(stagingDir: string, name: string): Promise<void> {
  const src = join(stagingDir, "../../..", `src-${name}`);
  mkdirSync(join(src, "usr/bin"), { recursive: true });
  writeFileSync(join(src, "usr/bin/tool"), "#!/bin/sh\n");
  const r = await packTarball({
    source: src,
    output: join(stagingDir, name),
    mode: "zstd",
    sourceDateEpoch: 1700000000,
  });
  assert.ok(r.ok, JSON.stringify(r));
}

void describe("publishStage", () => {
  void it("publishes output, CONTENTS.gz, DIGESTS, sha256, extras, pointers, then the stamp", async () => {
    const { flavourDir, dateDir, outputs } = store();
    const staging = stagingDirFor(dateDir, "stage3-amd64-roflmaos");
    mkdirSync(staging);
    const main = "stage3-amd64-roflmaos-20260101.tar.zst";
    await stageTarball(staging, main);
    writeFileSync(join(staging, "packages.txt"), "busybox 1.35\n");
    // Debris of a dead run, and a live run's staging folder (ours) that must stay.
    mkdirSync(join(dateDir, ".tmp-stage3-amd64-roflmaos-999999999"));
    const stamp = { fingerprint: "abc", record: { k: 1 } };
    removeStamp(outputs.output);
    const r = await publishStage({
      stagingDir: staging,
      names: [main, "packages.txt"],
      outputs,
      stamp,
    });
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.value, [
      outputs.output,
      join(dateDir, "packages.txt"),
      `${outputs.output}.CONTENTS.gz`,
      `${outputs.output}.DIGESTS`,
      `${outputs.output}.sha256`,
    ]);
    assert.deepEqual(readdirSync(dateDir).sort(), [
      `.${main}.pub`,
      `.tmp-stage3-amd64-roflmaos-${process.pid}`,
      "packages.txt",
      main,
      `${main}.CONTENTS.gz`,
      `${main}.DIGESTS`,
      `${main}.sha256`,
      `${main}.stamp`,
    ]);
    // Every public name is a fixed link through the one `current` switch.
    for (const n of [main, "packages.txt", `${main}.DIGESTS`, `${main}.stamp`]) {
      const target = `.${main}.pub/current/${n}`;
      assert.equal(readlinkSync(join(dateDir, n)), target);
    }
    const listing = gunzipSync(readFileSync(`${outputs.output}.CONTENTS.gz`)).toString();
    assert.match(listing, /\.\/usr\/bin\/tool$/m);
    assert.ok((await verifyDigests(outputs.output, `${outputs.output}.DIGESTS`)).ok);
    assert.ok(
      (await verifyDigests(`${outputs.output}.CONTENTS.gz`, `${outputs.output}.DIGESTS`)).ok,
    );
    // The check substrate's seed Makefile ran against Gentoo's DIGESTS works on ours.
    const checked = execFileSync(
      "sh",
      ["-c", `sed -n '/SHA512/{N;p}' ${main}.DIGESTS | sha512sum -c`],
      {
        cwd: dateDir,
        encoding: "utf8",
      },
    );
    assert.equal(checked, `${main}: OK\n${main}.CONTENTS.gz: OK\n`);
    const b2 = execFileSync("sh", ["-c", `sed -n '/BLAKE2B/{N;p}' ${main}.DIGESTS | b2sum -c`], {
      cwd: dateDir,
      encoding: "utf8",
    });
    assert.equal(b2, `${main}: OK\n${main}.CONTENTS.gz: OK\n`);
    assert.equal(
      execFileSync("sha256sum", ["-c", `${main}.sha256`], { cwd: dateDir, encoding: "utf8" }),
      `${main}: OK\n`,
    );
    assert.equal(readlinkSync(outputs.latest), `20260101/${main}`);
    assert.equal(readFileSync(outputs.pointer, "utf8"), `20260101/${main}\n`);
    const { output: recorded, ...rest } = readStamp(outputs.output) as {
      output: { size: number };
    };
    assert.deepEqual(rest, stamp);
    assert.equal(recorded.size, statSync(outputs.output).size);
    assert.ok(existsSync(flavourDir));
  });

  void it("digests the output's SBOM with it: .DIGESTS names <output>.spdx.json", async () => {
    const { dateDir, outputs } = store();
    const staging = stagingDirFor(dateDir, "stage3-amd64-roflmaos");
    mkdirSync(staging);
    const main = "stage3-amd64-roflmaos-20260101.tar.zst";
    await stageTarball(staging, main);
    writeFileSync(join(staging, `${main}.spdx.json`), '{"spdxVersion":"SPDX-2.3"}\n');
    const r = await publishStage({
      stagingDir: staging,
      names: [main, `${main}.spdx.json`],
      outputs,
      stamp: { fingerprint: "abc", record: {} },
    });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(
      readlinkSync(join(dateDir, `${main}.spdx.json`)),
      `.${main}.pub/current/${main}.spdx.json`,
    );
    const checked = execFileSync(
      "sh",
      ["-c", `sed -n '/SHA512/{N;p}' ${main}.DIGESTS | sha512sum -c`],
      { cwd: dateDir, encoding: "utf8" },
    );
    assert.equal(checked, `${main}: OK\n${main}.CONTENTS.gz: OK\n${main}.spdx.json: OK\n`);
    assert.ok((await verifyDigests(outputs.output, `${outputs.output}.DIGESTS`)).ok);
  });

  void it("refuses a wrong main name or a missing file, publishing nothing", async () => {
    const { dateDir, outputs } = store();
    const staging = stagingDirFor(dateDir, "x");
    mkdirSync(staging);
    const wrong = await publishStage({
      stagingDir: staging,
      names: ["other.tar"],
      outputs,
      stamp: {},
    });
    assert.ok(!wrong.ok && wrong.error.reason === "bad-names");
    const missing = await publishStage({
      stagingDir: staging,
      names: ["stage3-amd64-roflmaos-20260101.tar.zst"],
      outputs,
      stamp: {},
    });
    assert.ok(!missing.ok && missing.error.reason === "missing-output");
    const p = new Publisher().add(join(staging, "nope"), join(dateDir, "nope"));
    assert.ok(!p.commit().ok);
    assert.deepEqual(readdirSync(dateDir), [".tmp-x-" + String(process.pid)]);
  });

  void it("replaces a folder output whole, and removes dead runs' temporaries", () => {
    const { dateDir } = store();
    const final = join(dateDir, "embedded-amd64-20260101");
    mkdirSync(join(final, "old"), { recursive: true });
    const staged = join(dateDir, ".tmp-embedded-1", "embedded-amd64-20260101");
    mkdirSync(join(staged, "new"), { recursive: true });
    const r = new Publisher().add(staged, final).commit();
    assert.ok(r.ok);
    assert.deepEqual(readdirSync(final), ["new"]);
    // Across filesystems (tmpfs /dev/shm): copied beside the final name, then renamed.
    const shm = mkdtempSync("/dev/shm/substrate-publish-");
    writeFileSync(join(dateDir, "cross.iso"), "iso bytes");
    const cross = new Publisher().add(join(dateDir, "cross.iso"), join(shm, "cross.iso")).commit();
    assert.ok(cross.ok, JSON.stringify(cross));
    assert.deepEqual(readdirSync(shm), ["cross.iso"]);
    assert.equal(readFileSync(join(shm, "cross.iso"), "utf8"), "iso bytes");
    assert.equal(existsSync(join(dateDir, "cross.iso")), false);
    rmSync(shm, { recursive: true });
    mkdirSync(join(dateDir, ".old-x-999999998"));
    assert.deepEqual(removeStaleTemps(dateDir), [".old-x-999999998"]);
  });
});

void describe("killed while publishing", () => {
  void it("never leaves a partial file at a final name (SIGKILL at many moments)", async () => {
    for (const delay of [30, 120, 250, 400, 600, 900, 1400]) {
      const { dateDir, outputs } = store();
      const src = join(dateDir, "..", "src");
      mkdirSync(src);
      // Incompressible data so xz takes a while.
      const big = Buffer.alloc(24 << 20);
      for (let i = 0; i < big.length; i += 4)
        big.writeUInt32LE((Math.imul(i, 2654435761) ^ (i >>> 7)) >>> 0, i);
      writeFileSync(join(src, "big"), big);
      const script = [
        `import { packTarball } from ${JSON.stringify(tarballModule)};`,
        `import { publishStage, stagingDirFor } from ${JSON.stringify(publishModule)};`,
        `import { mkdirSync } from "node:fs";`,
        `const staging = stagingDirFor(${JSON.stringify(dateDir)}, "stage3");`,
        `mkdirSync(staging);`,
        `const name = ${JSON.stringify(outputs.output.split("/").pop())};`,
        `const p = await packTarball({ source: ${JSON.stringify(src)}, output: staging + "/" + name, mode: "zstd", sourceDateEpoch: 1, jobs: 1 });`,
        `if (!p.ok) process.exit(3);`,
        `const r = await publishStage({ stagingDir: staging, names: [name], outputs: ${JSON.stringify(outputs)}, stamp: { done: true } });`,
        `process.exit(r.ok ? 0 : 4);`,
      ].join("\n");
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
        stdio: "inherit",
      });
      const exited = new Promise<number | null>((r) => {
        child.on("exit", (code) => {
          r(code);
        });
      });
      await new Promise((r) => setTimeout(r, delay));
      child.kill("SIGKILL");
      const code = await exited;
      assert.ok(code === null || code === 0, `child failed with ${String(code)}`);
      // Whatever moment it died: the output is complete (its DIGESTS verify) or absent.
      if (existsSync(outputs.output)) {
        if (existsSync(`${outputs.output}.DIGESTS`)) {
          assert.ok((await verifyDigests(outputs.output, `${outputs.output}.DIGESTS`)).ok);
        }
        const list = execFileSync("tar", ["-tf", outputs.output], { encoding: "utf8" });
        assert.match(list, /^\.\/big$/m, `delay ${delay}: the published tarball is whole`);
      }
      if (existsSync(`${outputs.output}.stamp`)) {
        assert.ok(
          existsSync(outputs.output) && existsSync(outputs.pointer) && existsSync(outputs.latest),
        );
      }
      assert.ok(
        !readdirSync(dateDir).some((n) => n.endsWith(".partial")),
        "no partial file outside staging",
      );
      // The next run cleans the dead run's staging folder.
      removeStaleTemps(dateDir);
      assert.ok(!readdirSync(dateDir).some((n) => n.startsWith(".tmp-")));
    }
  });
});

void describe("SIGKILL before each file-system change of a publish (SUBSTRATE_FAULT)", () => {
  const sha = (p: string): string => createHash("sha256").update(readFileSync(p)).digest("hex");
  async function tarballOf(dir: string, tag: string): Promise<string> {
    const src = join(dir, `src-${tag}`);
    mkdirSync(join(src, "etc"), { recursive: true });
    writeFileSync(join(src, "etc/version"), `${tag}\n`);
    const out = join(dir, `${tag}.tar.zst`);
    const r = await packTarball({ source: src, output: out, mode: "zstd", sourceDateEpoch: 1 });
    assert.ok(r.ok, JSON.stringify(r));
    return out;
  }
  function publishScript(
    outputs: Parameters<typeof publishStage>[0]["outputs"],
    tarball: string,
    tag: string,
  ): string {
    const dateDir = outputs.output.slice(0, outputs.output.lastIndexOf("/"));
    return [
      `import { publishStage, stagingDirFor } from ${JSON.stringify(publishModule)};`,
      `import { copyFileSync, mkdirSync } from "node:fs";`,
      `const staging = stagingDirFor(${JSON.stringify(dateDir)}, "stage3");`,
      `mkdirSync(staging, { recursive: true });`,
      `const name = ${JSON.stringify(outputs.output.split("/").pop())};`,
      `copyFileSync(${JSON.stringify(tarball)}, staging + "/" + name);`,
      `const r = await publishStage({ stagingDir: staging, names: [name], outputs: ${JSON.stringify(outputs)}, stamp: { fingerprint: ${JSON.stringify(tag)}, record: {} } });`,
      `process.exit(r.ok ? 0 : 4);`,
    ].join("\n");
  }
  function run(script: string, fault?: number): { status: number | null; signal: string | null } {
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      stdio: "inherit",
      env: { ...process.env, SUBSTRATE_FAULT: fault === undefined ? "" : `publish:${fault}` },
    });
    return { status: r.status, signal: r.signal };
  }

  void it("every kill point leaves public names whose digests verify, and the next publish completes", async () => {
    let kills = 0;
    // Over a store of this layout, then over one of the old layout (plain files at public names).
    for (const legacy of [false, true])
      for (let n = 1; n < 50; n++) {
        const { dateDir, outputs } = store();
        const v1 = await tarballOf(join(dateDir, "../.."), "v1");
        const v2 = await tarballOf(join(dateDir, "../.."), "v2");
        assert.equal(run(publishScript(outputs, v1, "v1")).status, 0);
        if (legacy) {
          for (const x of readdirSync(dateDir).filter((x) => !x.startsWith("."))) {
            const bytes = readFileSync(join(dateDir, x));
            rmSync(join(dateDir, x));
            writeFileSync(join(dateDir, x), bytes);
          }
          rmSync(generationsDirFor(outputs.output), { recursive: true });
        }
        const killed = run(publishScript(outputs, v2, "v2"), n);
        if (killed.signal !== "SIGKILL") {
          assert.equal(killed.status, 0, `publish with fault ${n} failed`);
          break;
        }
        kills++;
        // Whatever public name exists is whole, and any DIGESTS beside it describes it.
        const main = outputs.output.split("/").pop() ?? "";
        if (existsSync(outputs.output)) {
          const bytes = sha(outputs.output);
          assert.ok(bytes === sha(v1) || bytes === sha(v2), `fault ${n}: output is v1 or v2`);
          if (existsSync(`${outputs.output}.DIGESTS`)) {
            assert.ok(
              (await verifyDigests(outputs.output, `${outputs.output}.DIGESTS`)).ok,
              `fault ${n}`,
            );
            execFileSync(
              "sh",
              ["-c", `sed -n '/SHA512/{N;p}' ${main}.DIGESTS | sha512sum -c --quiet`],
              {
                cwd: dateDir,
              },
            );
          }
          if (existsSync(`${outputs.output}.sha256`))
            execFileSync("sha256sum", ["-c", "--quiet", `${main}.sha256`], { cwd: dateDir });
          const stamp = readStamp(outputs.output) as { fingerprint?: string } | undefined;
          if (stamp !== undefined)
            assert.equal(sha(stamp.fingerprint === "v1" ? v1 : v2), bytes, `fault ${n}: stamp`);
        } else {
          assert.ok(!existsSync(`${outputs.output}.DIGESTS`), `fault ${n}: digests of nothing`);
          assert.ok(!existsSync(`${outputs.output}.stamp`), `fault ${n}: stamp of nothing`);
        }
        if (existsSync(outputs.latest)) {
          assert.equal(sha(outputs.latest), sha(outputs.output), `fault ${n}: latest`);
        }
        // The next publish completes and leaves one generation.
        assert.equal(run(publishScript(outputs, v2, "v2")).status, 0, `fault ${n}: recovery`);
        assert.equal(sha(outputs.output), sha(v2));
        assert.ok((await verifyDigests(outputs.output, `${outputs.output}.DIGESTS`)).ok);
        assert.equal((readStamp(outputs.output) as { fingerprint: string }).fingerprint, "v2");
        assert.equal(sha(outputs.latest), sha(v2));
        assert.equal(readdirSync(generationsDirFor(outputs.output)).length, 2);
        removeStaleTemps(dateDir);
        assert.ok(!readdirSync(dateDir).some((x) => x.startsWith(".tmp-")), `fault ${n}: debris`);
      }
    process.stdout.write(`# publish fault points: ${kills} kills, ${kills} clean recoveries\n`);
    assert.ok(kills >= 20, `only ${kills} fault points were reached`);
  });
});
