/**
 * The standard checks' guest commands run by real shells (dash, bash, busybox ash) with coreutils
 * on the PATH, with busybox's applets only, and with no command at all (the shell's builtins):
 * a root without coreutils, like the example's embedded `minimal` flavour, passes them too.
 * `/proc/modules` and the live medium's mount point are replaced by test files.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { writeFileSync } from "node:fs";
import { release, tmpdir } from "node:os";
import { join } from "node:path";
import {
  CHECK_COMMANDS,
  type GuestShell,
  LIVE_MEDIUM_MOUNT,
  judgeOverlayRoot,
  parseOsRelease,
  standardChecks,
} from "../../../src/boot/checks.js";
import { ok } from "../../../src/util/result.js";

// scripts/install-deps.sh installs busybox-static.
const BUSYBOX = ["/usr/bin/busybox", "/bin/busybox"].find((p) => existsSync(p));
const work = mkdtempSync(join(tmpdir(), "substrate-check-commands-"));

/** A PATH folder holding `links` (name -> target) and stand-ins for kmod's modinfo and modprobe. */
function pathDir(name: string, links: Record<string, string>): string {
  const dir = join(work, name);
  mkdirSync(dir);
  for (const [tool, target] of Object.entries(links)) symlinkSync(target, join(dir, tool));
  writeFileSync(
    join(dir, "modinfo"),
    "#!/bin/sh\necho /lib/modules/6.1.0-13-amd64/kernel/drivers/net/dummy.ko\n",
  );
  writeFileSync(join(dir, "modprobe"), "#!/bin/sh\nexit 0\n");
  chmodSync(join(dir, "modinfo"), 0o755);
  chmodSync(join(dir, "modprobe"), 0o755);
  return dir;
}

const host = (t: string): string => {
  const p = [`/usr/bin/${t}`, `/bin/${t}`].find((f) => existsSync(f));
  assert.ok(p, `the host has ${t}`);
  return p;
};
const bb = (): string => {
  assert.ok(BUSYBOX, "busybox is installed (scripts/install-deps.sh)");
  return BUSYBOX;
};
const PATHS = {
  coreutils: pathDir("coreutils", {
    uname: host("uname"),
    cat: host("cat"),
    grep: host("grep"),
    findmnt: host("findmnt"),
    sha256sum: host("sha256sum"),
  }),
  // busybox has no findmnt: the mount checks fall back to the builtins.
  busybox: pathDir("busybox", {
    uname: bb(),
    cat: bb(),
    grep: bb(),
    sha256sum: bb(),
  }),
  builtins: pathDir("builtins", {}),
};
const SHELLS: Record<string, readonly string[]> = {
  dash: ["/bin/sh", "-c"],
  bash: ["/bin/bash", "-c"],
  ash: [bb(), "sh", "-c"],
};

const modules = join(work, "modules");
const noModules = join(work, "no-modules");
writeFileSync(modules, "veth 36864 0 - Live 0x0\ndummy 16384 0 - Live 0x0\n");
writeFileSync(noModules, "veth 36864 0 - Live 0x0\ndummyx 16384 0 - Live 0x0\n");
const medium = join(work, "medium");
mkdirSync(medium);
writeFileSync(join(medium, "a.img"), "payload\n");
writeFileSync(join(medium, "b.img"), "kernel\n");
const sha = (f: string): string =>
  createHash("sha256")
    .update(readFileSync(join(medium, f)))
    .digest("hex");
writeFileSync(join(medium, "sums.txt"), `${sha("a.img")}  ./a.img\n${sha("b.img")}  ./b.img\n`);
writeFileSync(join(medium, "bad-sums.txt"), `${sha("a.img")}  ./a.img\n${sha("a.img")}  ./b.img\n`);

/** Runs commands as the console engine does, with PATH `path`, in `shell`. */
function guest(shell: readonly string[], path: string, procModules = modules): GuestShell {
  return {
    run(command) {
      const c = command
        .replaceAll("/proc/modules", procModules)
        .replaceAll(LIVE_MEDIUM_MOUNT, medium);
      const [bin = "", ...args] = shell;
      const r = spawnSync(bin, [...args, `{ ${c} ; } </dev/null 2>&1`], {
        env: { PATH: path },
        encoding: "utf8",
      });
      return Promise.resolve(ok({ output: r.stdout.replace(/\n$/, ""), status: r.status ?? -1 }));
    },
  };
}

const osName = parseOsRelease(readFileSync("/etc/os-release", "utf8"))["NAME"];

async function run(
  name: string,
  shell: GuestShell,
  sums = "/sums.txt",
): Promise<{ ok: boolean; detail: string }> {
  const checks = standardChecks({
    kernelRelease: release(),
    ...(osName === undefined ? {} : { osName }),
    checksums: { tool: "sha256sum", path: sums },
    commandTimeoutMs: 10_000,
  });
  const c = checks.find((x) => x.name === name);
  assert.ok(c, name);
  const v = await c.run(shell);
  return { ok: v.ok, detail: v.detail };
}

for (const [shellName, shell] of Object.entries(SHELLS)) {
  for (const [pathName, path] of Object.entries(PATHS)) {
    void test(`${shellName} with ${pathName}: kernel, os-release and module checks pass`, async () => {
      const g = guest(shell, path);
      // busybox's ash runs its own modinfo applet before the PATH's stand-in: on this host's
      // kernel it finds no module, so ash only runs the other two.
      const names = [
        "kernel-version",
        "os-release",
        ...(shellName === "ash" ? [] : ["module-load"]),
      ];
      for (const name of names) {
        const v = await run(name, g);
        assert.equal(v.ok, true, `${name}: ${v.detail}`);
      }
      assert.equal((await run("kernel-version", g)).detail, release());
      // The module check is not always green: a module /proc/modules does not list fails it.
      if (shellName === "ash") return;
      const missing = await run("module-load", guest(shell, path, noModules));
      assert.equal(missing.ok, false, missing.detail);
    });

    void test(`${shellName} with ${pathName}: the mount commands read what findmnt reads`, async () => {
      const reference = guest(["/bin/sh", "-c"], PATHS.coreutils);
      const g = guest(shell, path);
      const judge = async (s: GuestShell): Promise<[string, string, string]> => {
        const root = await s.run(CHECK_COMMANDS.rootMount, 10_000);
        const sq = await s.run(CHECK_COMMANDS.squashfsMounts, 10_000);
        assert.ok(root.ok && sq.ok);
        const [fstype = "", options = ""] = root.value.output.trim().split(/\s+/);
        const lower = /(?:^|,)lowerdir=([^,]*)/.exec(options)?.[1] ?? "";
        return [fstype, lower, judgeOverlayRoot(root.value.output, sq.value.output).detail];
      };
      const want = await judge(reference);
      assert.notEqual(want[0], "", "findmnt names /'s type");
      assert.deepEqual(await judge(g), want);
    });

    if (pathName !== "builtins") {
      void test(`${shellName} with ${pathName}: medium checksums pass, and fail on a mismatch`, async () => {
        const g = guest(shell, path);
        const good = await run("medium-checksums", g);
        assert.equal(good.ok, true, good.detail);
        const bad = await run("medium-checksums", g, "/bad-sums.txt");
        assert.equal(bad.ok, false);
        assert.match(bad.detail, /b\.img: FAILED/);
        assert.doesNotMatch(bad.detail, /a\.img: OK/);
      });
    }
  }
}
