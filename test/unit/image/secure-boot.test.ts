/**
 * Secure Boot with the user's own keys, the pure parts and the quick real ones: the tree
 * config's `[secureboot]` table, key generation (openssl, efitools) and signing (sbsigntool) of
 * a real EFI binary, the fingerprint record (public files only), the loader.conf line, the
 * guest check's and the enrolment boot's judges, the refusal pattern, and the key scanner.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { X509Certificate, generateKeyPairSync } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keyFolderProblem, parseTreeConfig } from "../../../src/spec/tree-config.js";
import {
  certificateSubject,
  generateKeys,
  generateProblem,
  readKeyFolder,
  signEfiBinary,
  signatureCount,
} from "../../../src/image/secure-boot.js";
import { loaderConf } from "../../../src/image/bootloader.js";
import { judgeSecureBoot } from "../../../src/boot/checks.js";
import { judgeEnrolment } from "../../../src/boot/enrol-boot.js";
import { detectFailure } from "../../../src/boot/failures.js";
import { diffRecords, secureBootRecord } from "../../../src/plan/fingerprint.js";
import { diskView } from "../../../src/plan/store-view.js";
import type { FingerprintRecord } from "../../../src/plan/types.js";
import { privateKeyNeedles, scanForKeys } from "../../helpers/key-scan.js";

const SYSTEMD_BOOT = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi";

function config(text: string, root = "/work/tree") {
  return parseTreeConfig(text, {
    file: join(root, "substrate.toml"),
    displayFile: "substrate.toml",
    cwd: "/work",
  });
}

void test("[secureboot] keys: relative to the tree; never in the store; required", () => {
  const good = config('driver = "apt"\n[secureboot]\nkeys = "../keys"\n');
  assert.deepEqual(
    good.diagnostics.filter((d) => d.severity === "error"),
    [],
  );
  assert.equal(good.config.secureBoot?.keys, "/work/keys");
  const inBuilds = config('[store]\nbuilds = "out"\n[secureboot]\nkeys = "out/keys"\n');
  assert.equal(inBuilds.config.secureBoot, undefined);
  assert.match(
    inBuilds.diagnostics.map((d) => d.message).join("\n"),
    /keys = "out\/keys" lies in the store's builds folder/,
  );
  // The default store is in the working directory: /work/cache holds caches.
  const inCache = config('[secureboot]\nkeys = "/work/cache/sb"\n');
  assert.match(inCache.diagnostics.map((d) => d.message).join("\n"), /store's cache folder/);
  const holdsStore = config('[secureboot]\nkeys = "/work"\n');
  assert.match(holdsStore.diagnostics.map((d) => d.message).join("\n"), /holds the store's/);
  const none = config("[secureboot]\n");
  assert.match(none.diagnostics.map((d) => d.message).join("\n"), /needs keys = /);
  const typo = config('[secureboot]\nkeys = "k"\nkey = "x"\n');
  assert.match(typo.diagnostics.map((d) => d.hint ?? "").join("\n"), /did you mean `keys`/);
  assert.equal(config('driver = "apt"\n').config.secureBoot, undefined, "unsigned by default");
  assert.equal(
    keyFolderProblem("/srv/keys", { builds: "/srv/b", logs: "/srv/l", cache: "/srv/c" }),
    undefined,
  );
});

void test("loader.conf: secure-boot-enroll only when asked", () => {
  assert.doesNotMatch(loaderConf({ timeoutSec: 3, defaultEntry: "a.conf" }), /secure-boot/);
  assert.match(
    loaderConf({ timeoutSec: 3, defaultEntry: "a.conf", secureBootEnroll: "force" }),
    /^secure-boot-enroll force$/m,
  );
});

void test("certificate subjects fit X.509's 64-character common name", () => {
  const s = certificateSubject("KEK", "Example Ltd", "c19bacb3-36ff-4938-9913-f3a30102a052");
  const cn = /\/CN=(.*)$/.exec(s)?.[1] ?? "";
  assert.ok(cn.length <= 64, cn);
  assert.match(s, /^\/O=Example Ltd\/CN=substrate KEK c19bacb3-/);
});

void test("genkey makes a private folder, signs a real EFI binary, and refuses to overwrite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "substrate-sb-unit-"));
  try {
    const keys = join(dir, "keys");
    const r = await generateKeys({ dir: keys, owner: "Unit Test" });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
    assert.equal(statSync(keys).mode & 0o777, 0o700);
    for (const k of ["PK", "KEK", "db"]) {
      assert.equal(statSync(join(keys, `${k}.key`)).mode & 0o777, 0o600);
      assert.equal(statSync(join(keys, `${k}.auth`)).mode & 0o777, 0o644);
      const id: { sha256: string } = r.value.folder.certificates[k as "PK"];
      const x = new X509Certificate(readFileSync(join(keys, `${k}.crt`)));
      assert.equal(id.sha256, x.fingerprint256.replace(/:/g, "").toLowerCase());
      assert.match(x.subject, new RegExp(`CN=substrate ${k} ${r.value.folder.ownerGuid}`));
    }
    assert.match(generateProblem(keys) ?? "", /never overwrites a key/);
    const again = await generateKeys({ dir: keys });
    assert.equal(again.ok, false);
    const folder = readKeyFolder(keys);
    assert.ok(folder.ok);
    // Sign a copy of the host's systemd-boot and check it with the db certificate.
    const efi = join(dir, "BOOTX64.EFI");
    copyFileSync(SYSTEMD_BOOT, efi);
    const s = await signEfiBinary(efi, folder.value);
    assert.ok(s.ok, JSON.stringify(!s.ok && s.error));
    assert.equal(s.value, 0, "systemd-boot came unsigned");
    execFileSync("sbverify", ["--cert", folder.value.dbCert, efi], { stdio: "ignore" });
    // Signing again replaces the signature instead of adding one.
    const twice = await signEfiBinary(efi, folder.value);
    assert.ok(twice.ok);
    assert.equal(twice.value, 1);
    const count = await signatureCount(efi);
    assert.ok(count.ok);
    assert.equal(count.value, 1);
    assert.equal(existsSync(`${efi}.unsigned`) || existsSync(`${efi}.signed`), false);
    // The fingerprint record names public files only; a new certificate changes it.
    const before = secureBootRecord(keys, treeConfigAt(dir), diskView);
    assert.doesNotMatch(JSON.stringify(before), /\.key"/);
    writeFileSync(join(keys, "db.key"), "changed private key, same certificate");
    assert.equal(
      JSON.stringify(secureBootRecord(keys, treeConfigAt(dir), diskView)),
      JSON.stringify(before),
      "the private key's bytes are not part of the record",
    );
    copyFileSync(join(keys, "KEK.crt"), join(keys, "db.crt"));
    const after = secureBootRecord(keys, treeConfigAt(dir), diskView);
    assert.notEqual(JSON.stringify(after), JSON.stringify(before));
    const rec = (sb: unknown) => ({ format: 1, secureboot: sb }) as unknown as FingerprintRecord;
    assert.equal(diffRecords(rec(before), rec(after)), "Secure Boot key db.crt changed");
    assert.match(diffRecords(rec(undefined), rec(after)), /added/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function treeConfigAt(dir: string) {
  return config('driver = "apt"\n', join(dir, "tree")).config;
}

void test("the secure-boot check: the SecureBoot variable's last byte and the kernel's word", () => {
  const on =
    "efivar:   6   0   0   0   1\nkernel: [    0.000000] secureboot: Secure boot enabled\n";
  assert.deepEqual(judgeSecureBoot(on), {
    ok: true,
    detail: "SecureBoot EFI variable 1; kernel: secureboot: Secure boot enabled",
  });
  const off =
    "efivar:   6   0   0   0   0\nkernel: [    0.000000] secureboot: Secure boot disabled\n";
  assert.match(
    judgeSecureBoot(off).detail,
    /is 0, not 1: Secure Boot is off \(kernel: secureboot: Secure boot disabled\)/,
  );
  assert.equal(judgeSecureBoot(off).ok, false);
  const noVar = "efivar: od: /sys/firmware/efi/efivars/SecureBoot-x: No such file or directory\n";
  assert.match(judgeSecureBoot(noVar).detail, /cannot read the SecureBoot EFI variable/);
  const quietKernel = "efivar:   6   0   0   0   1\n";
  assert.match(judgeSecureBoot(quietKernel).detail, /kernel does not report/);
});

void test("the enrolment boot: enrolled, a write failure, or nothing at all", () => {
  const ok = judgeEnrolment(
    "\x1b[2J\x1b[01;01HEnrolling secure boot keys from directory: \\loader\\keys\\auto\r\nWarning: ...\r\n",
  );
  assert.deepEqual(ok, { enrolled: true, directory: "\\loader\\keys\\auto" });
  const bad = judgeEnrolment(
    "Enrolling secure boot keys from directory: \\loader\\keys\\auto\nFailed to write PK secure boot variable: Security Violation\n",
  );
  assert.ok(!bad.enrolled);
  assert.match(bad.why, /could not enrol the keys: Failed to write PK/);
  const none = judgeEnrolment("BdsDxe: loading Boot0001\nLinux version 6.1.0\n");
  assert.match(!none.enrolled ? none.why : "", /secure-boot-enroll force/);
});

void test("the firmware refusing the kernel is a secure-boot-rejected failure", () => {
  for (const line of [
    "Error loading \\boot\\roflmaos: Security Violation",
    "Failed to execute roflmaOS_minimal (\\boot\\roflmaos): Access Denied",
    'BdsDxe: failed to load Boot0001 "UEFI QEMU DVD-ROM": Access Denied',
  ]) {
    assert.equal(detectFailure(line, "firmware")?.kind, "secure-boot-rejected", line);
  }
  // systemd-boot's menu, drawn with cursor moves, ends up on the same console line.
  const menu = `${"roflmaOS_minimal (roflmaos)   Boot in 1 s.  ".repeat(5)}Error loading \\boot\\roflmaos: Access Denied`;
  assert.equal(
    detectFailure(menu, "firmware")?.line,
    "Error loading \\boot\\roflmaos: Access Denied",
  );
  assert.equal(
    detectFailure("Error loading \\boot\\x: Not Found", "firmware")?.kind,
    "boot-loader-error",
  );
});

void test("the key scanner finds a private key in plain, gzip and tar.zst files, and not in its certificate", () => {
  const dir = mkdtempSync(join(tmpdir(), "substrate-keyscan-unit-"));
  try {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const der = privateKey.export({ format: "der", type: "pkcs8" });
    const needles = privateKeyNeedles(pem, "k");
    mkdirSync(join(dir, "clean"));
    writeFileSync(join(dir, "clean", "note.txt"), "nothing here\n");
    let r = scanForKeys([join(dir, "clean")], needles);
    assert.deepEqual(r.hits, []);
    mkdirSync(join(dir, "in", "sub"), { recursive: true });
    writeFileSync(join(dir, "in", "sub", "k.der"), Buffer.concat([Buffer.from("x"), der]));
    execFileSync("sh", ["-c", `printf '%s' "$1" | gzip > "$2"`, "sh", pem, join(dir, "pem.gz")]);
    execFileSync("tar", ["--zstd", "-cf", join(dir, "t.tar.zst"), "-C", join(dir, "in"), "."]);
    rmSync(join(dir, "in"), { recursive: true });
    r = scanForKeys([join(dir, "pem.gz"), join(dir, "t.tar.zst")], needles);
    const where = new Set(r.hits.map((h) => h.where));
    // (zstd may store random bytes as they are: the archive itself can be a hit too.)
    for (const w of [`${join(dir, "pem.gz")}!/pem`, `${join(dir, "t.tar.zst")}!/sub/k.der`])
      assert.ok(where.has(w), `${w} in ${[...where].join(", ")}`);
    assert.ok(r.archives >= 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
