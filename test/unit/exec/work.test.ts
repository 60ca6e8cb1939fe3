/**
 * Work folders in a shared cache: one per stage and store (two trees with the same stage id
 * never share one), locked where they live, orphans of dead builds removed, folders in use and
 * `--keep-work` folders never touched. And a held lock names its owner's command.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { basename, join } from "node:path";
import {
  claimWorkFolder,
  cleanOrphanWork,
  workFolderName,
  workRoot,
} from "../../../src/exec/work.js";
import { acquireLock, heldMessage, readLockOwner } from "../../../src/store/lock.js";

function temp(): string {
  return mkdtempSync(join(tmpdir(), "substrate-work-"));
}

function deadPid(): number {
  return Number(spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim());
}

const STAGE = "amd64/roflmaos:stage3";

void describe("work folders", () => {
  void it("are named by stage id and store, never just by stage id", () => {
    const a = workFolderName(STAGE, "/srv/a/builds/amd64/roflmaos/.locks/stage3-amd64.lock");
    const b = workFolderName(STAGE, "/srv/b/builds/amd64/roflmaos/.locks/stage3-amd64.lock");
    assert.notEqual(a, b);
    assert.match(a, /^amd64_roflmaos_stage3-[0-9a-f]{12}$/);
    assert.equal(a, workFolderName(STAGE, "/srv/a/builds/amd64/roflmaos/.locks/stage3-amd64.lock"));
  });

  void it("two trees sharing a cache get two folders; each claim only empties its own", () => {
    const cache = temp();
    const treeA = temp();
    const treeB = temp();
    const lockA = join(treeA, "builds/.locks/stage3.lock");
    const lockB = join(treeB, "builds/.locks/stage3.lock");
    mkdirSync(join(lockA, ".."), { recursive: true });
    mkdirSync(join(lockB, ".."), { recursive: true });
    const a = claimWorkFolder(cache, STAGE, lockA);
    assert.ok(a.ok);
    writeFileSync(join(a.value.dir, "root-file"), "a's root");
    const b = claimWorkFolder(cache, STAGE, lockB);
    assert.ok(b.ok);
    assert.notEqual(a.value.dir, b.value.dir);
    // On the old code both were <cache>/work/<stage id>, and B's start deleted A's root.
    assert.equal(readFileSync(join(a.value.dir, "root-file"), "utf8"), "a's root");
    assert.equal(readLockOwner(`${a.value.dir}.lock`)?.pid, process.pid);
    b.value.release(false);
    assert.ok(!existsSync(b.value.dir));
    assert.ok(!existsSync(`${b.value.dir}.lock`));
    assert.ok(existsSync(a.value.dir));
    a.value.release(false);
  });

  void it("the same store through a symlink is the same folder, and held is refused", () => {
    const cache = temp();
    const tree = temp();
    mkdirSync(join(tree, "builds/.locks"), { recursive: true });
    const link = join(temp(), "tree-link");
    symlinkSync(tree, link);
    const a = claimWorkFolder(cache, STAGE, join(tree, "builds/.locks/s.lock"));
    assert.ok(a.ok);
    const b = claimWorkFolder(cache, STAGE, join(link, "builds/.locks/s.lock"));
    assert.ok(!b.ok && b.error.reason === "held");
    assert.match(b.error.message, new RegExp(`substrate process ${process.pid}`));
    a.value.release(true);
    assert.ok(existsSync(a.value.dir), "--keep-work keeps the folder");
    const c = claimWorkFolder(cache, STAGE, join(link, "builds/.locks/s.lock"));
    assert.ok(c.ok);
    assert.equal(c.value.dir, a.value.dir);
    c.value.release(false);
  });

  void it("a rerun after a kill replaces what the killed build left", () => {
    const cache = temp();
    const tree = temp();
    const storeLock = join(tree, "s.lock");
    const dir = join(workRoot(cache), workFolderName(STAGE, storeLock));
    mkdirSync(join(dir, "root/usr/bin"), { recursive: true });
    writeFileSync(join(dir, "root/usr/bin/left"), "");
    writeFileSync(
      `${dir}.lock`,
      JSON.stringify({ pid: deadPid(), start: 1, host: hostname(), token: "dead", since: "" }),
    );
    const w = claimWorkFolder(cache, STAGE, storeLock);
    assert.ok(w.ok, JSON.stringify(w));
    assert.ok(!existsSync(join(dir, "root")));
    w.value.release(false);
  });

  void it("orphan cleanup removes dead builds' and legacy folders, never live or kept ones", () => {
    const cache = temp();
    const root = workRoot(cache);
    const dead = join(root, workFolderName(STAGE, "/dead"));
    const live = join(root, workFolderName(STAGE, "/live"));
    const kept = join(root, workFolderName(STAGE, "/kept"));
    const legacy = join(root, "amd64_roflmaos_stage3");
    for (const d of [dead, live, kept, legacy]) mkdirSync(join(d, "root"), { recursive: true });
    writeFileSync(
      `${dead}.lock`,
      JSON.stringify({ pid: deadPid(), start: 1, host: hostname(), token: "dead", since: "" }),
    );
    // A live build of another process (pid 1 is alive), and one of ours.
    writeFileSync(
      `${live}.lock`,
      JSON.stringify({ pid: 1, start: null, host: hostname(), token: "init", since: "" }),
    );
    const removed = cleanOrphanWork(cache)
      .map((p) => basename(p))
      .sort();
    assert.deepEqual(removed, [basename(legacy), basename(dead)].sort());
    assert.ok(existsSync(live) && existsSync(kept));
    assert.ok(!existsSync(`${dead}.lock`));
    assert.deepEqual(cleanOrphanWork(join(cache, "missing")), []);
  });
});

void describe("held lock message", () => {
  void it("names the other build: pid, command and since when", () => {
    const m = heldMessage(
      "/s/.locks/x.lock",
      { pid: 4242, host: "h", since: "2026-12-02T12:00:00.000Z", command: "substrate build t" },
      "h",
    );
    assert.match(m, /substrate process 4242 \(substrate build t\) since 2026-12-02T12:00:00/);
  });

  void it("a lock records the command that took it", () => {
    const path = join(temp(), "c.lock");
    const l = acquireLock(path);
    assert.ok(l.ok);
    const cmd = readLockOwner(path)?.command ?? "";
    assert.ok(cmd.length > 0 && cmd.includes(process.argv.slice(2).join(" ")), cmd);
    l.value.release();
  });
});
