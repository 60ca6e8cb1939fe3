/**
 * The pure parts of the sandbox: binfmt_misc parsing and matching, interpreter checks against a
 * fake binfmt folder, swap/recover of files in a root, and the generated setup scripts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  checkInterpreterHost,
  checkInterpreters,
  findRegistration,
  parseBinfmtEntry,
  readBinfmtEntries,
} from "../../../src/sandbox/interpreter.js";
import { prepareInterpreterHost, registrationFromConf } from "../../../src/sandbox/binfmt.js";
import { recoverSwap, restoreSwap, swapIn } from "../../../src/sandbox/swap.js";
import { recoverRoot } from "../../../src/sandbox/root-swaps.js";
import {
  chrootSetupScript,
  namespaceLauncher,
  namespaceSetupScript,
  shellQuote,
} from "../../../src/sandbox/setup-script.js";

const QEMU_ARM = `enabled
interpreter /usr/libexec/qemu-binfmt/arm-binfmt-P
flags: POCF
offset 0
magic 7f454c4601010100000000000000000002002800
mask ffffffffffffff00fffffffffffffffffeffffff
`;

void describe("binfmt_misc", () => {
  void it("parses a registration", () => {
    assert.deepEqual(parseBinfmtEntry("qemu-arm", QEMU_ARM), {
      name: "qemu-arm",
      enabled: true,
      interpreter: "/usr/libexec/qemu-binfmt/arm-binfmt-P",
      flags: "POCF",
    });
    assert.equal(parseBinfmtEntry("status", "enabled\n"), undefined);
    assert.equal(parseBinfmtEntry("x", "disabled\ninterpreter /x\n")?.enabled, false);
  });

  void it("matches interpreters by path, by name and Debian's binfmt wrappers", () => {
    const arm = parseBinfmtEntry("qemu-arm", QEMU_ARM);
    const riscv = parseBinfmtEntry(
      "qemu-riscv64",
      "enabled\ninterpreter /usr/bin/qemu-riscv64-static\nflags: F\n",
    );
    assert.ok(arm && riscv);
    assert.equal(findRegistration([arm, riscv], "/usr/bin/qemu-riscv64-static"), riscv);
    assert.equal(findRegistration([arm, riscv], "/usr/bin/qemu-riscv64"), riscv);
    assert.equal(findRegistration([arm, riscv], "/usr/bin/qemu-arm-static"), arm);
    assert.equal(findRegistration([arm, riscv], "/usr/bin/qemu-aarch64"), undefined);
  });

  void it("checks interpreters against a fake host root", () => {
    const host = mkdtempSync(join(tmpdir(), "substrate-binfmt-"));
    const binfmt = join(host, "proc/sys/fs/binfmt_misc");
    mkdirSync(binfmt, { recursive: true });
    writeFileSync(join(binfmt, "status"), "enabled\n");
    writeFileSync(join(binfmt, "register"), "");
    mkdirSync(join(host, "usr/bin"), { recursive: true });
    const interp = "/usr/bin/qemu-arm-static";
    writeFileSync(join(host, interp), "", { mode: 0o755 });
    writeFileSync(
      join(binfmt, "qemu-arm"),
      QEMU_ARM.replace(/interpreter .*/, `interpreter ${interp}`),
    );
    assert.equal(readBinfmtEntries(binfmt).length, 1);
    assert.deepEqual(checkInterpreters([interp], { hostRoot: host }), {
      ok: true,
      value: undefined,
    });
    const rel = checkInterpreters(["qemu-arm"], { hostRoot: host });
    assert.ok(!rel.ok && rel.error.reason === "not-absolute");
    const missing = checkInterpreters(["/usr/bin/qemu-mips-static"], { hostRoot: host });
    assert.ok(!missing.ok && missing.error.reason === "no-interpreter");
    assert.match(missing.error.message, /qemu-mips-static does not exist on this host/);
    assert.match(missing.error.hint, /qemu-user-static/);
    writeFileSync(join(host, "usr/bin/qemu-ppc64-static"), "");
    const unregistered = checkInterpreters(["/usr/bin/qemu-ppc64-static"], { hostRoot: host });
    assert.ok(!unregistered.ok && unregistered.error.reason === "not-registered");
    assert.match(unregistered.error.hint, /qemu-user-static/);
  });
});

