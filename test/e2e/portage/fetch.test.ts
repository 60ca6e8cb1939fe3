/**
 * Seeds and snapshots from a fake Gentoo mirror (generated autobuild tree, keys made with gpg in
 * the test, served by node:http on 127.0.0.1): good input is verified and published; a flipped
 * byte, a wrong signature, a missing DIGESTS line and a truncated download are refused with
 * their reason and leave nothing in the store; an interrupted transfer resumes with HTTP Range.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readlinkSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  fetchSeed,
  type FetchSettings,
  type SeedRequest,
} from "../../../src/drivers/portage/seeds.js";
import { fetchSnapshot, unpackedSnapshot } from "../../../src/drivers/portage/snapshot.js";
import type { Event } from "../../../src/report/events.js";
import { DEFAULT_KEYRINGS } from "../../../src/drivers/portage/openpgp.js";
import {
  type MirrorFiles,
  type TestKey,
  SEED_STAMP,
  SNAPSHOT_TREEISH,
  clearSign,
  detachSign,
  digestsText,
  makeKey,
  mirrorFiles,
  scratch,
  startMirror,
} from "./autobuild-fixture.js";

const NAME = `stage3-amd64-openrc-${SEED_STAMP}.tar.xz`;
const BASE = "/releases/amd64/autobuilds";
const TARBALL = `${BASE}/${SEED_STAMP}/${NAME}`;

let dir: string;
let good: TestKey;
let other: TestKey;
let files: MirrorFiles;
let stage3: Buffer;

before(() => {
  dir = scratch("fetch");
  good = makeKey(dir, "release");
  other = makeKey(dir, "intruder");
  ({ files, stage3 } = mirrorFiles(dir, good));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function store(): { builds: string; cache: string; root: string } {
  const root = scratch("store");
  return { root, builds: join(root, "builds"), cache: join(root, "cache") };
}

function request(builds: string): SeedRequest {
  return {
    seedPath: join(builds, "amd64", "default", "stage3-amd64-latest"),
    arch: "amd64",
    subarch: "amd64",
    flavour: "default",
  };
}

function settings(url: string, cache: string, events: Event[] = []): FetchSettings {
  return { mirrors: [url], cacheDir: cache, keyring: good.publicKey, emit: (e) => events.push(e) };
}

/** Every file left under `dir` (recursively), relative names. */
function leftovers(path: string): string[] {
  if (!existsSync(path)) return [];
  return readdirSync(path, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name).slice(path.length + 1));
}

async function withMirror<T>(
  changes: (m: MirrorFiles) => void,
  body: (url: string) => Promise<T>,
): Promise<T> {
  const copy = new Map(files);
  changes(copy);
  const mirror = await startMirror(copy);
  try {
    return await body(mirror.url);
  } finally {
    await mirror.close();
  }
}

