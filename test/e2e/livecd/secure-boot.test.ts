// Secure Boot with the user's own keys, for real: `substrate genkey` makes the keys, a copy of
// the roflmaOS tree with `[secureboot] keys` builds the minimal live ISO (stage3, the payload
// livecd-stage2 signs, the embedded root, livecd-stage3), `substrate test --secure-boot` boots it
// on OVMF's Secure Boot firmware in setup mode, lets systemd-boot enrol the keys and checks in
// the guest that Secure Boot is enforcing; the same ISO with an unsigned kernel on its ESP is
// refused by the firmware, and no private key is found in any output.
// Needs root, Debian's archive (or a warm /var/cache/substrate), sbsigntool, efitools, OVMF.
import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, ofType, runCli, stagesOf, type JsonEvent } from "../../helpers/cli.js";
import { privateKeyNeedles, scanForKeys } from "../../helpers/key-scan.js";

const DATE = "20260101";
const CACHE = "/var/cache/substrate";
const STAGES = [
  "amd64/roflmaos:stage3",
  "amd64/roflmaos:livecd-stage2",
  "amd64/minimal:embedded",
  "amd64/minimal:livecd-stage3",
];
const TOOLS = ["sbsign", "sbverify", "sbattach", "cert-to-efi-sig-list", "sign-efi-sig-list"];

function onPath(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function phaseMs(events: readonly JsonEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of ofType(events, "boot-phase")) out[String(p["phase"])] = Number(p["durationMs"]);
  return out;
}

/**
 * The ISO with the ESP's kernel replaced by `kernel`: the El Torito EFI image (also the appended
 * GPT partition) is extracted, changed with mtools and written back at its offset in a copy.
 */
function withEspKernel(iso: string, kernel: string, label: string, out: string, scratch: string) {
  const dir = join(scratch, "boot-images");
  mkdirSync(dir, { recursive: true });
  execFileSync("xorriso", ["-osirrox", "on", "-indev", iso, "-extract_boot_images", dir + "/"], {
    stdio: "ignore",
  });
  const name = readdirSync(dir).find((n) => /_uefi\.img$/.test(n));
  assert.ok(name, `the ISO has an El Torito EFI image (${readdirSync(dir).join(", ")})`);
  const esp = join(dir, name);
  const isoBytes = readFileSync(iso);
  const before = readFileSync(esp);
  const at = isoBytes.indexOf(before.subarray(0, 1 << 16));
  assert.ok(at > 0 && at % 2048 === 0, `the ESP lies at a sector boundary of the ISO (${at})`);
  assert.ok(isoBytes.subarray(at, at + before.length).equals(before), "the ESP's bytes match");
  execFileSync("mcopy", ["-o", "-i", esp, kernel, `::/boot/${label}`], {
    stdio: "ignore",
    env: { ...process.env, MTOOLS_SKIP_CHECK: "1" },
  });
  const after = readFileSync(esp);
  assert.equal(after.length, before.length);
  after.copy(isoBytes, at);
  writeFileSync(out, isoBytes);
}

