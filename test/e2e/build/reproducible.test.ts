// The same bytes twice (issue 14): the default tree (examples/roflmaos, both flavours: stage3,
// stage4, livecd-stage1, livecd-stage2, livecd-stage3, embedded, the minimal ISO) built for
// real twice, in two temporary folders made at different times (so every host-side path, work
// folder and build time differs), with the same inputs: the package cache /var/cache/substrate
// and --date. Every stage tarball, squashfs, payload file and ISO must have one sha256; on a
// mismatch diffoscope's report of the pair is the assertion message. Then
// `build --verify-reproducible` on the second tree: it passes for the default ISO without
// touching what is published, and it catches (and shows with diffoscope) an fsscript that
// writes a random id into the minimal ISO.
// Needs root, Debian's archive and diffoscope (scripts/install-deps.sh).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { type JsonEvent, REPO_ROOT, ofType, runCli, stagesOf } from "../../helpers/cli.js";
import { DIFFOSCOPE_LIMITS } from "../../../src/exec/verify-reproducible.js";

const DATE = "20260101";
const CACHE = "/var/cache/substrate";
const ALL_STAGES = [
  "amd64/roflmaos:stage3",
  "amd64/roflmaos:stage4",
  "amd64/roflmaos:livecd-stage1",
  "amd64/roflmaos:livecd-stage2",
  "amd64/roflmaos:livecd-stage3",
  "amd64/minimal:embedded",
  "amd64/minimal:livecd-stage3",
];

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** Every file of a stage's main output (a file, or a payload folder's files), by name. */
function outputFiles(output: string): Map<string, string> {
  const files = new Map<string, string>();
  const real = realpathSync(output);
  if (!statSync(real).isDirectory()) {
    files.set(output.split("/").pop() ?? output, real);
    return files;
  }
  const visit = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) visit(p);
      else files.set(relative(real, p), p);
    }
  };
  visit(real);
  return files;
}

/** diffoscope's text report of two files, cut to `max` lines. */
function diffoscope(a: string, b: string, max = 150): string {
  const r = spawnSync("diffoscope", [...DIFFOSCOPE_LIMITS, "--text", "-", a, b], {
    encoding: "utf8",
    maxBuffer: 256 * 2 ** 20,
    timeout: 10 * 60_000,
  });
  const lines = (r.stdout || r.stderr || `diffoscope exited ${r.status}`).split("\n");
  return lines.length <= max
    ? lines.join("\n")
    : [...lines.slice(0, max), `[... ${lines.length - max} more lines]`].join("\n");
}

/** One build of a fresh copy of the example tree in a new temporary folder. */
async function buildInNewFolder(name: string): Promise<{
  work: string;
  tree: string;
  seconds: number;
  events: JsonEvent[];
  mains: Map<string, string>;
}> {
  const work = mkdtempSync(join(tmpdir(), `substrate-repro-${name}-`));
  const tree = join(work, "tree");
  cpSync(join(REPO_ROOT, "examples/roflmaos"), tree, { recursive: true });
  const started = Date.now();
  const r = await runCli(["build", tree, "--json", "--date", DATE, "--cache", CACHE], {
    cwd: work,
  });
  const seconds = (Date.now() - started) / 1000;
  assert.equal(
    r.code,
    0,
    `build ${name} failed:\n${r.stderr}\n${JSON.stringify(ofType(r.events, "stage-failed"), null, 2)}`,
  );
  assert.deepEqual(stagesOf(r.events, "stage-succeeded"), [...ALL_STAGES].sort());
  const mains = new Map<string, string>();
  for (const e of ofType(r.events, "stage-succeeded")) {
    const outputs = e["outputs"] as string[];
    mains.set(String(e["stage"]), outputs[0] ?? "");
  }
  return { work, tree, seconds, events: r.events, mains };
}