void describe("portage seeds from a fake autobuild mirror", () => {
  void it("verifies a good seed (clear-signed pointer and DIGESTS) and links -latest to it", async () => {
    const s = store();
    const events: Event[] = [];
    const r = await withMirror(
      () => undefined,
      (url) => fetchSeed(request(s.builds), settings(url, s.cache, events)),
    );
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.verified.signature, "clear-signed");
    assert.deepEqual([...r.value.verified.algorithms].sort(), ["BLAKE2B", "SHA512"]);
    const folder = join(s.builds, "amd64", "default");
    assert.equal(readlinkSync(join(folder, "stage3-amd64-latest.tar.xz")), NAME);
    assert.ok(existsSync(join(folder, `${NAME}.DIGESTS`)));
    assert.deepEqual(leftovers(join(s.cache, "downloads")), []);
    assert.ok(events.some((e) => e.type === "stage-progress" && e.fraction !== undefined));
    rmSync(s.root, { recursive: true, force: true });
  });

  const refusals: {
    readonly name: string;
    readonly change: (m: MirrorFiles) => void;
    readonly reason: string;
    readonly says: RegExp;
  }[] = [
    {
      name: "a flipped byte in the tarball",
      change: (m) => {
        const b = Buffer.from(stage3);
        b[100] = (b[100] ?? 0) ^ 0xff;
        m.set(TARBALL, b);
      },
      reason: "digest-mismatch",
      says: /digest does not match/,
    },
    {
      name: "a pointer signed by another key",
      change: (m) => {
        const text = `${SEED_STAMP}/${NAME} ${stage3.length}\n`;
        m.set(`${BASE}/latest-stage3-amd64-openrc.txt`, Buffer.from(clearSign(other, text)));
      },
      reason: "bad-signature",
      says: /not in the keyring/,
    },
    {
      name: "a DIGESTS file whose signed text was altered",
      change: (m) => {
        const text = m.get(`${TARBALL}.DIGESTS`)?.toString() ?? "";
        m.set(
          `${TARBALL}.DIGESTS`,
          Buffer.from(text.replace(/^([0-9a-f])/m, (c) => (c === "0" ? "1" : "0"))),
        );
      },
      reason: "bad-signature",
      says: /BAD signature/,
    },
    {
      name: "a DIGESTS file without a line for the tarball",
      change: (m) =>
        m.set(
          `${TARBALL}.DIGESTS`,
          Buffer.from(clearSign(good, digestsText([{ name: "other.tar.xz", data: stage3 }]))),
        ),
      reason: "no-digest-line",
      says: /no SHA512 or BLAKE2B line/,
    },
    {
      name: "a truncated tarball (shorter than the signed pointer says)",
      change: (m) => m.set(TARBALL, stage3.subarray(0, stage3.length - 200)),
      reason: "size-mismatch",
      says: /truncated/,
    },
  ];
  for (const t of refusals) {
    void it(`refuses ${t.name}, leaving nothing in the store`, async () => {
      const s = store();
      const r = await withMirror(t.change, (url) =>
        fetchSeed(request(s.builds), settings(url, s.cache)),
      );
      assert.equal(r.ok, false);
      assert.equal(r.error.reason, t.reason, r.error.message);
      assert.match(r.error.message, t.says);
      assert.deepEqual(leftovers(s.builds), []);
      assert.deepEqual(leftovers(join(s.cache, "downloads")), []);
      rmSync(s.root, { recursive: true, force: true });
    });
  }

  void it("resumes an interrupted transfer with an HTTP Range request", async () => {
    const s = store();
    const copy = new Map(files);
    const mirror = await startMirror(copy);
    const half = Math.floor(stage3.length / 2);
    mirror.cutOnce(TARBALL, half);
    try {
      const r = await fetchSeed(request(s.builds), settings(mirror.url, s.cache));
      assert.ok(r.ok, JSON.stringify(r));
      assert.deepEqual(mirror.ranges, [`${TARBALL} bytes=${half}-`]);
    } finally {
      await mirror.close();
      rmSync(s.root, { recursive: true, force: true });
    }
  });

  void it("refuses with a missing keyring; --insecure without a keyring skips only signatures", async () => {
    const s = store();
    const r1 = await withMirror(
      () => undefined,
      (url) =>
        fetchSeed(request(s.builds), {
          mirrors: [url],
          cacheDir: s.cache,
          keyring: join(s.root, "missing.asc"),
        }),
    );
    assert.equal(r1.ok, false);
    assert.match(r1.error.message, /cannot read the keyring/);
    assert.deepEqual(leftovers(s.builds), []);
    const defaultKey = DEFAULT_KEYRINGS.some((k) => existsSync(k));
    const r2 = await withMirror(
      () => undefined,
      (url) => fetchSeed(request(s.builds), { mirrors: [url], cacheDir: s.cache, insecure: true }),
    );
    if (!defaultKey) {
      assert.ok(r2.ok, JSON.stringify(r2));
      assert.equal(r2.value.verified.signature, "skipped (--insecure)");
    }
    // Digests are still checked with --insecure.
    const r3 = await withMirror(
      (m) =>
        m.set(
          TARBALL,
          Buffer.concat([stage3.subarray(0, 10), Buffer.from("x"), stage3.subarray(11)]),
        ),
      (url) =>
        fetchSeed(request(join(s.root, "b2")), {
          mirrors: [url],
          cacheDir: s.cache,
          insecure: true,
        }),
    );
    if (!defaultKey) assert.equal(r3.ok ? "ok" : r3.error.reason, "digest-mismatch");
    rmSync(s.root, { recursive: true, force: true });
  });

  void it("reads a local mirror through file:// URLs", async () => {
    const s = store();
    const mirrorDir = join(s.root, "mirror");
    for (const [path, data] of files) {
      mkdirSync(join(mirrorDir, path, ".."), { recursive: true });
      writeFileSync(join(mirrorDir, path), data);
    }
    const r = await fetchSeed(request(s.builds), settings(`file://${mirrorDir}`, s.cache));
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.verified.signature, "clear-signed");
    const snap = await fetchSnapshot(SNAPSHOT_TREEISH, settings(`file://${mirrorDir}`, s.cache));
    assert.ok(snap.ok, JSON.stringify(snap));
    rmSync(s.root, { recursive: true, force: true });
  });

  void it("uses a pinned local seed offline (no mirror)", async () => {
    const s = store();
    const local = join(s.root, "local");
    mkdirSync(local);
    writeFileSync(join(local, NAME), stage3);
    writeFileSync(join(local, `${NAME}.DIGESTS`), files.get(`${TARBALL}.DIGESTS`) ?? "");
    const r = await fetchSeed(
      { ...request(s.builds), file: join(local, NAME) },
      { mirrors: [], cacheDir: s.cache, keyring: good.publicKey },
    );
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(
      readlinkSync(join(s.builds, "amd64", "default", "stage3-amd64-latest.tar.xz")),
      NAME,
    );
    // A second fetch pinned by date finds it in the store and checks it again without a mirror.
    const again = await fetchSeed(
      { ...request(s.builds), date: SEED_STAMP },
      { mirrors: ["http://127.0.0.1:9"], cacheDir: s.cache, keyring: good.publicKey },
    );
    assert.ok(again.ok, JSON.stringify(again));
    assert.equal(again.value.reused, true);
    rmSync(s.root, { recursive: true, force: true });
  });
});