/** A fake host root: qemu-user-static installed, binfmt_misc as given. */
function fakeHost(binfmt: {
  mounted: boolean;
  status?: string;
  entry?: string;
  conf?: boolean;
}): string {
  const host = mkdtempSync(join(tmpdir(), "substrate-host-"));
  const dir = join(host, "proc/sys/fs/binfmt_misc");
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(host, "usr/bin"), { recursive: true });
  mkdirSync(join(host, "usr/libexec/qemu-binfmt"), { recursive: true });
  writeFileSync(join(host, "usr/bin/qemu-arm-static"), "", { mode: 0o755 });
  writeFileSync(join(host, "usr/libexec/qemu-binfmt/arm-binfmt-P"), "", { mode: 0o755 });
  if (binfmt.conf !== false) {
    mkdirSync(join(host, "usr/lib/binfmt.d"), { recursive: true });
    writeFileSync(join(host, "usr/lib/binfmt.d/qemu-arm.conf"), `${QEMU_ARM_CONF}\n`);
  }
  if (binfmt.mounted) {
    writeFileSync(join(dir, "register"), "");
    writeFileSync(join(dir, "status"), `${binfmt.status ?? "enabled"}\n`);
    if (binfmt.entry !== undefined) writeFileSync(join(dir, "qemu-arm"), binfmt.entry);
  }
  return host;
}

const QEMU_ARM_CONF =
  ":qemu-arm:M::\\x7f\\x45\\x4c\\x46\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x28\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:/usr/libexec/qemu-binfmt/arm-binfmt-P:OPF";

void describe("host preparation for foreign arches", () => {
  const ARM = "/usr/bin/qemu-arm-static";
  const reason = (host: string): string => {
    const c = checkInterpreterHost(ARM, {
      hostRoot: host,
      installCommand: "substrate doctor --install TREE",
    });
    return c.ok ? "ok" : c.error.reason;
  };

  void it("gives each missing piece its own reason, in setup order", () => {
    assert.equal(reason(fakeHost({ mounted: false })), "binfmt-not-mounted");
    assert.equal(reason(fakeHost({ mounted: true, status: "disabled" })), "binfmt-disabled");
    assert.equal(reason(fakeHost({ mounted: true })), "not-registered");
    assert.equal(
      reason(fakeHost({ mounted: true, entry: QEMU_ARM.replace("enabled", "disabled") })),
      "registration-disabled",
    );
    assert.equal(
      reason(fakeHost({ mounted: true, entry: QEMU_ARM.replace("flags: POCF", "flags: PO") })),
      "no-fix-binary",
    );
    assert.equal(reason(fakeHost({ mounted: true, entry: QEMU_ARM })), "ok");
    // Without F, a handler that runs the very path copied into the root still works.
    const same = QEMU_ARM.replace(/interpreter .*/, `interpreter ${ARM}`).replace("POCF", "P");
    assert.equal(reason(fakeHost({ mounted: true, entry: same })), "ok");
    const none = fakeHost({ mounted: true, entry: QEMU_ARM });
    rmSync(join(none, ARM));
    assert.equal(reason(none), "no-interpreter");
  });

  void it("names the command to run and what it does", () => {
    const host = fakeHost({ mounted: false });
    const c = checkInterpreterHost(ARM, {
      hostRoot: host,
      installCommand: "substrate doctor --install examples/gentoo",
    });
    assert.ok(!c.ok && c.error.reason === "binfmt-not-mounted");
    assert.match(c.error.message, /binfmt_misc is not mounted at .*proc\/sys\/fs\/binfmt_misc/);
    assert.match(c.error.hint, /substrate doctor --install examples\/gentoo/);
    assert.match(c.error.hint, /mount -t binfmt_misc binfmt_misc /);
    assert.match(c.error.hint, /qemu-arm from .*usr\/lib\/binfmt\.d\/qemu-arm\.conf/);
    // qemu-user-static not installed: no binfmt.d file either.
    const bare = fakeHost({ mounted: true, conf: false });
    const n = checkInterpreterHost(ARM, { hostRoot: bare });
    assert.ok(!n.ok && n.error.reason === "not-registered");
    assert.match(n.error.hint, /install qemu-user-static/);
  });

  void it("reads a binfmt.d registration and makes sure it has the F flag", () => {
    const reg = registrationFromConf(`# comment\n${QEMU_ARM_CONF}\n`, "qemu-arm");
    assert.ok(reg !== undefined);
    assert.equal(reg.interpreter, "/usr/libexec/qemu-binfmt/arm-binfmt-P");
    assert.equal(reg.line, QEMU_ARM_CONF);
    assert.equal(reg.addedFixBinary, false);
    const noF = registrationFromConf(QEMU_ARM_CONF.replace(/:OPF$/, ":OP"), "qemu-arm");
    assert.ok(noF !== undefined);
    assert.equal(noF.line, QEMU_ARM_CONF.replace(/:OPF$/, ":OPF"));
    assert.equal(noF.addedFixBinary, true);
    assert.equal(registrationFromConf(QEMU_ARM_CONF, "qemu-aarch64"), undefined);
    assert.equal(registrationFromConf(":qemu-arm:M::x", "qemu-arm"), undefined);
  });

  void it("does not mount anything outside the real root", async () => {
    const host = fakeHost({ mounted: false });
    const said: string[] = [];
    const r = await prepareInterpreterHost([ARM], {
      hostRoot: host,
      announce: (m) => said.push(m),
    });
    assert.ok(!r.ok && r.error.reason === "binfmt-not-mounted");
    assert.deepEqual(said, []);
  });

  void it("enables a disabled handler, announcing it", async () => {
    const host = fakeHost({ mounted: true, entry: QEMU_ARM.replace("enabled", "disabled") });
    const said: string[] = [];
    // A fake binfmt folder is no kernel: writing "1" does not enable the entry, so the check
    // still fails after the action, and the action was announced and taken.
    const r = await prepareInterpreterHost([ARM], {
      hostRoot: host,
      announce: (m) => said.push(m),
    });
    assert.ok(!r.ok);
    assert.match(said[0] ?? "", /^enabling qemu-arm: echo 1 > .*binfmt_misc\/qemu-arm$/);
    assert.equal(readFileSync(join(host, "proc/sys/fs/binfmt_misc/qemu-arm"), "utf8"), "1");
  });
});

