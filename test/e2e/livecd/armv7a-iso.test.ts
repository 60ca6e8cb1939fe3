// The armv7a product test: builds examples/roflmaos/armv7a.toml for real on this (amd64) host
// (mmdebstrap --architectures=armhf and apt, dracut, systemd-boot under qemu-arm through
// binfmt_misc), then `substrate test` boots the ISO under qemu-system-arm -machine virt +
// AAVMF32 (UEFI, TCG) to a root shell through its EFI boot loader (EFI/BOOT/BOOTARM.EFI) and runs
// the standard checks, `uname -m` = armv7l among them. First, a tree whose livecd-stage3 joins
// the armhf root with an amd64 payload is refused by the planner before any work.
// Needs root, Debian's archive, qemu-user-static, qemu-system-arm and qemu-efi-arm
// (scripts/install-deps.sh); `substrate doctor --install` prepares binfmt_misc if needed.
// Uses /var/cache/substrate as the package cache.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, ofType, runCli, stagesOf } from "../../helpers/cli.js";
import { extractEsp, listFatDir } from "../../../src/image/iso-read.js";

const DATE = "20260101";
const CACHE = "/var/cache/substrate";
const STAGES = ["stage3", "stage4", "livecd-stage1", "livecd-stage2", "livecd-stage3"].map(
  (s) => `armv7a/roflmaos:${s}`,
);
const CHECKS = [
  "system-running",
  "kernel-version",
  "architecture",
  "overlay-root",
  "os-release",
  "module-load",
  "medium-checksums",
];

