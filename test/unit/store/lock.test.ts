/**
 * Stage and cache locks: exclusive, released, broken when their owner is dead (or its pid was
 * reused), never broken while the owner lives; and the apt cache layout that uses them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import {
  acquireLock,
  isStale,
  processStartTime,
  readLockOwner,
  waitForLock,
} from "../../../src/store/lock.js";
import {
  aptCacheLayout,
  prepareAptCache,
  withAptCacheLock,
} from "../../../src/drivers/apt/archive-cache.js";

function lockPath(): string {
  return join(mkdtempSync(join(tmpdir(), "substrate-lock-")), "sub/stage.tar.zst.lock");
}

/** A pid that existed and is now certainly gone. */
function deadPid(): number {
  const r = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" });
  return Number(r.stdout.trim());
}

void describe("locks", () => {
  void it("is exclusive until released, and records its owner", () => {
    const path = lockPath();
    const a = acquireLock(path);
    assert.ok(a.ok, JSON.stringify(a));
    const owner = readLockOwner(path);
    assert.ok(owner !== undefined);
    assert.equal(owner.pid, process.pid);
    assert.equal(owner.host, hostname());
    assert.equal(owner.start, processStartTime(process.pid));
    const b = acquireLock(path);
    assert.ok(!b.ok && b.error.reason === "held");
    assert.match(b.error.message, new RegExp(`substrate process ${process.pid}`));
    a.value.release();
    a.value.release();
    assert.equal(existsSync(path), false);
    const c = acquireLock(path);
    assert.ok(c.ok);
    c.value.release();
  });

  void it("breaks a lock whose process is dead or whose pid was reused", () => {
    const path = lockPath();
    assert.ok(acquireLock(path).ok); // create the folder
    writeFileSync(
      path,
      JSON.stringify({ pid: deadPid(), start: 1, host: hostname(), token: "old", since: "" }),
    );
    const a = acquireLock(path);
    assert.ok(a.ok, JSON.stringify(a));
    a.value.release();
    // Our own pid but another start time: a reused pid.
    writeFileSync(
      path,
      JSON.stringify({ pid: process.pid, start: 1, host: hostname(), token: "old", since: "" }),
    );
    assert.ok(isStale({ pid: process.pid, start: 1, host: hostname(), token: "", since: "" }));
    const b = acquireLock(path);
    assert.ok(b.ok, JSON.stringify(b));
    b.value.release();
  });

  void it("never breaks a live owner's lock, nor one from another host", () => {
    const path = lockPath();
    assert.ok(acquireLock(path).ok);
    writeFileSync(
      path,
      JSON.stringify({
        pid: 1,
        start: processStartTime(1),
        host: hostname(),
        token: "init",
        since: "",
      }),
    );
    assert.ok(!acquireLock(path).ok);
    writeFileSync(
      path,
      JSON.stringify({ pid: deadPid(), start: 1, host: "elsewhere", token: "x", since: "" }),
    );
    const r = acquireLock(path);
    assert.ok(!r.ok && r.error.reason === "held");
    assert.match(r.error.message, /on elsewhere/);
  });

  void it("treats an old unreadable lock file as debris, a fresh one as held", () => {
    const path = lockPath();
    assert.ok(acquireLock(path).ok);
    writeFileSync(path, "");
    assert.ok(!acquireLock(path).ok, "a fresh empty lock may be being written");
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(path, old, old);
    const r = acquireLock(path);
    assert.ok(r.ok, JSON.stringify(r));
    r.value.release();
  });

  void it("waits for a held lock and gives up when cancelled", async () => {
    const path = lockPath();
    const a = acquireLock(path);
    assert.ok(a.ok);
    let told = "";
    setTimeout(() => {
      a.value.release();
    }, 150);
    const b = await waitForLock(path, { pollMs: 20, onWait: (f) => (told = f.message) });
    assert.ok(b.ok);
    assert.match(told, /locked by substrate process/);
    const ac = new AbortController();
    setTimeout(() => {
      ac.abort();
    }, 100);
    const c = await waitForLock(path, { pollMs: 20, signal: ac.signal });
    assert.ok(!c.ok && c.error.reason === "cancelled");
    b.value.release();
  });
});

void describe("apt cache", () => {
  void it("lays out <cache>/apt/archives with partial/ and a lock", async () => {
    const cache = mkdtempSync(join(tmpdir(), "substrate-cache-"));
    assert.deepEqual(aptCacheLayout(cache), {
      dir: join(cache, "apt"),
      archives: join(cache, "apt/archives"),
      partial: join(cache, "apt/archives/partial"),
      lockFile: join(cache, "apt/archives.lock"),
    });
    const layout = prepareAptCache(cache);
    assert.ok(layout.ok);
    assert.ok(statSync(layout.value.partial).isDirectory());
    // Two users in parallel are serialised.
    const order: string[] = [];
    const use = (name: string) =>
      withAptCacheLock(cache, async (l) => {
        order.push(`${name}+`);
        assert.ok(existsSync(l.lockFile));
        assert.equal(readLockOwner(l.lockFile)?.pid, process.pid);
        await new Promise((r) => setTimeout(r, 80));
        order.push(`${name}-`);
        return name;
      });
    const [x, y] = await Promise.all([use("a"), use("b")]);
    assert.deepEqual(
      [x, y],
      [
        { ok: true, value: "a" },
        { ok: true, value: "b" },
      ],
    );
    assert.deepEqual(order, ["a+", "a-", "b+", "b-"]);
    assert.equal(existsSync(join(cache, "apt/archives.lock")), false);
  });
});
