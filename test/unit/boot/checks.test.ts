/** Judging check output, the checks-file format, JUnit XML, kernel versions, QEMU/virt-install argv. */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  judgeKernel,
  judgeOsRelease,
  judgeOverlayRoot,
  judgeSystemState,
  parseOsRelease,
} from "../../../src/boot/checks.js";
import { parseCheckScript, unescapeSendText } from "../../../src/boot/check-script.js";
import { junitXml } from "../../../src/boot/junit.js";
import { kernelReleaseFromImage } from "../../../src/boot/kernel-version.js";
import { detectFailure, isKernelStartLine } from "../../../src/boot/failures.js";
import {
  BOOT_MEDIA,
  mediumArgs,
  qemuArgv,
  shouldPreallocate,
  withSerialConsole,
} from "../../../src/boot/qemu-args.js";
import { virtInstallArgv } from "../../../src/boot/virt-install.js";
import { parseLoaderEntry } from "../../../src/boot/iso-boot-info.js";
import { unquoteXorrisoPath } from "../../../src/image/iso-read.js";
import { probeBootSector } from "../../../src/boot/accel.js";

void test("system state: running passes, degraded fails and names the failed units", () => {
  assert.deepEqual(judgeSystemState("running\n"), { ok: true, detail: "running" });
  const v = judgeSystemState(
    "degraded",
    "foo.service loaded failed failed Foo\nbar.mount loaded failed failed Bar\n",
  );
  assert.equal(v.ok, false);
  assert.equal(v.detail, 'system state is "degraded"; failed units: foo.service, bar.mount');
  assert.equal(judgeSystemState("starting").ok, false);
});

void test("kernel, overlay root and os-release judgements", () => {
  assert.equal(judgeKernel("6.1.0-13-amd64", "6.1.0-13-amd64").ok, true);
  assert.match(
    judgeKernel("6.1.0-12-amd64", "6.1.0-13-amd64").detail,
    /payload's kernel is 6\.1\.0-13-amd64/,
  );
  const overlay =
    "overlay rw,relatime,lowerdir=/run/rootfsbase,upperdir=/run/overlayfs/rw,workdir=/run/overlayfs/work";
  assert.equal(judgeOverlayRoot(overlay, "/run/rootfsbase\n").ok, true);
  assert.equal(judgeOverlayRoot(overlay, "/run/initramfs/squashfs\n").ok, false);
  assert.equal(judgeOverlayRoot("ext4 rw", "/run/rootfsbase").detail, "/ is ext4, not overlay");
  assert.equal(judgeOverlayRoot(overlay, "").ok, false);
  const osr = 'NAME="roflmaOS"\nPRETTY_NAME="roflmaOS 2026 \\"live\\""\nID=roflmaos\n';
  assert.deepEqual(parseOsRelease(osr), {
    NAME: "roflmaOS",
    PRETTY_NAME: 'roflmaOS 2026 "live"',
    ID: "roflmaos",
  });
  assert.equal(judgeOsRelease(osr, "roflmaos").ok, true);
  assert.equal(judgeOsRelease('NAME="Debian GNU/Linux"', "roflmaOS").ok, false);
  assert.equal(judgeOsRelease("", undefined).ok, false);
});

void test("checks file: steps parse, and every mistake is reported with its position", () => {
  const ok = parseCheckScript(
    "extra.checks",
    [
      "# comment",
      "name networkd is enabled",
      "run systemctl is-enabled systemd-networkd",
      "output ^enabled$",
      "run test -e /nonexistent",
      "status 1",
      "send echo hi\\tthere",
      "expect timeout=5 hi\\s+there",
      "expect /ROFL/i",
    ].join("\n"),
  );
  assert.ok(ok.ok);
  assert.deepEqual(
    ok.value.map((s) => [s.kind, s.name]),
    [
      ["run", "networkd is enabled"],
      ["run", "run: test -e /nonexistent"],
      ["send", "send: echo hi\\tthere / expect: hi\\s+there"],
      ["expect", "expect: /ROFL/i"],
    ],
  );
  const second = ok.value[1];
  assert.ok(second?.kind === "run" && second.status === 1);
  const send = ok.value[2];
  assert.ok(send?.kind === "send" && send.text === "echo hi\tthere" && send.timeoutMs === 5000);
  const bad = parseCheckScript(
    "bad.checks",
    "status 3\nrun\nfrobnicate x\nrun ls\noutput (unclosed\nname dangling",
  );
  assert.ok(!bad.ok);
  assert.deepEqual(
    bad.error.map((d) => [d.span?.line, d.span?.col, d.message]),
    [
      [1, 1, "`status` must follow a `run` step"],
      [2, 1, "`run` needs a shell command"],
      [3, 1, "unknown step `frobnicate`"],
      [
        5,
        8,
        "bad regular expression: Invalid regular expression: /(unclosed/m: Unterminated group",
      ],
      [6, 1, "`name` is not followed by a step"],
    ],
  );
  assert.equal(unescapeSendText("a\\x41\\e\\\\"), "aA\x1b\\");
});

