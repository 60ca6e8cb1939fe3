/**
 * The build report in a real browser: headless Chromium loads report.html and
 * the test checks what it rendered, keeping a screenshot in test-output/report-html/.
 * The page forbids itself scripts and remote loads (Content-Security-Policy, enforced by the
 * browser), so what Chromium shows is what a script-free viewer shows.
 *  1. The report of a real build: the cheapest one substrate runs, a build that finds every
 *     stage fresh (stamps written from `plan --json`, as the plain-output golden test does),
 *     through the CLI, with .DIGESTS sidecars beside the outputs.
 *  2. A report rendered from an event stream shaped like a `build --test` run (steps, a failed
 *     stage, boot phases, checks and a console with HTML in it), because a build that runs
 *     stages needs root trees and minutes.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CLI_BIN, type JsonEvent } from "../../helpers/cli.js";
import { chromiumBinary, renderedDom, screenshot, testOutputDir } from "../../helpers/chromium.js";
import { consoleTail } from "../../../src/cli/build-report.js";
import { makeDigests } from "../../../src/store/digests.js";
import { CSP, renderBuildReport, type TimedEvent } from "../../../src/report/html-report.js";

const chromium = chromiumBinary();
const out = testOutputDir("report-html");

/** No script and nothing fetched from elsewhere: the file is the whole page. */
function assertSelfContained(html: string): void {
  assert.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="${CSP}">`));
  assert.doesNotMatch(html, /<script|javascript:/i);
  assert.doesNotMatch(html, /\b(src|href)="(https?:)?\/\//i);
  assert.doesNotMatch(html, /url\((https?:)?\/\//i);
  assert.doesNotMatch(html, /<link\b|@import/i);
}

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), "substrate-report-"));
  const files: Record<string, string> = {
    "substrate.toml":
      'name = "g"\ndriver = "apt"\n[arch.amd64]\nbuilds = ["g:stage3", "g:stage4"]\n',
    "specs/amd64/g/stage3.spec": "# bootstrapped by mmdebstrap\n",
    "specs/amd64/g/stage4.spec":
      "source_subpath: amd64/g/stage3-amd64-g-latest\nstage4/packages: less\n",
  };
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  chmodSync(root, 0o755);
  return root;
}

function cli(args: readonly string[], cwd: string) {
  return spawnSync(process.execPath, [CLI_BIN, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, CI: "1" },
  });
}

void describe("report.html in headless Chromium", { skip: chromium === undefined }, () => {
  const browser = chromium ?? "chromium";
  mkdirSync(out, { recursive: true });

  void it("a real build writes it beside its logs; the browser shows stages, timeline, graph", async () => {
    const root = tree();
    const planned = cli(["plan", "--json", "--date", "20260101", root], root);
    assert.equal(planned.status, 0, planned.stderr);
    const outputs: string[] = [];
    for (const line of planned.stdout.split("\n").filter((l) => l.startsWith("{"))) {
      const e = JSON.parse(line) as JsonEvent;
      if (e.type !== "stage-planned") continue;
      const output = String(e["output"]);
      outputs.push(output);
      mkdirSync(dirname(output), { recursive: true });
      writeFileSync(output, "an output\n");
      const digests = await makeDigests(output);
      assert.ok(digests.ok);
      writeFileSync(`${output}.DIGESTS`, digests.value);
      writeFileSync(
        `${output}.stamp`,
        JSON.stringify({ fingerprint: e["fingerprint"], record: {} }) + "\n",
      );
    }
    const r = cli(["build", "--date", "20260101", root], root);
    assert.equal(r.status, 0, r.stderr);
    const file = join(root, "logs", "report.html");
    assert.ok(existsSync(file), "no logs/report.html");
    const html = readFileSync(file, "utf8");
    assertSelfContained(html);

    const dom = renderedDom(browser, file);
    writeFileSync(join(out, "fresh-build.dom.txt"), dom);
    assert.match(dom, /<h1>substrate build: g, 20260101<\/h1>/);
    for (const id of ["amd64/g:stage3", "amd64/g:stage4"]) assert.ok(dom.includes(id), id);
    const sha512 = createHash("sha512").update("an output\n").digest("hex");
    for (const o of outputs) assert.ok(dom.includes(o), o);
    assert.equal(dom.split(`SHA512 <code class="hex">${sha512}</code>`).length - 1, 2);
    assert.match(dom, /<td>10 B<\/td>/);
    assert.match(dom, /<svg[^>]*class="timeline"/);
    assert.match(dom, /<div class="graph"><svg[^]*Substrate Stage Paths: g, 20260101/);
    assert.match(dom, /<g class="legend"/);
    assert.match(
      dom,
      /<title>amd64\/g:stage4\nfresh\n-&gt; [^<]*stage4-amd64-g-20260101\.tar\.zst<\/title>/,
    );
    assert.match(dom, /0 built, 2 fresh, 0 failed, 0 skipped/);

    const png = join(out, "fresh-build.png");
    screenshot(browser, file, png);
    assert.ok(statSync(png).size > 10_000, "screenshot too small");
  });

  void it("steps, a failure, boot phases, checks and the console render, all text escaped", () => {
    const dir = mkdtempSync(join(tmpdir(), "substrate-report-rich-"));
    const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
    const at = (s: number, event: TimedEvent["event"]): TimedEvent => ({
      time: t0 + s * 1000,
      event,
    });
    const iso = join(dir, "builds/amd64/r/20260101/livecd-stage3-amd64-r-20260101.iso");
    const consoleLog = `${iso}.console.log`;
    mkdirSync(dirname(iso), { recursive: true });
    writeFileSync(iso, Buffer.alloc(4096));
    writeFileSync(
      consoleLog,
      "[    0.000000] Linux version 6.1.0\n\x1b[0;32m  OK  \x1b[0m Reached target multi-user.target\nr login: <script>alert(1)</script>\n",
    );
    const events: TimedEvent[] = [
      at(0, { type: "run-started", command: "build", stages: 2, jobs: 2 }),
      at(0, {
        type: "stage-started",
        stage: "amd64/r:stage4",
        log: join(dir, "logs/r/stage4.log"),
      }),
      at(0, {
        type: "step-started",
        stage: "amd64/r:stage4",
        step: "unpack",
        detail: "unpacking the seed",
      }),
      at(3, { type: "step-finished", stage: "amd64/r:stage4", step: "unpack", durationMs: 3000 }),
      at(3, {
        type: "step-started",
        stage: "amd64/r:stage4",
        step: "packages",
        detail: "installing 3 packages with apt",
      }),
      at(9, {
        type: "stage-failed",
        stage: "amd64/r:stage4",
        durationMs: 9000,
        reason: "step-failed",
        message: "apt-get install failed: E: Unable to locate package <nope>",
        failure: { reason: "step-failed", message: "apt-get install failed" } as never,
        step: "packages",
        logTail: ["E: Unable to locate package <nope>"],
      }),
      at(1, {
        type: "stage-started",
        stage: "amd64/r:livecd-stage3",
        log: join(dir, "logs/r/l3.log"),
      }),
      at(1, { type: "step-started", stage: "amd64/r:livecd-stage3", step: "iso" }),
      at(5, {
        type: "step-finished",
        stage: "amd64/r:livecd-stage3",
        step: "iso",
        durationMs: 4000,
      }),
      at(5, {
        type: "stage-succeeded",
        stage: "amd64/r:livecd-stage3",
        durationMs: 4000,
        outputs: [iso],
      }),
      at(7, { type: "boot-phase", phase: "firmware", durationMs: 2000 }),
      at(12, { type: "boot-phase", phase: "kernel", durationMs: 5000 }),
      at(20, { type: "boot-phase", phase: "login", durationMs: 8000 }),
      at(21, { type: "boot-check", check: "os-release", ok: true, detail: "NAME contains r" }),
      at(22, {
        type: "boot-check",
        check: "module",
        ok: false,
        detail: "modprobe dummy: not found",
      }),
      at(22, {
        type: "boot-finished",
        ok: false,
        reason: "1 check failed",
        consoleLog,
        durationMs: 17000,
      }),
      at(22, {
        type: "run-finished",
        ok: false,
        durationMs: 22000,
        built: 1,
        fresh: 0,
        failed: 1,
        skipped: 0,
      }),
    ];
    const html = renderBuildReport({
      tree: "r & <friends>",
      treePath: dir,
      date: "20260101",
      command: "substrate build --test .",
      started: t0,
      stages: [
        {
          id: "amd64/r:stage4",
          decision: "build",
          reason: "spec changed: <packages>",
          output: join(dir, "s4.tar.zst"),
          logHref: "r/stage4.log",
          outputs: [],
        },
        {
          id: "amd64/r:livecd-stage3",
          decision: "build",
          reason: "no output yet",
          output: iso,
          logHref: "r/l3.log",
          outputs: [
            { path: iso, bytes: 4096, digests: [{ algorithm: "SHA512", hex: "ab".repeat(64) }] },
          ],
        },
      ],
      events,
      graphSvg:
        '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><title>g</title></svg>\n',
      consoles: new Map([
        [
          consoleLog,
          {
            path: consoleLog,
            href: "../builds/x.console.log",
            tail: consoleTail(consoleLog),
          },
        ],
      ]),
    });
    assertSelfContained(html);
    const file = join(dir, "report.html");
    writeFileSync(file, html);
    const dom = renderedDom(browser, file);
    writeFileSync(join(out, "rich.dom.txt"), dom);
    assert.match(dom, /<h1>substrate build: r &amp; &lt;friends&gt;, 20260101<\/h1>/);
    assert.doesNotMatch(dom, /<script|<nope>|<friends>|<packages>/);
    assert.ok(dom.includes("&lt;script&gt;alert(1)&lt;/script&gt;"), "console text escaped");
    assert.match(dom, /<span class="badge failed">failed<\/span>[^]*apt-get install failed/);
    assert.match(dom, /<table class="steps">[^]*unpack[^]*unpacking the seed[^]*3\.0s/);
    assert.match(dom, /(did not finish)/);
    assert.match(
      dom,
      /<table class="outputs">[^]*4\.0 KiB[^]*SHA512 <code class="hex">(ab){64}<\/code>/,
    );
    for (const phase of ["firmware", "kernel", "login"])
      assert.match(dom, new RegExp(`<td>${phase}</td>`));
    assert.match(
      dom,
      /<table class="checks">[^]*os-release[^]*module[^]*modprobe dummy: not found/,
    );
    assert.match(dom, /<a href="r\/stage4\.log">/);
    assert.match(dom, /\n {2}OK {3}Reached target multi-user\.target\n/);
    assert.match(
      dom,
      /<title>amd64\/r:stage4 packages \(installing 3 packages with apt\): 6\.0s<\/title>/,
    );
    assert.match(dom, /<title>boot kernel: 5\.0s<\/title>/);
    const png = join(out, "rich.png");
    screenshot(browser, file, png);
    assert.ok(statSync(png).size > 10_000, "screenshot too small");
  });
});
