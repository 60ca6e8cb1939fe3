import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ISO9660_SIGNATURE_OFFSET, checkIsoMedium } from "../../../src/boot/medium.js";

void describe("checkIsoMedium", () => {
  const dir = mkdtempSync(join(tmpdir(), "substrate-medium-"));

  void it("accepts a file with the ISO 9660 signature at byte 32769", () => {
    const iso = Buffer.alloc(64 * 1024);
    iso.write("\x01CD001\x01", ISO9660_SIGNATURE_OFFSET - 1, "latin1");
    writeFileSync(join(dir, "good.iso"), iso);
    assert.deepEqual(checkIsoMedium(join(dir, "good.iso")), { ok: true, value: undefined });
  });

  void it("refuses junk, a short file, a folder and a missing file, each with its message", () => {
    writeFileSync(join(dir, "junk.iso"), Buffer.alloc(64 * 1024, 0x41));
    writeFileSync(join(dir, "short.iso"), "CD001");
    const message = (p: string): string => {
      const r = checkIsoMedium(p);
      if (r.ok) assert.fail(`${p} was accepted`);
      return r.error.message;
    };
    assert.match(message(join(dir, "junk.iso")), /junk\.iso is not an ISO 9660 image/);
    assert.match(message(join(dir, "short.iso")), /short\.iso is not an ISO 9660 image/);
    assert.equal(message(dir), `${dir} is not a file`);
    assert.equal(message(join(dir, "nope.iso")), `${join(dir, "nope.iso")} does not exist`);
  });
});
