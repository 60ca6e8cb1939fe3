/**
 * The real-Portage tier (docs/real-portage-tier.md): catalyst's stage1 emerges run by the real
 * Portage 3.0.82 in the Portage seed (scripts/portage-tier/seed.sh, cached under
 * /var/cache/substrate/portage-tier by its inputs) against the generated ebuild repository, and
 * the VDB Portage wrote is read back with the driver's own reader. Needs root, mmdebstrap and
 * Debian's archive (the first run builds the seed: several minutes; later runs about a minute).
 * Any failing emerge fails the script and so this test.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { readVdb } from "../../src/drivers/portage/licences.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const CACHE = "/var/cache/substrate/portage-tier";

void test(
  "real emerge: baselayout (USE=build) and packages.build into /tmp/stage1root",
  { timeout: 45 * 60_000 },
  () => {
    const r = spawnSync("bash", [join(REPO, "scripts/portage-tier/prove-stage1.sh")], {
      encoding: "utf8",
      env: { ...process.env, PORTAGE_TIER_CACHE: CACHE },
      maxBuffer: 64 * 1024 * 1024,
    });
    const out = `${r.stdout}\n${r.stderr}`;
    assert.equal(r.status, 0, out);
    for (const line of [
      "OK Portage refused the altered distfile",
      "packages.build: sys-apps/baselayout app-arch/bzip2",
      "OK baselayout merged into /tmp/stage1root with USE=build (skeleton only)",
      "OK the compiled bzip2 round-trips with its own libbz2",
    ]) {
      assert.ok(r.stdout.includes(line), `missing "${line}" in:\n${out}`);
    }
    for (const t of r.stdout.split("\n").filter((l) => l.startsWith("TIME "))) console.log(t);

    // The chroot was an overlay over the unpacked seed; what the run wrote is in its upper layer.
    const stage1root = join(CACHE, "proof/upper/tmp/stage1root");
    const vdb = readVdb(join(stage1root, "var/db/pkg"));
    assert.deepEqual(
      vdb.map((p) => [p.name, p.version, p.license]),
      [
        ["app-arch/bzip2", "1.0.8", "BZIP2"],
        ["sys-apps/baselayout", "2.17", "GPL-2"],
      ],
    );
    const contents = readFileSync(
      join(stage1root, "var/db/pkg/app-arch/bzip2-1.0.8/CONTENTS"),
      "utf8",
    );
    assert.match(contents, /^obj \/usr\/lib64\/libbz2\.so\.1\.0\.8 [0-9a-f]{32} \d+$/m);
    const header = readFileSync(join(stage1root, "usr/include/bzlib.h"), "utf8");
    assert.match(header, /BZ2_bzCompressInit/);
    // The seed's own root stays untouched: nothing was merged into "/".
    assert.deepEqual(readVdb(join(CACHE, "proof/root/var/db/pkg")), []);
  },
);
