// Builds side by side, for real (mmdebstrap against Debian's archive, as root), with one shared
// --cache: two copies of one tree started from two folders at once (the same stage ids, so on
// the old code the same <cache>/work/<stage> folder, which each deleted at start) must both
// succeed with outputs whose digests verify; two builds of one tree at once must not collide:
// the second waits, naming the first (pid, command, since), and uses what it published; and
// `check` and `plan` of a tree under construction both succeed meanwhile.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { aptTreeConfig, writeFile } from "../../helpers/apt-tree.js";
import { CLI_BIN, type CliResult, type JsonEvent, ofType, runCli } from "../../helpers/cli.js";

const CACHE = "/var/cache/substrate";
const STAGE = "amd64/base:stage3";

/** A one-stage apt tree (the same in every copy, so the stage id is the same). */
function writeTree(dir: string): void {
  writeFile(join(dir, "substrate.toml"), aptTreeConfig("concurrencytest", ["base:stage3"]));
  writeFile(join(dir, "specs/amd64/base/stage3.spec"), "compression_mode: gzip\n");
}

/** Every SHA512 line of the stage's .DIGESTS verifies in its folder. */
function verifyOutput(builds: string, date: string): void {
  const dateDir = join(builds, "amd64/base", date);
  const digests = readdirSync(dateDir).filter((n) => n.endsWith(".DIGESTS"));
  assert.equal(digests.length, 1, `one .DIGESTS in ${dateDir}: ${readdirSync(dateDir).join(" ")}`);
  const out = execFileSync(
    "sh",
    ["-c", `sed -n '/SHA512/{N;p}' '${digests[0] ?? ""}' | sha512sum -c`],
    { cwd: dateDir, encoding: "utf8" },
  );
  assert.match(out, /: OK\n[^]*: OK\n/);
}

function describe(r: CliResult): string {
  const failed = ofType(r.events, "stage-failed").map((e) => String(e["message"]));
  return `exit ${String(r.code)}; failures: ${failed.join(" | ")}; stderr: ${r.stderr.slice(-2000)}`;
}

/** Starts a JSON build; resolves `started` at its first stage-started event. */
function startBuild(
  args: readonly string[],
  cwd: string,
): { pid: number; started: Promise<void>; done: Promise<CliResult> } {
  const child = spawn(process.execPath, ["--enable-source-maps", CLI_BIN, ...args], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let onStart: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (onStart = resolve));
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
    if (stdout.includes('"type":"stage-started"')) onStart();
  });
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => {
    child.on("close", (code) => {
      onStart();
      const events: JsonEvent[] = [];
      for (const line of stdout.split("\n")) {
        if (line.startsWith("{")) events.push(JSON.parse(line) as JsonEvent);
      }
      resolve({ code, stdout, stderr, events });
    });
  });
  return { pid: child.pid ?? 0, started, done };
}

void test("builds sharing one cache at once", { timeout: 30 * 60_000 }, async (t) => {
  const work = mkdtempSync(join("/var/tmp", "substrate-concurrency-"));
  const folders = ["a", "b"].map((n) => join(work, n));
  for (const f of folders) writeTree(join(f, "tree"));
  const args = (date: string): string[] => [
    "build",
    "tree",
    "--json",
    "--date",
    date,
    "--cache",
    CACHE,
  ];
  const ourWork = (): string[] =>
    existsSync(join(CACHE, "work"))
      ? readdirSync(join(CACHE, "work")).filter((n) => n.startsWith("amd64_base_stage3"))
      : [];

  await t.test("two trees with the same stage ids, from two folders, both succeed", async () => {
    const runs = folders.map((f) => startBuild(args("20260201"), f));
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) {
      assert.equal(r.code, 0, describe(r));
      assert.deepEqual(
        ofType(r.events, "stage-succeeded").map((e) => e["stage"]),
        [STAGE],
      );
    }
    for (const f of folders) verifyOutput(join(f, "builds"), "20260201");
    assert.deepEqual(ourWork(), [], "no work folder or lock is left in the cache");
  });

  await t.test(
    "the same tree twice at once: the second waits, naming the first; check and plan run meanwhile",
    async () => {
      const cwd = folders[0] ?? "";
      const first = startBuild(args("20260202"), cwd);
      await first.started;
      const second = startBuild(args("20260202"), cwd);
      const check = await runCli(["check", "tree"], { cwd });
      const plan = await runCli(["plan", "tree", "--date", "20260202"], {
        cwd,
      });
      assert.equal(check.code, 0, check.stdout + check.stderr);
      assert.equal(plan.code, 0, plan.stdout + plan.stderr);
      const [a, b] = await Promise.all([first.done, second.done]);
      assert.equal(a.code, 0, describe(a));
      assert.equal(b.code, 0, describe(b));
      assert.deepEqual(
        ofType(a.events, "stage-succeeded").map((e) => e["stage"]),
        [STAGE],
      );
      const waits = ofType(b.events, "info")
        .map((e) => String(e["message"]))
        .filter((m) => m.includes("waits for another build"));
      assert.equal(waits.length, 1, b.stdout);
      assert.ok(waits[0]?.includes(`substrate process ${first.pid} (`), waits[0]);
      assert.match(
        waits[0] ?? "",
        /locked by substrate process \d+ \(substrate build tree --json --date 20260202 .*\) since \d{4}-/,
      );
      assert.deepEqual(
        ofType(b.events, "stage-fresh").map((e) => e["stage"]),
        [STAGE],
        "the second build uses what the first published",
      );
      assert.deepEqual(ofType(b.events, "stage-failed"), []);
      verifyOutput(join(cwd, "builds"), "20260202");
      assert.deepEqual(ourWork(), []);
    },
  );

  rmSync(work, { recursive: true, force: true });
});
