/**
 * The apt driver against Debian's real archive (needs root and deb.debian.org): bootstrap a
 * minbase root, bootstrap again from the warm cache, install/purge/autoremove, merge an
 * embedded root, list packages with licences, clean the root; no mount may leak.
 */
import assert from "node:assert/strict";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AptDriver } from "../../../src/drivers/apt/apt-driver.js";
import { installedPackages } from "../../../src/drivers/apt/dpkg-status.js";
import {
  cacheSnapshot,
  makeContext,
  mountTable,
  scratchDir,
  testCacheDir,
  dropTestCache,
} from "./fixture.js";

function installed(root: string): Map<string, string> {
  const status = readFileSync(join(root, "var/lib/dpkg/status"), "utf8");
  return new Map(installedPackages(status).map((p) => [p.name, p.version]));
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

void describe("apt driver against deb.debian.org (e2e, root)", () => {
  const driver = new AptDriver();
  const testCache = testCacheDir();
  const cache = testCache.dir;
  const work = scratchDir("e2e");
  const root = join(work, "root");
  const mountsBefore = mountTable();

  before(() => {
    assert.equal(process.getuid?.(), 0, "the apt e2e tests run as root");
  });

  after(() => {
    rmSync(work, { recursive: true, force: true });
    dropTestCache(testCache);
  });

  void it("bootstraps a minbase bookworm root into the shared cache", async (t) => {
    const ctx = makeContext(work, cache);
    const started = Date.now();
    const r = await driver.bootstrap(ctx, root, []);
    assert.deepEqual(
      r,
      { ok: true, value: undefined },
      readFileSync(ctx.logFile, "utf8").slice(-3000),
    );
    t.diagnostic(`bootstrap (first in this run): ${seconds(Date.now() - started)}`);
    assert.match(readFileSync(join(root, "etc/debian_version"), "utf8"), /^12\./);
    // merged /usr without the usrmerge package
    assert.equal(readlinkSync(join(root, "bin")), "usr/bin");
    const pkgs = installed(root);
    assert.ok(pkgs.has("apt") && pkgs.has("dpkg") && pkgs.has("base-files"));
    assert.ok(!pkgs.has("usrmerge"), "the maybe-merged-usr hook avoids usrmerge and perl");
    // build-time options do not stay in the root; the lists do (for installs in the same stage)
    assert.ok(!existsSync(join(root, "etc/dpkg/dpkg.cfg.d/99mmdebstrap")));
    assert.ok(!existsSync(join(root, "etc/apt/apt.conf.d/99mmdebstrap")));
    assert.ok(readdirSync(join(root, "var/lib/apt/lists")).some((f) => f.endsWith("_Packages")));
    // the packages went to the shared cache, not into the root
    assert.ok(cacheSnapshot(cache).has(`dpkg_${pkgs.get("dpkg") ?? ""}_amd64.deb`));
    assert.equal(
      readdirSync(join(root, "var/cache/apt/archives")).filter((f) => f.endsWith(".deb")).length,
      0,
    );
    // sources verified with the archive key, never trusted blindly
    const sources = readFileSync(join(root, "etc/apt/sources.list"), "utf8");
    assert.doesNotMatch(sources, /trusted=yes/);
    assert.ok(
      ctx.events.some((e) => e.type === "stage-progress" && e.message.startsWith("mmdebstrap:")),
    );
  });

  void it("bootstraps the same package set again without downloading anything", async (t) => {
    const before = cacheSnapshot(cache);
    const ctx = makeContext(work, cache);
    const second = join(work, "root2");
    const started = Date.now();
    const r = await driver.bootstrap(ctx, second, []);
    assert.ok(r.ok, readFileSync(ctx.logFile, "utf8").slice(-3000));
    t.diagnostic(`bootstrap (warm cache): ${seconds(Date.now() - started)}`);
    assert.deepEqual(cacheSnapshot(cache), before, "no .deb was added or rewritten");
    assert.deepEqual(installed(second), installed(root));
    rmSync(second, { recursive: true, force: true });
  });

  void it("installs, purges and autoremoves packages inside the root", async (t) => {
    const ctx = makeContext(work, cache);
    let started = Date.now();
    const i = await driver.install(ctx, root, ["file"]);
    assert.ok(i.ok, readFileSync(ctx.logFile, "utf8").slice(-3000));
    t.diagnostic(`install file: ${seconds(Date.now() - started)}`);
    assert.ok(existsSync(join(root, "usr/bin/file")));
    assert.ok(installed(root).has("libmagic1"), "file's dependency came along");
    assert.ok(
      !existsSync(join(root, "usr/sbin/policy-rc.d")),
      "the no-services policy is only bound in",
    );

    started = Date.now();
    const p = await driver.remove(ctx, root, ["file"]);
    assert.ok(p.ok, readFileSync(ctx.logFile, "utf8").slice(-3000));
    assert.ok(!existsSync(join(root, "usr/bin/file")));
    assert.ok(!installed(root).has("file"));
    assert.ok(installed(root).has("libmagic1"), "purge leaves the automatic dependency");

    const d = await driver.depclean(ctx, root);
    assert.ok(d.ok, readFileSync(ctx.logFile, "utf8").slice(-3000));
    t.diagnostic(`purge + autoremove: ${seconds(Date.now() - started)}`);
    assert.ok(!installed(root).has("libmagic1"), "autoremove took the orphaned dependency");
    assert.ok(installed(root).has("apt"), "autoremove kept what the system needs");
  });

  void it("reports an unknown package with apt's own words", async () => {
    const ctx = makeContext(work, cache);
    const r = await driver.install(ctx, root, ["no-such-package-substrate"]);
    assert.ok(!r.ok);
    assert.equal(r.error.reason, "command-failed");
    // The download run resolves the packages first, so it is the one that says so.
    assert.match(r.error.message, /^apt-get install --download-only exited with status 100$/);
    assert.ok(
      "tail" in r.error &&
        r.error.tail.some((l) => /Unable to locate package no-such-package-substrate/.test(l)),
    );
  });

  void it("lists installed packages with versions and licences", async () => {
    const ctx = makeContext(work, cache);
    const r = await driver.listPackages(ctx, root);
    assert.ok(r.ok);
    const byName = new Map(r.value.map((p) => [p.name, p]));
    assert.equal(byName.get("dpkg")?.version, installed(root).get("dpkg"));
    assert.ok(r.value.every((p) => p.version !== "" && p.licence !== ""));
    const known = r.value.filter((p) => p.licence !== "unknown");
    assert.ok(known.length >= 10, `licences found for ${known.length} packages`);
    assert.match(byName.get("apt")?.licence ?? "", /GPL-2/);
  });

  void it("merges an embedded root with busybox and its dependencies, without package databases", async (t) => {
    const ctx = makeContext(work, cache);
    const target = join(work, "mergeroot");
    const started = Date.now();
    const r = await driver.mergeRoot(ctx, root, target, ["busybox"]);
    assert.ok(r.ok, readFileSync(ctx.logFile, "utf8").slice(-3000));
    t.diagnostic(`mergeRoot busybox: ${seconds(Date.now() - started)}`);
    assert.ok(lstatSync(join(target, "usr/bin/busybox")).isFile());
    assert.equal(readlinkSync(join(target, "bin")), "usr/bin", "merged /usr like the build root");
    assert.ok(existsSync(join(target, "usr/lib/x86_64-linux-gnu/libc.so.6")), "libc6 came along");
    assert.ok(!existsSync(join(target, "var/lib/dpkg")));
    assert.ok(!existsSync(join(target, "usr/bin/apt-get")), "apt is not part of the closure");
    assert.ok(!existsSync(join(root, "tmp/mergeroot")), "the mount point left no trace");
  });

  void it("keeps a dpkg database in the merge root when embedded/keep_package_db is set", async () => {
    const ctx = makeContext(work, cache, { "embedded/keep_package_db": "yes" });
    const target = join(work, "mergeroot-db");
    const r = await driver.mergeRoot(ctx, root, target, ["busybox"]);
    assert.ok(r.ok, readFileSync(ctx.logFile, "utf8").slice(-3000));
    const pkgs = installed(target);
    assert.ok(pkgs.has("busybox") && pkgs.has("libc6"));
    const list = readFileSync(join(target, "var/lib/dpkg/info/busybox.list"), "utf8");
    assert.match(list, /^\/bin\/busybox$/m);
    const listed = await driver.listPackages(ctx, target);
    assert.ok(listed.ok && listed.value.some((p) => p.name === "busybox" && p.licence !== ""));
  });

  void it("cleans package lists, caches, logs and build-time options out of the root", async () => {
    const ctx = makeContext(work, cache);
    const r = await driver.cleanRoot(ctx, root);
    assert.ok(r.ok);
    assert.deepEqual(
      readdirSync(join(root, "var/lib/apt/lists")).filter((f) => f.includes("_")),
      [],
    );
    assert.deepEqual(
      readdirSync(join(root, "var/cache/apt")).filter((f) => f.endsWith(".bin")),
      [],
    );
    assert.ok(!existsSync(join(root, "var/log/dpkg.log")));
    assert.ok(installed(root).has("apt"), "the dpkg database stays");
    // a later install in a cleaned root fetches the lists again
    const i = await driver.install(ctx, root, ["libmagic-mgc"]);
    assert.ok(i.ok, readFileSync(ctx.logFile, "utf8").slice(-3000));
  });

  void it("leaves no mount behind", () => {
    assert.deepEqual(mountTable(), mountsBefore);
  });
});