void test("JUnit XML escapes text and counts failures", () => {
  const xml = junitXml(
    "x.iso",
    [
      { name: "check: a<b", className: "boot", durationMs: 1500 },
      { name: "check: c", className: "boot", durationMs: 10, failure: 'said "no" & left' },
    ],
    2000,
  );
  assert.match(
    xml,
    /<testsuite name="x\.iso" tests="2" failures="1" errors="0" skipped="0" time="2\.000">/,
  );
  assert.match(xml, /name="check: a&lt;b"/);
  assert.match(xml, /<failure message="said &quot;no&quot; &amp; left">/);
});

void test("failure patterns respect the boot stage; kernel start lines are recognised", () => {
  assert.equal(
    detectFailure("Error loading \\boot\\missing: Not Found", "firmware")?.kind,
    "boot-loader-error",
  );
  assert.equal(detectFailure("Error loading \\boot\\missing: Not Found", "userspace"), undefined);
  assert.equal(
    detectFailure(
      'BdsDxe: failed to load Boot0001 "UEFI QEMU DVD-ROM QM00011 " from PciRoot(0x0)/Pci(0x1F,0x2): Access Denied',
      "firmware",
    )?.kind,
    "secure-boot-rejected",
  );
  assert.equal(
    detectFailure("[  5.1] Kernel panic - not syncing: Attempted to kill init!", "userspace")?.kind,
    "kernel-panic",
  );
  assert.equal(
    detectFailure(
      "dracut-initqueue[312]: Warning: dracut-initqueue: timeout, still waiting for following initqueue hooks:",
      "kernel",
    )?.kind,
    "initrd-timeout",
  );
  assert.equal(
    detectFailure("Entering emergency mode. Exit the shell to continue.", "kernel")?.kind,
    "emergency-shell",
  );
  assert.equal(detectFailure("root@roflmaOS:/# ", "userspace"), undefined);
  assert.ok(
    isKernelStartLine(
      "[    0.000000] Linux version 6.1.0-13-amd64 (debian-kernel@lists.debian.org)",
    ),
  );
  assert.ok(
    isKernelStartLine("EFI stub: Loaded initrd from LINUX_EFI_INITRD_MEDIA_GUID device path"),
  );
  assert.ok(!isKernelStartLine('BdsDxe: loading Boot0001 "UEFI QEMU DVD-ROM QM00005 "'));
});

void test("kernel release from a bzImage header and from a file name", () => {
  const head = Buffer.alloc(0x1000);
  head.write("HdrS", 0x202, "latin1");
  head.writeUInt16LE(0x300, 0x20e);
  head.write("6.1.0-13-amd64 (debian-kernel@lists.debian.org) #1 SMP\0", 0x500, "latin1");
  assert.equal(kernelReleaseFromImage(head), "6.1.0-13-amd64");
  assert.equal(kernelReleaseFromImage(Buffer.alloc(0x1000)), undefined);
});

void test("QEMU argv: private VARS, CD-ROM, no network by default, SMM for Secure Boot, memory preallocated under TCG", () => {
  const firmware = {
    description: "t",
    code: "/fw/CODE,1.fd",
    varsTemplate: "/fw/VARS.fd",
    secureBoot: false,
    enrolledKeys: false,
    requiresSmm: false,
    notes: [],
  };
  const argv = qemuArgv({
    accel: "tcg",
    memoryMiB: 1024,
    cpus: 2,
    firmware,
    varsFile: "/tmp/v.fd",
    iso: "/x.iso",
    network: false,
    console: "headless",
  });
  const joined = argv.join(" ");
  assert.match(joined, /-machine q35 -accel tcg/);
  assert.match(joined, /if=pflash,format=raw,unit=0,readonly=on,file=\/fw\/CODE,,1\.fd/);
  assert.match(joined, /if=pflash,format=raw,unit=1,file=\/tmp\/v\.fd/);
  assert.match(joined, /media=cdrom,readonly=on,format=raw,file=\/x\.iso/);
  assert.match(joined, /-nic none/);
  assert.doesNotMatch(joined, /smm=on/);
  assert.doesNotMatch(joined, /-mem-prealloc/);
  const pre = qemuArgv({
    accel: "tcg",
    memoryMiB: 1024,
    preallocate: true,
    cpus: 2,
    firmware,
    varsFile: "/tmp/v.fd",
    network: false,
    console: "headless",
  }).join(" ");
  assert.match(pre, /-m 1024 -mem-prealloc -smp 2/);
  // Preallocated under TCG only, and only with twice the guest's memory free on the host.
  assert.equal(shouldPreallocate("tcg", 2048, 8192), true);
  assert.equal(shouldPreallocate("tcg", 2048, 4096), true);
  assert.equal(shouldPreallocate("tcg", 2048, 4095), false);
  assert.equal(shouldPreallocate("tcg", 2048, undefined), false);
  assert.equal(shouldPreallocate("kvm", 2048, 65536), false);
  const sb = qemuArgv({
    accel: "kvm",
    memoryMiB: 1024,
    cpus: 1,
    firmware: { ...firmware, secureBoot: true, requiresSmm: true },
    varsFile: "/v",
    network: true,
    console: "interactive",
    direct: { kernel: "/k", initrd: "/i", cmdline: "quiet" },
  }).join(" ");
  assert.match(sb, /-machine q35,smm=on/);
  assert.match(sb, /-global driver=cfi\.pflash01,property=secure,value=on/);
  assert.match(sb, /-kernel \/k -initrd \/i -append quiet/);
  assert.match(sb, /-nic user,model=virtio-net-pci/);
  assert.match(sb, /-nographic -serial mon:stdio/);
  assert.equal(
    withSerialConsole("root=live:CDLABEL=X"),
    "root=live:CDLABEL=X console=ttyS0,115200",
  );
  assert.equal(withSerialConsole("console=ttyS0,115200 quiet"), "console=ttyS0,115200 quiet");
});

