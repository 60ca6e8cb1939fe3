/**
 * The apt driver's kernel path against Debian's real archive (needs root and deb.debian.org):
 * install linux-image-amd64 into a root with systemd, then build a dracut live initramfs and
 * check what it holds with lsinitrd inside the root.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { AptDriver } from "../../../src/drivers/apt/apt-driver.js";
import type { InstalledKernel } from "../../../src/drivers/driver.js";
import { runInChroot } from "../../../src/sandbox/chroot.js";
import { makeContext, mountTable, scratchDir, testCacheDir, dropTestCache } from "./fixture.js";

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

void describe("apt driver kernel and live initramfs (e2e, root)", () => {
  const driver = new AptDriver();
  const testCache = testCacheDir();
  const cache = testCache.dir;
  const work = scratchDir("kernel");
  const root = join(work, "root");
  const mountsBefore = mountTable();
  let kernel: InstalledKernel | undefined;

  after(() => {
    rmSync(work, { recursive: true, force: true });
    dropTestCache(testCache);
  });

  void it("bootstraps a root with systemd", async (t) => {
    const ctx = makeContext(work, cache);
    const started = Date.now();
    const r = await driver.bootstrap(ctx, root, ["systemd-sysv"]);
    assert.ok(r.ok, readFileSync(ctx.logFile, "utf8").slice(-3000));
    t.diagnostic(`bootstrap minbase + systemd-sysv: ${seconds(Date.now() - started)}`);
    assert.ok(existsSync(join(root, "usr/lib/systemd/systemd")));
  });

  void it("installs Debian's kernel without firmware or the distribution initramfs", async (t) => {
    const ctx = makeContext(work, cache);
    const started = Date.now();
    const r = await driver.installKernel(ctx, root, {
      label: "roflmaos",
      keys: {},
      skipDefaultInitramfs: true,
    });
    assert.ok(r.ok, readFileSync(ctx.logFile, "utf8").slice(-3000));
    t.diagnostic(`installKernel linux-image-amd64: ${seconds(Date.now() - started)}`);
    kernel = r.value;
    assert.match(kernel.version, /^\d+\.\d+\.\d+-\d+-amd64$/);
    assert.equal(kernel.label, "roflmaos");
    assert.equal(kernel.image, `/boot/vmlinuz-${kernel.version}`);
    assert.equal(kernel.modulesDir, `/usr/lib/modules/${kernel.version}`);
    assert.equal(kernel.config, `/boot/config-${kernel.version}`);
    assert.ok(statSync(join(root, kernel.image)).size > 1_000_000);
    assert.ok(existsSync(join(root, kernel.modulesDir, "modules.dep")));
    assert.deepEqual(
      readdirSync(join(root, "boot")).filter((f) => f.startsWith("initrd.img")),
      [],
      "INITRD=No kept Debian's hooks from building an initramfs",
    );
    assert.ok(
      !existsSync(join(root, "usr/lib/firmware/amd-ucode")),
      "no firmware without Recommends",
    );
  });

  void it("builds a dracut live initramfs with dmsquash-live", async (t) => {
    assert.ok(kernel !== undefined, "the kernel test ran first");
    const ctx = makeContext(work, cache);
    const started = Date.now();
    const r = await driver.liveInitramfs(ctx, root, {
      kernel,
      output: "/boot/roflmaos.igz",
      extraArgs: ["--omit", "iscsi"],
    });
    assert.ok(r.ok, readFileSync(ctx.logFile, "utf8").slice(-3000));
    t.diagnostic(`liveInitramfs (incl. installing dracut-live): ${seconds(Date.now() - started)}`);
    const size = statSync(join(root, "boot/roflmaos.igz")).size;
    t.diagnostic(`initramfs size: ${(size / 1e6).toFixed(1)} MB`);
    const listing = await runInChroot({
      root,
      argv: ["lsinitrd", "/boot/roflmaos.igz"],
      captureStdout: true,
    });
    assert.ok(listing.ok);
    const text = listing.value.stdout;
    assert.match(text, /dmsquash-live/);
    assert.match(text, /squashfs\.ko/);
    assert.match(text, /overlay\.ko/);
    const modules = text.slice(
      text.indexOf("dracut modules:"),
      text.indexOf("=====", text.indexOf("dracut modules:")),
    );
    assert.match(modules, /^dmsquash-live$/m);
    assert.doesNotMatch(modules, /plymouth/, "plymouth is omitted by default");
    assert.doesNotMatch(modules, /iscsi/, "dracut_args reach dracut");
  });

  void it("leaves no mount behind", () => {
    assert.deepEqual(mountTable(), mountsBefore);
  });
});
