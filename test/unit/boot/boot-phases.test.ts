import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BootPhaseClock, type EndedPhase } from "../../../src/boot/boot-phases.js";
import { bootMenuPrompt } from "../../../src/boot/boot-menu.js";
import { parseGuestAnalysis, parseSpanMs } from "../../../src/boot/guest-analysis.js";

/** Feeds [seconds, line] pairs to a clock on a fake time; returns what ended, in seconds. */
function run(lines: readonly (readonly [number, string])[], promptAt?: number): string[] {
  let t = 0;
  const clock = new BootPhaseClock(() => t * 1000);
  const out: string[] = [];
  const note = (p: EndedPhase | undefined): void => {
    if (p !== undefined)
      out.push(
        `${p.phase} ${(p.durationMs / 1000).toFixed(1)}${p.merged === undefined ? "" : ` +${p.merged.join("+")}`}`,
      );
  };
  for (const [at, line] of lines) {
    t = at;
    note(clock.line(line));
  }
  if (promptAt !== undefined) {
    t = promptAt;
    note(clock.loginPrompt());
  }
  return out;
}

// Lines as the default roflmaOS ISO printed them under OVMF + TCG (console log of a real boot,
// cleaned the way the console engine cleans them), with their seconds since QEMU started.
const ROFLMAOS_BOOT = [
  [3.8, 'BdsDxe: loading Boot0001 "UEFI QEMU DVD-ROM QM00011 " from PciRoot(0x0)/Pci(0x1F,0x2)'],
  [3.8, 'BdsDxe: starting Boot0001 "UEFI QEMU DVD-ROM QM00011 " from PciRoot(0x0)/Pci(0x1F,0x2)'],
  [9.4, "   roflmaOS (roflmaos, 6.1.0-50-amd64)        Boot in 3 s."],
  [9.7, "[    0.000000] Linux version 6.1.0-50-amd64 (debian-kernel@lists.debian.org)"],
  [9.7, "[    0.000000] Command line: initrd=\\boot\\roflmaos.igz root=live:CDLABEL=roflmaOS"],
  [12.4, "[    3.091807] Freeing unused kernel image (rodata/data gap) memory: 1124K"],
  [12.7, "[    3.276585] Run /init as init process"],
  [14.5, "[    5.012188] dracut: Debian GNU/Linux-12"],
  [21.4, "[   11.948801] dracut: Mounted root filesystem LiveOS_rootfs"],
  [22.4, "[   12.944459] dracut: Switching root"],
  [23.5, "Welcome to roflmaOS (Debian 12 live)!"],
  [25.1, "[   15.617329] systemd[1]: Reached target paths.target - Path Units."],
  [36.1, "[  OK  ] Reached target graphical.target - Graphical Interface."],
] as const;

void describe("BootPhaseClock", () => {
  void it("splits a real roflmaOS boot into firmware, loader, kernel, initramfs and userspace", () => {
    const ended = run(ROFLMAOS_BOOT, 37.0);
    assert.deepEqual(
      ended.map((e) => e.split(" ")[0]),
      ["firmware", "loader", "kernel", "initramfs", "userspace"],
    );
    assert.deepEqual(ended, [
      "firmware 3.8",
      "loader 5.9",
      "kernel 3.0",
      "initramfs 9.7",
      "userspace 14.6",
    ]);
  });

  void it("merges a phase whose mark never shows into the one running (a quiet kernel, no BdsDxe)", () => {
    // No firmware message and a `quiet` kernel: the first mark is systemd's in the initramfs.
    const ended = run(
      [
        [6, "Welcome to Debian GNU/Linux 12 dracut-059!"],
        [7, "systemd[1]: Running in initrd."],
        [15, "systemd[1]: Switching root."],
      ],
      30,
    );
    assert.deepEqual(ended, ["firmware 7.0 +loader+kernel", "initramfs 8.0", "userspace 15.0"]);
  });

  void it("goes only forward: a kernel-looking line in userspace ends nothing", () => {
    const ended = run([
      [1, "BdsDxe: starting Boot0001"],
      [2, "EFI stub: Loaded initrd from LINUX_EFI_INITRD_MEDIA_GUID device path"],
      [3, "Run /init as init process"],
      [4, "dracut: Switching root"],
      [5, "[   12.0] Linux version 6.1.0 (printed again by a check)"],
      [6, "dracut: Debian GNU/Linux-12"],
    ]);
    assert.deepEqual(ended, ["firmware 1.0", "loader 1.0", "kernel 1.0", "initramfs 1.0"]);
  });

  void it("a kernel without an initramfs goes from kernel straight to userspace", () => {
    const ended = run(
      [
        [2, "BdsDxe: starting Boot0002"],
        [3, "[    0.000000] Linux version 6.6.47-gentoo"],
        [5, "[    2.100000] Run /sbin/init as init process"],
      ],
      9,
    );
    assert.deepEqual(ended, [
      "firmware 2.0",
      "loader 1.0",
      "kernel 2.0 +initramfs",
      "userspace 4.0",
    ]);
  });

  void it("times the test's own phases after the prompt, and says which phase is running", () => {
    let t = 0;
    const clock = new BootPhaseClock(() => t);
    assert.equal(clock.current, "firmware");
    t = 10;
    clock.line("BdsDxe: starting Boot0001");
    assert.equal(clock.current, "loader");
    t = 50;
    assert.deepEqual(clock.loginPrompt(), {
      phase: "loader",
      durationMs: 40,
      merged: ["kernel", "initramfs", "userspace"],
    });
    assert.equal(clock.current, "login");
    assert.equal(clock.loginPrompt(), undefined);
    t = 55;
    assert.deepEqual(clock.end("login"), { phase: "login", durationMs: 5 });
    t = 75;
    assert.deepEqual(clock.end("checks"), { phase: "checks", durationMs: 20 });
  });
});

