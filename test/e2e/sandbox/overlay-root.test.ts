/**
 * End-to-end tests of overlay roots (needs root, overlayfs, util-linux, busybox-static): a
 * read-only lower root joined with a writable upper folder in a holder's private mount
 * namespace, reached through /proc/<pid>/root, with chroot commands run inside it. The lower
 * root is never written, and the host's mount table never sees the overlay.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInChroot } from "../../../src/sandbox/chroot.js";
import { openOverlayRoot } from "../../../src/sandbox/overlay-root.js";
import { copyOverlayInto } from "../../../src/sandbox/root-overlay.js";
import { removeInRoot } from "../../../src/sandbox/root-glob.js";
import { hostMounts, makeBusyboxRoot, pidsMatching } from "./busybox-root.js";

/** Opens an overlay root over `lower` with its other folders in `work`. */
function openIn(work: string, lower: string): ReturnType<typeof openOverlayRoot> {
  return openOverlayRoot({
    lower,
    upper: join(work, "upper"),
    work: join(work, "work"),
    mountPoint: join(work, "root"),
  });
}

void describe("openOverlayRoot", () => {
  void it("joins a read-only lower root with an upper folder; chroot runs see the merged root", async () => {
    const lower = makeBusyboxRoot();
    writeFileSync(join(lower, "etc-file"), "from lower\n");
    const work = mkdtempSync(join(tmpdir(), "substrate-ovl-"));
    const before = hostMounts();
    const lowerBefore = readdirSync(lower).sort();
    const o = await openIn(work, lower);
    assert.ok(o.ok, JSON.stringify(o));
    const root = o.value.path;
    assert.match(root, /^\/proc\/\d+\/root\//);
    assert.deepEqual(hostMounts(), before, "the overlay is not on the host");
    assert.deepEqual(readdirSync(join(work, "root")), [], "the host sees an empty mount point");

    // Writes through the /proc path land in the upper folder, never in the lower root.
    const overlayDir = mkdtempSync(join(tmpdir(), "substrate-ovl-src-"));
    writeFileSync(join(overlayDir, "etc-file"), "from the overlay\n");
    assert.ok(copyOverlayInto(root, overlayDir).ok);
    assert.ok(removeInRoot(root, "/bin/ls").ok);
    const r = await runInChroot({
      root,
      script: "cat /etc-file; echo made > /made-inside; test ! -e /bin/ls && echo ls-gone",
      captureStdout: true,
    });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.stdout, "from the overlay\nls-gone\n");
    assert.equal(readFileSync(join(root, "made-inside"), "utf8"), "made\n");
    assert.deepEqual(hostMounts(), before, "the chroot's mounts stayed in its namespace");

    await o.value.close();
    await o.value.close(); // idempotent
    assert.equal(readFileSync(join(lower, "etc-file"), "utf8"), "from lower\n");
    assert.ok(existsSync(join(lower, "bin/ls")), "the lower root keeps what the merged root lost");
    assert.deepEqual(readdirSync(lower).sort(), lowerBefore, "nothing new in the lower root");
    assert.equal(readFileSync(join(work, "upper", "made-inside"), "utf8"), "made\n");
    assert.ok(!existsSync(`/proc/${o.value.pid}`), "the holder has ended");
    assert.deepEqual(hostMounts(), before);
  });

  void it("reports why when the overlay cannot be made, and leaves no holder", async () => {
    const work = mkdtempSync(join(tmpdir(), "substrate-ovl-"));
    const missing = await openIn(work, join(work, "no-such-lower"));
    assert.ok(!missing.ok);
    assert.match(missing.error.message, /no-such-lower/);
    // The lower root is a file: the mount itself fails, and the holder exits with its reason.
    writeFileSync(join(work, "a-file"), "");
    const bad = await openIn(work, join(work, "a-file"));
    assert.ok(!bad.ok);
    assert.match(bad.error.message, /cannot mount the overlay root/);
    assert.deepEqual(pidsMatching(`substrate-overlay.*${work}`), [], "no holder is left");
  });
});