function onPath(cmd: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

void test(
  "roflmaOS armv7a: refuse a mixed-arch ISO, build the armhf ISO under qemu-user, boot it under qemu-system-arm + UEFI",
  { timeout: 50 * 60_000 },
  async (t) => {
    for (const tool of ["qemu-arm-static", "qemu-system-arm", "mmdebstrap", "xorriso", "mdir"]) {
      assert.ok(onPath(tool), `${tool} is missing: run scripts/install-deps.sh`);
    }
    assert.ok(
      existsSync("/usr/share/AAVMF/AAVMF32_CODE.fd"),
      "AAVMF32 is missing: run scripts/install-deps.sh (qemu-efi-arm)",
    );
    const work = mkdtempSync(join(tmpdir(), "substrate-armv7a-"));
    const tree = join(work, "tree");
    cpSync(join(REPO_ROOT, "examples/roflmaos"), tree, { recursive: true });
    const config = join(tree, "armv7a.toml");
    t.after(() => {
      rmSync(work, { recursive: true, force: true });
    });

    await t.test(
      "a livecd-stage3 joining an armhf root and an amd64 payload is refused before work",
      async () => {
        mkdirSync(join(tree, "specs/armv7a/mixed"), { recursive: true });
        writeFileSync(
          join(tree, "specs/armv7a/mixed/livecd-stage3.spec"),
          [
            "source_subpath: armv7a/roflmaos/livecd-stage1-armv7a_hardfp-roflmaos-latest",
            "livecd/payload: amd64/roflmaos/livecd-stage2-amd64-roflmaos-latest",
            "boot/kernel: roflmaos",
            "livecd/iso: mixed-@latest@.iso",
            "",
          ].join("\n"),
        );
        const mixed = join(tree, "mixed.toml");
        // amd64 first: a `-latest` name of a stage listed earlier is this run's output.
        const armv7a = readFileSync(config, "utf8").replace(
          '"roflmaos:livecd-stage3",',
          '"roflmaos:livecd-stage3",\n  "mixed:livecd-stage3",',
        );
        const at = armv7a.indexOf("[arch.armv7a]");
        writeFileSync(
          mixed,
          armv7a.slice(0, at) +
            '[arch.amd64]\nbuilds = ["roflmaos:stage3", "roflmaos:livecd-stage2"]\n\n' +
            armv7a.slice(at),
        );
        const r = await runCli(
          [
            "build",
            mixed,
            "--json",
            "--date",
            DATE,
            "--cache",
            join(work, "mixed-cache"),
            "--only",
            "mixed:livecd-stage3",
          ],
          { cwd: work },
        );
        assert.equal(r.code, 1, r.stderr);
        const diags = ofType(r.events, "diagnostic").map(
          (e) => e["diagnostic"] as { code: string; message: string },
        );
        const d = diags.find((x) => x.code === "mixed-architectures");
        assert.ok(d, JSON.stringify(diags));
        assert.match(d.message, /root for arm .* payload for x86_64/);
        assert.deepEqual(stagesOf(r.events, "stage-started"), [], "nothing was started");
        assert.ok(!existsSync(join(work, "builds")), "nothing was built");
      },
    );

    // The host preparation (binfmt_misc, qemu-arm with F): checked, done if missing.
    const doctor = await runCli(["doctor", "--install", config], { cwd: work });
    assert.equal(doctor.code, 0, `doctor --install failed:\n${doctor.stdout}\n${doctor.stderr}`);

    const buildStarted = Date.now();
    const build = await runCli(
      ["build", config, "--json", "--date", DATE, "--cache", CACHE, "--jobs", "1"],
      { cwd: work },
    );
    const buildMs = Date.now() - buildStarted;
    assert.equal(
      build.code,
      0,
      `build failed:\n${build.stderr}\n${JSON.stringify(ofType(build.events, "stage-failed"), null, 2)}`,
    );
    assert.deepEqual(stagesOf(build.events, "stage-succeeded"), [...STAGES].sort());
    t.diagnostic(`armv7a build (5 stages): ${seconds(buildMs)}`);

    const flavour = join(work, "builds/armv7a/roflmaos", DATE);
    const iso = join(flavour, `roflmaOS-${DATE}-armv7a.iso`);
    assert.ok(existsSync(iso), "the ISO is named roflmaOS-<date>-armv7a.iso");

    await t.test(
      "the payload says arm, the ESP boots BOOTARM.EFI, the entry names ttyAMA0",
      async () => {
        const payload = JSON.parse(
          readFileSync(
            join(flavour, "livecd-stage2-armv7a_hardfp-roflmaos-" + DATE, "payload.json"),
            "utf8",
          ),
        ) as { arch: string; machine: string; efiBinary: string; kernels: { version: string }[] };
        assert.equal(payload.arch, "armv7a");
        assert.equal(payload.machine, "arm");
        assert.equal(payload.efiBinary, "efi/BOOTARM.EFI");
        assert.match(payload.kernels[0]?.version ?? "", /-armmp$/);
        const esp = await extractEsp(iso, join(work, "esp"));
        assert.ok(esp.ok && esp.value !== undefined, "the ISO has an El Torito EFI image");
        const boot = await listFatDir(esp.value, "/EFI/BOOT");
        assert.deepEqual(boot, ["/EFI/BOOT/BOOTARM.EFI"]);
        const entry = execFileSync("mtype", [
          "-i",
          esp.value,
          "::/loader/entries/roflmaos.conf",
        ]).toString();
        assert.match(entry, /console=ttyAMA0,115200/);
        assert.doesNotMatch(entry, /ttyS0/);
        const listing = execFileSync("xorriso", ["-indev", iso, "-find", "/", "-type", "f"], {
          stdio: ["ignore", "pipe", "ignore"],
        }).toString();
        assert.ok(listing.includes("'/LiveOS/squashfs.img'"));
      },
    );

    await t.test(
      "substrate test boots it under qemu-system-arm + AAVMF32 and passes the checks",
      async () => {
        const bootStarted = Date.now();
        const r = await runCli(["test", iso, "--json", "--log", join(work, "boot.log")], {
          cwd: work,
        });
        const bootMs = Date.now() - bootStarted;
        t.diagnostic(`armv7a boot test: ${seconds(bootMs)}`);
        const info = ofType(r.events, "info").map((e) => String(e["message"]));
        const booting = info.find((m) => m.startsWith("booting "));
        assert.ok(booting, info.join("\n"));
        assert.match(booting, /AAVMF32_CODE\.fd/);
        assert.match(booting, /qemu-system-arm -machine virt,highmem=off/);
        const log = readFileSync(join(work, "boot.log"), "utf8");
        assert.match(log.split("\n")[1] ?? "", /^# qemu-system-arm .*-cpu cortex-a15/);
        const phases = ofType(r.events, "boot-phase").map(
          (e) => `${String(e["phase"])} ${seconds(Number(e["durationMs"]))}`,
        );
        t.diagnostic(`phases: ${phases.join(", ")}`);
        const checks = ofType(r.events, "boot-check");
        assert.equal(
          r.code,
          0,
          `boot test failed:\n${r.stderr}\n${JSON.stringify(checks, null, 2)}`,
        );
        assert.deepEqual(
          checks.map((c) => String(c["check"])),
          CHECKS,
        );
        assert.ok(
          checks.every((c) => c["ok"] === true),
          JSON.stringify(checks),
        );
        const arch = checks.find((c) => c["check"] === "architecture");
        assert.equal(arch?.["detail"], "armv7l");
        assert.match(log, /EFI stub: /, "the kernel was started by the EFI loader");
      },
    );
  },
);
