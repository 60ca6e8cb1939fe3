// Boot loader text and the live kernel command line: exact bytes, because firmware, systemd-boot
// and dracut read them literally.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  MAX_VOLID_LENGTH,
  bootEntry,
  checkVolid,
  encodeLabel,
  grubCfg,
  grubQuote,
  liveKernelArgs,
  liveKernelCmdline,
  loaderConf,
  volidDiagnostic,
} from "../../../src/image/bootloader.js";

void test("the default live command line is the one that booted under OVMF", () => {
  assert.equal(
    liveKernelCmdline({ volid: "roflmaOS" }),
    "root=live:CDLABEL=roflmaOS rd.live.image rd.live.overlay.overlayfs=1 systemd.firstboot=off " +
      "console=tty0 console=ttyS0,115200",
  );
});

void test("consoles, overlayfs, firstboot and extra arguments are honoured in order", () => {
  assert.deepEqual(
    liveKernelArgs({
      volid: "X",
      consoles: ["ttyS1,9600"],
      overlayfs: false,
      noFirstboot: false,
      extra: ["quiet", "rd.live.ram=1"],
    }),
    ["root=live:CDLABEL=X", "rd.live.image", "console=ttyS1,9600", "quiet", "rd.live.ram=1"],
  );
});

void test("labels are encoded like udev by-label links so spaces cannot split the command line", () => {
  assert.equal(encodeLabel("roflma OS live"), "roflma\\x20OS\\x20live");
  assert.equal(encodeLabel("a/b"), "a\\x2fb");
  assert.equal(encodeLabel("Gentoo_amd64-2024.1:x=y@z#+"), "Gentoo_amd64-2024.1:x=y@z#+");
  assert.equal(encodeLabel("it's"), "it\\x27s");
  assert.ok(!liveKernelCmdline({ volid: "my live cd" }).includes("my live"));
});

void test("volume ids: 1-32 characters dracut can find by label", () => {
  assert.deepEqual(checkVolid("roflmaOS_systemd"), { ok: true, value: "roflmaOS_systemd" });
  assert.equal(checkVolid("Gentoo-amd64.2024+1").ok, true);
  assert.deepEqual(checkVolid("x".repeat(MAX_VOLID_LENGTH)).ok, true);
  assert.deepEqual(checkVolid("x".repeat(33)), {
    ok: false,
    error: { reason: "too-long", length: 33 },
  });
  assert.deepEqual(checkVolid(""), { ok: false, error: { reason: "empty" } });
  assert.deepEqual(checkVolid("café"), {
    ok: false,
    error: { reason: "not-printable-ascii", index: 3, char: "é" },
  });
  assert.equal(checkVolid("a\tb").ok, false);
  // A booted ISO labelled "roflmaOS live" with CDLABEL=roflmaOS\x20live: dracut 059 looked
  // for /dev/disk/by-label/roflmaOSx20live and gave up.
  assert.deepEqual(checkVolid("roflmaOS live"), {
    ok: false,
    error: { reason: "not-label-safe", index: 8, char: " " },
  });
  assert.equal(checkVolid("a/b").ok, false);
});

void test("a volid with a space gets a diagnostic suggesting underscores", () => {
  const volid = "roflmaOS live";
  const r = checkVolid(volid);
  assert.ok(!r.ok);
  const d = volidDiagnostic(volid, r.error);
  assert.equal(
    d.message,
    "the volume id `roflmaOS live` has a space at position 9; dracut cannot find a live " +
      "medium by such a label (root=live:CDLABEL=)",
  );
  assert.equal(d.hint, "use letters, digits, `_`, `-`, `.` and `+`, e.g. `roflmaOS_live`");
  assert.equal(d.span, undefined);
});

void test("a too-long volid becomes an invalid-volid diagnostic with a shortened suggestion", () => {
  const volid = "roflmaOS_amd64_2026-11-26_systemd_live";
  const r = checkVolid(volid);
  assert.ok(!r.ok);
  const span = { file: "livecd-stage3.spec", line: 4, col: 15, endCol: 15 + volid.length };
  const d = volidDiagnostic(volid, r.error, span);
  assert.equal(d.severity, "error");
  assert.equal(d.code, "invalid-volid");
  assert.equal(d.span, span);
  assert.match(d.message, /has 38 characters; ISO 9660 allows at most 32/);
  assert.equal(d.hint, "shorten it to 32 characters, e.g. `roflmaOS_amd64_2026-11-26_system`");
});

void test("loader.conf text", () => {
  assert.equal(
    loaderConf({ timeoutSec: 3, defaultEntry: "roflmaos.conf" }),
    "timeout 3\ndefault roflmaos.conf\nconsole-mode keep\neditor yes\n",
  );
  assert.equal(
    loaderConf({ timeoutSec: 0, defaultEntry: "*", editor: false, consoleMode: "max" }),
    "timeout 0\ndefault *\nconsole-mode max\neditor no\n",
  );
  assert.throws(() => loaderConf({ timeoutSec: -1, defaultEntry: "x" }), /Internal error/);
});

void test("systemd-boot entry text", () => {
  assert.equal(
    bootEntry({
      title: "roflmaOS live",
      linux: "/boot/debian",
      initrd: ["/boot/debian.igz"],
      options: liveKernelCmdline({ volid: "roflmaOS" }),
    }),
    "title roflmaOS live\nlinux /boot/debian\ninitrd /boot/debian.igz\n" +
      "options root=live:CDLABEL=roflmaOS rd.live.image rd.live.overlay.overlayfs=1 " +
      "systemd.firstboot=off console=tty0 console=ttyS0,115200\n",
  );
  assert.equal(
    bootEntry({
      title: "t",
      version: "6.1.0",
      sortKey: "roflmaos",
      linux: "/k",
      initrd: ["/ucode.img", "/i.img"],
      options: "quiet",
    }),
    "title t\nversion 6.1.0\nsort-key roflmaos\nlinux /k\ninitrd /ucode.img\ninitrd /i.img\noptions quiet\n",
  );
  assert.equal(
    bootEntry({ title: "t", linux: "/k", initrd: "/i.img", options: "" }),
    "title t\nlinux /k\ninitrd /i.img\noptions \n",
  );
  assert.throws(
    () => bootEntry({ title: "a\nb", linux: "/k", initrd: [], options: "" }),
    /line break/,
  );
  assert.throws(() => bootEntry({ title: "a", linux: "k", initrd: [], options: "" }), /absolute/);
});

void test("grub.cfg searches the volid and quotes what GRUB would otherwise unescape", () => {
  const text = grubCfg({
    volid: "roflma OS",
    timeoutSec: 10,
    entries: [
      {
        title: "Boot roflmaOS (kernel: debian)",
        linux: "/boot/debian",
        initrd: ["/boot/debian.igz"],
        args: liveKernelArgs({ volid: "roflma OS", consoles: ["ttyS0,115200"] }),
      },
    ],
  });
  assert.equal(
    text,
    [
      "serial --unit=0 --speed=115200",
      "terminal_input console serial",
      "terminal_output console serial",
      "search --no-floppy --set=root --label 'roflma OS'",
      "set timeout=10",
      "set default=0",
      "",
      "menuentry 'Boot roflmaOS (kernel: debian)' {",
      "\tlinux /boot/debian 'root=live:CDLABEL=roflma\\x20OS' rd.live.image " +
        "rd.live.overlay.overlayfs=1 systemd.firstboot=off console=ttyS0,115200",
      "\tinitrd /boot/debian.igz",
      "}",
      "",
    ].join("\n"),
  );
  assert.equal(grubQuote("it's"), "'it'\\''s'");
});
