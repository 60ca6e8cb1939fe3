import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { linkSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkCandidate, deleteCandidates, storeFolderProblem } from "../../../src/store/clean.js";
import { diskUsage, formatBytes } from "../../../src/store/usage.js";

function dirs(): { store: string; outside: string } {
  const store = mkdtempSync(join(tmpdir(), "substrate-clean-unit-"));
  const outside = mkdtempSync(join(tmpdir(), "substrate-clean-out-"));
  return { store, outside };
}

void describe("clean's checks", () => {
  void it("refuses a store folder that is really / or a system folder", () => {
    const { store } = dirs();
    symlinkSync("/", join(store, "root"));
    assert.match(storeFolderProblem(join(store, "root")) ?? "", /really \/\) a system folder/);
    assert.match(storeFolderProblem("/usr") ?? "", /system folder/);
    assert.equal(storeFolderProblem(store), undefined);
    assert.equal(storeFolderProblem(join(store, "missing")), undefined);
  });

  void it("deletes a file and a folder inside the store", () => {
    const { store } = dirs();
    writeFileSync(join(store, "f"), "x");
    mkdirSync(join(store, "d/e"), { recursive: true });
    const checked = ["f", "d"].map((n) =>
      checkCandidate({ what: "t", path: join(store, n), within: store }),
    );
    assert.deepEqual(
      checked.map((c) => c.verdict),
      ["delete", "delete"],
    );
    const done = deleteCandidates(checked);
    assert.ok(done.every((d) => d.deleted));
    assert.equal(existsSync(join(store, "f")), false);
    assert.equal(existsSync(join(store, "d")), false);
  });

  void it("refuses a symlink leading out of the store and a path whose parent is outside", () => {
    const { store, outside } = dirs();
    writeFileSync(join(outside, "precious"), "keep");
    mkdirSync(join(outside, "sub"));
    writeFileSync(join(outside, "sub/x"), "keep");
    symlinkSync(join(outside, "precious"), join(store, "link"));
    symlinkSync(join(outside, "sub"), join(store, "dated"));
    const link = checkCandidate({ what: "t", path: join(store, "link"), within: store });
    assert.equal(link.verdict, "refuse");
    const through = checkCandidate({ what: "t", path: join(store, "dated/x"), within: store });
    assert.match(through.verdict === "refuse" ? through.why : "", /outside the store/);
    assert.deepEqual(deleteCandidates([link, through]), []);
    assert.equal(existsSync(join(outside, "precious")), true);
    assert.equal(existsSync(join(outside, "sub/x")), true);
  });

  void it("deletes a symlink inside the store as a link, never its target", () => {
    const { store } = dirs();
    mkdirSync(join(store, "target"));
    writeFileSync(join(store, "target/f"), "x");
    symlinkSync("target", join(store, "link"));
    const c = checkCandidate({ what: "t", path: join(store, "link"), within: store });
    assert.equal(c.verdict, "delete");
    deleteCandidates([c]);
    assert.equal(existsSync(join(store, "link")), false);
    assert.equal(existsSync(join(store, "target/f")), true);
  });
});

void describe("disk usage", () => {
  void it("counts hard links once and symlinks as themselves", () => {
    const { store, outside } = dirs();
    writeFileSync(join(outside, "big"), Buffer.alloc(1 << 20));
    writeFileSync(join(store, "a"), Buffer.alloc(64 << 10, 1));
    linkSync(join(store, "a"), join(store, "b"));
    symlinkSync(join(outside, "big"), join(store, "s"));
    const u = diskUsage(store);
    assert.ok(u.bytes >= 64 << 10 && u.bytes < 200 << 10, String(u.bytes));
    assert.equal(u.entries, 4);
    assert.equal(formatBytes(1536), "1.5 KiB");
    assert.equal(formatBytes(12), "12 B");
  });
});
