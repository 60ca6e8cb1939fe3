/**
 * Escape attempts (issue 11, defect 0): whatever runs in a build root tries every known route to
 * the host and must fail to touch a canary folder on the host, outside the root: /proc/<pid>/root
 * and cwd, /proc/self/.., a second chroot with a working directory outside it, mounting (also
 * from a new user namespace), a device node of a host disk, symlinks and `..` to the host path,
 * writes to /proc/sys. Plus a check that ordinary work in the root still works.
 *
 * Needs root, busybox-static and a free loop device.
 */
import { execFileSync } from "node:child_process";
import {
  lstatSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { runInChroot } from "../../../src/sandbox/chroot.js";
import { hostMounts, makeBusyboxRoot } from "./busybox-root.js";

/** Applets the attempts use beyond makeBusyboxRoot's. */
const EXTRA_APPLETS = [
  ...["chroot", "nsenter", "unshare", "mknod", "mkfifo", "dd", "ln", "umount", "pwd", "cp"],
  ...["awk", "head", "tr", "chown", "chmod"],
];

const CANARY_TEXT = "intact\n";
const DISK_TEXT = "host disk: intact\n".padEnd(4096, ".");

let canaryDir = "";
let canary = "";
let disk = "";
let loop = "";

function rootWithApplets(): string {
  const root = makeBusyboxRoot("substrate-escape-");
  for (const a of EXTRA_APPLETS) symlinkSync("busybox", join(root, "bin", a));
  return root;
}

/** The canary folder holds exactly what the test put there, unchanged. */
function assertCanaryIntact(route: string): void {
  assert.deepEqual(readdirSync(canaryDir).sort(), ["canary", "disk.img"], `${route}: no new file`);
  assert.equal(readFileSync(canary, "utf8"), CANARY_TEXT, `${route}: canary unchanged`);
  assert.equal(readFileSync(disk, "utf8"), DISK_TEXT, `${route}: host disk unchanged`);
}

/** Runs an attempt (each step may fail) and returns its output. */
async function attempt(root: string, script: string): Promise<string> {
  const r = await runInChroot({
    root,
    script: `set +e\n${script}\necho attempt-done`,
    env: { CANARY: canary, CANARY_DIR: canaryDir, LOOP: loop },
    captureStdout: true,
  });
  assert.ok(r.ok, JSON.stringify(r));
  assert.match(r.value.stdout, /attempt-done/);
  return r.value.stdout;
}

void describe("escape attempts from a build root", () => {
  before(() => {
    canaryDir = mkdtempSync(join(tmpdir(), "substrate-canary-"));
    canary = join(canaryDir, "canary");
    disk = join(canaryDir, "disk.img");
    writeFileSync(canary, CANARY_TEXT);
    writeFileSync(disk, DISK_TEXT);
    // A "host disk" that is safe to lose: a loop device over a file in the canary folder.
    loop = execFileSync("losetup", ["--find", "--show", disk], { encoding: "utf8" }).trim();
  });

  after(() => {
    if (loop !== "") execFileSync("losetup", ["-d", loop]);
    rmSync(canaryDir, { recursive: true, force: true });
  });

  void it("cannot write through /proc/<pid>/root or /proc/<pid>/cwd of any visible process", async () => {
    const root = rootWithApplets();
    const out = await attempt(
      root,
      [
        "for p in /proc/[0-9]* /proc/self /proc/thread-self; do",
        '  echo pwned > "$p/root$CANARY" && echo "WROTE $p/root"',
        '  echo pwned > "$p/root$CANARY_DIR/pwned" && echo "WROTE $p/root/new"',
        '  echo pwned > "$p/cwd/../../../../../../../..$CANARY_DIR/pwned" && echo "WROTE $p/cwd"',
        "done",
        // PID 1 (which keeps its capabilities) cannot even be looked into; if it could, it
        // would be the root.
        "if ls /proc/1/root/ >/dev/null 2>&1; then",
        '  test "$(stat -Lc %d:%i /proc/1/root)" = "$(stat -c %d:%i /)" && echo pid1-in-root || echo PID1-OUTSIDE',
        "else echo pid1-root-denied; fi",
      ].join("\n"),
    );
    assert.doesNotMatch(out, /WROTE/);
    assert.match(out, /^pid1-(in-root|root-denied)$/m);
    assertCanaryIntact("/proc/<pid>/root");
  });

  void it("cannot climb out through /proc/self/.. routes", async () => {
    const root = rootWithApplets();
    const out = await attempt(
      root,
      [
        "for base in /proc/self/root /proc/self/cwd /proc/1/cwd /proc/self/fd/0 /proc/self/exe; do",
        '  p="$base/../../../../../../../..$CANARY"',
        '  echo pwned > "$p" && echo "WROTE $p"',
        "done",
        // The host path of the root is printed in mountinfo; following it leads nowhere.
        "hostpath=$(awk '$5 == \"/\" {print $4}' /proc/self/mountinfo 2>/dev/null)",
        'echo pwned > "/proc/self/root$hostpath/../../..$CANARY" && echo WROTE-hostpath',
      ].join("\n"),
    );
    assert.doesNotMatch(out, /WROTE/);
    assertCanaryIntact("/proc/self/..");
  });

  void it("cannot leave by a second chroot with the working directory outside it", async () => {
    const root = rootWithApplets();
    const out = await attempt(
      root,
      [
        "mkdir -p /jail/bin && cp /bin/busybox /jail/bin/ && for a in sh chroot; do ln -s busybox /jail/bin/$a; done",
        // Root /jail, working directory / (outside the jail): the classic escape.
        `nsenter -r/jail -w/ /bin/sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do cd ..; done; exec chroot . /bin/sh -c "echo pwned > \\$CANARY && echo WROTE-double-chroot; ls \\$CANARY_DIR && echo SAW-HOST"'`,
        "echo nsenter-exit=$?",
      ].join("\n"),
    );
    // The escape ran (the jail worked) but ended in the build root, not on the host.
    assert.match(out, /nsenter-exit=/);
    assert.doesNotMatch(out, /WROTE|SAW-HOST/);
    assertCanaryIntact("double chroot");
  });

  void it("cannot mount, not even from a new user namespace", async () => {
    const root = rootWithApplets();
    const out = await attempt(
      root,
      [
        "mkdir -p /mnt/p /mnt/r",
        'mount -t proc proc /mnt/p && echo MOUNTED-proc && echo pwned > "/mnt/p/1/root$CANARY"',
        "mount --bind / /mnt/r && echo MOUNTED-bind",
        "mount -t tmpfs tmpfs /mnt/r && echo MOUNTED-tmpfs",
        'mount "$LOOP" /mnt/r 2>/dev/null && echo MOUNTED-disk',
        "umount -l /proc && echo UNMOUNTED-proc",
        // A user namespace gives its own capabilities, but only over the root's own tree.
        `unshare -U -r -m sh -c 'mount --rbind / /mnt/r && ls /mnt/r >/dev/null && echo pwned > "/mnt/r$CANARY" && echo WROTE-userns; echo pwned > "/mnt/r/proc/1/root$CANARY" && echo WROTE-userns-proc'`,
        "grep -c . /proc/self/mountinfo",
      ].join("\n"),
    );
    assert.doesNotMatch(out, /MOUNTED|UNMOUNTED|WROTE/);
    assertCanaryIntact("mount");
  });

  void it("cannot use a device node of a host disk, wherever it is made", async () => {
    const root = rootWithApplets();
    const st = statSync(loop);
    const major = Math.floor(st.rdev / 256);
    const minor = st.rdev % 256;
    const out = await attempt(
      root,
      [
        "mkdir -p /var/disk",
        "for d in /var/disk /tmp /dev /run /dev/shm; do",
        `  mknod "$d/hostdisk" b ${major} ${minor} && echo "made $d"`,
        '  echo pwned | dd of="$d/hostdisk" conv=notrunc,fsync 2>/dev/null && echo "WROTE $d"',
        '  dd if="$d/hostdisk" bs=16 count=1 2>/dev/null | grep -q "host disk" && echo "READ $d"',
        "done",
      ].join("\n"),
    );
    assert.match(out, /made \/var\/disk/, "mknod itself is allowed (dpkg unpacks nodes)");
    assert.doesNotMatch(out, /WROTE|READ/);
    assertCanaryIntact("mknod");
  });

  void it("cannot follow a symlink or `..` to the host path", async () => {
    const root = rootWithApplets();
    // As a root overlay or a package would leave them: absolute and relative links to the canary.
    symlinkSync(canaryDir, join(root, "abs-link"));
    symlinkSync(`../../../../../../../..${canaryDir}`, join(root, "rel-link"));
    symlinkSync(canary, join(root, "file-link"));
    const out = await attempt(
      root,
      [
        'echo pwned > /abs-link/pwned && echo "made /abs-link/pwned"',
        'echo pwned > /rel-link/pwned && echo "made /rel-link/pwned"',
        'echo pwned > /file-link && echo "wrote /file-link"',
        'cd / && cd ../../../../../../.. && echo pwned > ".$CANARY" && echo "wrote ..$CANARY"',
        'echo pwned > "/../../../../../..$CANARY" && echo wrote-dotdot-abs',
        'cd /tmp && echo pwned > "../../../../..$CANARY_DIR/pwned" && echo wrote-dotdot-rel',
      ].join("\n"),
    );
    assert.doesNotMatch(out, /wrote-dotdot/);
    assertCanaryIntact("symlinks and ..");
    // Whatever the links led to, it was inside the root.
    assert.ok(!lstatSync(join(root, "abs-link")).isDirectory());
  });

  void it("cannot change the host kernel through /proc/sys", async () => {
    const root = rootWithApplets();
    const before = readFileSync("/proc/sys/kernel/core_pattern", "utf8");
    // Writes the current value back: harmless even where the write would succeed.
    const out = await attempt(
      root,
      [
        "cat /proc/sys/kernel/core_pattern > /tmp/cp",
        "cat /tmp/cp > /proc/sys/kernel/core_pattern && echo WROTE-core_pattern",
        "cat /proc/sys/vm/overcommit_memory > /tmp/oc",
        "cat /tmp/oc > /proc/sys/vm/overcommit_memory && echo WROTE-overcommit",
        "grep -q '^CapBnd:.*' /proc/self/status && grep '^Cap' /proc/self/status",
      ].join("\n"),
    );
    assert.doesNotMatch(out, /WROTE/);
    assert.equal(readFileSync("/proc/sys/kernel/core_pattern", "utf8"), before);
    // CAP_SYS_ADMIN (21), CAP_SYS_MODULE (16), CAP_SYS_RAWIO (17), CAP_DAC_READ_SEARCH (2) are
    // out of the bounding set.
    const bnd = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec(out)?.[1] ?? "ffffffffff"}`);
    for (const bit of [2n, 16n, 17n, 19n, 21n, 22n, 25n, 12n]) {
      assert.equal((bnd >> bit) & 1n, 0n, `capability ${bit} dropped`);
    }
    assertCanaryIntact("/proc/sys");
  });

  void it("still runs ordinary work in the root", async () => {
    const root = rootWithApplets();
    const mounts = hostMounts();
    const r = await runInChroot({
      root,
      script: [
        "mkdir -p /srv/a && echo data > /srv/a/f && chown 1000:1000 /srv/a/f && chmod 4755 /srv/a/f",
        "stat -c '%u:%g %a' /srv/a/f",
        "mkfifo /tmp/fifo && echo fifo-ok",
        "id -u",
        "cat",
        "echo x > /dev/null && head -c 3 /dev/zero | wc -c",
        "chroot / /bin/true && echo chroot-ok",
        "ls -a /run | tr '\\n' ' '; echo",
      ].join("\n"),
      stdin: "from-stdin\n",
      captureStdout: true,
    });
    assert.ok(r.ok, JSON.stringify(r));
    const out = r.value.stdout;
    assert.match(out, /^1000:1000 4755$/m);
    assert.match(out, /^fifo-ok$/m);
    assert.match(out, /^0$/m);
    assert.match(out, /^from-stdin$/m);
    assert.match(out, /^3$/m);
    assert.match(out, /^chroot-ok$/m);
    assert.match(out, /^\. \.\. $/m, "the sandbox leaves nothing of its own in /run");
    assert.equal(readFileSync(join(root, "srv/a/f"), "utf8"), "data\n");
    const bad = await runInChroot({ root, argv: ["sh", "-c", "exit 3"] });
    assert.ok(!bad.ok && bad.error.reason === "exit-non-zero" && bad.error.status === 3);
    assert.equal(hostMounts(), mounts);
  });
});
