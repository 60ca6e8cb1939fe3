/** Which `livecd/fsops` leave a squashfs's content equal to the folder it was made from. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { squashfsKeepsContent } from "../../../src/image/squashfs.js";

void describe("squashfsKeepsContent", () => {
  void it("encoding options keep the content", () => {
    assert.ok(squashfsKeepsContent([]));
    assert.ok(squashfsKeepsContent(["-comp", "zstd", "-Xcompression-level", "3", "-b", "1M"]));
    assert.ok(squashfsKeepsContent(["-comp", "xz", "-Xbcj", "x86", "-no-fragments"]));
  });

  void it("options that filter or rewrite files do not", () => {
    assert.equal(squashfsKeepsContent(["-e", "boot"]), false);
    assert.equal(squashfsKeepsContent(["-comp", "zstd", "-all-root"]), false);
    assert.equal(squashfsKeepsContent(["-no-xattrs"]), false);
    assert.equal(squashfsKeepsContent(["-ef", "/tmp/excludes"]), false);
  });
});
