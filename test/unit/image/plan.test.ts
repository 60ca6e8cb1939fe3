// The pure parts of the image tools: argv construction, option checks, ESP layout and sizing,
// and parsing xorriso's boot report.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkSquashfsOptions, squashfsArgv } from "../../../src/image/squashfs.js";
import { defaultSerial, espFolders, espPathProblem, espSizeKiB } from "../../../src/image/esp.js";
import { EL_TORITO_MAX_BYTES, isoArgv } from "../../../src/image/iso.js";
import { parseBootReport } from "../../../src/image/iso-read.js";

void test("mksquashfs argv: zstd by default, a -comp in livecd/fsops wins", () => {
  assert.deepEqual(squashfsArgv({ source: "/r", output: "/o.img" }), [
    "mksquashfs",
    "/r",
    "/o.img",
    "-noappend",
    "-no-progress",
    "-comp",
    "zstd",
  ]);
  assert.deepEqual(
    squashfsArgv({
      source: "/r",
      output: "/o",
      compressor: "gzip",
      options: ["-comp", "xz", "-Xbcj", "x86"],
      processors: 2,
    }),
    [
      "mksquashfs",
      "/r",
      "/o",
      "-noappend",
      "-no-progress",
      "-processors",
      "2",
      "-comp",
      "xz",
      "-Xbcj",
      "x86",
    ],
  );
});

void test("fsops that break reproducibility or substrate's own flags are refused", () => {
  assert.deepEqual(checkSquashfsOptions(["-comp", "xz", "-b", "1M"]), {
    ok: true,
    value: undefined,
  });
  const r = checkSquashfsOptions(["-b", "1M", "-not-reproducible"]);
  assert.ok(!r.ok);
  assert.equal(r.error.reason, "refused-option");
  assert.match(r.error.message, /`-not-reproducible` is not allowed: images must be reproducible/);
});

void test("ESP paths must be relative FAT names", () => {
  assert.equal(espPathProblem("EFI/BOOT/BOOTX64.EFI"), undefined);
  assert.equal(espPathProblem("loader/entries/roflmaos.conf"), undefined);
  assert.match(espPathProblem("/EFI/x") ?? "", /relative/);
  assert.match(espPathProblem("a/../b") ?? "", /`\.\.`/);
  assert.match(espPathProblem("a:b") ?? "", /FAT/);
  assert.match(espPathProblem("a/b.") ?? "", /dot/);
  assert.match(espPathProblem("dir/") ?? "", /name a file/);
});

void test("ESP folders are created parents first, each once", () => {
  assert.deepEqual(
    espFolders([
      "EFI/BOOT/BOOTX64.EFI",
      "loader/loader.conf",
      "loader/entries/a.conf",
      "boot/debian",
      "x",
    ]),
    ["EFI", "boot", "loader", "EFI/BOOT", "loader/entries"],
  );
});

void test("ESP size: content in 4 KiB units + 3% + 1 MiB, whole MiB; the prototype's ESP fits El Torito", () => {
  assert.equal(espSizeKiB([], 0), 1024);
  assert.equal(espSizeKiB([1], 1), 2048);
  // systemd-boot, loader.conf, entry, kernel, initramfs of the working prototype
  const kib = espSizeKiB([140891, 64, 230, 8222656, 18886782], 5);
  assert.equal(kib, 28 * 1024);
  assert.ok(kib * 1024 <= EL_TORITO_MAX_BYTES);
  assert.equal(espSizeKiB([1], 1, 10 * 1024 * 1024), 12 * 1024);
});

void test("the default ESP serial depends only on label and epoch", () => {
  assert.equal(defaultSerial("ESP", 1700000000), defaultSerial("ESP", 1700000000));
  assert.notEqual(defaultSerial("ESP", 1700000000), defaultSerial("ESP", 1700000001));
  assert.match(defaultSerial("ESP", 0), /^[0-9a-f]{8}$/);
});

void test("xorriso argv: Rock Ridge, Joliet, volid, appended GPT ESP as the El Torito EFI image", () => {
  assert.deepEqual(
    isoArgv({
      tree: "/t",
      volid: "roflmaOS",
      output: "/o.iso",
      espImage: "/esp.img",
      sourceDateEpoch: 1700000000,
    }),
    [
      "xorriso",
      "-as",
      "mkisofs",
      "-o",
      "/o.iso",
      "-iso-level",
      "3",
      "-r",
      "-J",
      "-joliet-long",
      "-V",
      "roflmaOS",
      "--set_all_file_dates",
      "=1700000000",
      "-append_partition",
      "2",
      "0xef",
      "/esp.img",
      "-appended_part_as_gpt",
      "-e",
      "--interval:appended_partition_2:all::",
      "-no-emul-boot",
      "/t",
    ],
  );
  assert.deepEqual(isoArgv({ tree: "/t", volid: "V", output: "/o" }).slice(-2), ["V", "/t"]);
});

void test("xorriso's boot report gives the volid, the EFI image offset and the GPT ESP", () => {
  const report = [
    "Volume Id    : roflmaOS",
    "El Torito catalog  : 33  1",
    "El Torito images   :   N  Pltf  B   Emul  Ld_seg  Hdpt  Ldsiz         LBA",
    "El Torito boot img :   1  UEFI  y   none  0x0000  0x00  61440       79071",
    "System area summary: MBR protective-msdos-label cyl-align-off GPT",
    "GPT type GUID      :   1  a2a0d0ebe5b9334487c068b6b72699c7",
    "GPT start and size :   1  64  316220",
    "GPT type GUID      :   2  28732ac11ff8d211ba4b00a0c93ec93b",
    "GPT start and size :   2  316284  61440",
  ].join("\n");
  assert.deepEqual(parseBootReport(report), {
    volid: "roflmaOS",
    gpt: true,
    efiImageOffset: 79071 * 2048,
    efiPartitions: [{ offset: 316284 * 512, bytes: 61440 * 512 }],
  });
  assert.deepEqual(parseBootReport("Volume Id    : a b\n"), {
    volid: "a b",
    gpt: false,
    efiPartitions: [],
  });
});

void test("ESP paths with control characters are refused", () => {
  assert.match(espPathProblem("EFI/a\u0001b") ?? "", /FAT/);
});
