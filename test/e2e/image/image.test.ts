// The image tools against the real host programs (mksquashfs, mkfs.vfat + mtools, xorriso,
// osirrox): a tiny squashfs, ESP and ISO are built from a folder, checked with the tools'
// own listings, and built twice to prove the bytes only depend on the inputs and the epoch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bootEntry, liveKernelCmdline, loaderConf } from "../../../src/image/bootloader.js";
import { defaultSerial, makeEspImage } from "../../../src/image/esp.js";
import { EL_TORITO_MAX_BYTES, makeIso } from "../../../src/image/iso.js";
import { isoBootInfo, readEspFileFromIso, readIsoFile } from "../../../src/image/iso-read.js";
import { makeSquashfs } from "../../../src/image/squashfs.js";

const EPOCH = 1700000000;
const VOLID = "roflmaOS_e2e-1.0";

function sh(file: string, args: string[]): string {
  return execFileSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** A scratch folder with a small root, a kernel-like file and an initramfs-like file. */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), "substrate-image-"));
  const root = join(dir, "root");
  mkdirSync(join(root, "etc"), { recursive: true });
  mkdirSync(join(root, "usr", "lib", "modules", "6.1.0-test"), { recursive: true });
  writeFileSync(join(root, "etc", "hostname"), "roflmaOS\n");
  writeFileSync(join(root, "usr", "lib", "modules", "6.1.0-test", "modules.dep"), "");
  symlinkSync("usr/lib", join(root, "lib"));
  writeFileSync(join(dir, "kernel"), Buffer.alloc(300_000, 7));
  writeFileSync(join(dir, "initrd"), Buffer.alloc(200_000, 9));
  return dir;
}

/** Builds squashfs, ESP and ISO into `out<n>`, the same way each time. */
async function buildAll(
  dir: string,
  n: number,
): Promise<{ squashfs: string; esp: string; iso: string }> {
  const out = join(dir, `out${n}`);
  const tree = join(out, "tree");
  mkdirSync(join(tree, "boot"), { recursive: true });
  const squashfs = join(tree, "LiveOS", "squashfs.img");
  const sq = await makeSquashfs({
    source: join(dir, "root"),
    output: squashfs,
    sourceDateEpoch: EPOCH,
  });
  assert.ok(sq.ok, JSON.stringify(sq));
  writeFileSync(join(tree, "boot", "debian"), readFileSync(join(dir, "kernel")));
  writeFileSync(join(tree, "boot", "debian.igz"), readFileSync(join(dir, "initrd")));
  // Different wall-clock mtimes per build must not matter.
  utimesSync(join(tree, "boot", "debian"), n * 1000, n * 1000);
  const esp = join(out, "esp.img");
  const e = await makeEspImage({
    output: esp,
    label: "ESP",
    sourceDateEpoch: EPOCH,
    files: [
      { path: "EFI/BOOT/BOOTX64.EFI", content: "not really systemd-boot" },
      {
        path: "loader/loader.conf",
        content: loaderConf({ timeoutSec: 3, defaultEntry: "roflmaos.conf" }),
      },
      {
        path: "loader/entries/roflmaos.conf",
        content: bootEntry({
          title: "roflmaOS",
          linux: "/boot/debian",
          initrd: ["/boot/debian.igz"],
          options: liveKernelCmdline({ volid: VOLID }),
        }),
      },
      { path: "boot/debian", source: join(dir, "kernel") },
      { path: "boot/debian.igz", source: join(dir, "initrd") },
    ],
  });
  assert.ok(e.ok, JSON.stringify(e));
  const iso = join(out, "live.iso");
  const i = await makeIso({
    tree,
    espImage: esp,
    volid: VOLID,
    output: iso,
    sourceDateEpoch: EPOCH,
  });
  assert.ok(i.ok, JSON.stringify(i));
  return { squashfs, esp, iso };
}

