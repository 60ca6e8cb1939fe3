/** The one compression-mode table: extensions written, extensions read, names a spec may use. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CATALYST_COMPRESSION_MODES,
  SPEC_COMPRESSION_MODES,
  COMPRESSION_MODES,
  TARBALL_MODES,
  baseCompressionMode,
  compressionExtension,
  tarballModeForFile,
} from "../../../src/spec/compression.js";

void describe("compression modes", () => {
  void it("maps every compression mode of catalyst §2.10 to its extension", () => {
    const table: [string, string][] = [
      ["lbzip2", ".tar.bz2"],
      ["bzip2", ".tar.bz2"],
      ["lbzip2_x", ".tar.bz2"],
      ["pixz", ".tar.xz"],
      ["xz", ".tar.xz"],
      ["gzip", ".tar.gz"],
      ["tar", ".tar"],
      ["lzip", ".tar.lzip"],
      ["lzma", ".tar.lzma"],
      ["lzop", ".tar.lzop"],
      ["squashfs_zstd", ".squashfs"],
      ["squashfs_xz", ".squashfs"],
      ["squashfs_gzip", ".squashfs"],
      ["rsync", ""],
    ];
    for (const [mode, ext] of table) assert.equal(compressionExtension(mode), ext, mode);
    assert.equal(compressionExtension(undefined), ".tar.bz2");
    assert.equal(compressionExtension("zip"), undefined);
  });

  void it("maps catalyst modes to extensions", () => {
    const cases: [string, string][] = [
      ["lbzip2", ".tar.bz2"],
      ["bzip2_x", ".tar.bz2"],
      ["pixz", ".tar.xz"],
      ["xz", ".tar.xz"],
      ["gzip", ".tar.gz"],
      ["zstd", ".tar.zst"],
      ["tar", ".tar"],
      ["squashfs_zstd", ".squashfs"],
      ["rsync", ""],
    ];
    for (const [mode, ext] of cases) {
      const parsed = baseCompressionMode(mode);
      assert.ok(parsed !== undefined, mode);
      assert.equal(compressionExtension(parsed), ext, mode);
    }
    assert.equal(baseCompressionMode("rar"), undefined);
  });

  void it("reads back every tarball it writes, with the mode's own tool", () => {
    for (const mode of TARBALL_MODES) {
      const ext = compressionExtension(mode);
      assert.ok(ext !== undefined, mode);
      const read = tarballModeForFile(`stage3${ext}`);
      assert.ok(read !== undefined, `${mode}: ${ext} is not readable`);
      // Same extension, same compression: pixz reads as xz, bzip2 as lbzip2.
      assert.equal(compressionExtension(read), ext, mode);
    }
  });

  void it("also reads the short lzip and lzop names, which it never writes", () => {
    assert.equal(tarballModeForFile("stage3.tar.lz"), "lzip");
    assert.equal(tarballModeForFile("stage3.tar.lzip"), "lzip");
    assert.equal(tarballModeForFile("stage3.tar.lzo"), "lzop");
    assert.equal(tarballModeForFile("stage3.tar.lzop"), "lzop");
    const written = Object.values(COMPRESSION_MODES).map((m) => m.extension);
    assert.ok(!written.includes(".tar.lz") && !written.includes(".tar.lzo"));
  });

  void it("lets a spec name catalyst's modes only, each one in the table", () => {
    assert.ok(CATALYST_COMPRESSION_MODES.includes("lbzip2_x"));
    assert.ok(!CATALYST_COMPRESSION_MODES.includes("zstd"));
    // A spec may name substrate's own modes too (docs/store.md lists zstd).
    assert.ok(SPEC_COMPRESSION_MODES.includes("zstd"));
    for (const m of CATALYST_COMPRESSION_MODES) assert.ok(SPEC_COMPRESSION_MODES.includes(m), m);
    for (const m of CATALYST_COMPRESSION_MODES) assert.ok(compressionExtension(m) !== undefined, m);
  });
});
