// The build engine end to end, for real (mmdebstrap and apt against Debian's archive, as root):
// a small tree written by the test builds stage3 -> stage4 (one extra package, a root_overlay
// and an fsscript) and an embedded root; the test checks tarball contents, digests, pointer
// files and leaked mounts, that a second build does no work, that a SIGKILL in the middle of a
// stage leaves nothing half-published and the rerun completes, and that a hostile root cannot
// reach a canary file on the host. Uses /var/cache/substrate as the package cache.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { aptTreeConfig, writeFile as write } from "../../helpers/apt-tree.js";
import { CLI_BIN, ofType, runCli, stagesOf } from "../../helpers/cli.js";

const DATE = "20260102";
const CACHE = "/var/cache/substrate";

function mountinfo(): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ").slice(3, 5).join(" "))
    .sort();
}

/** A small apt tree: stage3 -> stage4 -> evil stage4 (overlay through a hostile symlink), embedded. */
function writeTree(dir: string, canaryDir: string): void {
  write(
    join(dir, "substrate.toml"),
    aptTreeConfig("enginetest", ["base:stage3", "base:stage4", "evil:stage4", "tiny:embedded"]),
  );
  write(
    join(dir, "specs/amd64/base/stage3.spec"),
    "# bootstrapped by mmdebstrap\ncompression_mode: gzip\n",
  );
  write(
    join(dir, "specs/amd64/base/stage4.spec"),
    `source_subpath: amd64/base/stage3-amd64-base-latest
stage4/packages: less
stage4/root_overlay: @REPO_DIR@/overlay
stage4/fsscript: @REPO_DIR@/fsscript.sh
stage4/rm: /etc/evil/canary ../../../../../../../..${canaryDir}/canary /usr/share/doc/less
stage4/empty: /etc/evil /var/cache/debconf
`,
  );
  write(join(dir, "overlay/etc/substrate-overlay"), "from the overlay\n");
  write(
    join(dir, "fsscript.sh"),
    `#!/bin/sh
set -e
echo "target=$clst_target root=$clst_root_path" > /etc/substrate-fsscript
# hostile: absolute and relative symlinks that point at the host's canary folder
ln -s ${canaryDir} /etc/evil
ln -s ../../../../../../..${canaryDir} /etc/evil-relative
# hostile: escape attempts from the fsscript itself (each must fail; the script goes on)
for p in /proc/[0-9]*; do echo pwned > "$p/root${canaryDir}/canary" 2>/dev/null || true; done
echo pwned > "/proc/1/cwd/../../../../../../../..${canaryDir}/canary" 2>/dev/null || true
perl -e 'mkdir "/jail"; chroot "/jail" or exit 0; chdir ".." for 1..64; chroot "." or exit 0;
  open(my $f, ">", "${canaryDir}/canary") and print $f "pwned\n"' || true
rmdir /jail 2>/dev/null || true
mkdir -p /tmp/p && mount -t proc proc /tmp/p 2>/dev/null && echo pwned > "/tmp/p/1/root${canaryDir}/canary" || true
`,
    0o755,
  );
  write(
    join(dir, "specs/amd64/evil/stage4.spec"),
    `source_subpath: amd64/base/stage4-amd64-base-latest
stage4/packages: less
stage4/root_overlay: @REPO_DIR@/evil-overlay
`,
  );
  write(join(dir, "evil-overlay/etc/evil/canary"), "overwritten through a symlink\n");
  write(
    join(dir, "evil-overlay/etc/evil-relative/canary"),
    "overwritten through a relative symlink\n",
  );
  write(
    join(dir, "specs/amd64/tiny/embedded.spec"),
    `source_subpath: amd64/base/stage3-amd64-base-latest
embedded/packages: busybox
`,
  );
}

