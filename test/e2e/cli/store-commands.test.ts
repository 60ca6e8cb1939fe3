/**
 * `substrate status` and `substrate clean` against a store the test lays out by hand (no build,
 * no root): outputs stamped with the fingerprints `plan --json` gives, an old date, a seed,
 * kept roots, work folders, caches and logs. clean lists before it deletes, deletes nothing
 * without --yes or with --dry-run, never deletes outside the store (a symlink leading out, a
 * dated folder that is a symlink to elsewhere), and skips what a live process's lock holds.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { CLI_BIN, type JsonEvent } from "../../helpers/cli.js";
import { processStartTime } from "../../../src/store/lock.js";

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

function run(args: readonly string[], cwd: string) {
  return spawnSync(process.execPath, [CLI_BIN, ...args], { cwd, encoding: "utf8" });
}

/** Every path under `root`, relative, sorted (symlinks not followed). */
function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, n.name);
      out.push(relative(root, p));
      if (n.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out.sort();
}

/** A tree with stage3 (stamped: fresh) and stage4 (no stamp) for 20260101, and much else. */
function store(): { root: string; outside: string } {
  const root = mkdtempSync(join(tmpdir(), "substrate-store-cmd-"));
  const outside = mkdtempSync(join(tmpdir(), "substrate-outside-"));
  write(
    join(root, "substrate.toml"),
    'name = "g"\ndriver = "apt"\n[arch.amd64]\nbuilds = ["g:stage3", "g:stage4"]\n',
  );
  write(join(root, "specs/amd64/g/stage3.spec"), "# bootstrapped\n");
  write(
    join(root, "specs/amd64/g/stage4.spec"),
    "source_subpath: amd64/g/stage3-amd64-g-latest\nstage4/packages: less\n",
  );
  const planned = run(["plan", "--json", "--date", "20260101", root], root);
  assert.equal(planned.status, 0, planned.stderr);
  for (const line of planned.stdout.split("\n").filter((l) => l.startsWith("{"))) {
    const e = JSON.parse(line) as JsonEvent;
    const output = String(e["output"]);
    write(output, "an output\n");
    if (output.includes("stage3"))
      write(`${output}.stamp`, JSON.stringify({ fingerprint: e["fingerprint"], record: {} }));
  }
  const flavour = join(root, "builds/amd64/g");
  symlinkSync(
    "20260101/stage3-amd64-g-20260101.tar.zst",
    join(flavour, "stage3-amd64-g-latest.tar.zst"),
  );
  write(join(flavour, "latest-stage3-amd64-g.txt"), "20260101/stage3-amd64-g-20260101.tar.zst\n");
  // Its SBOM: a sidecar, listed with the output and deleted with it.
  write(join(flavour, "20260101/stage3-amd64-g-20260101.tar.zst.spdx.json"), "{}\n");
  // An older date, and a seed nobody built.
  write(join(flavour, "20251231/stage3-amd64-g-20251231.tar.zst"), "old\n");
  write(
    join(flavour, "20251231/stage3-amd64-g-20251231.tar.zst.stamp"),
    '{"fingerprint":"0","record":{}}',
  );
  write(join(flavour, "20251231/seed.tar.xz"), "seed\n");
  // A sidecar-named symlink leading out of the store, to a file that must survive.
  write(join(outside, "precious"), "keep me\n");
  symlinkSync(
    join(outside, "precious"),
    join(flavour, "20260101/stage3-amd64-g-20260101.tar.zst.DIGESTS"),
  );
  // A dated folder that is a symlink to a folder outside, holding a stamped "output".
  write(join(outside, "dated/stage3-amd64-g-20251230.tar.zst"), "outside\n");
  write(
    join(outside, "dated/stage3-amd64-g-20251230.tar.zst.stamp"),
    '{"fingerprint":"0","record":{}}',
  );
  symlinkSync(join(outside, "dated"), join(flavour, "20251230"));
  write(join(root, "cache/apt/archives/a.deb"), "deb\n");
  write(join(root, "cache/roots/amd64_g_livecd-stage1-0123456789ab/root/etc/x"), "x\n");
  write(join(root, "cache/work/amd64_g_stage4-0123456789ab/f"), "w\n");
  write(join(root, "cache/unrelated/file"), "not substrate's\n");
  write(join(root, "logs/g/stage3-amd64-g-20260101.log"), "log\n");
  return { root, outside };
}

