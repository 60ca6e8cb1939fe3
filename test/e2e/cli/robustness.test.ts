/**
 * The CLI facing what users really do (no root needed): a pipe closed early (`| head -1`),
 * inputs that are not what their name says, and the error level of fatal errors.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CLI_BIN, REPO_ROOT, type JsonEvent } from "../../helpers/cli.js";

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "substrate-robust-"));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

/** A stage4 spec with `n` unknown keys: one diagnostic (several lines) each. */
function noisySpec(n: number): string {
  const lines = ["source_subpath: amd64/r/stage3-amd64-r-latest", "stage4/packages: vim"];
  for (let i = 0; i < n; i++) lines.push(`stage4/bogus_key_${i}: x`);
  return lines.join("\n") + "\n";
}

/**
 * Runs the CLI and closes the read end of `stream` after its first chunk, as `| head -1`
 * does; resolves with the exit code and what the other stream said.
 */
function runClosingEarly(
  args: readonly string[],
  cwd: string,
  stream: "stdout" | "stderr",
): Promise<{ code: number | null; signal: string | null; other: string; firstChunk: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--enable-source-maps", CLI_BIN, ...args], {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const closing = stream === "stdout" ? child.stdout : child.stderr;
    const other = stream === "stdout" ? child.stderr : child.stdout;
    let firstChunk = "";
    let otherText = "";
    closing.once("data", (d: Buffer) => {
      firstChunk = d.toString();
      closing.destroy();
    });
    other.on("data", (d: Buffer) => (otherText += d.toString()));
    child.on("close", (code, signal) => {
      resolve({ code, signal, other: otherText, firstChunk });
    });
  });
}

function assertQuiet(r: { code: number | null; signal: string | null; other: string }): void {
  assert.equal(r.signal, null);
  assert.ok(r.code === 0 || r.code === 1, `exit code ${String(r.code)}`);
  assert.doesNotMatch(r.other, /EPIPE|Unhandled 'error' event|\n\s+at /);
}

void describe("a reader that closes the pipe early", () => {
  const root = tree({
    "substrate.toml":
      'name = "r"\ndriver = "apt"\n[arch.amd64]\nbuilds = ["r:stage3", "r:stage4"]\n',
    "specs/amd64/r/stage3.spec": "compression_mode: pixz\n",
    "specs/amd64/r/stage4.spec": noisySpec(600),
  });
  const spec = join(root, "specs/amd64/r/stage4.spec");

  void it("check ... | head -1 stops quietly with check's exit code", async () => {
    const r = await runClosingEarly(["check", spec], root, "stdout");
    assert.match(r.firstChunk, /error: key "stage4\/bogus_key_0"/);
    assertQuiet(r);
    assert.equal(r.code, 1);
  });

  void it("plan --json | head -1 stops quietly", async () => {
    const r = await runClosingEarly(["plan", "--json", root], root, "stdout");
    assert.match(r.firstChunk, /^\{"type":"diagnostic"/);
    assertQuiet(r);
  });

  void it("spec parse ... | head -1 stops quietly", async () => {
    const files = Array.from({ length: 400 }, () => spec);
    const r = await runClosingEarly(["spec", "parse", ...files], root, "stdout");
    assert.match(r.firstChunk, /stage4\.spec: \d+ keys/);
    assertQuiet(r);
  });

  void it("a closed stderr (graph's warnings) stops quietly with exit 0", async () => {
    const warned = tree({
      "substrate.toml": 'name = "r"\ndriver = "apt"\n[arch.amd64]\nbuilds = ["r:stage3"]\n',
      "specs/amd64/r/stage3.spec": "compression_mode: pixz\n".repeat(600),
    });
    const r = await runClosingEarly(["graph", warned], warned, "stderr");
    assert.match(r.firstChunk, /warning:/);
    assertQuiet(r);
    assert.equal(r.code, 0);
  });
});

/** NDJSON lines of stdout as events. */
function eventsOf(stdout: string): JsonEvent[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as JsonEvent);
}

void describe("fatal errors", () => {
  const roflmaos = join(REPO_ROOT, "examples", "roflmaos");

  void it("are error events, not warnings: a malformed --jobs exits 2", () => {
    const r = spawnSync(process.execPath, [CLI_BIN, "build", "--json", "-j", "x", roflmaos], {
      encoding: "utf8",
    });
    assert.equal(r.status, 2, r.stderr);
    const events = eventsOf(r.stdout);
    assert.deepEqual(
      events.map((e) => [e.type, e["message"]]),
      [["error", "--jobs takes a whole number >= 1, not x"]],
    );
  });

  void it("building as a user who is not root is an error event with exit code 3", () => {
    // As root (CI), the build runs as nobody; as anyone else, as that user.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const args = ["build", "--json", "--date", "20260101", roflmaos];
    const r = spawnSync(process.execPath, [CLI_BIN, ...args], {
      cwd: "/",
      encoding: "utf8",
      ...asUser,
    });
    assert.equal(r.status, 3, r.stdout + r.stderr);
    const events = eventsOf(r.stdout);
    const errors = events.filter((e) => e.type === "error");
    assert.equal(errors.length, 1, r.stdout);
    assert.match(String(errors[0]?.["message"]), /must run as root/);
    assert.equal(
      events.some((e) => e.type === "warning"),
      false,
    );
    // The plain text says "error:" too.
    const plain = spawnSync(process.execPath, [CLI_BIN, ...args.filter((a) => a !== "--json")], {
      cwd: "/",
      encoding: "utf8",
      env: { ...process.env, CI: "1" },
      ...asUser,
    });
    assert.equal(plain.status, 3);
    assert.match(plain.stderr, /\d\d:\d\d:\d\d error: substrate build must run as root/);
  });
});

