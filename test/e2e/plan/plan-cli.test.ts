// `substrate plan` and `substrate graph` run as the real binary (no root needed): NDJSON events,
// exit codes, diagnostics for a broken tree, and the three picture formats.
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../../src/cli/bin.js", import.meta.url));

/** The source checkout's examples folder (found upwards from here, else from the cwd). */
function examples(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "examples", "roflmaos", "substrate.toml")))
      return join(dir, "examples");
    const up = dirname(dir);
    if (up === dir) return join(process.cwd(), "examples");
    dir = up;
  }
}

function run(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function events(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

void test("plan --json prints one stage-planned event per stage, in build order", () => {
  const store = mkdtempSync(join(tmpdir(), "substrate-plan-e2e-"));
  const r = run(["plan", join(examples(), "roflmaos"), "--date", "20260101", "--json"], store);
  assert.equal(r.code, 0, r.stderr);
  const evs = events(r.stdout);
  assert.ok(evs.every((e) => e["type"] === "stage-planned" && typeof e["time"] === "string"));
  assert.ok(evs.every((e) => /^[0-9a-f]{64}$/.test(String(e["fingerprint"]))));
  assert.deepEqual(
    evs.map((e) => [
      e["stage"],
      e["decision"],
      e["reason"],
      String(e["output"]).replace(store, "<STORE>"),
    ]),
    [
      [
        "amd64/roflmaos:stage3",
        "build",
        "no output yet",
        "<STORE>/builds/amd64/roflmaos/20260101/stage3-amd64-roflmaos-20260101.tar.zst",
      ],
      [
        "amd64/roflmaos:stage4",
        "build",
        "no output yet",
        "<STORE>/builds/amd64/roflmaos/20260101/stage4-amd64-roflmaos-20260101.tar.zst",
      ],
      [
        "amd64/roflmaos:livecd-stage1",
        "build",
        "no output yet",
        "<STORE>/builds/amd64/roflmaos/20260101/livecd-stage1-amd64-roflmaos-20260101.squashfs",
      ],
      [
        "amd64/roflmaos:livecd-stage2",
        "build",
        "no output yet",
        "<STORE>/builds/amd64/roflmaos/20260101/livecd-stage2-amd64-roflmaos-20260101",
      ],
      [
        "amd64/roflmaos:livecd-stage3",
        "build",
        "no output yet",
        "<STORE>/builds/amd64/roflmaos/20260101/roflmaOS-20260101.iso",
      ],
      [
        "amd64/minimal:embedded",
        "build",
        "no output yet",
        "<STORE>/builds/amd64/minimal/20260101/embedded-amd64-minimal-20260101.tar.zst",
      ],
      [
        "amd64/minimal:livecd-stage3",
        "build",
        "no output yet",
        "<STORE>/builds/amd64/minimal/20260101/roflmaOS-minimal-20260101.iso",
      ],
    ],
  );
});

void test("plan --only keeps what the selection needs; a stamp makes a stage fresh", () => {
  const store = mkdtempSync(join(tmpdir(), "substrate-plan-e2e-"));
  const args = [
    "plan",
    join(examples(), "roflmaos"),
    "--date",
    "20260101",
    "--json",
    "--only",
    "roflmaos:livecd-stage2",
  ];
  const first = events(run(args, store).stdout);
  assert.deepEqual(
    first.map((e) => e["stage"]),
    ["amd64/roflmaos:stage3", "amd64/roflmaos:livecd-stage2"],
  );
  // Publish stage3 as the executor would: the output plus its stamp (fingerprint + record).
  const stage3 = first[0]!;
  const out = String(stage3["output"]);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, "stage3");
  const record = { note: "written by the test" };
  writeFileSync(`${out}.stamp`, JSON.stringify({ fingerprint: stage3["fingerprint"], record }));
  const second = events(run(args, store).stdout);
  assert.deepEqual(
    second.map((e) => [e["decision"], e["reason"]]),
    [
      ["fresh", "up to date"],
      ["build", "no output yet"],
    ],
  );
});

void test("plan reports a cycle with every hop and exits 1", () => {
  const root = mkdtempSync(join(tmpdir(), "substrate-plan-cycle-"));
  writeFileSync(
    join(root, "substrate.toml"),
    'driver = "apt"\n[arch.amd64]\nbuilds = ["c:stage4", "c:livecd-stage1"]\n',
  );
  mkdirSync(join(root, "specs", "amd64", "c"), { recursive: true });
  writeFileSync(
    join(root, "specs", "amd64", "c", "stage4.spec"),
    "source_subpath: amd64/c/@latest@/livecd-stage1-amd64-c-@latest@\nstage4/packages: less\n",
  );
  writeFileSync(
    join(root, "specs", "amd64", "c", "livecd-stage1.spec"),
    "source_subpath: amd64/c/@latest@/stage4-amd64-c-@latest@\nlivecd/packages: udev\n",
  );
  const r = run(["plan", ".", "--date", "20260101"], root);
  assert.equal(r.code, 1);
  assert.match(
    r.stdout,
    /error: stages need each other in a cycle: amd64\/c:stage4 -> amd64\/c:livecd-stage1 -> amd64\/c:stage4/,
  );
  assert.match(r.stdout, /amd64\/c:stage4 takes its source from amd64\/c:livecd-stage1/);
  assert.match(r.stdout, /amd64\/c:livecd-stage1 takes its source from amd64\/c:stage4/);
  assert.match(r.stdout, /blocked: its inputs form a cycle/);
  const json = events(run(["plan", ".", "--date", "20260101", "--json"], root).stdout);
  assert.equal(json[0]?.["type"], "diagnostic");
});

void test("graph draws DOT, mermaid and SVG", () => {
  const store = mkdtempSync(join(tmpdir(), "substrate-graph-e2e-"));
  const tree = join(examples(), "gentoo");
  const dot = run(["graph", tree, "--date", "20260101"], store);
  assert.equal(dot.code, 0, dot.stderr);
  assert.match(dot.stdout, /^digraph "Substrate Stage Paths" \{/);
  assert.match(
    dot.stderr,
    /warning: source_subpath names amd64\/systemd\/stage3-amd64-systemd-latest/,
  );
  const mermaid = run(["graph", tree, "--date", "20260101", "--format", "mermaid"], store);
  assert.match(mermaid.stdout, /flowchart LR/);
  const svgFile = join(store, "stages.svg");
  const svg = run(["graph", tree, "--date", "20260101", "--format", "svg", "-o", svgFile], store);
  assert.equal(svg.code, 0, svg.stderr);
  assert.equal(svg.stdout, "");
  assert.match(readFileSync(svgFile, "utf8"), /<svg [^>]*>[\s\S]*livecd-stage3[\s\S]*<\/svg>\n$/);
  const bad = run(["graph", tree, "--format", "png"], store);
  assert.equal(bad.code, 2);
});

void test("--only has one grammar for plan and build: one value each, repeatable, commas", () => {
  const store = mkdtempSync(join(tmpdir(), "substrate-plan-e2e-"));
  const tree = join(examples(), "roflmaos");
  const want = ["amd64/minimal:embedded", "amd64/roflmaos:stage3", "amd64/roflmaos:stage4"];
  const planned = (stdout: string): string[] =>
    events(stdout)
      .filter((e) => e["type"] === "stage-planned")
      .map((e) => String(e["stage"]))
      .sort();
  for (const command of ["plan", "build"]) {
    const extra = command === "build" ? ["--dry-run"] : [];
    // The selector options come before the tree: --only must not swallow it.
    const repeated = run(
      [
        command,
        ...extra,
        "--json",
        "--only",
        "roflmaos:stage4",
        "--only",
        "minimal:embedded",
        tree,
      ],
      store,
    );
    assert.equal(repeated.code, 0, `${command}: ${repeated.stdout}${repeated.stderr}`);
    assert.deepEqual(planned(repeated.stdout), want, command);
    const commas = run(
      [command, ...extra, "--json", "--only", "roflmaos:stage4,minimal:embedded", tree],
      store,
    );
    assert.equal(commas.code, 0, `${command}: ${commas.stdout}${commas.stderr}`);
    assert.deepEqual(planned(commas.stdout), want, command);
    // Two bare values after one --only: the second is a stray argument, for both commands.
    const stray = run(
      [command, ...extra, "--only", "roflmaos:stage4", "minimal:embedded", tree],
      store,
    );
    assert.equal(stray.code, 2, `${command}: ${stray.stderr}`);
  }
});
