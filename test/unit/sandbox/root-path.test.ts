/**
 * Path resolution inside a build root, against hostile roots: absolute symlinks to the host,
 * `..` chains, links out of the root at every position. A canary folder on the host must never
 * be read, written or deleted through the root.
 */
import assert from "node:assert/strict";
import { describe, it, beforeEach } from "node:test";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  canonicalRoot,
  mkdirInRoot,
  namespacedPath,
  readFileInRoot,
  resolveInRoot,
  writeFileInRoot,
} from "../../../src/sandbox/root-path.js";
import { copyOverlayInto } from "../../../src/sandbox/root-overlay.js";
import {
  emptyInRoot,
  globComponentToRegExp,
  globInRoot,
  removeInRoot,
} from "../../../src/sandbox/root-glob.js";

let base: string;
let root: string;
let canary: string;

function setup(): void {
  base = realpathSync(mkdtempSync(join(tmpdir(), "substrate-rootpath-")));
  root = join(base, "root");
  canary = join(base, "canary");
  mkdirSync(join(root, "usr/bin"), { recursive: true });
  mkdirSync(join(root, "var/lib"), { recursive: true });
  mkdirSync(canary);
  writeFileSync(join(canary, "precious"), "host data\n");
  // Hostile links: absolute to the host canary, relative climbing out, a loop.
  symlinkSync(canary, join(root, "abs-canary"));
  symlinkSync("../../../../../../..", join(root, "a"));
  symlinkSync("../canary", join(root, "rel-canary"));
  symlinkSync("/etc", join(root, "etc"));
  symlinkSync("loop2", join(root, "loop1"));
  symlinkSync("loop1", join(root, "loop2"));
  symlinkSync("usr/bin", join(root, "bin"));
}

function canaryIntact(): void {
  assert.deepEqual(readdirSync(canary), ["precious"]);
  assert.equal(readFileSync(join(canary, "precious"), "utf8"), "host data\n");
}

function resolved(path: string, follow = true): string {
  const r = resolveInRoot(root, path, { followLastSymlink: follow });
  assert.ok(r.ok, JSON.stringify(r));
  return r.value;
}

void describe("resolveInRoot", () => {
  beforeEach(setup);

  void it("re-roots absolute symlinks and stops `..` at the root", () => {
    assert.equal(resolved("/abs-canary/precious"), join(root, base.slice(1), "canary/precious"));
    assert.equal(resolved("/../../../usr/bin/sh"), join(root, "usr/bin/sh"));
    assert.equal(resolved("/a/usr/../var"), join(root, "var"));
    assert.equal(resolved("a/a/a/usr"), join(root, "usr"));
    assert.equal(resolved("/rel-canary/precious"), join(root, "canary/precious"));
    assert.equal(resolved("/bin/sh"), join(root, "usr/bin/sh"));
    assert.equal(resolved("/"), root);
    assert.equal(resolved(""), root);
  });

  void it("can leave the last symlink unfollowed", () => {
    assert.equal(resolved("/abs-canary", false), join(root, "abs-canary"));
    assert.equal(resolved("/bin", false), join(root, "bin"));
    assert.equal(resolved("/bin/", false), join(root, "bin"));
  });

  void it("reports symlink loops, including `etc -> /etc` (which points at itself in the root)", () => {
    const r = resolveInRoot(root, "/loop1/x");
    assert.ok(!r.ok && r.error.reason === "symlink-loop");
    const etc = resolveInRoot(root, "/a/etc/passwd");
    assert.ok(!etc.ok && etc.error.reason === "symlink-loop");
    assert.equal(resolved("/etc", false), join(root, "etc"));
  });

  void it("always stays inside the root (any path, any links)", () => {
    const paths = [
      "/a/../../x",
      "..",
      "../..",
      "/abs-canary/../../..",
      "/rel-canary/../..",
      "etc/../../..",
    ];
    for (const p of paths) {
      for (const follow of [true, false]) {
        const r = resolveInRoot(root, p, { followLastSymlink: follow });
        if (!r.ok) {
          assert.equal(r.error.reason, "symlink-loop", p);
          continue;
        }
        assert.ok(r.value === root || r.value.startsWith(`${root}/`), `${p} -> ${r.value}`);
      }
    }
  });
});

