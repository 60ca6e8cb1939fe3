/**
 * The apt driver's behaviour that needs no network: what it refuses before running anything,
 * reading and cleaning a root on disk, host tools, stage support and the driver registry.
 */
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { AptDriver } from "../../../src/drivers/apt/apt-driver.js";
import { CLEAN_PATTERNS } from "../../../src/drivers/apt/clean.js";
import { DEFAULT_APT_SETTINGS } from "../../../src/drivers/apt/apt-options.js";
import { aptHostTools } from "../../../src/drivers/apt/host-tools.js";
import { aptStageSupport } from "../../../src/drivers/apt/stage-support.js";
import type { StageContext } from "../../../src/drivers/driver.js";
import { driverFor } from "../../../src/drivers/registry.js";
import type { Event } from "../../../src/report/events.js";
import { TARGET_KINDS, type SpecValue } from "../../../src/spec/types.js";

const work = mkdtempSync(join(tmpdir(), "substrate-apt-unit-"));
after(() => {
  rmSync(work, { recursive: true, force: true });
});

function ctx(values: Record<string, SpecValue> = {}): StageContext & { events: Event[] } {
  const events: Event[] = [];
  return {
    stage: "amd64/t:stage3",
    kind: "stage3",
    logFile: join(work, "log"),
    signal: new AbortController().signal,
    emit: (e) => events.push(e),
    cacheDir: join(work, "cache"),
    jobs: 1,
    values,
    sourceDateEpoch: 0,
    events,
  };
}

function put(root: string, path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

void test("boot/kernel/<label>/config is not meaningful for Debian's prebuilt kernels", async () => {
  const r = await new AptDriver().installKernel(ctx(), join(work, "nowhere"), {
    label: "roflmaos",
    keys: { config: "/tree/kconfig" },
  });
  assert.ok(!r.ok);
  assert.match(r.error.message, /boot\/kernel\/roflmaos\/config/);
  assert.deepEqual(r.error.reason, "not-meaningful");
  assert.match(JSON.stringify(r.error), /"hint":"[^"]*boot\/kernel\/roflmaos\/package/);
});

void test("a missing keyring is refused before mmdebstrap runs", async () => {
  const driver = new AptDriver({ ...DEFAULT_APT_SETTINGS, keyring: join(work, "no-such.gpg") });
  const root = join(work, "never-made");
  const r = await driver.bootstrap(ctx(), root, []);
  assert.ok(!r.ok && r.error.reason === "keyring-missing");
  assert.match(r.error.message, /no-such\.gpg is not a file/);
  assert.ok(!existsSync(root));
});

void test("spec package names that could be options are refused before anything runs", async () => {
  const r = await new AptDriver().install(ctx(), join(work, "nowhere"), [
    "--allow-unauthenticated",
  ]);
  assert.ok(!r.ok && r.error.reason === "bad-atom");
});

void test("listPackages reads the status file and copyright files of a root without dpkg", async () => {
  const root = join(work, "list-root");
  put(
    root,
    "var/lib/dpkg/status",
    "Package: busybox\nStatus: install ok installed\nVersion: 1:1.35.0-4+b3\nArchitecture: amd64\n\n" +
      "Package: gone\nStatus: purge ok not-installed\nVersion: 1\n\n" +
      "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\nArchitecture: amd64\n",
  );
  put(root, "usr/share/doc/busybox/copyright", "Upstream Author: Erik Andersen\nLicense: GPL-2\n");
  put(
    root,
    "usr/share/doc/libc6/copyright",
    "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: LGPL-2.1+\n",
  );
  const r = await new AptDriver().listPackages(ctx(), root);
  assert.deepEqual(r, {
    ok: true,
    value: [
      { name: "busybox", version: "1:1.35.0-4+b3", licence: "unknown" },
      { name: "libc6", version: "2.36-9", licence: "LGPL-2.1+" },
    ],
  });
  const empty = await new AptDriver().listPackages(ctx(), join(work, "no-db"));
  assert.deepEqual(empty, { ok: true, value: [] });
});