void test("squashfs, ESP and ISO: contents, boot records and byte-identical rebuilds", async () => {
  const dir = scratch();
  try {
    const a = await buildAll(dir, 1);
    await new Promise((r) => setTimeout(r, 1100)); // a different second on the clock
    const b = await buildAll(dir, 2);

    // squashfs: the files are there, the symlink too.
    const listing = sh("unsquashfs", ["-lls", a.squashfs]);
    assert.match(listing, /squashfs-root\/etc\/hostname/);
    assert.match(listing, /squashfs-root\/lib -> usr\/lib/);
    assert.match(listing, /squashfs-root\/usr\/lib\/modules\/6\.1\.0-test\/modules\.dep/);

    // ESP: FAT with the files at their paths, the fixed serial, the entry text readable.
    const mdir = sh("mdir", ["-/", "-i", a.esp, "::/"]);
    assert.match(mdir, /BOOTX64\s+EFI/);
    assert.match(mdir, /loader\.conf/);
    assert.match(mdir, /roflmaos\.conf/);
    assert.match(mdir, /debian\s+igz/i);
    const entry = sh("mtype", ["-i", a.esp, "::/loader/entries/roflmaos.conf"]);
    assert.match(entry, /^options root=live:CDLABEL=roflmaOS_e2e-1\.0 rd\.live\.image /m);
    assert.match(
      sh("minfo", ["-i", a.esp, "::"]),
      new RegExp(`serial number: ${defaultSerial("ESP", EPOCH)}`, "i"),
    );

    // ISO: Rock Ridge tree, volid, El Torito EFI image = the GPT's EFI partition.
    const ls = sh("xorriso", ["-indev", a.iso, "-ls", "/LiveOS", "/boot"]);
    assert.match(ls, /'squashfs\.img'/);
    assert.match(ls, /'debian\.igz'/);
    const info = await isoBootInfo(a.iso);
    assert.ok(info.ok);
    assert.equal(info.value.volid, VOLID);
    assert.equal(info.value.gpt, true);
    assert.equal(info.value.efiPartitions.length, 1);
    assert.equal(info.value.efiImageOffset, info.value.efiPartitions[0]?.offset);
    assert.equal(sh("blkid", ["-p", "-o", "value", "-s", "LABEL", a.iso]).trim(), VOLID);

    // Reading back without mounting.
    const k = join(dir, "k");
    const got = await readIsoFile(a.iso, "boot/debian", k);
    assert.ok(got.ok);
    assert.deepEqual(readFileSync(k), readFileSync(join(dir, "kernel")));
    const missing = await readIsoFile(a.iso, "/boot/nope", join(dir, "nope"));
    assert.ok(!missing.ok && missing.error.reason === "not-found");
    const conf = join(dir, "entry.conf");
    const fromEsp = await readEspFileFromIso(a.iso, "loader/entries/roflmaos.conf", conf);
    assert.ok(fromEsp.ok, JSON.stringify(fromEsp));
    assert.match(readFileSync(conf, "utf8"), /linux \/boot\/debian/);

    // Same inputs + epoch: same bytes, at every layer.
    assert.deepEqual(readFileSync(a.squashfs), readFileSync(b.squashfs));
    assert.deepEqual(readFileSync(a.esp), readFileSync(b.esp));
    assert.deepEqual(readFileSync(a.iso), readFileSync(b.iso));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test("an ESP over 32 MiB is refused for El Torito unless allowed", async () => {
  const dir = scratch();
  try {
    const esp = join(dir, "big.img");
    const e = await makeEspImage({
      output: esp,
      files: [{ path: "EFI/BOOT/BOOTX64.EFI", content: "x" }],
      freeBytes: 33 * 2 ** 20,
      sourceDateEpoch: EPOCH,
    });
    assert.ok(e.ok, JSON.stringify(e));
    assert.ok(e.value.bytes > EL_TORITO_MAX_BYTES);
    const tree = join(dir, "tree");
    mkdirSync(tree);
    const refused = await makeIso({
      tree,
      espImage: esp,
      volid: "BIG",
      output: join(dir, "a.iso"),
    });
    assert.ok(!refused.ok);
    assert.equal(refused.error.reason, "esp-too-big-for-el-torito");
    assert.match(refused.error.message, /32 MiB/);
    const allowed = await makeIso({
      tree,
      espImage: esp,
      volid: "BIG",
      output: join(dir, "b.iso"),
      allowLargeEsp: true,
    });
    assert.ok(allowed.ok, JSON.stringify(allowed));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test("bad inputs are reported, not thrown", async () => {
  const dir = scratch();
  try {
    const v = await makeIso({ tree: dir, volid: "x".repeat(33), output: join(dir, "v.iso") });
    assert.ok(!v.ok && v.error.reason === "invalid-volid");
    const t = await makeIso({ tree: join(dir, "absent"), volid: "A", output: join(dir, "t.iso") });
    assert.ok(!t.ok && t.error.reason === "tree-missing");
    const s = await makeSquashfs({
      source: join(dir, "root"),
      output: join(dir, "s.img"),
      options: ["-not-reproducible"],
    });
    assert.ok(!s.ok && s.error.reason === "refused-option");
    const p = await makeEspImage({
      output: join(dir, "e.img"),
      files: [{ path: "../x", content: "" }],
    });
    assert.ok(!p.ok && p.error.reason === "bad-path");
    const d = await makeEspImage({
      output: join(dir, "e.img"),
      files: [
        { path: "EFI/a", content: "" },
        { path: "efi/A", content: "" },
      ],
    });
    assert.ok(!d.ok && d.error.reason === "duplicate-path");
    const m = await makeEspImage({
      output: join(dir, "e.img"),
      files: [{ path: "a", source: join(dir, "no") }],
    });
    assert.ok(!m.ok && m.error.reason === "source-missing");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test("an ESP can be made from a folder laid out like it", async () => {
  const dir = scratch();
  try {
    const src = join(dir, "esp");
    mkdirSync(join(src, "EFI", "BOOT"), { recursive: true });
    mkdirSync(join(src, "loader", "entries"), { recursive: true });
    writeFileSync(join(src, "EFI", "BOOT", "BOOTX64.EFI"), "efi");
    writeFileSync(join(src, "loader", "entries", "a.conf"), "title a\n");
    const out = join(dir, "esp.img");
    const e = await makeEspImage({ sourceDir: src, output: out, sourceDateEpoch: EPOCH });
    assert.ok(e.ok, JSON.stringify(e));
    assert.equal(e.value.contentBytes, 3 + 8);
    assert.equal(sh("mtype", ["-i", out, "::/loader/entries/a.conf"]), "title a\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