void describe("bootMenuPrompt", () => {
  void it("knows systemd-boot's and GRUB's countdowns, and nothing else", () => {
    assert.equal(
      bootMenuPrompt("   roflmaOS (roflmaos, 6.1.0-50-amd64)\n   Boot in 3 s."),
      "systemd-boot",
    );
    assert.equal(
      bootMenuPrompt("The highlighted entry will be executed automatically in 3s."),
      "GRUB",
    );
    assert.equal(bootMenuPrompt("BdsDxe: starting Boot0001"), undefined);
    assert.equal(bootMenuPrompt("Boot in progress"), undefined);
  });
});

void describe("parseGuestAnalysis", () => {
  void it("reads systemd-analyze time and blame as Debian 12's systemd 252 prints them", () => {
    const out = [
      "Startup finished in 2.981s (firmware) + 5.623s (loader) + 3.240s (kernel) + 9.702s (initrd) + 13.588s (userspace) = 35.136s",
      "graphical.target reached after 13.551s in userspace",
      "--- blame",
      "1min 2.004s systemd-networkd.service",
      "     6.517s e2scrub_reap.service",
      "      823ms systemd-journald.service",
      "     3.1s  systemd-udev-trigger.service",
    ].join("\n");
    const g = parseGuestAnalysis(out);
    assert.ok(g !== undefined);
    assert.match(g.startup, /^Startup finished in 2\.981s \(firmware\)/);
    assert.deepEqual(g.split, {
      firmware: 2981,
      loader: 5623,
      kernel: 3240,
      initrd: 9702,
      userspace: 13588,
    });
    assert.deepEqual(g.slowestUnits, [
      { unit: "systemd-networkd.service", ms: 62_004 },
      { unit: "e2scrub_reap.service", ms: 6517 },
      { unit: "systemd-udev-trigger.service", ms: 3100 },
      { unit: "systemd-journald.service", ms: 823 },
    ]);
  });

  void it("keeps the blame when the boot has not finished, and is absent without systemd-analyze", () => {
    const g = parseGuestAnalysis(
      "Bootup is not yet finished (org.freedesktop.systemd1.Manager.FinishTimestampMonotonic=0).\n--- blame\n 2.5s foo.service",
    );
    assert.ok(g !== undefined);
    assert.match(g.startup, /^Bootup is not yet finished/);
    assert.deepEqual(g.split, {});
    assert.deepEqual(g.slowestUnits, [{ unit: "foo.service", ms: 2500 }]);
    assert.equal(parseGuestAnalysis(""), undefined);
  });

  void it("parses systemd's spans", () => {
    assert.equal(parseSpanMs("1min 2.345s"), 62_345);
    assert.equal(parseSpanMs("512ms"), 512);
    assert.equal(parseSpanMs("1h 2min"), 3_720_000);
    assert.equal(parseSpanMs("750us"), 1);
    assert.equal(parseSpanMs("soon"), undefined);
  });
});