void test("inventory gives SPDX licences, purls and the cached .deb's SHA256; owning filters", async () => {
  const root = join(work, "inventory-root");
  put(
    root,
    "var/lib/dpkg/status",
    "Package: busybox\nStatus: install ok installed\nVersion: 1:1.35.0-4+b3\nArchitecture: amd64\n\n" +
      "Package: gone\nStatus: purge ok not-installed\nVersion: 1\n\n" +
      "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\nArchitecture: amd64\n",
  );
  put(root, "usr/share/doc/busybox/copyright", "Upstream Author: Erik Andersen\nLicense: GPL-2\n");
  put(
    root,
    "usr/share/doc/libc6/copyright",
    "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: LGPL-2.1+\n",
  );
  put(root, "var/lib/dpkg/info/busybox.list", "/.\n/bin\n/bin/busybox\n");
  put(root, "var/lib/dpkg/info/libc6:amd64.list", "/.\n/lib/x86_64-linux-gnu/libc.so.6\n");
  const c = ctx();
  // apt's own file name in the shared cache, the epoch's colon as %3a.
  const deb = join(c.cacheDir, "apt/archives/busybox_1%3a1.35.0-4+b3_amd64.deb");
  put("/", deb, "a .deb\n");
  const r = await new AptDriver().inventory(c, root);
  assert.ok(r.ok);
  assert.deepEqual(r.value, [
    {
      name: "busybox",
      version: "1:1.35.0-4+b3",
      architecture: "amd64",
      supplier: "Organization: Debian",
      purl: "pkg:deb/debian/busybox@1%3A1.35.0-4%2Bb3?arch=amd64&distro=bookworm",
      checksum: {
        algorithm: "SHA256",
        value: createHash("sha256").update("a .deb\n").digest("hex"),
      },
    },
    {
      name: "libc6",
      version: "2.36-9",
      architecture: "amd64",
      licence: { expression: "LGPL-2.1-or-later", refs: [] },
      supplier: "Organization: Debian",
      purl: "pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=bookworm",
    },
  ]);
  // On a merged-/usr root /usr/lib/... is the file dpkg lists as /lib/...
  const owning = await new AptDriver().inventory(c, root, {
    owning: ["/usr/lib/x86_64-linux-gnu/libc.so.6"],
  });
  assert.deepEqual(owning.ok && owning.value.map((p) => p.name), ["libc6"]);
});

void test("listPackages never follows a doc symlink out of the root", async () => {
  const root = join(work, "evil-root");
  put(root, "var/lib/dpkg/status", "Package: x\nStatus: install ok installed\nVersion: 1\n");
  const outside = join(work, "outside-copyright");
  writeFileSync(
    outside,
    "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: HOST-FILE\n",
  );
  mkdirSync(join(root, "usr/share/doc"), { recursive: true });
  symlinkSync(outside.slice(0, outside.lastIndexOf("/")), join(root, "usr/share/doc/x"));
  const r = await new AptDriver().listPackages(ctx(), root);
  assert.ok(r.ok);
  assert.equal(r.value[0]?.licence, "unknown");
});

void test("cleanRoot removes lists, caches, logs and mmdebstrap options, and keeps the database", async () => {
  const root = join(work, "clean-root");
  const dropped = [
    "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease",
    "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages",
    "var/lib/apt/lists/partial/x",
    "var/cache/apt/pkgcache.bin",
    "var/cache/apt/srcpkgcache.bin",
    "var/cache/apt/archives/less_590-2_amd64.deb",
    "var/log/apt/history.log",
    "var/log/dpkg.log",
    "etc/apt/apt.conf.d/99mmdebstrap",
    "etc/dpkg/dpkg.cfg.d/99mmdebstrap",
    "var/lib/dpkg/status-old",
  ];
  const kept = [
    "var/lib/apt/lists/lock",
    "var/lib/dpkg/status",
    "etc/apt/sources.list",
    "var/cache/apt/archives/lock",
  ];
  for (const p of [...dropped, ...kept]) put(root, p, "x");
  const r = await new AptDriver().cleanRoot(ctx(), root);
  assert.deepEqual(r, { ok: true, value: undefined });
  for (const p of dropped) assert.ok(!existsSync(join(root, p)), p);
  for (const p of kept) assert.equal(readFileSync(join(root, p), "utf8"), "x", p);
  assert.ok(CLEAN_PATTERNS.every((p) => p.startsWith("/")));
});

void test("host tools: mmdebstrap for stage3, nothing for stage1/2 and livecd-stage3", () => {
  for (const kind of TARGET_KINDS) {
    for (const tool of aptHostTools(kind))
      assert.ok(tool.command !== "" && tool.debianPackage !== "");
  }
  assert.ok(aptHostTools("stage3").some((t) => t.command === "mmdebstrap"));
  assert.deepEqual(aptHostTools("stage1"), []);
  assert.deepEqual(aptHostTools("livecd-stage3"), []);
  assert.ok(aptHostTools("stage4").some((t) => t.command === "unshare"));
});

void test("stage1 and stage2 are not meaningful with apt; other kinds are", () => {
  for (const kind of ["stage1", "stage2"] as const) {
    const r = aptStageSupport(kind);
    assert.ok(!r.ok && r.error.reason === "not-meaningful");
    assert.match(r.error.message, /Debian has no bootstrap stages/);
    assert.match(JSON.stringify(r.error), /"hint":"start from stage3/);
  }
  for (const kind of TARGET_KINDS.filter((k) => k !== "stage1" && k !== "stage2")) {
    assert.ok(aptStageSupport(kind).ok, kind);
  }
});

void test("the registry gives the apt driver with the tree settings, and the Portage driver", async () => {
  const apt = driverFor("apt", { apt: { ...DEFAULT_APT_SETTINGS, suite: "trixie" } });
  assert.equal(apt.name, "apt");
  assert.match(await apt.identity(), /^apt:suite=trixie;.*mmdebstrap=/);
  assert.equal(driverFor("apt", {}).name, "apt");
  const portage = driverFor("portage", { mirrors: [] });
  assert.equal(portage.name, "portage");
  const r = await portage.bootstrap(ctx(), "/nonexistent", []);
  assert.ok(!r.ok && r.error.reason === "seed-missing");
  assert.match(r.error.message, /builds from a seed/);
});