void test("virt-install command: --cdrom, or --location with kernel/initrd and --extra-args", () => {
  const base = {
    iso: "/b/roflmaOS.iso",
    memoryMiB: 2048,
    cpus: 2,
    secureBoot: false,
    network: false,
  };
  const cd = virtInstallArgv(base);
  assert.deepEqual(cd.slice(cd.indexOf("--cdrom")), ["--cdrom", "/b/roflmaOS.iso"]);
  assert.ok(cd.includes("uefi,firmware.feature0.name=secure-boot,firmware.feature0.enabled=no"));
  const direct = virtInstallArgv({
    ...base,
    kernel: { label: "debian", kernelPath: "/boot/debian", initrdPath: "/boot/debian.igz" },
    cmdline: "root=live:CDLABEL=roflmaOS rd.live.image",
  });
  assert.deepEqual(direct.slice(direct.indexOf("--location")), [
    "--location",
    "/b/roflmaOS.iso,kernel=boot/debian,initrd=boot/debian.igz",
    "--extra-args",
    "root=live:CDLABEL=roflmaOS rd.live.image console=ttyS0,115200",
  ]);
});

void test("boot media: the same ISO as a CD, a USB stick on xHCI or a virtio disk, first to boot", () => {
  assert.deepEqual(mediumArgs("/a,b.iso", "cd"), [
    "-drive",
    "if=none,id=live,media=cdrom,readonly=on,format=raw,file=/a,,b.iso",
    "-device",
    "ide-cd,drive=live,bootindex=1",
  ]);
  const usb = mediumArgs("/x.iso", "usb");
  assert.ok(usb.includes("if=none,id=live,readonly=on,format=raw,file=/x.iso"));
  assert.ok(usb.includes("qemu-xhci,id=xhci"));
  assert.ok(usb.includes("usb-storage,bus=xhci.0,drive=live,removable=on,bootindex=1"));
  assert.ok(!usb.join(" ").includes("cdrom"), "a stick is not a CD");
  const disk = mediumArgs("/x.iso", "disk");
  assert.ok(disk.includes("virtio-blk-pci,drive=live,bootindex=1"));
  assert.ok(!disk.join(" ").includes("cdrom"));
  assert.deepEqual([...BOOT_MEDIA], ["cd", "usb", "disk"]);
  const fw = {
    descriptor: "/d.json",
    description: "t",
    code: "/c.fd",
    varsTemplate: "/v.fd",
    secureBoot: false,
    enrolledKeys: false,
    requiresSmm: false,
    notes: [],
  };
  const argv = qemuArgv({
    accel: "tcg",
    memoryMiB: 512,
    cpus: 1,
    firmware: fw,
    varsFile: "/v",
    iso: "/x.iso",
    medium: "usb",
    network: false,
    console: "headless",
  }).join(" ");
  assert.match(argv, /-device usb-storage,bus=xhci\.0,drive=live/);
  assert.doesNotMatch(argv, /ide-cd/);
  const vi = virtInstallArgv({
    iso: "/b/r.iso",
    memoryMiB: 2048,
    cpus: 2,
    secureBoot: false,
    network: false,
    medium: "usb",
  });
  assert.deepEqual(vi.slice(vi.indexOf("--disk")), [
    "--disk",
    "path=/b/r.iso,device=disk,bus=usb,readonly=on",
    "--import",
  ]);
  assert.ok(!vi.includes("--cdrom"));
});

void test("loader entries, xorriso paths and the KVM probe sector", () => {
  const e = parseLoaderEntry(
    "x.conf",
    "title roflmaOS\nlinux /boot/debian\ninitrd /boot/debian.igz\noptions root=live:CDLABEL=R\noptions quiet\n",
  );
  assert.deepEqual(e, {
    file: "x.conf",
    title: "roflmaOS",
    linux: "/boot/debian",
    initrd: ["/boot/debian.igz"],
    options: "root=live:CDLABEL=R quiet",
  });
  assert.equal(unquoteXorrisoPath("'/boot/a b.txt'"), "/boot/a b.txt");
  assert.equal(unquoteXorrisoPath(`'/it'"'"'s'`), "/it's");
  const s = probeBootSector();
  assert.equal(s.length, 512);
  assert.deepEqual([s[510], s[511]], [0x55, 0xaa]);
});
