/**
 * End-to-end tests of runInChroot against a busybox root (needs root, util-linux, busybox-static):
 * the command is isolated (mounts, PIDs, network, environment), and whatever happens the host's
 * mount table is unchanged and no process from the run survives.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runInChroot } from "../../../src/sandbox/chroot.js";
import { runInNamespace } from "../../../src/sandbox/namespace.js";
import { hostMounts, makeBusyboxRoot, pidsMatching, waitFor } from "./busybox-root.js";

const chrootModule = fileURLToPath(new URL("../../../src/sandbox/chroot.js", import.meta.url));
const namespaceModule = fileURLToPath(
  new URL("../../../src/sandbox/namespace.js", import.meta.url),
);

void describe("runInChroot", () => {
  void it("runs a command in the root with a clean environment, its own PID 1 and hostname", async () => {
    const root = makeBusyboxRoot();
    const before = hostMounts();
    process.env["SUBSTRATE_TEST_LEAK"] = "leaked";
    const r = await runInChroot({
      root,
      script:
        "hostname; env | sort; ls /; echo procs=$(ps -o pid | wc -l); tr '\\0' ' ' < /proc/1/cmdline",
      env: { EXTRA: "yes" },
      captureStdout: true,
    });
    delete process.env["SUBSTRATE_TEST_LEAK"];
    assert.ok(r.ok, JSON.stringify(r));
    const out = r.value.stdout;
    // Only the namespace's own processes are visible: PID 1 (the sandbox shell), sh, ps, wc.
    const procs = Number(/^procs=(\d+)$/m.exec(out)?.[1]);
    assert.ok(procs > 2 && procs <= 7, `only the run's processes are visible (${procs} lines)`);
    assert.match(out, /substrate-sandbox $/, "PID 1 is the sandbox's shell");
    assert.match(out, /^substrate$/m);
    assert.match(out, /^PATH=\/usr\/sbin:\/usr\/bin:\/sbin:\/bin$/m);
    assert.match(out, /^DEBIAN_FRONTEND=noninteractive$/m);
    assert.match(out, /^HOME=\/root$/m);
    assert.match(out, /^EXTRA=yes$/m);
    assert.doesNotMatch(out, /leaked/);
    assert.match(out, /^bin$/m, "the root is /");
    assert.equal(hostMounts(), before);
  });

  void it("mounts /proc, a minimal /dev with a private devpts, /sys read-only, tmpfs /run and /tmp", async () => {
    const root = makeBusyboxRoot();
    const r = await runInChroot({
      root,
      script: [
        "ls /dev | sort | tr '\\n' ' '; echo",
        "cat /proc/self/mountinfo",
        "echo x > /dev/null && head -c 4 /dev/zero | wc -c",
        "touch /sys/x 2>/dev/null && echo sys-writable || echo sys-readonly",
        "touch /tmp/t /run/r && echo tmp-ok",
      ].join("\n"),
      captureStdout: true,
    });
    assert.ok(r.ok, JSON.stringify(r));
    const out = r.value.stdout;
    assert.match(out, /^fd full null ptmx pts random shm stderr stdin stdout tty urandom zero $/m);
    assert.match(out, / \/dev\/pts .* devpts .*ptmxmode=666/);
    assert.match(out, / \/proc .* proc /);
    assert.match(out, / \/sys ro,/);
    assert.match(out, / \/tmp .* tmpfs /);
    assert.match(out, / \/run .* tmpfs /);
    assert.match(out, /^4$/m);
    assert.match(out, /^sys-readonly$/m);
    assert.match(out, /^tmp-ok$/m);
    // The tmpfs files are gone with the namespace; the root's own /tmp is empty.
    assert.equal(existsSync(join(root, "tmp/t")), false);
  });

  void it("keeps the root's /tmp with tmp: keep", async () => {
    const root = makeBusyboxRoot();
    const r = await runInChroot({ root, tmp: "keep", argv: ["touch", "/tmp/kept"] });
    assert.ok(r.ok, JSON.stringify(r));
    assert.ok(existsSync(join(root, "tmp/kept")));
  });

  void it("has no network by default and the host's with network: true; resolv.conf is put back", async () => {
    const root = makeBusyboxRoot();
    writeFileSync(join(root, "etc/resolv.conf"), "nameserver 192.0.2.1\n");
    const isolated = await runInChroot({ root, argv: ["ip", "-o", "link"], captureStdout: true });
    assert.ok(isolated.ok, JSON.stringify(isolated));
    assert.deepEqual(
      isolated.value.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(":")[1]?.trim()),
      ["lo"],
    );
    const hostResolv = readFileSync("/etc/resolv.conf", "utf8");
    const online = await runInChroot({
      root,
      network: true,
      argv: ["cat", "/etc/resolv.conf"],
      captureStdout: true,
    });
    assert.ok(online.ok, JSON.stringify(online));
    assert.equal(online.value.stdout, hostResolv);
    assert.equal(readFileSync(join(root, "etc/resolv.conf"), "utf8"), "nameserver 192.0.2.1\n");
    assert.equal(existsSync(join(root, "etc/resolv.conf.substrate-orig")), false);
  });

  void it("removes a resolv.conf it added to a root that had none, but keeps one the run wrote", async () => {
    const root = makeBusyboxRoot();
    const a = await runInChroot({ root, network: true, argv: ["true"] });
    assert.ok(a.ok, JSON.stringify(a));
    assert.equal(existsSync(join(root, "etc/resolv.conf")), false);
    assert.equal(existsSync(join(root, "etc/resolv.conf.substrate-none")), false);
    const b = await runInChroot({
      root,
      network: true,
      script: "rm /etc/resolv.conf; echo 'nameserver 198.51.100.7' > /etc/resolv.conf",
    });
    assert.ok(b.ok, JSON.stringify(b));
    assert.equal(readFileSync(join(root, "etc/resolv.conf"), "utf8"), "nameserver 198.51.100.7\n");
  });

  void it("recovers a resolv.conf swap left behind by a killed run", async () => {
    const root = makeBusyboxRoot();
    writeFileSync(join(root, "etc/resolv.conf"), "ours-from-host\n");
    writeFileSync(join(root, "etc/resolv.conf.substrate-orig"), "the root's own\n");
    const r = await runInChroot({ root, argv: ["cat", "/etc/resolv.conf"], captureStdout: true });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.stdout, "the root's own\n");
    assert.equal(existsSync(join(root, "etc/resolv.conf.substrate-orig")), false);
  });

  void it("binds host folders read-write and read-only, resolving targets inside the root", async () => {
    const root = makeBusyboxRoot();
    const host = mkdtempSync(join(tmpdir(), "substrate-bind-"));
    mkdirSync(join(host, "rw"));
    mkdirSync(join(host, "ro"));
    writeFileSync(join(host, "ro/file"), "read me\n");
    // A hostile link: the bind target /hostile/cache must land inside the root, not in /etc.
    symlinkSync("/etc", join(root, "hostile"));
    const before = hostMounts();
    const r = await runInChroot({
      root,
      binds: [
        { source: join(host, "rw"), target: "/hostile/cache" },
        { source: join(host, "ro"), target: "/mnt/ro", readonly: true },
      ],
      script: [
        "echo written > /hostile/cache/out",
        "cat /mnt/ro/file",
        "touch /mnt/ro/nope 2>/dev/null && echo ro-writable || echo ro-refused",
      ].join("\n"),
      captureStdout: true,
    });
    assert.ok(r.ok, JSON.stringify(r));
    assert.match(r.value.stdout, /^read me$/m);
    assert.match(r.value.stdout, /^ro-refused$/m);
    assert.equal(readFileSync(join(host, "rw/out"), "utf8"), "written\n");
    assert.equal(existsSync("/etc/cache"), false, "nothing created in the host's /etc");
    // Mount points created for the run are removed again.
    assert.equal(existsSync(join(root, "etc/cache")), false);
    assert.equal(existsSync(join(root, "mnt")), false);
    assert.equal(hostMounts(), before);
  });

  void it("returns the command's exit status, and setup-failed for a broken mount", async () => {
    const root = makeBusyboxRoot();
    const r = await runInChroot({ root, script: "echo about to fail\nexit 7" });
    assert.ok(!r.ok && r.error.reason === "exit-non-zero", JSON.stringify(r));
    assert.equal(r.error.status, 7);
    assert.deepEqual(r.error.tail, ["about to fail"]);
    assert.match(r.error.command, /^\/bin\/sh -e -c 'echo about to fail \.\.\.'$/);
    // A file bound over a directory: the mount fails inside the namespace.
    const file = join(mkdtempSync(join(tmpdir(), "substrate-bind-")), "f");
    writeFileSync(file, "x");
    const s = await runInChroot({
      root,
      binds: [{ source: file, target: "/bin" }],
      argv: ["true"],
    });
    assert.ok(!s.ok && s.error.reason === "setup-failed", JSON.stringify(s));
    assert.match(s.error.message, /cannot bind/);
    const missing = await runInChroot({ root, argv: ["no-such-command"] });
    assert.ok(!missing.ok && missing.error.reason === "exit-non-zero", JSON.stringify(missing));
    assert.equal(missing.error.status, 127);
  });

  void it("rejects a missing root, the host's /, binds over /proc and missing bind sources", async () => {
    const none = await runInChroot({ root: "/nonexistent/substrate", argv: ["true"] });
    assert.ok(!none.ok && none.error.reason === "bad-root");
    const slash = await runInChroot({ root: "/", argv: ["true"] });
    assert.ok(!slash.ok && slash.error.reason === "bad-root");
    const root = makeBusyboxRoot();
    const proc = await runInChroot({
      root,
      binds: [{ source: "/tmp", target: "/proc/x" }],
      argv: ["true"],
    });
    assert.ok(!proc.ok && proc.error.reason === "bad-bind");
    const src = await runInChroot({
      root,
      binds: [{ source: "/nonexistent", target: "/x" }],
      argv: ["true"],
    });
    assert.ok(!src.ok && src.error.reason === "bad-bind");
  });

  void it("runs in cwd and feeds stdin", async () => {
    const root = makeBusyboxRoot();
    const r = await runInChroot({
      root,
      cwd: "/etc",
      stdin: "from stdin\n",
      script: "pwd; cat",
      captureStdout: true,
    });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.stdout, "/etc\nfrom stdin\n");
  });

  void it("copies interpreters in for the run and restores the root's own file after", async () => {
    const root = makeBusyboxRoot();
    const host = mkdtempSync(join(tmpdir(), "substrate-interp-"));
    const interp = join(host, "qemu-fake");
    writeFileSync(interp, "#!fake interpreter\n", { mode: 0o755 });
    mkdirSync(join(root, host.slice(1)), { recursive: true });
    writeFileSync(join(root, host.slice(1), "qemu-fake"), "root's own\n");
    // tmp: keep, as this fake interpreter lives under /tmp (real ones are in /usr/bin).
    const r = await runInChroot({
      root,
      tmp: "keep",
      interpreters: [interp],
      argv: ["cat", interp],
      captureStdout: true,
    });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.stdout, "#!fake interpreter\n");
    assert.equal(readFileSync(join(root, host.slice(1), "qemu-fake"), "utf8"), "root's own\n");
  });

  void it("cancels on abort and times out, leaving no process", async () => {
    const root = makeBusyboxRoot();
    const marker = `${100000 + Math.floor(Math.random() * 800000)}`;
    const ac = new AbortController();
    const running = runInChroot({
      root,
      argv: ["sleep", marker],
      signal: ac.signal,
    });
    assert.ok(await waitFor(() => pidsMatching(`sleep ${marker}`).length > 0, 5000));
    ac.abort();
    const r = await running;
    assert.ok(!r.ok && r.error.reason === "cancelled", JSON.stringify(r));
    assert.deepEqual(pidsMatching(`sleep ${marker}`), []);
    const t = await runInChroot({ root, argv: ["sleep", `${marker}1`], timeoutMs: 300 });
    assert.ok(!t.ok && t.error.reason === "timed-out", JSON.stringify(t));
    assert.deepEqual(pidsMatching(`sleep ${marker}1`), []);
  });

  for (const signal of ["SIGKILL", "SIGTERM", "SIGINT"] as const) {
    void it(`leaves no mount and no process when substrate dies by ${signal}`, async () => {
      const root = makeBusyboxRoot();
      const marker = `${100000 + Math.floor(Math.random() * 800000)}`;
      const host = mkdtempSync(join(tmpdir(), "substrate-bind-"));
      // The daemonised child (setsid, own session) must die too: the PID namespace takes it.
      const script = [
        `import { runInChroot } from ${JSON.stringify(chrootModule)};`,
        `await runInChroot({ root: ${JSON.stringify(root)}, network: true,`,
        `  binds: [{ source: ${JSON.stringify(host)}, target: "/cache" }],`,
        `  script: "(sleep ${marker}1 &) ; echo started; sleep ${marker}",`,
        `  onLine: (l) => console.log(l) });`,
      ].join("\n");
      const before = hostMounts();
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      assert.ok(await waitFor(() => out.includes("started"), 10000), out);
      assert.ok(await waitFor(() => pidsMatching(`sleep ${marker}`).length >= 2, 5000));
      assert.equal(hostMounts(), before, "the run's mounts are invisible to the host");
      child.kill(signal);
      await new Promise((r) => child.on("exit", r));
      assert.ok(
        await waitFor(() => pidsMatching(marker).length === 0, 5000),
        `leftover processes: ${pidsMatching(marker).join(" ")}`,
      );
      assert.equal(hostMounts(), before);
      // The resolv.conf copied in is still there (substrate had no chance to clean up), and the
      // next run on the root puts the root back as it was before anything else.
      assert.ok(existsSync(join(root, "etc/resolv.conf.substrate-none")));
      const next = await runInChroot({ root, script: "test ! -e /etc/resolv.conf" });
      assert.ok(next.ok, JSON.stringify(next));
      assert.equal(existsSync(join(root, "etc/resolv.conf")), false);
      assert.equal(existsSync(join(root, "etc/resolv.conf.substrate-none")), false);
    });
  }
});

void describe("runInNamespace", () => {
  void it("keeps a host command's mounts private and remounts /proc for its PID namespace", async () => {
    const dir = mkdtempSync(join(tmpdir(), "substrate-ns-"));
    const before = hostMounts();
    const r = await runInNamespace({
      argv: [
        "sh",
        "-c",
        `mount -t tmpfs tmpfs ${dir} && touch ${dir}/inside && echo $$ && ls ${dir}`,
      ],
      captureStdout: true,
    });
    assert.ok(r.ok, JSON.stringify(r));
    const [pid, listing] = r.value.stdout.split("\n");
    assert.ok(Number(pid) < 10, `a PID of the new namespace, got ${pid ?? ""}`);
    assert.equal(listing, "inside");
    assert.equal(existsSync(join(dir, "inside")), false);
    assert.equal(hostMounts(), before);
  });

  void it("applies read-only binds and a working directory", async () => {
    const a = mkdtempSync(join(tmpdir(), "substrate-ns-"));
    const b = mkdtempSync(join(tmpdir(), "substrate-ns-"));
    writeFileSync(join(a, "f"), "from a\n");
    const r = await runInNamespace({
      argv: ["sh", "-c", "pwd; cat f; touch g 2>/dev/null && echo writable || echo read-only"],
      binds: [{ source: a, target: b, readonly: true }],
      cwd: b,
      captureStdout: true,
    });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.stdout, `${b}\nfrom a\nread-only\n`);
  });

  void it("releases a loop mount and every process when substrate dies by SIGKILL", async () => {
    const dir = mkdtempSync(join(tmpdir(), "substrate-ns-"));
    mkdirSync(join(dir, "tree"));
    writeFileSync(join(dir, "tree/file"), "inside the image\n");
    mkdirSync(join(dir, "mnt"));
    const image = join(dir, "image.sqfs");
    execFileSync("mksquashfs", [join(dir, "tree"), image, "-noappend", "-quiet"]);
    const marker = `${100000 + Math.floor(Math.random() * 800000)}`;
    const script = [
      `import { runInNamespace } from ${JSON.stringify(namespaceModule)};`,
      `await runInNamespace({ argv: ["sh", "-c", ${JSON.stringify(`mount -o loop,ro ${image} ${dir}/mnt && cat ${dir}/mnt/file && sleep ${marker}`)}],`,
      `  onLine: (l) => console.log(l) });`,
    ].join("\n");
    const before = hostMounts();
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    assert.ok(await waitFor(() => out.includes("inside the image"), 10000), out);
    const loops = (): string => execFileSync("losetup", ["-a"], { encoding: "utf8" });
    assert.ok(loops().includes(image), "the loop device is in use during the run");
    assert.equal(hostMounts(), before);
    child.kill("SIGKILL");
    assert.ok(await waitFor(() => pidsMatching(marker).length === 0, 5000));
    assert.ok(await waitFor(() => !loops().includes(image), 5000), loops());
    assert.equal(hostMounts(), before);
  });

  void it("kills the whole namespace when cancelled", async () => {
    const marker = `${100000 + Math.floor(Math.random() * 800000)}`;
    const ac = new AbortController();
    const running = runInNamespace({
      argv: ["sh", "-c", `setsid sleep ${marker}2 & sleep ${marker}`],
      signal: ac.signal,
    });
    assert.ok(await waitFor(() => pidsMatching(`sleep ${marker}`).length >= 2, 5000));
    ac.abort();
    const r = await running;
    assert.ok(!r.ok && r.error.reason === "cancelled");
    assert.ok(await waitFor(() => pidsMatching(marker).length === 0, 5000));
  });
});