void describe("portage snapshots from a fake mirror", () => {
  void it("verifies gentoo-<treeish>.sqfs against the signed sha512sum.txt and unpacks it once", async () => {
    const s = store();
    const r = await withMirror(
      () => undefined,
      (url) => fetchSnapshot(SNAPSHOT_TREEISH, settings(url, s.cache)),
    );
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.file, join(s.cache, "snapshots", `gentoo-${SNAPSHOT_TREEISH}.sqfs`));
    const tree = await unpackedSnapshot(r.value.file, s.cache);
    assert.ok(tree.ok);
    assert.ok(existsSync(join(tree.value, "profiles", "repo_name")));
    const again = await unpackedSnapshot(r.value.file, s.cache);
    assert.ok(again.ok && again.value === tree.value);
    rmSync(s.root, { recursive: true, force: true });
  });

  void it("accepts a plain sha512sum.txt with a detached .gpgsig over the snapshot, refuses it unsigned", async () => {
    const snapPath = `/snapshots/squashfs/gentoo-${SNAPSHOT_TREEISH}.sqfs`;
    const snap = files.get(snapPath) ?? Buffer.alloc(0);
    const plain = Buffer.from(
      `${createHash("sha512").update(snap).digest("hex")}  gentoo-${SNAPSHOT_TREEISH}.sqfs\n`,
    );
    const s = store();
    const r = await withMirror(
      (m) => {
        m.set("/snapshots/squashfs/sha512sum.txt", plain);
        m.set(`${snapPath}.gpgsig`, detachSign(good, snap));
      },
      (url) => fetchSnapshot(SNAPSHOT_TREEISH, settings(url, s.cache)),
    );
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.verified !== "already verified" && r.value.verified.signature, "detached");
    const s2 = store();
    const r2 = await withMirror(
      (m) => m.set("/snapshots/squashfs/sha512sum.txt", plain),
      (url) => fetchSnapshot(SNAPSHOT_TREEISH, settings(url, s2.cache)),
    );
    assert.equal(r2.ok ? "ok" : r2.error.reason, "unsigned");
    assert.deepEqual(leftovers(s2.cache), []);
    rmSync(s.root, { recursive: true, force: true });
    rmSync(s2.root, { recursive: true, force: true });
  });

  void it("refuses a snapshot with a flipped byte and one missing from sha512sum.txt", async () => {
    for (const [change, reason] of [
      [
        (m: MirrorFiles) => {
          const b = Buffer.from(m.get(`/snapshots/squashfs/gentoo-${SNAPSHOT_TREEISH}.sqfs`) ?? "");
          b[10] = (b[10] ?? 0) ^ 1;
          m.set(`/snapshots/squashfs/gentoo-${SNAPSHOT_TREEISH}.sqfs`, b);
        },
        "digest-mismatch",
      ],
      [
        (m: MirrorFiles) =>
          m.set(
            "/snapshots/squashfs/sha512sum.txt",
            Buffer.from(clearSign(good, "00  other.sqfs\n")),
          ),
        "no-digest-line",
      ],
      [
        (m: MirrorFiles) =>
          m.set(
            "/snapshots/squashfs/sha512sum.txt",
            Buffer.from(clearSign(other, "00  other.sqfs\n")),
          ),
        "bad-signature",
      ],
    ] as const) {
      const s = store();
      const r = await withMirror(change, (url) =>
        fetchSnapshot(SNAPSHOT_TREEISH, settings(url, s.cache)),
      );
      assert.equal(r.ok, false);
      assert.equal(r.error.reason, reason, r.error.message);
      assert.deepEqual(leftovers(s.cache), []);
      rmSync(s.root, { recursive: true, force: true });
    }
  });
});