void describe("swap", () => {
  void it("swaps a file in and puts the root's own back, or removes ours", () => {
    const root = mkdtempSync(join(tmpdir(), "substrate-swap-"));
    mkdirSync(join(root, "etc"));
    writeFileSync(join(root, "etc/own"), "own\n");
    const s = swapIn(root, "/etc/own", Buffer.from("ours\n"), 0o644);
    assert.ok(s.ok);
    assert.equal(readFileSync(join(root, "etc/own"), "utf8"), "ours\n");
    assert.ok(restoreSwap(s.value, false).ok);
    assert.equal(readFileSync(join(root, "etc/own"), "utf8"), "own\n");
    const n = swapIn(root, "/etc/new", Buffer.from("ours\n"), 0o644);
    assert.ok(n.ok);
    assert.ok(existsSync(join(root, "etc/new.substrate-none")));
    // A crash here: the next run recovers.
    assert.deepEqual(recoverSwap(root, "/etc/new"), { ok: true, value: true });
    assert.equal(existsSync(join(root, "etc/new")), false);
    assert.equal(existsSync(join(root, "etc/new.substrate-none")), false);
    assert.deepEqual(recoverSwap(root, "/etc/new"), { ok: true, value: false });
  });

  void it("recovers a killed run's resolv.conf and interpreters before a capture", () => {
    const root = mkdtempSync(join(tmpdir(), "substrate-swap-"));
    mkdirSync(join(root, "etc"));
    mkdirSync(join(root, "usr/bin"), { recursive: true });
    writeFileSync(join(root, "etc/resolv.conf"), "host's\n");
    writeFileSync(join(root, "etc/resolv.conf.substrate-orig"), "root's\n");
    writeFileSync(join(root, "usr/bin/qemu-arm-static"), "copied in");
    writeFileSync(join(root, "usr/bin/qemu-arm-static.substrate-none"), "");
    assert.deepEqual(recoverRoot(root), ["/etc/resolv.conf", "/usr/bin/qemu-arm-static"]);
    assert.equal(readFileSync(join(root, "etc/resolv.conf"), "utf8"), "root's\n");
    assert.deepEqual(readdirSync(join(root, "usr/bin")), []);
    assert.deepEqual(recoverRoot(root), []);
  });

  void it("keeps a file the run replaced when asked", () => {
    const root = mkdtempSync(join(tmpdir(), "substrate-swap-"));
    const s = swapIn(root, "/etc/resolv.conf", Buffer.from("host\n"), 0o644);
    assert.ok(s.ok);
    writeFileSync(join(root, "etc/resolv.conf"), "package wrote this\n");
    assert.ok(restoreSwap(s.value, true).ok);
    assert.equal(readFileSync(join(root, "etc/resolv.conf"), "utf8"), "package wrote this\n");
    assert.equal(existsSync(join(root, "etc/resolv.conf.substrate-none")), false);
  });
});