/** Bytes that are not a spec: random-looking binary with NULs and invalid UTF-8. */
function binaryBytes(n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    b[i] = x >> 16;
  }
  return b;
}

function runSync(
  args: readonly string[],
  cwd: string,
): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI_BIN, ...args], { cwd, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Control characters other than newline: what a terminal would interpret. */
// eslint-disable-next-line no-control-regex
const RAW_BYTES = /[\x00-\x09\x0b-\x1f\x7f\uFFFD]/;

void describe("inputs that are not what they seem", () => {
  void it("a binary file named .spec gets one not-text error, its bytes not echoed", () => {
    const root = tree({
      "substrate.toml":
        'name = "r"\ndriver = "apt"\n[arch.amd64]\nbuilds = ["r:stage3", "r:stage4"]\n',
      "specs/amd64/r/stage3.spec": "compression_mode: pixz\n",
    });
    const bin = join(root, "specs/amd64/r/stage4.spec");
    writeFileSync(bin, binaryBytes(4096));
    const json = runSync(["check", "--json", bin], root);
    assert.equal(json.code, 1);
    const diags = eventsOf(json.out).filter((e) => e.type === "diagnostic");
    assert.equal(diags.length, 1, json.out);
    const d = diags[0]?.["diagnostic"] as Record<string, unknown>;
    assert.equal(d["code"], "not-text");
    assert.equal((d["span"] as Record<string, unknown>)["file"], bin);
    for (const args of [
      ["check", bin],
      ["check", root],
      ["plan", root],
    ]) {
      const r = runSync(args, root);
      assert.equal(r.code, 1, args.join(" "));
      assert.equal(r.out.match(/error:/g)?.length, 1, r.out);
      assert.match(r.out, /stage4\.spec:\d+:\d+: error: not a text spec/);
      assert.doesNotMatch(r.out, /warning:/);
      assert.doesNotMatch(r.out, RAW_BYTES);
    }
    const parsed = runSync(["spec", "parse", bin], root);
    assert.equal(parsed.code, 1);
    assert.equal(parsed.err.match(/error:/g)?.length, 1, parsed.err);
    assert.doesNotMatch(parsed.err + parsed.out, RAW_BYTES);
  });

  void it("substrate test on a file that is not an ISO fails at once, before QEMU", () => {
    const dir = mkdtempSync(join(tmpdir(), "substrate-robust-"));
    writeFileSync(join(dir, "junk.iso"), binaryBytes(200_000));
    const r = runSync(["test", "junk.iso"], dir);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /error: junk\.iso is not an ISO 9660 image/);
    // Nothing booted: no "booting" line, no boot verdict, no console log named or written.
    assert.doesNotMatch(r.err, /booting|boot test|console log/);
    assert.equal(existsSync(join(dir, "logs")), false);
    const json = runSync(["test", "--json", "junk.iso"], dir);
    assert.deepEqual(
      eventsOf(json.out).map((e) => e.type),
      ["error"],
    );
  });

  void it("substrate test on a missing file says it is missing, and names no console log", () => {
    const dir = mkdtempSync(join(tmpdir(), "substrate-robust-"));
    const r = runSync(["test", "missing.iso"], dir);
    assert.equal(r.code, 2);
    assert.match(r.err, /error: missing\.iso does not exist/);
    assert.doesNotMatch(r.err, /console log/);
    assert.deepEqual(readdirSync(dir), []);
  });

  void it("virt-install prints no command for junk or a missing file", () => {
    const dir = mkdtempSync(join(tmpdir(), "substrate-robust-"));
    writeFileSync(join(dir, "junk.iso"), binaryBytes(50_000));
    const junk = runSync(["virt-install", "junk.iso"], dir);
    assert.equal(junk.code, 2);
    assert.equal(junk.out, "");
    assert.match(junk.err, /junk\.iso is not an ISO 9660 image/);
    const missing = runSync(["virt-install", "missing.iso"], dir);
    assert.equal(missing.code, 2);
    assert.equal(missing.out, "");
    assert.match(missing.err, /missing\.iso does not exist/);
  });

  void it("graph -o writes no file for a missing tree", () => {
    const dir = mkdtempSync(join(tmpdir(), "substrate-robust-"));
    const r = runSync(["graph", "nope", "--format", "svg", "-o", "x.svg"], dir);
    assert.equal(r.code, 1);
    assert.match(r.err, /no substrate\.toml in nope/);
    assert.equal(existsSync(join(dir, "x.svg")), false);
  });
});