void test(
  "build engine: stages, store, freshness, kill/resume and a hostile root",
  { timeout: 30 * 60_000 },
  async (t) => {
    const work = mkdtempSync(join(tmpdir(), "substrate-engine-"));
    const canaryDir = mkdtempSync(join(tmpdir(), "substrate-canary-"));
    write(join(canaryDir, "canary"), "canary\n");
    const tree = join(work, "tree");
    writeTree(tree, canaryDir);
    const mountsBefore = mountinfo();
    const build = (extra: string[] = []): ReturnType<typeof runCli> =>
      runCli(["build", tree, "--json", "--date", DATE, "--cache", CACHE, ...extra], { cwd: work });
    const builds = join(work, "builds/amd64");

    await t.test(
      "SIGKILL in the middle of a stage publishes nothing and leaves no mounts or processes",
      async () => {
        const child = spawn(
          process.execPath,
          [
            CLI_BIN,
            "build",
            tree,
            "--json",
            "--date",
            DATE,
            "--cache",
            CACHE,
            "--only",
            "base:stage3",
          ],
          {
            cwd: work,
            stdio: ["ignore", "pipe", "ignore"],
          },
        );
        let seen = "";
        await new Promise<void>((resolve) => {
          child.stdout.on("data", (d: Buffer) => {
            seen += d.toString();
            if (seen.includes('"step":"bootstrap"')) resolve();
          });
          child.on("close", () => {
            resolve();
          });
        });
        await new Promise((r) => setTimeout(r, 4000));
        child.kill("SIGKILL");
        await new Promise((r) => setTimeout(r, 2000));
        const dateDir = join(builds, "base", DATE);
        const left = existsSync(dateDir)
          ? readdirSync(dateDir).filter((f) => !f.startsWith("."))
          : [];
        assert.deepEqual(left, [], "nothing is published under a final name");
        assert.deepEqual(mountinfo(), mountsBefore, "no mounts left behind");
        const procs = execFileSync("ps", ["-eo", "args"]).toString();
        assert.ok(!procs.includes("mmdebstrap"), "no mmdebstrap left running");
      },
    );

    await t.test("builds every stage; tarballs, digests, pointers are right", async () => {
      const r = await build();
      assert.equal(
        r.code,
        0,
        `${r.stderr}\n${JSON.stringify(ofType(r.events, "stage-failed"), null, 2)}`,
      );
      assert.deepEqual(stagesOf(r.events, "stage-succeeded"), [
        "amd64/base:stage3",
        "amd64/base:stage4",
        "amd64/evil:stage4",
        "amd64/tiny:embedded",
      ]);
      const stage3 = join(builds, "base", DATE, `stage3-amd64-base-${DATE}.tar.gz`);
      const stage4 = join(builds, "base", DATE, `stage4-amd64-base-${DATE}.tar.zst`);
      assert.ok(existsSync(stage3), "stage3 honours compression_mode: gzip");
      const list = execFileSync("tar", ["-tf", stage4], { maxBuffer: 64 << 20 }).toString();
      assert.match(list, /^\.\/usr\/bin\/less$/m, "the extra package is installed");
      assert.match(list, /^\.\/etc\/substrate-overlay$/m, "the overlay is applied");
      assert.doesNotMatch(list, /^\.\/usr\/share\/doc\/less\//m, "stage4/rm removed a folder");
      const fsscriptOut = execFileSync("tar", [
        "-xOf",
        stage4,
        "./etc/substrate-fsscript",
      ]).toString();
      assert.equal(
        fsscriptOut,
        "target=stage4 root=/\n",
        "the fsscript ran with catalyst's clst_ variables",
      );
      // .DIGESTS in Gentoo's format, checked against the file.
      const digests = readFileSync(`${stage4}.DIGESTS`, "utf8");
      const sha512 = createHash("sha512").update(readFileSync(stage4)).digest("hex");
      assert.ok(
        digests.includes(`# SHA512 HASH\n${sha512}  stage4-amd64-base-${DATE}.tar.zst\n`),
        digests,
      );
      assert.match(digests, /# BLAKE2B HASH\n[0-9a-f]{128} {2}stage4-amd64-base-/);
      assert.ok(existsSync(`${stage4}.CONTENTS.gz`));
      assert.equal(
        readFileSync(join(builds, "base", "latest-stage4-amd64-base.txt"), "utf8").trim(),
        `${DATE}/stage4-amd64-base-${DATE}.tar.zst`,
      );
      assert.equal(
        readlinkSync(join(builds, "base", "stage4-amd64-base-latest.tar.zst")),
        `${DATE}/stage4-amd64-base-${DATE}.tar.zst`,
      );
      const emb = join(builds, "tiny", DATE, `embedded-amd64-tiny-${DATE}.tar.zst`);
      const embList = execFileSync("tar", ["-tf", emb]).toString();
      assert.match(embList, /bin\/busybox$/m, "embedded holds the package");
      assert.doesNotMatch(
        embList,
        /^\.\/var\/lib\/dpkg\/status$/m,
        "embedded has no package database",
      );
      assert.doesNotMatch(embList, /^\.\/usr\/bin\/apt$/m, "embedded has no apt");
      assert.deepEqual(mountinfo(), mountsBefore, "no mounts left behind");
    });

    await t.test("the hostile root did not reach the host", () => {
      assert.equal(readFileSync(join(canaryDir, "canary"), "utf8"), "canary\n");
      assert.deepEqual(readdirSync(canaryDir), ["canary"]);
    });

    await t.test("a second identical build does no work", async () => {
      const started = Date.now();
      const r = await build();
      assert.equal(r.code, 0);
      assert.deepEqual(stagesOf(r.events, "stage-started"), []);
      assert.equal(stagesOf(r.events, "stage-fresh").length, 4);
      const fin = ofType(r.events, "run-finished")[0];
      assert.equal(fin?.["built"], 0);
      // substrate reports its own peak memory (bench/ holds it to a limit).
      assert.ok(Number(fin["maxRssKiB"]) > 10_000, JSON.stringify(fin));
      assert.ok(Date.now() - started < 30_000);
    });

    await t.test(
      "changing the overlay rebuilds that stage and what depends on it, nothing else",
      async () => {
        write(join(tree, "overlay/etc/substrate-overlay"), "changed\n");
        const r = await build();
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(stagesOf(r.events, "stage-succeeded"), [
          "amd64/base:stage4",
          "amd64/evil:stage4",
        ]);
        assert.deepEqual(stagesOf(r.events, "stage-fresh"), [
          "amd64/base:stage3",
          "amd64/tiny:embedded",
        ]);
        const planned = ofType(r.events, "stage-planned").find(
          (e) => e["stage"] === "amd64/base:stage4",
        );
        assert.match(String(planned?.["reason"]), /overlay|root_overlay/);
      },
    );

    rmSync(work, { recursive: true, force: true });
    rmSync(canaryDir, { recursive: true, force: true });
  },
);