void describe("setup scripts", () => {
  void it("quotes for sh", () => {
    assert.equal(shellQuote("/usr/bin/x"), "/usr/bin/x");
    assert.equal(shellQuote("it's $HOME"), `'it'\\''s $HOME'`);
    assert.equal(shellQuote(""), "''");
  });

  void it("launches in new mount, PID, UTS and IPC namespaces, killed with substrate", () => {
    const argv = namespaceLauncher({ network: false, mountProc: false });
    assert.deepEqual(argv.slice(0, 5), ["setpriv", "--pdeathsig", "KILL", "--", "unshare"]);
    for (const flag of ["--mount", "--pid", "--fork", "--kill-child", "--uts", "--ipc", "--net"]) {
      assert.ok(argv.includes(flag), flag);
    }
    assert.ok(!namespaceLauncher({ network: true, mountProc: true }).includes("--net"));
  });

  void it("makes mounts private first and quotes every path and variable", () => {
    const script = chrootSetupScript({
      root: "/b/root dir",
      mountPoints: {
        proc: "/b/root dir/proc",
        sys: "/b/root dir/sys",
        dev: "/b/root dir/dev",
        run: "/b/root dir/run",
        tmp: "/b/root dir/tmp",
      },
      dev: "minimal",
      tmp: "tmpfs",
      hostname: "substrate",
      binds: [
        {
          source: "/cache/apt",
          target: "/b/root dir/var/cache/apt/archives",
          readonly: true,
          isDir: true,
        },
      ],
      env: { PATH: "/usr/bin", X: "a b'c" },
      command: ["/bin/sh", "-e", "-c", "echo $X"],
    });
    const lines = script.split("\n");
    // Traps first (a cancel must end PID 1 promptly), then private mounts before any mount.
    assert.match(lines[1] ?? "", /^trap 'exit 143' TERM/);
    assert.match(lines[2] ?? "", /^mount --make-rprivate \//);
    assert.ok(script.includes(`mount -t proc -o nosuid,nodev,noexec proc '/b/root dir/proc'`));
    assert.ok(script.includes(`newinstance,ptmxmode=0666`));
    assert.ok(script.includes(`mount --bind /cache/apt '/b/root dir/var/cache/apt/archives'`));
    assert.ok(
      script.includes(`mount -o remount,bind,nodev,ro '/b/root dir/var/cache/apt/archives'`),
    );
    // The root becomes the namespace's root (no chroot a second chroot could climb out of), the
    // command runs with a reduced bounding set and a clean environment.
    assert.ok(
      script.includes(`mount --bind '/b/root dir' '/b/root dir' && mount -o remount,bind,nodev`),
    );
    assert.ok(script.includes(`mount -o remount,bind,ro '/b/root dir/proc/sys'`));
    assert.ok(script.includes(`cd '/b/root dir' ||`));
    assert.ok(script.includes(`pivot_root . . ||`));
    assert.match(script, /umount -l -c \S*\/b\/root dir\/proc\/1\/root/);
    assert.match(
      script,
      /setpriv --inh-caps -all --bounding-set -all,\+chown,[a-z_,+]+ -- env -i /,
    );
    assert.doesNotMatch(script, /\+sys_admin|\+sys_module|\+sys_rawio|\+dac_read_search/);
    assert.ok(script.includes(`env -i PATH=/usr/bin 'X=a b'\\''c' /bin/sh -c `));
    assert.ok(script.includes(` substrate-run /bin/sh -e -c 'echo $X';`));
    assert.ok(!/\bchroot '\/b\/root dir'/.test(script), "no plain chroot into the root");
    const ns = namespaceSetupScript({
      binds: [],
      env: { A: "1" },
      argv: ["mmdebstrap", "x y"],
      cwd: "/w",
    });
    assert.ok(ns.includes(`cd -- /w || fail`));
    assert.ok(ns.includes(`env -i A=1 mmdebstrap 'x y'`));
  });
});
