/**
 * `.DIGESTS` in Gentoo's format: golden text (hex values from coreutils `b2sum`/`sha512sum`),
 * parsing of Gentoo's published files (clear-signed, BSD lines, paths), and seed verification.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  formatDigests,
  hashFile,
  makeDigests,
  makeSha256File,
  parseDigests,
  verifyDigests,
} from "../../../src/store/digests.js";

const CONTENT = "hello substrate\n";
// `b2sum` and `sha512sum` of CONTENT (coreutils), computed once.
const B2 =
  "34ee628cc23f7cc2bd0d46c435f3fc28049d789eb5d407803718a3d5c9520e4df674ec6afec8e9c63f214dd9bf17b67dd19d1e111d4f60ed698a10468e19ca49";
const SHA512 =
  "80e7ce585ef0d5a68b9f21085867acad33b3895b6d56b2ef2d5cbcb225072178e1523c6f25075e7fa5125addbcccc662d2f487a2e60ce04603b683d43ae5b5c1";
const SHA256 = "0ee33f2bba858884bb67a28253f71cb80103bf556905e8e036d151513e6d78f6";

function fixture(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "substrate-digests-"));
  const file = join(dir, "stage3-amd64-20260101.tar.xz");
  writeFileSync(file, CONTENT);
  return { dir, file };
}

void describe("digests", () => {
  void it("hashes like b2sum and sha512sum", async () => {
    const { file } = fixture();
    const d = await hashFile(file, ["BLAKE2B", "SHA512", "SHA256"]);
    assert.deepEqual(d, { ok: true, value: { BLAKE2B: B2, SHA512: SHA512, SHA256: SHA256 } });
  });

  void it("writes Gentoo's DIGESTS layout: per file, BLAKE2B then SHA512", async () => {
    const { file } = fixture();
    const contents = `${file}.CONTENTS.gz`;
    writeFileSync(contents, CONTENT);
    const text = await makeDigests(file, contents);
    assert.ok(text.ok);
    assert.equal(
      text.value,
      [
        "# BLAKE2B HASH",
        `${B2}  stage3-amd64-20260101.tar.xz`,
        "# SHA512 HASH",
        `${SHA512}  stage3-amd64-20260101.tar.xz`,
        "# BLAKE2B HASH",
        `${B2}  stage3-amd64-20260101.tar.xz.CONTENTS.gz`,
        "# SHA512 HASH",
        `${SHA512}  stage3-amd64-20260101.tar.xz.CONTENTS.gz`,
        "",
      ].join("\n"),
    );
    const sha = await makeSha256File(file);
    assert.deepEqual(sha, {
      ok: true,
      value: `# SHA256 HASH\n${SHA256}  stage3-amd64-20260101.tar.xz\n`,
    });
    assert.throws(() => formatDigests([{ name: "x", digests: {} }]), /Internal error/);
  });

  void it("parses clear-signed, BSD-style and path-carrying lines", () => {
    const text = [
      "-----BEGIN PGP SIGNED MESSAGE-----",
      "Hash: SHA512",
      "",
      "# BLAKE2B HASH",
      `${B2}  stage3-amd64-20260101.tar.xz`,
      "# SHA512 HASH",
      `${SHA512.toUpperCase()}  20260101T000000Z/stage3-amd64-20260101.tar.xz`,
      `SHA256 (stage3-amd64-20260101.tar.xz) = ${SHA256}`,
      "# WHIRLPOOL HASH",
      "00ff00ff00ff00ff00ff00ff00ff00ff00ff  stage3-amd64-20260101.tar.xz",
      "-----BEGIN PGP SIGNATURE-----",
      "",
      "iQIzBAEBCgAdFiEE0000000000000000000000000000000000000000000000",
      "-----END PGP SIGNATURE-----",
    ].join("\n");
    const entries = parseDigests(text);
    assert.deepEqual(
      entries.map((e) => [e.algorithm, e.name, e.hex.slice(0, 8)]),
      [
        ["BLAKE2B", "stage3-amd64-20260101.tar.xz", B2.slice(0, 8)],
        ["SHA512", "stage3-amd64-20260101.tar.xz", SHA512.slice(0, 8)],
        ["SHA256", "stage3-amd64-20260101.tar.xz", SHA256.slice(0, 8)],
        ["WHIRLPOOL", "stage3-amd64-20260101.tar.xz", "00ff00ff"],
      ],
    );
  });

  void it("verifies a seed, and names the algorithm on a mismatch", async () => {
    const { dir, file } = fixture();
    const digests = join(dir, "d.DIGESTS");
    writeFileSync(
      digests,
      `# SHA512 HASH\n${SHA512}  stage3-amd64-20260101.tar.xz\n# WHIRLPOOL HASH\nabcdef0123456789abcdef0123456789  stage3-amd64-20260101.tar.xz\n`,
    );
    assert.deepEqual(await verifyDigests(file, digests), { ok: true, value: ["SHA512"] });
    writeFileSync(
      digests,
      `# BLAKE2B HASH\n${B2}  stage3-amd64-20260101.tar.xz\n# SHA512 HASH\n${"0".repeat(128)}  stage3-amd64-20260101.tar.xz\n`,
    );
    const bad = await verifyDigests(file, digests);
    assert.ok(!bad.ok && bad.error.reason === "mismatch");
    assert.equal(bad.error.algorithm, "SHA512");
    writeFileSync(digests, `# SHA512 HASH\n${SHA512}  other.tar.xz\n`);
    const none = await verifyDigests(file, digests);
    assert.ok(!none.ok && none.error.reason === "no-entry");
    const unreadable = await verifyDigests(file, join(dir, "missing.DIGESTS"));
    assert.ok(!unreadable.ok && unreadable.error.reason === "unreadable");
  });
});