void test(
  "Secure Boot with the user's own keys: signed ISO boots enforcing, tampered one is refused, no private key in any output",
  { timeout: 40 * 60_000 },
  async (t) => {
    const missing = TOOLS.filter((x) => !onPath(x));
    assert.deepEqual(
      missing,
      [],
      "sbsigntool and efitools are installed (scripts/install-deps.sh)",
    );
    const work = mkdtempSync(join(tmpdir(), "substrate-sb-"));
    const tree = join(work, "tree");
    const keys = join(work, "keys");
    cpSync(join(REPO_ROOT, "examples/roflmaos"), tree, { recursive: true });
    // Only the stages the minimal ISO needs: the payload comes from the default flavour.
    const config = readFileSync(join(tree, "substrate.toml"), "utf8").replace(
      /builds = \[[^\]]*\]/,
      `builds = [${STAGES.map((s) => `"${s.split("/")[1] ?? ""}"`).join(", ")}]`,
    );
    writeFileSync(join(tree, "substrate.toml"), `${config}\n[secureboot]\nkeys = "../keys"\n`);
    const times: Record<string, number> = {};
    const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
      const t0 = Date.now();
      const r = await fn();
      times[name] = Date.now() - t0;
      return r;
    };

    await t.test(
      "genkey makes PK, KEK and db in a private folder and never overwrites",
      async () => {
        const r = await timed("genkey", () => runCli(["genkey", keys], { cwd: work }));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(statSync(keys).mode & 0o777, 0o700);
        for (const k of ["PK", "KEK", "db"]) {
          assert.equal(statSync(join(keys, `${k}.key`)).mode & 0o777, 0o600, `${k}.key is 0600`);
          for (const ext of ["crt", "cer", "esl", "auth"])
            assert.ok(statSync(join(keys, `${k}.${ext}`)).isFile(), `${k}.${ext}`);
        }
        const again = await runCli(["genkey", keys], { cwd: work });
        assert.equal(again.code, 1);
        assert.match(again.stderr, /never overwrites a key/);
      },
    );

    const flavour = join(work, "builds/amd64/roflmaos", DATE);
    const payload = join(flavour, `livecd-stage2-amd64-roflmaos-${DATE}`);
    const iso = join(work, "builds/amd64/minimal", DATE, `roflmaOS-minimal-${DATE}.iso`);
    const dbCert = join(keys, "db.crt");

    await t.test("the build signs systemd-boot and the kernel with the db key", async () => {
      const r = await timed("build", () =>
        runCli(["build", tree, "--json", "--date", DATE, "--cache", CACHE, "--jobs", "1"], {
          cwd: work,
        }),
      );
      assert.equal(r.code, 0, `build failed:\n${r.stderr}`);
      assert.deepEqual(stagesOf(r.events, "stage-succeeded"), [...STAGES].sort());
      const manifest = JSON.parse(readFileSync(join(payload, "payload.json"), "utf8")) as {
        secureBoot?: {
          certificate: { sha256: string };
          signed: { path: string; removedSignatures: number }[];
          unchecked: string[];
        };
      };
      const sb = manifest.secureBoot;
      assert.ok(sb, "payload.json has a secureBoot record");
      const fingerprint = new X509Certificate(readFileSync(dbCert)).fingerprint256
        .replace(/:/g, "")
        .toLowerCase();
      assert.equal(sb.certificate.sha256, fingerprint, "the manifest names the db certificate");
      assert.deepEqual(
        sb.signed.map((s) => s.path),
        ["efi/BOOTX64.EFI", "boot/roflmaos"],
      );
      // Debian's kernel came signed by Debian; that signature was removed.
      assert.equal(sb.signed.find((s) => s.path === "boot/roflmaos")?.removedSignatures, 1);
      assert.ok(sb.unchecked.includes("boot/roflmaos.igz"), "the initramfs is named unchecked");
      for (const f of ["efi/BOOTX64.EFI", "boot/roflmaos"]) {
        execFileSync("sbverify", ["--cert", dbCert, join(payload, f)], { stdio: "ignore" });
        const list = execFileSync("sbverify", ["--list", join(payload, f)]).toString();
        assert.equal((list.match(/^signature \d+$/gm) ?? []).length, 1, `${f}: one signature`);
      }
      const files = execFileSync("xorriso", ["-indev", iso, "-find", "/loader", "-type", "f"], {
        stdio: ["ignore", "pipe", "ignore"],
      }).toString();
      for (const k of ["PK", "KEK", "db"])
        assert.ok(files.includes(`'/loader/keys/auto/${k}.auth'`), `${k}.auth is on the ISO`);
      execFileSync(
        "osirrox",
        ["-indev", iso, "-extract", "/loader/loader.conf", join(work, "loader.conf")],
        { stdio: "ignore" },
      );
      assert.match(readFileSync(join(work, "loader.conf"), "utf8"), /^secure-boot-enroll force$/m);
    });

    await t.test(
      "test --secure-boot enrols the keys and the guest runs with Secure Boot enforcing",
      async () => {
        const r = await timed("secure boot test", () =>
          runCli(["test", "--secure-boot", iso, "--json", "--log", join(work, "logs/sb.log")], {
            cwd: work,
          }),
        );
        const fin = ofType(r.events, "boot-finished")[0];
        assert.equal(fin?.["ok"], true, `boot test failed: ${JSON.stringify(fin)}\n${r.stderr}`);
        const phases = phaseMs(r.events);
        assert.ok("enrol" in phases, `an enrolment boot ran (${JSON.stringify(phases)})`);
        const check = ofType(r.events, "boot-check").find((c) => c["check"] === "secure-boot");
        assert.equal(check?.["ok"], true, JSON.stringify(check));
        assert.match(
          String(check["detail"]),
          /SecureBoot EFI variable 1; kernel: .*Secure boot enabled/i,
        );
        t.diagnostic(`Secure Boot boot phases (ms): ${JSON.stringify(phases)}`);
      },
    );

    await t.test("the ISO with an unsigned kernel is refused by the firmware", async () => {
      const scratch = join(work, "tamper");
      mkdirSync(scratch, { recursive: true });
      const unsigned = join(scratch, "roflmaos.unsigned");
      copyFileSync(join(payload, "boot/roflmaos"), unsigned);
      execFileSync("sbattach", ["--remove", unsigned], { stdio: "ignore" });
      const list = execFileSync("sbverify", ["--list", unsigned]).toString();
      assert.doesNotMatch(list, /^signature \d+$/m, "the kernel is unsigned now");
      const tampered = join(work, "tampered.iso");
      withEspKernel(iso, unsigned, "roflmaos", tampered, scratch);
      const r = await timed("tampered test", () =>
        runCli(
          ["test", "--secure-boot", tampered, "--json", "--log", join(work, "logs/tampered.log")],
          { cwd: work },
        ),
      );
      assert.equal(r.code, 1, r.stderr);
      const fin = ofType(r.events, "boot-finished")[0];
      assert.equal(fin?.["ok"], false);
      assert.match(String(fin["reason"]), /firmware refused the kernel under Secure Boot/);
      assert.match(String(fin["reason"]), /Security Violation|Access Denied/);
      const error = ofType(r.events, "error")[0];
      assert.match(String(error?.["hint"]), /sbverify --cert/);
      assert.ok(
        !ofType(r.events, "boot-phase").some((p) => p["phase"] === "kernel"),
        "no kernel ran",
      );
    });

    await t.test("no private key material in any output", () => {
      const needles = ["PK", "KEK", "db"].flatMap((k) =>
        privateKeyNeedles(readFileSync(join(keys, `${k}.key`), "utf8"), k),
      );
      // The scanner finds the keys where they are: a check of the scanner itself.
      const control = scanForKeys([keys], needles);
      assert.equal(new Set(control.hits.map((h) => h.needle)).size >= 6, true);
      const t0 = Date.now();
      const r = scanForKeys(
        [join(work, "builds"), join(work, "logs"), join(work, "tampered.iso")],
        needles,
      );
      times["key scan"] = Date.now() - t0;
      assert.deepEqual(r.hits, [], "private key bytes in the outputs");
      assert.ok(r.archives >= 6, `archives and images were unpacked (${r.archives})`);
      t.diagnostic(`scanned ${r.files} files, ${r.archives} archives/images`);
    });

    t.diagnostic(`times (ms): ${JSON.stringify(times)}`);
    rmSync(work, { recursive: true, force: true });
  },
);