void describe("removeInRoot", () => {
  beforeEach(setup);

  void it("deletes links, not their targets, and never climbs out", () => {
    mkdirSync(join(root, "usr/share/doc/pkg"), { recursive: true });
    writeFileSync(join(root, "usr/share/doc/pkg/README"), "x");
    writeFileSync(join(root, "usr/share/doc/.hidden"), "x");
    for (const pattern of [
      "../../canary",
      "../canary/precious",
      "/abs-canary/*",
      "/rel-canary/*",
      "/a/canary",
      "/abs-canary",
    ]) {
      const r = removeInRoot(root, pattern);
      assert.ok(r.ok, JSON.stringify(r));
    }
    canaryIntact();
    assert.equal(existsSync(join(root, "abs-canary")), false, "the link itself is removed");
    const doc = removeInRoot(root, "/usr/share/doc/*");
    assert.ok(doc.ok);
    assert.deepEqual(doc.value, ["/usr/share/doc/pkg"]);
    assert.ok(
      existsSync(join(root, "usr/share/doc/.hidden")),
      "* skips dotfiles like Python's glob",
    );
    const hidden = removeInRoot(root, "/usr/share/doc/.*");
    assert.ok(hidden.ok);
    assert.deepEqual(hidden.value, ["/usr/share/doc/.hidden"]);
  });

  void it("globs through in-root links and matches [...] and ?", () => {
    writeFileSync(join(root, "usr/bin/ab1"), "");
    writeFileSync(join(root, "usr/bin/ab2"), "");
    writeFileSync(join(root, "usr/bin/abc"), "");
    const g = globInRoot(root, "/bin/ab[0-9]");
    assert.ok(g.ok);
    assert.deepEqual(g.value, ["/usr/bin/ab1", "/usr/bin/ab2"]);
    const r = removeInRoot(root, "/bin/ab?");
    assert.ok(r.ok);
    assert.deepEqual(readdirSync(join(root, "usr/bin")), []);
    assert.ok(globComponentToRegExp("[!a]*").test("b.x"));
    assert.ok(!globComponentToRegExp("[!a]*").test("a"));
  });

  void it("never deletes the root itself", () => {
    for (const pattern of ["/", "..", "/a", "/a/"]) {
      const r = removeInRoot(root, pattern);
      assert.ok(r.ok);
    }
    assert.ok(existsSync(join(root, "usr/bin")));
    canaryIntact();
  });
});

void describe("emptyInRoot", () => {
  beforeEach(setup);

  void it("recreates a folder with its owner and mode, skipping links and missing folders", () => {
    const dir = join(root, "var/cache");
    mkdirSync(join(dir, "sub"), { recursive: true });
    writeFileSync(join(dir, "sub/f"), "x");
    chownSync(dir, 123, 456);
    chmodSync(dir, 0o2750);
    const r = emptyInRoot(root, "/var/cache");
    assert.deepEqual(r, { ok: true, value: "emptied" });
    const st = lstatSync(dir);
    assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [123, 456, 0o2750]);
    assert.deepEqual(readdirSync(dir), []);
    assert.deepEqual(emptyInRoot(root, "/abs-canary"), { ok: true, value: "skipped-symlink" });
    assert.deepEqual(emptyInRoot(root, "/nope"), { ok: true, value: "skipped-missing" });
    assert.deepEqual(emptyInRoot(root, "/rel-canary"), { ok: true, value: "skipped-symlink" });
    // Through a link climbing out: resolves inside the root (where nothing exists).
    assert.deepEqual(emptyInRoot(root, "/a/canary"), { ok: true, value: "skipped-missing" });
    assert.ok(!emptyInRoot(root, "/").ok, "refuses to empty the root");
    canaryIntact();
  });
});

