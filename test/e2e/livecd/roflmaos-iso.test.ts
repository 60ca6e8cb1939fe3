// The product test: builds the roflmaOS tree for real (mmdebstrap, apt, dracut, mksquashfs,
// mtools, xorriso), both flavours in one build, boots each ISO under QEMU + OVMF (TCG when KVM
// fails) to a root shell through its EFI boot loader (the default one also with direct kernel
// boot), then changes one root_overlay file and shows the payload (livecd-stage2) is reused and
// the new ISO has the change.
// Needs root and Debian's archive; uses /var/cache/substrate as the package cache.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  cpSync,
  readdirSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type JsonEvent, REPO_ROOT, ofType, runCli, stagesOf } from "../../helpers/cli.js";
import { checkDefaultTreeSboms } from "../../helpers/sbom.js";
import { hostAvailableMiB } from "../../../src/boot/vm.js";

const DATE = "20260101";
const CACHE = "/var/cache/substrate";
const STAGES = ["stage3", "stage4", "livecd-stage1", "livecd-stage2", "livecd-stage3"].map(
  (s) => `amd64/roflmaos:${s}`,
);
/** Every stage of the tree: the default flavour's and the embedded `minimal` one's. */
const ALL_STAGES = [...STAGES, "amd64/minimal:embedded", "amd64/minimal:livecd-stage3"];
const STANDARD_CHECKS = [
  "system-running",
  "kernel-version",
  "overlay-root",
  "os-release",
  "module-load",
];

/** The events of one ISO's boot: from its "booting <iso>" line to its boot-finished event. */
function bootOf(events: readonly JsonEvent[], isoName: string): JsonEvent[] {
  const start = events.findIndex(
    (e) => e.type === "info" && String(e["message"]).startsWith(`booting ${isoName} `),
  );
  assert.ok(start >= 0, `${isoName} was booted`);
  const end = events.findIndex((e, i) => i > start && e.type === "boot-finished");
  assert.ok(end > start, `${isoName}'s boot finished`);
  return events.slice(start, end + 1);
}

function mountinfo(): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ").slice(3, 5).join(" "))
    .sort();
}

