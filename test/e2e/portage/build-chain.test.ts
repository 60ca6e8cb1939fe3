/**
 * `substrate build` on a small Portage tree (recording stand-in emerge): a fake stage3 seed made
 * from busybox-static and a tiny snapshot in the cache; the chain stage1 -> stage2 -> stage3 ->
 * stage4 and embedded runs through the real CLI, targets and driver, and the published stages
 * carry catalyst's final state (make.conf without build-only lines, no repo mount points, reset
 * world file, the recorded commands of each stage). Needs root.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { runCli } from "../../helpers/cli.js";
import { scratch, tinySnapshot } from "./autobuild-fixture.js";
import { makeFakeGentoo } from "./fake-gentoo.js";

let base: string;

before(() => {
  base = scratch("chain");
  const seed = join(base, "seedroot");
  mkdirSync(seed);
  makeFakeGentoo(seed);
  const folder = join(base, "builds", "amd64", "default");
  mkdirSync(folder, { recursive: true });
  const seedName = "stage3-amd64-openrc-20251231T170000Z.tar.xz";
  execFileSync("tar", ["-cJf", join(folder, seedName), "-C", seed, "."]);
  symlinkSync(seedName, join(folder, "stage3-amd64-latest.tar.xz"));
  mkdirSync(join(base, "cache", "snapshots"), { recursive: true });
  const sqfs = join(base, "cache", "snapshots", "gentoo-20260101.lzo.sqfs");
  writeFileSync(sqfs, tinySnapshot(base));
  writeFileSync(`${sqfs}.DIGESTS`, `# SHA512 HASH\n${"1".repeat(128)}  gentoo-20260101.lzo.sqfs\n`);
  const specs = join(base, "tree", "specs", "amd64", "default");
  mkdirSync(specs, { recursive: true });
  writeFileSync(
    join(base, "tree", "substrate.toml"),
    [
      'name = "chain"',
      'driver = "portage"',
      "mirrors = []",
      "[store]",
      `builds = "${join(base, "builds")}"`,
      `logs = "${join(base, "logs")}"`,
      `cache = "${join(base, "cache")}"`,
      "[arch.amd64]",
      'subarch = "amd64"',
      'builds = ["default:stage1", "default:stage2", "default:stage3", "default:stage4", "default:embedded"]',
      "",
    ].join("\n"),
  );
  const common = "profile: default/linux/amd64/23.0\ncompression_mode: xz\ncatalyst_use: bindist\n";
  const spec = (name: string, text: string): void => {
    writeFileSync(join(specs, `${name}.spec`), text + common);
  };
  spec("stage1", "source_subpath: amd64/default/stage3-amd64-latest\nupdate_seed: no\n");
  spec("stage2", "source_subpath: amd64/default/stage1-amd64-latest\n");
  spec("stage3", "source_subpath: amd64/default/stage2-amd64-latest\n");
  spec(
    "stage4",
    "source_subpath: amd64/default/stage3-amd64-latest\nstage4/packages: app-editors/nano\nstage4/use: ipv6\n",
  );
  spec(
    "embedded",
    "source_subpath: amd64/default/stage3-amd64-latest\nembedded/packages: sys-apps/busybox\n",
  );
});

after(() => {
  rmSync(base, { recursive: true, force: true });
});

function member(tarball: string, path: string): string {
  return execFileSync("tar", ["-xJOf", tarball, path]).toString();
}

function listing(tarball: string): string[] {
  return execFileSync("tar", ["-tJf", tarball]).toString().split("\n");
}

void it("substrate build runs stage1 -> stage2 -> stage3 -> stage4 + embedded on Portage (recording stand-in emerge: every command and environment is recorded and compared with catalyst's, in seconds; real-chain.test.ts builds the same chain with the real emerge)", async () => {
  const r = await runCli(["build", join(base, "tree"), "--date", "20260101", "--json"], {
    cwd: base,
    timeoutMs: 110_000,
  });
  assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
  const out = join(base, "builds", "amd64", "default");
  for (const s of ["stage1", "stage2", "stage3", "stage4", "embedded"]) {
    assert.equal(
      readlinkSync(join(out, `${s}-amd64-latest.tar.xz`)),
      `20260101/${s}-amd64-20260101.tar.xz`,
    );
  }
  const stage1 = join(out, "20260101", "stage1-amd64-20260101.tar.xz");
  // stage1 captured /tmp/stage1root: the packages.build packages, not the seed's.
  const s1 = listing(stage1);
  assert.ok(s1.includes("./var/db/pkg/sys-devel/gcc-1.0/"));
  assert.ok(!s1.includes("./var/db/pkg/sys-apps/baselayout-2.15/"));
  const stage3 = join(out, "20260101", "stage3-amd64-20260101.tar.xz");
  assert.deepEqual(
    member(stage3, "./var/log/record.log")
      .split("\n")
      .filter((l) => l.startsWith("emerge"))
      .map((l) => l.replace(/^.*\|--quiet.*--newuse /, "")),
    ["-e --update --deep --with-bdeps=y @system", "--depclean --with-bdeps=y"],
  );
  assert.equal(member(stage3, "./var/lib/portage/world"), "");
  const conf = member(stage3, "./etc/portage/make.conf");
  assert.doesNotMatch(conf, /bindist|ACCEPT_LICENSE|CATALYST_USE/);
  assert.match(conf, /^CHOST="x86_64-pc-linux-gnu"$/m);
  assert.ok(
    !listing(stage3).some((p) => p.startsWith("./var/db/repos/")),
    "no repo mount point is captured",
  );
  assert.equal(
    readlinkSync(join(base, "builds", "amd64", "default", "stage3-amd64-latest.tar.xz")),
    "20260101/stage3-amd64-20260101.tar.xz",
  );
  const stage4 = join(out, "20260101", "stage4-amd64-20260101.tar.xz");
  assert.match(member(stage4, "./etc/portage/make.conf"), /^USE="ipv6"$/m);
  assert.ok(listing(stage4).includes("./var/db/pkg/app-editors/nano-1.0/"));
  const embedded = listing(join(out, "20260101", "embedded-amd64-20260101.tar.xz"));
  assert.ok(embedded.includes("./var/db/pkg/sys-apps/busybox-1.0/"));
  assert.ok(!embedded.includes("./bin/busybox"), "embedded captures only the merge root");
});