void test(
  "two builds of the default tree in different folders give the same bytes; --verify-reproducible agrees and catches a leak",
  { timeout: 40 * 60_000 },
  async (t) => {
    for (const [tool, pkg] of [
      ["diffoscope", "diffoscope-minimal"],
      ["isoinfo", "genisoimage"],
    ] as const) {
      const which = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" });
      assert.equal(
        which.status,
        0,
        `${tool} is not installed: run scripts/install-deps.sh (${pkg})`,
      );
    }
    const a = await buildInNewFolder("a");
    // Different folder, different time (at least a second later: the first build took longer).
    const b = await buildInNewFolder("b");
    t.diagnostic(`build a: ${a.seconds.toFixed(1)} s, build b: ${b.seconds.toFixed(1)} s`);
    assert.notEqual(a.work, b.work);

    const compared: string[] = [];
    const differing: string[] = [];
    for (const stage of ALL_STAGES) {
      const fa = outputFiles(a.mains.get(stage) ?? "");
      const fb = outputFiles(b.mains.get(stage) ?? "");
      assert.deepEqual([...fa.keys()].sort(), [...fb.keys()].sort(), `${stage}: same files`);
      for (const [name, pa] of fa) {
        const pb = fb.get(name) ?? "";
        const [ha, hb] = [sha256(pa), sha256(pb)];
        compared.push(`${ha}  ${stage} ${name}`);
        if (ha !== hb) differing.push(`${stage} ${name}: ${ha} != ${hb}\n${diffoscope(pa, pb)}`);
      }
    }
    t.diagnostic(`compared:\n${compared.join("\n")}`);
    assert.deepEqual(
      differing,
      [],
      `outputs differ between the two builds:\n${differing.join("\n\n")}`,
    );
    // The kinds the issue names are all among them.
    for (const pattern of [/\.tar\.zst$/, /\.squashfs$/, /roflmaOS-20260101\.iso$/, /\.igz$/])
      assert.ok(
        compared.some((c) => pattern.test(c)),
        `${pattern} was compared`,
      );
    rmSync(a.work, { recursive: true, force: true });

    await t.test(
      "--verify-reproducible rebuilds the default ISO from the published inputs: reproducible, nothing published replaced",
      async () => {
        const iso = b.mains.get("amd64/roflmaos:livecd-stage3") ?? "";
        const before = realpathSync(iso);
        const hash = sha256(before);
        const started = Date.now();
        const r = await runCli(
          [
            "build",
            b.tree,
            "--json",
            "--date",
            DATE,
            "--cache",
            CACHE,
            "--only",
            "roflmaos:livecd-stage3",
            "--verify-reproducible",
          ],
          { cwd: b.work },
        );
        t.diagnostic(`verify livecd-stage3: ${((Date.now() - started) / 1000).toFixed(1)} s`);
        assert.equal(r.code, 0, `${r.stderr}\n${r.stdout.slice(-4000)}`);
        assert.deepEqual(stagesOf(r.events, "stage-started"), [], "the build itself did nothing");
        const checks = ofType(r.events, "reproducible-check");
        assert.ok(checks.length >= 3, JSON.stringify(checks));
        assert.ok(
          checks.every(
            (c) => c["stage"] === "amd64/roflmaos:livecd-stage3" && c["verdict"] === "reproducible",
          ),
          JSON.stringify(checks, null, 2),
        );
        const isoCheck = checks.find((c) => c["output"] === iso);
        assert.ok(isoCheck, `the ISO was compared: ${JSON.stringify(checks)}`);
        assert.equal(isoCheck["sha256"], hash);
        assert.equal(realpathSync(iso), before, "the published ISO is the same file");
        assert.equal(sha256(iso), hash);
        assert.ok(!existsSync(String(isoCheck["rebuilt"])), "the second store is removed");
      },
    );

    await t.test(
      "--verify-reproducible finds an fsscript that writes a random id and shows where with diffoscope",
      async () => {
        const script = join(b.tree, "fsscripts/leaky");
        writeFileSync(script, "#!/bin/sh\ncat /proc/sys/kernel/random/uuid > /etc/build-nonce\n", {
          mode: 0o755,
        });
        const spec = join(b.tree, "specs/amd64/minimal/livecd-stage3.spec");
        writeFileSync(
          spec,
          `${readFileSync(spec, "utf8")}livecd/fsscript: @REPO_DIR@/fsscripts/leaky\n`,
        );
        const r = await runCli(
          [
            "build",
            b.tree,
            "--json",
            "--date",
            DATE,
            "--cache",
            CACHE,
            "--only",
            "minimal:livecd-stage3",
            "--verify-reproducible",
          ],
          { cwd: b.work },
        );
        assert.equal(r.code, 1, `${r.stderr}\n${r.stdout.slice(-4000)}`);
        assert.deepEqual(stagesOf(r.events, "stage-succeeded"), ["amd64/minimal:livecd-stage3"]);
        const checks = ofType(r.events, "reproducible-check");
        const iso = checks.find((c) =>
          String(c["output"]).endsWith(`roflmaOS-minimal-${DATE}.iso`),
        );
        assert.ok(iso, `the minimal ISO was compared: ${JSON.stringify(checks)}`);
        assert.equal(iso["verdict"], "differs", JSON.stringify(checks, null, 2));
        assert.equal(iso["detailsFrom"], "diffoscope");
        const details = (iso["details"] as string[]).join("\n");
        // The first lines name where (the ISO's root image); the whole report is in a file.
        assert.match(details, /^differing: LiveOS\/squashfs\.img/m, details);
        const reportFile = /\(full report: (.+)\)$/m.exec(details)?.[1] ?? "";
        assert.match(readFileSync(reportFile, "utf8"), /\/etc\/build-nonce/, details);
        // The difference is kept for the user to inspect; the published ISO is the first build's.
        assert.ok(existsSync(String(iso["rebuilt"])), "the rebuilt ISO is kept");
        const published = String(iso["output"]);
        assert.notEqual(sha256(published), sha256(String(iso["rebuilt"])));
        execFileSync(
          "osirrox",
          ["-indev", published, "-extract", "/LiveOS/squashfs.img", join(b.work, "sq.img")],
          { stdio: "ignore" },
        );
        const nonce = execFileSync("unsquashfs", [
          "-cat",
          join(b.work, "sq.img"),
          "etc/build-nonce",
        ])
          .toString()
          .trim();
        assert.match(nonce, /^[0-9a-f-]{36}$/, "the published ISO has the first build's nonce");
        rmSync(String(iso["rebuilt"]).replace(/\/builds\/.*$/, ""), {
          recursive: true,
          force: true,
        });
      },
    );

    rmSync(b.work, { recursive: true, force: true });
  },
);