void describe("copyOverlayInto", () => {
  beforeEach(setup);

  void it("writes inside the root even when root links point at the host", () => {
    const overlay = join(base, "overlay");
    mkdirSync(join(overlay, "var/conf.d"), { recursive: true });
    mkdirSync(join(overlay, "abs-canary"), { recursive: true });
    mkdirSync(join(overlay, "bin"), { recursive: true });
    writeFileSync(join(overlay, "var/conf.d/hostname"), "roflmaOS\n");
    writeFileSync(join(overlay, "abs-canary/precious"), "overwritten!\n");
    writeFileSync(join(overlay, "rel-canary"), "replaces the link\n");
    writeFileSync(join(overlay, "bin/tool"), "#!/bin/sh\n", { mode: 0o755 });
    chownSync(join(overlay, "bin/tool"), 77, 88);
    chmodSync(join(overlay, "bin/tool"), 0o4711); // after chown, which clears set-id bits
    symlinkSync("/usr/bin/tool", join(overlay, "bin/alias"));
    const r = copyOverlayInto(root, overlay);
    assert.ok(r.ok, JSON.stringify(r));
    canaryIntact();
    assert.equal(readFileSync(join(root, "var/conf.d/hostname"), "utf8"), "roflmaOS\n");
    assert.equal(
      readFileSync(join(root, base.slice(1), "canary/precious"), "utf8"),
      "overwritten!\n",
    );
    // A file over a link replaces the link, never writes through it.
    assert.ok(lstatSync(join(root, "rel-canary")).isFile());
    // bin -> usr/bin is followed inside the root (merged /usr stays merged).
    assert.ok(lstatSync(join(root, "bin")).isSymbolicLink());
    const tool = lstatSync(join(root, "usr/bin/tool"));
    assert.deepEqual([tool.mode & 0o7777, tool.uid, tool.gid], [0o4711, 77, 88]);
    assert.equal(readlinkSync(join(root, "usr/bin/alias")), "/usr/bin/tool");
    assert.deepEqual(r.value, { files: 4, dirs: 4, symlinks: 1 });
  });

  void it("refuses to write through `etc -> /etc` instead of touching the host's /etc", () => {
    const overlay = join(base, "overlay-etc");
    mkdirSync(join(overlay, "etc"), { recursive: true });
    writeFileSync(join(overlay, "etc/substrate-canary-test"), "must not reach the host\n");
    const r = copyOverlayInto(root, overlay);
    assert.ok(!r.ok && r.error.reason === "symlink-loop", JSON.stringify(r));
    assert.equal(existsSync("/etc/substrate-canary-test"), false);
  });
});

void describe("writeFileInRoot / readFileInRoot / mkdirInRoot", () => {
  beforeEach(setup);

  void it("replaces a final symlink instead of writing through it", () => {
    symlinkSync(join(canary, "precious"), join(root, "var/lib/victim"));
    const w = writeFileInRoot(root, "/var/lib/victim", "new\n", 0o600);
    assert.ok(w.ok, JSON.stringify(w));
    canaryIntact();
    const st = lstatSync(join(root, "var/lib/victim"));
    assert.ok(st.isFile());
    assert.equal(st.mode & 0o777, 0o600);
    const through = writeFileInRoot(root, "/abs-canary/new-file", "x");
    assert.ok(through.ok);
    canaryIntact();
    assert.ok(existsSync(join(root, base.slice(1), "canary/new-file")));
  });

  void it("reads through in-root links only", () => {
    const r = readFileInRoot(root, "/abs-canary/precious");
    assert.ok(!r.ok && r.error.reason === "not-found");
    writeFileSync(join(root, "usr/bin/x"), "in root\n");
    const ok = readFileInRoot(root, "/bin/x");
    assert.ok(ok.ok);
    assert.equal(ok.value.toString(), "in root\n");
  });

  void it("creates parents inside the root and reports what it created", () => {
    const m = mkdirInRoot(root, "/a/new/deep");
    assert.ok(m.ok, JSON.stringify(m));
    assert.equal(m.value.path, join(root, "new/deep"));
    assert.deepEqual(m.value.created, [join(root, "new"), join(root, "new/deep")]);
    writeFileSync(join(root, "file"), "");
    const bad = mkdirInRoot(root, "/file/sub");
    assert.ok(!bad.ok && bad.error.reason === "not-a-directory");
    canaryIntact();
  });
});

void describe("namespacedPath", () => {
  void it("splits /proc/<pid>/root paths and leaves other paths alone", () => {
    assert.deepEqual(namespacedPath("/proc/42/root/var/work/root"), {
      pid: 42,
      inside: "/var/work/root",
    });
    assert.deepEqual(namespacedPath("/proc/42/root/var/work/root/"), {
      pid: 42,
      inside: "/var/work/root",
    });
    assert.deepEqual(namespacedPath("/proc/7/root"), { pid: 7, inside: "/" });
    assert.equal(namespacedPath("/proc/self/root/x"), undefined);
    assert.equal(namespacedPath("/var/proc/42/root/x"), undefined);
    assert.equal(namespacedPath("/proc/42/rootfs/x"), undefined);
  });

  void it("canonicalRoot keeps a namespaced root (realpath would leave the namespace)", () => {
    assert.equal(canonicalRoot(`/proc/${process.pid}/root/tmp/`), `/proc/${process.pid}/root/tmp`);
  });
});
