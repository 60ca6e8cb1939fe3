/**
 * End-to-end tests of stage tarballs (needs root, GNU tar, attr, and the compressors): a round
 * trip keeps xattrs, symlinks, device nodes, numeric owners and set-id modes; packing is
 * byte-for-byte reproducible; a failed or cancelled pack leaves nothing at the output name.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packTarball, unpackTarball } from "../../../src/image/tarball.js";
import { listContents } from "../../../src/store/contents.js";
import { compressionExtension } from "../../../src/spec/compression.js";

const SDE = 1700000000;

function makeTree(): string {
  const base = mkdtempSync(join(tmpdir(), "substrate-tar-"));
  const src = join(base, "src");
  mkdirSync(join(src, "usr/bin"), { recursive: true });
  mkdirSync(join(src, "dev"));
  writeFileSync(join(src, "usr/bin/suid"), "#!/bin/sh\n");
  chownSync(join(src, "usr/bin/suid"), 1234, 5678);
  chmodSync(join(src, "usr/bin/suid"), 0o4755);
  writeFileSync(join(src, "attr"), "with xattr\n");
  execFileSync("setfattr", ["-n", "user.test", "-v", "hello", join(src, "attr")]);
  symlinkSync("usr/bin", join(src, "bin"));
  execFileSync("mknod", [join(src, "dev/null"), "c", "1", "3"]);
  // A file newer than SOURCE_DATE_EPOCH (clamped) and one older (kept).
  writeFileSync(join(src, "new"), "new\n");
  writeFileSync(join(src, "old"), "old\n");
  utimesSync(join(src, "old"), 1000000000, 1000000000);
  return base;
}

void describe("tarball", () => {
  for (const mode of ["zstd", "xz", "pixz", "lbzip2", "bzip2", "gzip", "tar"]) {
    void it(`${mode}: round trip keeps xattrs, symlinks, devices, owners, modes`, async () => {
      const base = makeTree();
      const ext = compressionExtension(mode);
      assert.ok(ext !== undefined);
      const output = join(base, `stage${ext}`);
      const packed = await packTarball({
        source: join(base, "src"),
        output,
        mode,
        sourceDateEpoch: SDE,
        jobs: 2,
      });
      assert.ok(packed.ok, JSON.stringify(packed));
      assert.equal(existsSync(`${output}.partial`), false);
      const dest = join(base, "dest");
      mkdirSync(dest);
      const unpacked = await unpackTarball({ input: output, dest });
      assert.ok(unpacked.ok, JSON.stringify(unpacked));
      const suid = lstatSync(join(dest, "usr/bin/suid"));
      assert.equal(suid.mode & 0o7777, 0o4755);
      assert.equal(suid.uid, 1234);
      assert.equal(suid.gid, 5678);
      assert.equal(readlinkSync(join(dest, "bin")), "usr/bin");
      const dev = lstatSync(join(dest, "dev/null"));
      assert.ok(dev.isCharacterDevice());
      assert.equal(dev.rdev, lstatSync(join(base, "src/dev/null")).rdev);
      const xattr = execFileSync(
        "getfattr",
        ["--only-values", "-n", "user.test", join(dest, "attr")],
        {
          encoding: "utf8",
        },
      );
      assert.equal(xattr, "hello");
      assert.equal(lstatSync(join(dest, "new")).mtimeMs, SDE * 1000);
      assert.equal(lstatSync(join(dest, "old")).mtimeMs, 1000000000 * 1000);
    });
  }

  for (const mode of ["zstd", "xz", "lbzip2", "gzip", "tar"]) {
    void it(`${mode}: two packs of the same tree are byte-identical, whatever the thread count`, async () => {
      const base = makeTree();
      // Enough incompressible data for several compressor blocks.
      writeFileSync(
        join(base, "src/big"),
        Buffer.alloc(3 << 20, 7).map((_, i) => (i * 2654435761) >>> 24),
      );
      const a = join(base, `a${compressionExtension(mode) ?? ".tar"}`);
      const b = join(base, `b${compressionExtension(mode) ?? ".tar"}`);
      const ra = await packTarball({
        source: join(base, "src"),
        output: a,
        mode,
        sourceDateEpoch: SDE,
        jobs: 1,
      });
      // Touch atimes/ctimes between the packs: they must not matter.
      chmodSync(join(base, "src/new"), 0o644);
      readFileSync(join(base, "src/new"));
      const rb = await packTarball({
        source: join(base, "src"),
        output: b,
        mode,
        sourceDateEpoch: SDE,
        jobs: 4,
      });
      assert.ok(ra.ok && rb.ok);
      assert.ok(readFileSync(a).equals(readFileSync(b)), `${mode} output differs between packs`);
    });
  }

  void it("lists a tarball with numeric owners in UTC", async () => {
    const base = makeTree();
    const output = join(base, "s.tar.zst");
    assert.ok(
      (await packTarball({ source: join(base, "src"), output, mode: "zstd", sourceDateEpoch: SDE }))
        .ok,
    );
    const listing = await listContents(output);
    assert.ok(listing.ok, JSON.stringify(listing));
    assert.match(
      listing.value,
      /^-rwsr-xr-x\s+1234\/5678\s.* 2023-11-14 22:13:20 \.\/usr\/bin\/suid$/m,
    );
    assert.match(listing.value, /^lrwxrwxrwx\s+0\/0\s.* \.\/bin -> usr\/bin$/m);
  });

  void it("refuses unknown modes and names, and leaves no partial file when tar fails or is cancelled", async () => {
    const base = makeTree();
    const bad = await packTarball({
      source: join(base, "src"),
      output: join(base, "x"),
      mode: "rar",
      sourceDateEpoch: SDE,
    });
    assert.ok(!bad.ok && bad.error.reason === "unknown-mode");
    const sq = await packTarball({
      source: join(base, "src"),
      output: join(base, "x"),
      mode: "squashfs_zstd",
      sourceDateEpoch: SDE,
    });
    assert.ok(!sq.ok && sq.error.reason === "unknown-mode");
    const fmt = await unpackTarball({ input: join(base, "x.rar"), dest: base });
    assert.ok(!fmt.ok && fmt.error.reason === "unknown-format");
    // An unreadable source: tar fails, nothing at the final name.
    const out = join(base, "fail.tar.xz");
    const failed = await packTarball({
      source: "/proc/self/fdinfo",
      output: join(base, "nodir/x.tar"),
      mode: "tar",
      sourceDateEpoch: SDE,
    });
    assert.ok(!failed.ok && failed.error.reason === "command-failed", JSON.stringify(failed));
    // Cancelled mid-way.
    writeFileSync(
      join(base, "src/big"),
      Buffer.alloc(64 << 20, 1).map((_, i) => (i * 2654435761) >>> 24),
    );
    const ac = new AbortController();
    setTimeout(() => {
      ac.abort();
    }, 200);
    const cancelled = await packTarball({
      source: join(base, "src"),
      output: out,
      mode: "xz",
      sourceDateEpoch: SDE,
      signal: ac.signal,
      jobs: 1,
    });
    assert.ok(!cancelled.ok && cancelled.error.reason === "cancelled", JSON.stringify(cancelled));
    assert.deepEqual(
      readdirSync(base).filter((n) => n.startsWith("fail")),
      [],
    );
  });
});