void test(
  "roflmaOS: build the live ISO, boot it, edit the overlay, rebuild reusing the payload",
  { timeout: 45 * 60_000 },
  async (t) => {
    const work = mkdtempSync(join(tmpdir(), "substrate-iso-"));
    const tree = join(work, "tree");
    cpSync(join(REPO_ROOT, "examples/roflmaos"), tree, { recursive: true });
    const mountsBefore = mountinfo();
    const build = (
      extra: readonly string[] = [],
      cache = CACHE,
      only: readonly string[] = ["--only", "roflmaos:livecd-stage3"],
    ): ReturnType<typeof runCli> =>
      runCli(["build", tree, "--json", "--date", DATE, "--cache", cache, ...only, ...extra], {
        cwd: work,
      });

    // One build of the whole tree, both flavours. --test: the build boots each ISO through the
    // ISO's EFI boot loader and checks it; one stage at a time, so one boot at a time.
    const first = await build(["--test", "--jobs", "1"], CACHE, []);
    assert.equal(
      first.code,
      0,
      `build failed:\n${first.stderr}\n${JSON.stringify(ofType(first.events, "stage-failed"), null, 2)}`,
    );
    assert.deepEqual(stagesOf(first.events, "stage-succeeded"), [...ALL_STAGES].sort());
    assert.deepEqual(mountinfo(), mountsBefore, "the build left mounts behind");

    const flavour = join(work, "builds/amd64/roflmaos");
    const iso = join(flavour, DATE, `roflmaOS-${DATE}.iso`);
    assert.ok(existsSync(iso), "the ISO exists");
    assert.ok(existsSync(`${iso}.DIGESTS`), "the ISO has a .DIGESTS file");
    assert.ok(existsSync(`${iso}.CONTENTS.gz`), "the ISO has a .CONTENTS.gz file");
    assert.equal(
      readFileSync(join(flavour, "latest-livecd-stage3-amd64-roflmaos.txt"), "utf8").trim(),
      `${DATE}/roflmaOS-${DATE}.iso`,
    );
    assert.ok(
      readlinkSync(join(flavour, "latest-livecd-stage3-amd64-roflmaos.iso")).endsWith(
        `roflmaOS-${DATE}.iso`,
      ),
    );
    const listing = execFileSync("xorriso", ["-indev", iso, "-find", "/", "-type", "f"], {
      stdio: ["ignore", "pipe", "ignore"],
    }).toString();
    for (const f of [
      "/LiveOS/squashfs.img",
      "/boot/roflmaos",
      "/boot/roflmaos.igz",
      "/boot/payload.json",
    ]) {
      assert.ok(listing.includes(`'${f}'`), `${f} is in the ISO`);
    }

    await t.test(
      "every tarball, squashfs and ISO has a valid SPDX SBOM the .DIGESTS names",
      (st) => {
        checkDefaultTreeSboms({
          work,
          flavour,
          iso,
          date: DATE,
          cache: CACHE,
          note: (m) => {
            st.diagnostic(m);
          },
        });
      },
    );

    await t.test(
      "build --test booted it through its EFI boot loader to a root shell and passed the checks",
      () => {
        const boot = bootOf(first.events, `roflmaOS-${DATE}.iso`);
        const fin = ofType(boot, "boot-finished")[0];
        assert.equal(fin?.["ok"], true, `boot test failed: ${JSON.stringify(fin)}`);
        const checks = ofType(boot, "boot-check");
        const names = checks.map((c) => String(c["check"]));
        for (const name of [...STANDARD_CHECKS, "medium-checksums"]) {
          assert.ok(names.includes(name), `the ${name} check ran (${names.join(", ")})`);
        }
        assert.ok(
          checks.every((c) => c["ok"] === true),
          JSON.stringify(checks),
        );
        const os = checks.find((c) => c["check"] === "os-release");
        assert.match(String(os?.["detail"]), /NAME="roflmaOS"/);
        // Every phase had its console mark: none merged into another.
        const phases = ofType(boot, "boot-phase");
        assert.deepEqual(
          phases.map((p) => String(p["phase"])),
          ["firmware", "loader", "kernel", "initramfs", "userspace", "login", "checks", "shutdown"],
          JSON.stringify(phases),
        );
        assert.ok(
          phases.every((p) => p["merged"] === undefined && Number(p["durationMs"]) > 0),
          JSON.stringify(phases),
        );
        // The systemd-boot menu was answered, and the guest's systemd said how its boot went.
        const log = readFileSync(String(fin["consoleLog"]), "utf8");
        assert.match(log, /# substrate: pressed Enter at the systemd-boot menu/);
        // Under TCG, on a host with room for it, the guest's memory was touched before it ran.
        const qemuLine = /^# qemu-system\S* .*$/m.exec(log)?.[0] ?? "";
        if (/ -accel tcg /.test(qemuLine) && (hostAvailableMiB() ?? 0) >= 8192)
          assert.match(qemuLine, / -m 2048 -mem-prealloc /);
        const guest = ofType(boot, "boot-guest-analysis")[0];
        assert.match(String(guest?.["startup"]), /^Startup finished in .*\(userspace\)/);
        const units = guest?.["slowestUnits"] as { unit: string; ms: number }[] | undefined;
        assert.ok(
          units !== undefined &&
            units.length > 0 &&
            units.every((u) =>
              /\.(service|mount|socket|device|target|slice|swap|timer|path|scope)$/.test(u.unit),
            ),
          JSON.stringify(guest),
        );
      },
    );

    await t.test(
      "the minimal flavour's ISO (an embedded root, busybox for the base commands) passed the checks",
      () => {
        const minimalIso = join(work, "builds/amd64/minimal", DATE, `roflmaOS-minimal-${DATE}.iso`);
        assert.ok(existsSync(minimalIso), "the minimal ISO exists");
        const boot = bootOf(first.events, `roflmaOS-minimal-${DATE}.iso`);
        const fin = ofType(boot, "boot-finished")[0];
        assert.equal(fin?.["ok"], true, `boot test failed: ${JSON.stringify(fin)}`);
        const checks = ofType(boot, "boot-check");
        assert.deepEqual(
          checks.map((c) => String(c["check"])).filter((n) => STANDARD_CHECKS.includes(n)),
          STANDARD_CHECKS,
        );
        assert.ok(
          checks.every((c) => c["ok"] === true),
          JSON.stringify(checks),
        );
        const os = checks.find((c) => c["check"] === "os-release");
        assert.match(String(os?.["detail"]), /NAME="roflmaOS"/);
        // The root has no coreutils: its cat, grep and uname are busybox's applets.
        const sq = join(work, "minimal-sq.img");
        execFileSync("osirrox", ["-indev", minimalIso, "-extract", "/LiveOS/squashfs.img", sq], {
          stdio: "ignore",
        });
        const listing = execFileSync("unsquashfs", ["-lls", sq, "usr/bin"]).toString();
        for (const tool of ["cat", "grep", "uname"])
          assert.match(listing, new RegExp(`/usr/bin/${tool} -> /bin/busybox$`, "m"), tool);
        rmSync(sq);
      },
    );

    await t.test("boots with direct kernel boot from the payload", async () => {
      const r = await runCli(["test", iso, "--direct-kernel", "--json", "--timeout", "600"], {
        cwd: work,
      });
      const fin = ofType(r.events, "boot-finished")[0];
      assert.equal(
        fin?.["ok"],
        true,
        `direct-kernel boot failed: ${JSON.stringify(fin)}\n${r.stderr}`,
      );
    });

    await t.test(
      "the same ISO boots as a USB stick (the firmware boots the GPT's ESP, not El Torito)",
      async () => {
        const r = await runCli(["test", iso, "--medium", "usb", "--json", "--timeout", "600"], {
          cwd: work,
        });
        const boot = bootOf(r.events, `roflmaOS-${DATE}.iso`);
        assert.match(String(boot[0]?.["message"]), /as a USB stick \(EFI boot loader/);
        const fin = ofType(boot, "boot-finished")[0];
        assert.equal(fin?.["ok"], true, `USB boot failed: ${JSON.stringify(fin)}\n${r.stderr}`);
        const checks = ofType(boot, "boot-check");
        const names = checks.map((c) => String(c["check"]));
        for (const name of STANDARD_CHECKS) assert.ok(names.includes(name), name);
        // The console shows the firmware booting a USB device, not the DVD-ROM.
        const log = readFileSync(String(fin["consoleLog"]), "utf8");
        assert.match(log, /BdsDxe: starting Boot\w+ "UEFI QEMU QEMU USB HARDDRIVE/);
        assert.doesNotMatch(log, /UEFI QEMU DVD-ROM/);
      },
    );

    await t.test("a wrong volume id fails fast with the initramfs's reason", async () => {
      const bad = join(work, "wrong-volid.iso");
      execFileSync(
        "xorriso",
        [
          "-indev",
          iso,
          "-outdev",
          bad,
          "-volid",
          "NOT_ROFLMAOS",
          "-boot_image",
          "any",
          "replay",
          "-commit",
        ],
        { stdio: "ignore" },
      );
      const started = Date.now();
      const r = await runCli(
        ["test", bad, "--direct-kernel", "--append", "rd.retry=20", "--json", "--timeout", "600"],
        { cwd: work },
      );
      const fin = ofType(r.events, "boot-finished")[0];
      assert.ok(fin, "a boot-finished event");
      assert.equal(fin["ok"], false);
      assert.match(String(fin["reason"]), /waiting for the root device|emergency shell/);
      assert.ok(Date.now() - started < 420_000, "failed well before the 600 s timeout");
    });

    await t.test(
      "an initramfs without live support fails fast with the initramfs's reason",
      async () => {
        const hostInitrd = readdirSync("/boot").find((f) => f.startsWith("initrd.img-"));
        assert.ok(
          hostInitrd,
          "the host has an initramfs-tools initrd (scripts/install-deps.sh installs a kernel)",
        );
        const bad = join(work, "no-live-initrd.iso");
        execFileSync(
          "xorriso",
          [
            "-indev",
            iso,
            "-outdev",
            bad,
            "-boot_image",
            "any",
            "replay",
            "-map",
            join("/boot", hostInitrd),
            "/boot/roflmaos.igz",
            "-commit",
          ],
          { stdio: "ignore" },
        );
        const started = Date.now();
        const r = await runCli(
          [
            "test",
            bad,
            "--direct-kernel",
            "--append",
            "rootdelay=10",
            "--json",
            "--timeout",
            "600",
          ],
          { cwd: work },
        );
        const fin = ofType(r.events, "boot-finished")[0];
        assert.ok(fin, "a boot-finished event");
        assert.equal(fin["ok"], false);
        assert.match(String(fin["reason"]), /waiting for the root device|emergency shell|panicked/);
        assert.ok(Date.now() - started < 420_000, "failed well before the 600 s timeout");
      },
    );

    await t.test("a second build with nothing changed does no work", async () => {
      const r = await build();
      assert.equal(r.code, 0);
      assert.deepEqual(stagesOf(r.events, "stage-started"), []);
      assert.deepEqual(stagesOf(r.events, "stage-fresh"), [...STAGES].sort());
    });

    await t.test(
      "one root_overlay file changed: the payload is reused and the ISO has the change",
      async () => {
        writeFileSync(
          join(tree, "root_overlays/livecd/etc/issue"),
          "roflmaOS edited by the test\n",
        );
        const r = await build();
        assert.equal(r.code, 0, r.stderr);
        assert.ok(
          stagesOf(r.events, "stage-fresh").includes("amd64/roflmaos:livecd-stage2"),
          "livecd-stage2 is reused",
        );
        assert.ok(
          stagesOf(r.events, "stage-succeeded").includes("amd64/roflmaos:livecd-stage3"),
          "livecd-stage3 is rebuilt",
        );
        const out = join(work, "check");
        execFileSync(
          "osirrox",
          ["-indev", iso, "-extract", "/LiveOS/squashfs.img", join(out, "sq.img")],
          { stdio: "ignore" },
        );
        const issue = execFileSync("unsquashfs", [
          "-cat",
          join(out, "sq.img"),
          "etc/issue",
        ]).toString();
        assert.equal(issue, "roflmaOS edited by the test\n");
        // livecd-stage1's kept root was used under an overlay: nothing was unsquashed.
        const s3 = (e: Record<string, unknown>): boolean =>
          e["stage"] === "amd64/roflmaos:livecd-stage3";
        const steps = ofType(r.events, "step-started").filter(s3);
        assert.ok(
          steps.some((e) => e["step"] === "root" && /kept root/.test(String(e["detail"]))),
          JSON.stringify(steps),
        );
        assert.ok(!steps.some((e) => e["step"] === "unsquash"), "nothing was unsquashed");
      },
    );

    await t.test(
      "the ISO from the kept root has the same bytes as one from the unsquashed image",
      async () => {
        const viaOverlay = readFileSync(iso);
        // A fresh cache has no kept root: livecd-stage3 unsquashes livecd-stage1's image.
        for (const f of readdirSync(join(flavour, DATE)))
          if (f.startsWith(`roflmaOS-${DATE}.iso`)) rmSync(join(flavour, DATE, f));
        const r = await build([], join(work, "fresh-cache"));
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(stagesOf(r.events, "stage-succeeded"), ["amd64/roflmaos:livecd-stage3"]);
        const steps = ofType(r.events, "step-started").map((e) => e["step"]);
        assert.ok(steps.includes("unsquash"), steps.join(","));
        assert.ok(readFileSync(iso).equals(viaOverlay), "same bytes both ways");
      },
    );

    assert.deepEqual(mountinfo(), mountsBefore, "no mounts left behind");
    rmSync(work, { recursive: true, force: true });
  },
);
