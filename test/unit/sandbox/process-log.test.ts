/**
 * A stage log that cannot be written (a full disk) must not crash substrate (an unhandled
 * 'error' event of the log's WriteStream did): run() stops the command, kills its process
 * group and fails with the typed reason `log-failed`, saying which file system is full and
 * how much is left on it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describeFailure, run } from "../../../src/sandbox/process.js";
import { describeNoSpace, formatBytes, isNoSpace } from "../../../src/util/disk-space.js";

const PROCESS_JS = fileURLToPath(new URL("../../../src/sandbox/process.js", import.meta.url));

/** True when `pid` runs (a zombie waiting for its reaper counts as dead). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

void describe("run() with a log on a full disk", () => {
  void it("a log on /dev/full (ENOSPC at the first write) is a typed failure, not a crash", async () => {
    const started = Date.now();
    const r = await run({ argv: ["sh", "-c", "echo hello; sleep 30"], logFile: "/dev/full" });
    assert.ok(!r.ok && r.error.reason === "log-failed", JSON.stringify(r));
    assert.equal(r.error.code, "ENOSPC");
    assert.equal(r.error.path, "/dev/full");
    assert.match(r.error.message, /^no space left on \/dev/);
    assert.match(describeFailure(r.error), /cannot write its log \/dev\/full: no space left on/);
    // The command was stopped (SIGTERM to its group), not waited for.
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
  });

  void it("a log filling a 64 KiB tmpfs stops the command and kills its whole group", () => {
    const dir = mkdtempSync(join(tmpdir(), "substrate-logfull-"));
    try {
      const pidFile = join(dir, "bg.pid");
      const mnt = join(dir, "mnt");
      // The command starts a background child, then writes 200 KB: the log fills mid-run.
      const script = `
        import { run } from ${JSON.stringify(PROCESS_JS)};
        const t = Date.now();
        const r = await run({
          argv: ["sh", "-c", ${JSON.stringify(`sleep 60 & echo $! > ${pidFile}; head -c 200000 /dev/zero | tr '\\0' x; wait`)}],
          logFile: ${JSON.stringify(join(mnt, "stage.log"))},
        });
        console.log(JSON.stringify({ r, ms: Date.now() - t }));
      `;
      // A private mount namespace: the tmpfs disappears with the child, whatever happens.
      const out = spawnSync(
        "unshare",
        [
          "--mount",
          "--propagation",
          "private",
          "sh",
          "-c",
          `mkdir -p "$1" && mount -t tmpfs -o size=64k tmpfs "$1" && exec "$2" --input-type=module -e "$3"`,
          "sh",
          mnt,
          process.execPath,
          script,
        ],
        { encoding: "utf8", timeout: 60_000 },
      );
      assert.equal(out.status, 0, `exit ${out.status}: ${out.stderr}`);
      assert.doesNotMatch(out.stderr, /Unhandled|ENOSPC: no space/);
      const { r, ms } = JSON.parse(out.stdout) as {
        r: { ok: boolean; error?: Record<string, unknown> };
        ms: number;
      };
      assert.equal(r.ok, false);
      const e = r.error ?? {};
      assert.equal(e["reason"], "log-failed");
      assert.equal(e["code"], "ENOSPC");
      assert.equal(
        e["message"],
        `no space left on ${mnt} (${join(mnt, "stage.log")}): 0 B free of 64.0 KiB`,
      );
      assert.ok(ms < 10_000, `the command was not stopped (${ms} ms)`);
      assert.ok(existsSync(pidFile), "the background child was started");
      const bg = Number(readFileSync(pidFile, "utf8"));
      assert.ok(bg > 0);
      assert.equal(alive(bg), false, `background child ${bg} survived`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

void describe("disk-space helpers", () => {
  void it("recognise a full disk in errors and tool messages", () => {
    assert.ok(isNoSpace(Object.assign(new Error("x"), { code: "ENOSPC" })));
    assert.ok(isNoSpace("tar: ./usr/bin/x: Cannot write: No space left on device"));
    assert.ok(isNoSpace(new Error("ENOSPC: no space left on device, write")));
    // substrate's own message (a log-failed run, described) is recognised too.
    assert.ok(isNoSpace(describeNoSpace(["/tmp"])));
    assert.equal(isNoSpace("exit status 1"), false);
    assert.equal(isNoSpace(undefined), false);
  });

  void it("name the file system and its free space, the nearest existing folder for a new path", () => {
    const m = describeNoSpace(["/proc/nonexistent/deeper"]);
    assert.match(m, /^no space left on \/proc \(\/proc\/nonexistent\/deeper\): .* free of /);
    assert.equal(formatBytes(0), "0 B");
    assert.equal(formatBytes(65536), "64.0 KiB");
    assert.equal(formatBytes(20 * 1024 * 1024), "20.0 MiB");
  });
});
