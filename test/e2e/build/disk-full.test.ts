// Disk full, for real (root, mmdebstrap and apt against Debian's archive): a stage3 build whose
// store is a 20 MiB tmpfs runs out of space while it packs the tarball. It must fail cleanly:
// exit non-zero with a typed `no-space` failure naming the full file system and its free space,
// no stack trace, nothing under the store's public names, no staging or work folder left, no
// mount referring to the work folder and no process of the build left. Uses /var/cache/substrate
// as the package cache; the tmpfs lives in a private mount namespace (gone with the run).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { aptTreeConfig, writeFile as write } from "../../helpers/apt-tree.js";
import { CLI_BIN, type JsonEvent } from "../../helpers/cli.js";

const CACHE = "/var/cache/substrate";
const STORE_SIZE = "20m";

/** Processes whose command line mentions `needle`. */
function processesMentioning(needle: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((n) => /^[0-9]+$/.test(n))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
      if (cmd.includes(needle)) found.push(`${pid}: ${cmd}`);
    } catch {
      // gone
    }
  }
  return found;
}

void test(
  "a build whose store fills up fails cleanly and frees what it took",
  { timeout: 30 * 60_000 },
  () => {
    const work = mkdtempSync(join(tmpdir(), "substrate-diskfull-"));
    const tree = join(work, "tree");
    write(join(tree, "substrate.toml"), aptTreeConfig("diskfull", ["diskfull:stage3"]));
    write(join(tree, "specs/amd64/diskfull/stage3.spec"), "compression_mode: gzip\n");
    const store = join(work, "builds");
    const listing = join(work, "listing");
    const workFolder = join(CACHE, "work", "amd64_diskfull_stage3");
    // Inside a private mount namespace: a 20 MiB tmpfs as the store, the build, then what the
    // store holds and how much of it is free, before the namespace (and the tmpfs) goes away.
    const script = `mkdir -p "$1" && mount -t tmpfs -o size=${STORE_SIZE} tmpfs "$1" || exit 99
"$2" --enable-source-maps "$3" build "$4" --json --date 20260102 --cache "$5"
rc=$?
(cd "$1" && find . | sort; df -B1 --output=avail . | tail -1) > "$6"
exit $rc`;
    const r = spawnSync(
      "unshare",
      [
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        script,
        "sh",
        store,
        process.execPath,
        CLI_BIN,
        tree,
        CACHE,
        listing,
      ],
      { cwd: work, encoding: "utf8", timeout: 25 * 60_000, maxBuffer: 64 << 20 },
    );
    assert.notEqual(r.status, 99, "could not mount the tmpfs store");
    assert.notEqual(r.status, 0, "the build must fail");
    assert.equal(r.status, 1, `exit status ${r.status}; stderr:\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /^\s+at /m, `a stack trace:\n${r.stderr}`);
    const events = r.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as JsonEvent);
    const failed = events.filter((e) => e.type === "stage-failed");
    assert.equal(failed.length, 1, r.stdout.slice(-4000));
    const f = failed[0] ?? { type: "" };
    assert.equal(f["reason"], "no-space", JSON.stringify(f));
    const message = String(f["message"]);
    assert.match(message, new RegExp(`^no space left on ${store}`), message);
    assert.match(message, /: [0-9.]+ (B|KiB|MiB) free of 20\.0 MiB/, message);

    // Nothing under public names: no tarball, no sidecars, no staging folder, no stamp.
    const lines = readFileSync(listing, "utf8").trim().split("\n");
    const avail = Number(lines.pop());
    const files = lines.filter((l) => l !== ".");
    const published = files.filter(
      (l) =>
        /stage3-amd64-diskfull-[^/]*\.(tar|gz|xz|zst|DIGESTS|CONTENTS|sha256|stamp)/.test(l) &&
        !l.endsWith(".log"),
    );
    assert.deepEqual(published, [], files.join("\n"));
    assert.deepEqual(
      files.filter((l) => l.includes(".tmp-")),
      [],
      files.join("\n"),
    );
    // What the build wrote is freed: only the log (and lock folder) are left.
    assert.ok(avail > 18 * 1024 * 1024, `only ${avail} bytes free in the store after the failure`);

    assert.equal(existsSync(workFolder), false, `${workFolder} left behind`);
    const mounts = readFileSync("/proc/self/mountinfo", "utf8")
      .split("\n")
      .filter((l) => l.includes(workFolder) || l.includes(work));
    assert.deepEqual(mounts, []);
    assert.deepEqual(processesMentioning(workFolder), []);
    assert.deepEqual(processesMentioning(tree), []);
  },
);
