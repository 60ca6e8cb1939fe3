/** The console engine against a scripted console: login, marker-wrapped commands, noise, failures. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { beginMarker, endMarker, wrapCommand } from "../../../src/boot/command-markers.js";
import { ConsoleEngine } from "../../../src/boot/console.js";
import {
  ConsoleCleaner,
  cleanConsoleText,
  removeConsoleNoise,
} from "../../../src/boot/console-text.js";
import { CHECK_COMMANDS, runChecks, standardChecks } from "../../../src/boot/checks.js";
import { FakeConsole } from "./fake-console.js";

void test("the cleaner drops escape sequences even when split across chunks, and turns CR LF into LF", () => {
  const c = new ConsoleCleaner();
  const raw = "\x1b[2J\x1b[01;01HBdsDxe: loading\r\n\x1b[1m\x1b[33mShell> \x1b[0m";
  let out = "";
  for (let i = 0; i < raw.length; i += 3) out += c.push(raw.slice(i, i + 3));
  out += c.flush();
  assert.equal(out, "BdsDxe: loading\nShell> ");
  assert.equal(cleanConsoleText("a\rb\r\nc\x07"), "a\nb\nc");
});

void test("the typed command line never contains its own markers, so the echo cannot match", () => {
  const line = wrapCommand("abc-1", "uname -r");
  assert.ok(!line.includes(beginMarker("abc-1")));
  assert.ok(!endMarker("abc-1").test(line));
  assert.match("@@SUBSTRATE:E:abc-1:0@@", endMarker("abc-1"));
});

void test("console noise is removed from command output", () => {
  const text = "[   12.5] random: crng init done\n[  OK  ] Started foo.service.\n6.1.0-13-amd64\n";
  assert.equal(removeConsoleNoise(text), "6.1.0-13-amd64");
});

void test("logs in with an empty password and runs commands, ignoring echo and interleaved kernel lines", async () => {
  const fake = new FakeConsole();
  fake.replies.set("uname -r", {
    output: "6.1.0-13-amd64",
    status: 0,
    noise: "[   33.1] loop: module loaded",
  });
  fake.replies.set("false", { output: "", status: 1 });
  const kernelLines: string[] = [];
  const engine = new ConsoleEngine(fake, { nonce: "t", onKernelStart: (l) => kernelLines.push(l) });
  fake.emit(
    "\x1b[2J\x1b[01;01HBdsDxe: starting Boot0001\r\n[    0.000000] Linux version 6.1.0-13-amd64 (x)\r\n",
  );
  fake.loginPrompt();
  const login = await engine.login("root", "", 5000);
  assert.deepEqual(login, { ok: true, value: undefined });
  assert.equal(kernelLines.length, 1);
  assert.equal(engine.stage, "kernel");
  assert.deepEqual(fake.written.slice(0, 2), ["root\r", "\r"], "user name, then an empty password");
  const r = await engine.run("uname -r", 5000);
  assert.deepEqual(r, { ok: true, value: { output: "6.1.0-13-amd64", status: 0 } });
  const f = await engine.run("false", 5000);
  assert.deepEqual(f, { ok: true, value: { output: "", status: 1 } });
});

void test("login without a password prompt (autologin-like) still reaches a shell", async () => {
  const fake = new FakeConsole();
  fake.askPassword = false;
  const engine = new ConsoleEngine(fake, { nonce: "a" });
  fake.loginPrompt();
  const login = await engine.login("root", "", 5000);
  assert.equal(login.ok, true);
  assert.deepEqual(fake.written.slice(0, 1), ["root\r"]);
});

void test("a guest that stalls after the user name until the getty restarts still gets logged in", async () => {
  const fake = new FakeConsole();
  fake.askPassword = false;
  const engine = new ConsoleEngine(fake, { nonce: "g", stepTimeoutMs: 30 });
  fake.loginPrompt();
  fake.stalled = true;
  const login = engine.login("root", "", 5000);
  // Stalled for a while (the engine probes, nothing answers), then the getty times out and
  // shows a new prompt, as agetty does after login(1)'s own timeout.
  await new Promise((r) => setTimeout(r, 300));
  fake.stalled = false;
  fake.loginPrompt();
  const r = await login;
  assert.deepEqual(r, { ok: true, value: undefined });
  assert.equal(fake.written.filter((w) => w === "root\r").length, 2, "the user is sent again");
  assert.ok(fake.written.length <= 2 + 3 + 2, "a few probes at most, no flood");
  const after = await engine.run("uname -r", 5000);
  assert.equal(after.ok, true, "the shell works after the second login");
});

void test("a refused password is reported as login-failed, not retried", async () => {
  const fake = new FakeConsole();
  fake.rejectPassword = true;
  const engine = new ConsoleEngine(fake, { nonce: "x", stepTimeoutMs: 30 });
  fake.loginPrompt();
  const r = await engine.login("root", "", 5000);
  assert.equal(r.ok, false);
  assert.equal(r.error.reason, "login-incorrect");
});

void test("a kernel panic ends the wait at once with its reason, long before the timeout", async () => {
  const fake = new FakeConsole();
  const engine = new ConsoleEngine(fake);
  const started = Date.now();
  fake.emit(
    "[    0.000000] Linux version 6.1.0\r\n[    3.4] Kernel panic - not syncing: VFS: Unable to mount root fs\r\n",
  );
  const r = await engine.login("root", "", 60_000);
  assert.ok(Date.now() - started < 2000);
  assert.equal(r.ok, false);
  assert.equal(r.error.reason, "known-failure");
  assert.equal(r.error.failure.kind, "kernel-panic");
  assert.match(r.error.failure.line, /Unable to mount root fs/);
});

void test("the UEFI shell prompt is recognised before the kernel starts, even without a newline", async () => {
  const fake = new FakeConsole();
  const engine = new ConsoleEngine(fake);
  fake.emit("\x1b[1m\x1b[33m\x1b[40mShell> \x1b[0m");
  const r = await engine.expect([/login:/], 60_000);
  assert.equal(!r.ok && r.error.reason === "known-failure" && r.error.failure.kind, "uefi-shell");
});

void test("boot-loader errors only count before the kernel has started", async () => {
  const fake = new FakeConsole();
  const engine = new ConsoleEngine(fake);
  fake.emit(
    "[    0.000000] Linux version 6.1.0\r\nsomething: Failed to execute foo (bar)\r\nroflmaOS login: ",
  );
  const r = await engine.expect([/login: $/m], 5000);
  assert.equal(r.ok, true);
});

void test("a dracut emergency shell prompt fails the boot", async () => {
  const fake = new FakeConsole();
  const engine = new ConsoleEngine(fake);
  fake.emit("[    0.0] Linux version 6.1\r\nWarning: /dev/root does not exist\r\n\r\n:/# ");
  const r = await engine.expect([/login:/], 60_000);
  assert.equal(
    !r.ok && r.error.reason === "known-failure" && r.error.failure.kind,
    "emergency-shell",
  );
});

void test("timeouts and a closed console are reported as such", async () => {
  const fake = new FakeConsole();
  const engine = new ConsoleEngine(fake);
  const t = await engine.expect(["never"], 50);
  assert.deepEqual(t, {
    ok: false,
    error: { reason: "timeout", waitingFor: "never", timeoutMs: 50 },
  });
  engine.setStage("userspace");
  fake.close();
  const c = await engine.expect(["never"], 5000, "the thing");
  assert.deepEqual(c, { ok: false, error: { reason: "console-closed", waitingFor: "the thing" } });
});

void test("a VM that resets before any kernel line is a boot failure; a menu with only firmware setup names the boot loader", async () => {
  const plain = new FakeConsole();
  const e1 = new ConsoleEngine(plain);
  plain.emit("BdsDxe: starting Boot0001\r\n");
  plain.close();
  const r1 = await e1.expect(["login:"], 5000);
  assert.equal(
    !r1.ok && r1.error.reason === "known-failure" && r1.error.failure.kind,
    "firmware-reset",
  );
  const menu = new FakeConsole();
  const e2 = new ConsoleEngine(menu);
  menu.emit(
    "\x1b[2J\x1b[25;23H\x1b[0m   Reboot Into Firmware Interface   \x1b[27;01H   Boot in 10 s.   ",
  );
  menu.close();
  const r2 = await e2.expect(["login:"], 5000);
  assert.equal(
    !r2.ok && r2.error.reason === "known-failure" && r2.error.failure.kind,
    "boot-loader-error",
  );
});

void test("a hanging command times out and the shell gets Ctrl-C", async () => {
  const fake = new FakeConsole();
  fake.replies.set("sleep 1000", { output: "", status: 0, hang: true });
  const engine = new ConsoleEngine(fake, { nonce: "h" });
  fake.loginPrompt();
  assert.equal((await engine.login("root", "", 5000)).ok, true);
  const r = await engine.run("sleep 1000", 100);
  assert.equal(r.ok, false);
  assert.equal(fake.written[fake.written.length - 1], "\x03");
});

void test("the standard checks pass against a healthy fake system and fail with details on a degraded one", async () => {
  const healthy = new FakeConsole();
  healthy.replies.set("systemctl is-system-running --wait", { output: "running", status: 0 });
  healthy.replies.set(CHECK_COMMANDS.kernelRelease, { output: "6.1.0-13-amd64", status: 0 });
  healthy.replies.set(CHECK_COMMANDS.rootMount, {
    output:
      "overlay rw,relatime,lowerdir=/run/rootfsbase,upperdir=/run/overlayfs,workdir=/run/ovlwork",
    status: 0,
  });
  healthy.replies.set(CHECK_COMMANDS.squashfsMounts, {
    output: "/run/rootfsbase",
    status: 0,
  });
  healthy.replies.set(CHECK_COMMANDS.osRelease, {
    output: 'PRETTY_NAME="roflmaOS live"\nNAME="roflmaOS"',
    status: 0,
  });
  const engine = new ConsoleEngine(healthy, { nonce: "c" });
  healthy.loginPrompt();
  assert.equal((await engine.login("root", "", 5000)).ok, true);
  const checks = standardChecks({
    kernelRelease: "6.1.0-13-amd64",
    osName: "roflmaOS",
    commandTimeoutMs: 5000,
  });
  // The module check's command is long; answer it generically.
  const moduleCmd = healthy.replies;
  moduleCmd.set(CHECK_COMMANDS.moduleLoad("dummy"), {
    output: "file=/lib/modules/6.1.0-13-amd64/kernel/drivers/net/dummy.ko\nloaded",
    status: 0,
  });
  const ran = await runChecks(checks, engine, () => undefined);
  assert.deepEqual(
    ran.results.map((r) => [r.name, r.ok]),
    [
      ["system-running", true],
      ["kernel-version", true],
      ["overlay-root", true],
      ["os-release", true],
      ["module-load", true],
    ],
    JSON.stringify(ran.results),
  );

  const sick = new FakeConsole();
  sick.replies.set("systemctl is-system-running --wait", { output: "degraded", status: 1 });
  sick.replies.set("systemctl --failed --no-legend --plain --no-pager", {
    output: "systemd-networkd.service loaded failed failed Network Configuration",
    status: 0,
  });
  const e2 = new ConsoleEngine(sick, { nonce: "d" });
  sick.loginPrompt();
  assert.equal((await e2.login("root", "", 5000)).ok, true);
  const first = standardChecks({ commandTimeoutMs: 5000 })[0];
  assert.ok(first !== undefined);
  const v = await first.run(e2);
  assert.equal(v.ok, false);
  assert.match(v.detail, /degraded.*systemd-networkd\.service/);
});