void describe("substrate status", () => {
  void it("lists every output with date, size, fingerprint and the planner's verdict", () => {
    const { root } = store();
    const r = run(["status", "--json", root], root);
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      outputs: Record<string, unknown>[];
      others: string[];
      cache: Record<string, unknown>[];
      logs: { files: string[] };
    };
    const brief = doc.outputs.map((o) => [o["stage"], o["date"], o["state"], o["latest"]]);
    assert.deepEqual(brief, [
      ["amd64/g:stage3", "20251230", "stale: fingerprint format changed", false],
      ["amd64/g:stage3", "20251231", "stale: fingerprint format changed", false],
      ["amd64/g:stage3", "20260101", "fresh", true],
      ["amd64/g:stage4", "20260101", "stale: output has no freshness stamp", false],
    ]);
    const fresh = doc.outputs[2] ?? {};
    assert.match(String(fresh["fingerprint"]), /^[0-9a-f]{64}$/);
    assert.equal(fresh["size"], "an output\n".length);
    assert.deepEqual(
      (fresh["sidecars"] as string[]).map((p) => p.slice(p.lastIndexOf("/") + 1)),
      [
        "stage3-amd64-g-20260101.tar.zst.DIGESTS",
        "stage3-amd64-g-20260101.tar.zst.spdx.json",
        "stage3-amd64-g-20260101.tar.zst.stamp",
      ],
    );
    assert.deepEqual(
      doc.others.map((p) => relative(root, p)),
      ["builds/amd64/g/20251231/seed.tar.xz"],
    );
    assert.deepEqual(
      doc.cache.map((e) => [e["kind"], relative(root, String(e["path"]))]),
      [
        ["cache", "cache/apt"],
        ["root", "cache/roots/amd64_g_livecd-stage1-0123456789ab"],
        ["other", "cache/unrelated"],
        ["work", "cache/work/amd64_g_stage4-0123456789ab"],
      ],
    );
    assert.equal(doc.logs.files.length, 1);
    const text = run(["status", root], root);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /20260101 {2}amd64\/g:stage3 .* \(latest\) {2}fresh\n/);
    assert.match(text.stdout, /^kept roots \(1, /m);
    assert.match(text.stdout, /^logs: 1 file\(s\)/m);
  });
});

void describe("substrate clean", () => {
  void it("without --yes, and with --dry-run, lists what it would delete and deletes nothing", () => {
    const { root } = store();
    const before = listing(root);
    const listed = run(["clean", "--all", root], root);
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /^would delete \d+ path\(s\), /);
    assert.match(
      listed.stdout,
      /output {7}builds\/amd64\/g\/20260101\/stage3-amd64-g-20260101\.tar\.zst/,
    );
    assert.match(listed.stdout, /run again with --yes/);
    assert.deepEqual(listing(root), before);
    const dry = run(["clean", "--all", "--dry-run", "--yes", root], root);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /dry run: nothing deleted/);
    assert.deepEqual(listing(root), before);
  });

  void it("deletes only inside the store: links leading out are refused, their targets kept", () => {
    const { root, outside } = store();
    const outsideBefore = listing(outside);
    const r = run(["clean", "--all", "--yes", root], root);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.deepEqual(listing(outside), outsideBefore);
    assert.equal(existsSync(join(outside, "precious")), true);
    assert.match(
      r.stdout,
      /20260101\.tar\.zst\.DIGESTS: refused: a symlink to .*outside the store/,
    );
    assert.match(r.stdout, /20251230\.tar\.zst: refused: .* is outside the store/);
    assert.deepEqual(listing(root), [
      "builds",
      "builds/amd64",
      "builds/amd64/g",
      "builds/amd64/g/.locks",
      "builds/amd64/g/20251230",
      "builds/amd64/g/20251231",
      "builds/amd64/g/20251231/seed.tar.xz",
      "builds/amd64/g/20260101",
      "builds/amd64/g/20260101/stage3-amd64-g-20260101.tar.zst.DIGESTS",
      "builds/amd64/g/20260101/stage4-amd64-g-20260101.tar.zst",
      "cache",
      "cache/roots",
      "cache/unrelated",
      "cache/unrelated/file",
      "cache/work",
      "logs",
      "logs/g",
      "specs",
      "specs/amd64",
      "specs/amd64/g",
      "specs/amd64/g/stage3.spec",
      "specs/amd64/g/stage4.spec",
      "substrate.toml",
    ]);
  });

  void it("skips what a running build's lock holds", () => {
    const { root } = store();
    const owner = {
      pid: process.pid,
      start: processStartTime(process.pid),
      host: hostname(),
      token: "t",
      since: new Date().toISOString(),
      command: "substrate build .",
    };
    write(join(root, "builds/amd64/g/.locks/stage3-amd64-g.lock"), JSON.stringify(owner));
    write(join(root, "cache/work/amd64_g_stage4-0123456789ab.lock"), JSON.stringify(owner));
    const r = run(["clean", "--builds", "--work", "--caches", "--yes", root], root);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(
      existsSync(join(root, "builds/amd64/g/20260101/stage3-amd64-g-20260101.tar.zst")),
      true,
    );
    assert.equal(existsSync(join(root, "cache/work/amd64_g_stage4-0123456789ab/f")), true);
    assert.equal(
      existsSync(join(root, "cache/apt/archives/a.deb")),
      true,
      "a build uses the cache",
    );
    assert.match(
      r.stdout,
      new RegExp(`in use by substrate process ${process.pid} \\(substrate build \\.\\)`),
    );
  });

  void it("refuses a store whose folder is really the file system's root", () => {
    const { root } = store();
    symlinkSync("/", join(root, "slash"));
    write(
      join(root, "substrate.toml"),
      'name = "g"\ndriver = "apt"\n[store]\nbuilds = "slash"\n[arch.amd64]\nbuilds = ["g:stage3", "g:stage4"]\n',
    );
    const r = run(["clean", "--all", "--yes", root], root);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /error: the store folder .*slash is \(really \/\) a system folder; refusing/,
    );
    assert.equal(r.stdout, "");
  });
});
