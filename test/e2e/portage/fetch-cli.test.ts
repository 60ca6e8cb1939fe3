/**
 * `substrate fetch` on a small Portage tree against the fake Gentoo mirror: the stage1's missing
 * upstream stage3 seed and the snapshot are downloaded, verified and placed where the plan looks
 * for them; a second run finds everything in place. The command is registered on a bare
 * commander program in a child process (the lead wires it into src/cli/main.ts).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import {
  type FakeMirror,
  type TestKey,
  SEED_STAMP,
  makeKey,
  mirrorFiles,
  scratch,
  startMirror,
} from "./autobuild-fixture.js";

const FETCH_JS = fileURLToPath(new URL("../../../src/cli/commands/fetch.js", import.meta.url));
/** commander, from the repository the tests run in (the compiled tree may live elsewhere). */
const COMMANDER = pathToFileURL(
  createRequire(join(process.cwd(), "package.json")).resolve("commander"),
).href;

let dir: string;
let key: TestKey;
let mirror: FakeMirror;

before(async () => {
  dir = scratch("fetch-cli");
  key = makeKey(dir, "release");
  mirror = await startMirror(mirrorFiles(dir, key).files);
  const tree = join(dir, "tree");
  mkdirSync(join(tree, "specs", "amd64", "default"), { recursive: true });
  writeFileSync(
    join(tree, "substrate.toml"),
    `name = "t"\ndriver = "portage"\nmirrors = ["${mirror.url}"]\n[arch.amd64]\nsubarch = "amd64"\nbuilds = ["default:stage1"]\n`,
  );
  writeFileSync(
    join(tree, "specs", "amd64", "default", "stage1.spec"),
    "source_subpath: amd64/default/stage3-amd64-latest\nprofile: default/linux/amd64/23.0\nsnapshot_treeish: 20260101.xz\n",
  );
});

after(async () => {
  await mirror.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the command in a child process (asynchronously: the fake mirror lives in this one). */
function fetchCli(
  args: readonly string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const script = `import { Command } from ${JSON.stringify(COMMANDER)};
import { registerFetch } from ${JSON.stringify(FETCH_JS)};
const p = new Command("substrate").exitOverride();
registerFetch(p);
await p.parseAsync(${JSON.stringify(args)}, { from: "user" });`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: dir });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (status) => {
      resolve({ status, stdout, stderr });
    });
  });
}

void it("substrate fetch downloads and verifies the seed and snapshot a Portage plan needs (fake mirror)", async () => {
  const r = await fetchCli([
    "fetch",
    join(dir, "tree"),
    "--date",
    "20260101",
    "--keyring",
    key.publicKey,
  ]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /seed default\/stage3-amd64-latest -> stage3-amd64-openrc-20260101T170000Z\.tar\.xz \(clear-signed\)/,
  );
  assert.equal(
    readlinkSync(join(dir, "builds", "amd64", "default", "stage3-amd64-latest.tar.xz")),
    `stage3-amd64-openrc-${SEED_STAMP}.tar.xz`,
  );
  assert.ok(existsSync(join(dir, "cache", "snapshots", "gentoo-20260101.xz.sqfs")));
  const again = await fetchCli([
    "fetch",
    join(dir, "tree"),
    "--date",
    "20260101",
    "--keyring",
    key.publicKey,
  ]);
  assert.equal(again.status, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /already verified/);
  assert.doesNotMatch(
    again.stdout,
    /seed default/,
    "the seed is found now: nothing to fetch for it",
  );
});

void it("substrate fetch exits 1 and names the reason when the keyring does not match (fake mirror)", async () => {
  rmSync(join(dir, "builds"), { recursive: true, force: true });
  rmSync(join(dir, "cache"), { recursive: true, force: true });
  const stranger = makeKey(dir, "stranger");
  const r = await fetchCli([
    "fetch",
    join(dir, "tree"),
    "--date",
    "20260101",
    "--keyring",
    stranger.publicKey,
  ]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /error: seed default\/stage3-amd64-latest: latest-stage3-amd64-openrc\.txt .*not in the keyring/,
  );
  assert.equal(
    existsSync(join(dir, "builds", "amd64", "default", "stage3-amd64-latest.tar.xz")),
    false,
  );
});
