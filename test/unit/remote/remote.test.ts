import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import {
  parseBearerChallenge,
  parseRegistryRef,
  repositoryComponent,
  sha256Digest,
} from "../../../src/remote/registry.js";
import {
  FILE_LAYER,
  FOLDER_LAYER,
  OCI_MANIFEST,
  SIGNATURE,
  STAGE_CONFIG,
  TITLE,
  checkSignature,
  keyId,
  manifestBytes,
  parseStageConfig,
  parseStageManifest,
  safeFileName,
  signStatement,
  statement,
} from "../../../src/remote/stage-artifact.js";
import { stageRepository } from "../../../src/remote/stage-cache.js";
import {
  catCommand,
  imageConfig,
  layerMediaType,
  ociPlatform,
} from "../../../src/remote/container-image.js";
import { remoteSettings } from "../../../src/remote/settings.js";
import { parseTreeConfig } from "../../../src/spec/tree-config.js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

void test("registry references: scheme defaults, prefixes, refusals", () => {
  const local = parseRegistryRef("127.0.0.1:5000/roflmaos");
  assert.ok(local.ok);
  assert.deepEqual(local.value, {
    protocol: "http:",
    host: "127.0.0.1:5000",
    prefix: "roflmaos",
    text: "127.0.0.1:5000/roflmaos",
  });
  const remote = parseRegistryRef("ghcr.io/team/stages/");
  assert.ok(remote.ok);
  assert.equal(remote.value.protocol, "https:");
  assert.equal(remote.value.prefix, "team/stages");
  const plain = parseRegistryRef("http://registry.lan:5000");
  assert.ok(plain.ok);
  assert.equal(plain.value.protocol, "http:");
  assert.equal(plain.value.prefix, "");
  for (const bad of ["ftp://x/y", "reg istry/x", "host/Upper", "host/a//b", "host/-a"]) {
    const r = parseRegistryRef(bad);
    assert.ok(!r.ok, bad);
    assert.equal(r.error.reason, "bad-input");
    assert.match(r.error.message, /is not a registry reference/);
  }
  assert.equal(repositoryComponent("Stage3-AMD64_hardfp"), "stage3-amd64_hardfp");
  assert.equal(repositoryComponent("a..b--c"), "a.b-c");
  assert.equal(
    stageRepository(local.value, { name: "livecd-stage3-amd64-roflmaos" }),
    "roflmaos/livecd-stage3-amd64-roflmaos",
  );
});

void test("bearer challenges are parsed; anything else is not one", () => {
  assert.deepEqual(
    parseBearerChallenge(
      'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"',
    ),
    {
      realm: "https://auth.example/token",
      service: "registry.example",
      scope: "repository:a/b:pull",
    },
  );
  assert.equal(parseBearerChallenge('Basic realm="x"'), undefined);
  assert.equal(parseBearerChallenge("Bearer service=x"), undefined);
});

function layer(title: string, data: string, mediaType = FILE_LAYER) {
  return {
    mediaType,
    digest: sha256Digest(data),
    size: data.length,
    annotations: { [TITLE]: title },
  };
}

void test("signatures: the trusted key verifies; a change, another key or none is refused", () => {
  const mine = generateKeyPairSync("ed25519");
  const theirs = generateKeyPairSync("ed25519");
  const config = {
    stage: "amd64/x:stage3",
    fingerprint: "f".repeat(64),
    output: "o.tar.zst",
    substrate: "0.1.0",
  };
  const configD = { mediaType: STAGE_CONFIG, digest: sha256Digest("{}"), size: 2 };
  const layers = [layer("o.tar.zst", "tar"), layer("o.tar.zst.DIGESTS", "d")];
  const text = statement("p/stage3-amd64", config.fingerprint, config, configD, layers);
  assert.match(text, /^substrate-remote-stage\/1\nrepository p\/stage3-amd64\n/);
  const sig = signStatement(text, mine.privateKey);
  assert.match(sig, new RegExp(`^ed25519:${keyId(mine.publicKey)}:`));
  assert.equal(keyId(mine.privateKey), keyId(mine.publicKey));
  const good = checkSignature(text, sig, [theirs.publicKey, mine.publicKey], "x");
  assert.ok(good.ok);
  assert.equal(good.value, keyId(mine.publicKey));
  const changed = statement("p/stage3-amd64", config.fingerprint, config, configD, [
    layer("o.tar.zst", "other tar"),
    layers[1]!,
  ]);
  const c = checkSignature(changed, sig, [mine.publicKey], "x");
  assert.ok(!c.ok);
  assert.equal(c.error.reason, "bad-signature");
  assert.match(c.error.message, /does not match its contents/);
  const other = checkSignature(text, sig, [theirs.publicKey], "x");
  assert.ok(!other.ok);
  assert.match(other.error.message, /which the tree does not trust/);
  const none = checkSignature(text, undefined, [mine.publicKey], "x");
  assert.ok(!none.ok);
  assert.equal(none.error.reason, "unsigned");
  const junk = checkSignature(text, "rsa:abc", [mine.publicKey], "x");
  assert.ok(!junk.ok);
  assert.match(junk.error.message, /malformed/);
});

void test("manifests from a registry: shape checked, unsafe names and foreign types refused", () => {
  const configD = { mediaType: STAGE_CONFIG, digest: sha256Digest("{}"), size: 2 };
  const ok1 = manifestBytes(configD, [layer("o.iso", "x"), layer("o.dir", "t", FOLDER_LAYER)], {
    b: "2",
    a: "1",
  });
  // Stable: annotations sorted, so the same files give the same manifest digest.
  assert.equal(
    sha256Digest(ok1),
    sha256Digest(
      manifestBytes(configD, [layer("o.iso", "x"), layer("o.dir", "t", FOLDER_LAYER)], {
        a: "1",
        b: "2",
      }),
    ),
  );
  const parsed = parseStageManifest(ok1, "here");
  assert.ok(parsed.ok);
  assert.equal(parsed.value.layers.length, 2);
  assert.deepEqual(parsed.value.annotations, { a: "1", b: "2" });
  const doc = JSON.parse(ok1.toString()) as Record<string, unknown>;
  const variants: [string, unknown][] = [
    ["not JSON", "{"],
    [
      "not an OCI image manifest",
      { ...doc, mediaType: "application/vnd.docker.distribution.manifest.v2+json" },
    ],
    [
      "config is not",
      { ...doc, config: { ...configD, mediaType: "application/vnd.oci.image.config.v1+json" } },
    ],
    ["no layers", { ...doc, layers: [] }],
    ["media type", { ...doc, layers: [layer("o.iso", "x", "application/x-evil")] }],
    ["not a plain file name", { ...doc, layers: [layer("../../etc/passwd", "x")] }],
    ["not a plain file name", { ...doc, layers: [layer("a/b", "x")] }],
    ["same name", { ...doc, layers: [layer("o.iso", "x"), layer("o.iso", "y")] }],
    ["no layers", { ...doc, layers: [{ mediaType: FILE_LAYER, digest: "sha256:zz", size: 1 }] }],
  ];
  for (const [why, v] of variants) {
    const r = parseStageManifest(
      Buffer.from(typeof v === "string" ? v : JSON.stringify(v)),
      "here",
    );
    assert.ok(!r.ok, why);
    assert.ok(r.error.message.includes(why), `${why}: ${r.error.message}`);
  }
  assert.equal(doc["mediaType"], OCI_MANIFEST);
  assert.ok(!safeFileName(".."));
  assert.ok(!safeFileName(""));
  assert.ok(safeFileName("roflmaOS-20260101.iso.DIGESTS"));
  assert.ok(!JSON.stringify(doc).includes(SIGNATURE));
});

void test("a config must name the stage and fingerprint asked for", () => {
  const want = { stage: "amd64/x:stage3", fingerprint: "a".repeat(64) };
  const good = parseStageConfig(
    Buffer.from(JSON.stringify({ ...want, output: "o.tar" })),
    want,
    "w",
  );
  assert.ok(good.ok);
  for (const [why, v] of [
    ["not amd64/x:stage3", { ...want, stage: "amd64/x:stage4", output: "o" }],
    ["fingerprint is", { ...want, fingerprint: "b".repeat(64), output: "o" }],
    ["output name", { ...want, output: "../o" }],
  ] as const) {
    const r = parseStageConfig(Buffer.from(JSON.stringify(v)), want, "w");
    assert.ok(!r.ok);
    assert.ok(r.error.message.includes(why), r.error.message);
  }
});

void test("container images: layer types by name, platforms, a config with the stage's labels", () => {
  assert.equal(layerMediaType("s.tar.zst"), "application/vnd.oci.image.layer.v1.tar+zstd");
  assert.equal(layerMediaType("s.tar.gz"), "application/vnd.oci.image.layer.v1.tar+gzip");
  assert.equal(layerMediaType("s.tar"), "application/vnd.oci.image.layer.v1.tar");
  assert.equal(layerMediaType("s.tar.xz"), undefined, "xz layers are re-packed");
  assert.equal(catCommand("s.tar.xz"), "xz -dc --");
  assert.equal(catCommand("s.tar.bz2"), "bzip2 -dc --");
  assert.deepEqual(ociPlatform("amd64"), { architecture: "amd64" });
  assert.deepEqual(ociPlatform("armv7a"), { architecture: "arm", variant: "v7" });
  assert.deepEqual(ociPlatform("arm64"), { architecture: "arm64", variant: "v8" });
  const c = JSON.parse(
    imageConfig(
      {
        id: "amd64/r:stage3",
        arch: "amd64",
        fingerprint: "f",
        date: "20260101",
        epoch: 1767225600,
      },
      "sha256:abc",
    ).toString(),
  ) as {
    created: string;
    os: string;
    rootfs: { diff_ids: string[] };
    config: { Labels: Record<string, string> };
  };
  assert.equal(c.created, "2026-01-01T00:00:00.000Z");
  assert.equal(c.os, "linux");
  assert.deepEqual(c.rootfs.diff_ids, ["sha256:abc"]);
  assert.equal(c.config.Labels["dev.substrate.fingerprint"], "f");
  assert.equal(c.config.Labels["dev.substrate.date"], "20260101");
});

void test("[remote] in substrate.toml: checked; keys read as Ed25519 only; --remote and --no-push win", () => {
  const dir = mkdtempSync(join(tmpdir(), "substrate-remote-unit-"));
  const file = join(dir, "substrate.toml");
  const ctx = { file, displayFile: "substrate.toml", cwd: dir };
  const bad = parseTreeConfig(
    '[remote]\nref = "bad ref"\npush = "yes"\nsign_key = "nope.key"\ncolour = 1\n',
    ctx,
  );
  const codes = bad.diagnostics.map((d) => d.message);
  assert.ok(
    codes.some((m) => /\[remote\] ref "bad ref" is not a registry reference/.test(m)),
    codes.join("\n"),
  );
  assert.ok(codes.some((m) => /"push" must be true or false/.test(m)));
  assert.ok(codes.some((m) => /\[remote\] sign_key: nope.key does not exist/.test(m)));
  assert.ok(codes.some((m) => /unknown key "colour" in \[remote\]/.test(m)));
  const pair = generateKeyPairSync("ed25519");
  writeFileSync(join(dir, "r.key"), pair.privateKey.export({ type: "pkcs8", format: "pem" }));
  writeFileSync(join(dir, "r.pub"), pair.publicKey.export({ type: "spki", format: "pem" }));
  const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 });
  writeFileSync(join(dir, "rsa.pub"), rsa.publicKey.export({ type: "spki", format: "pem" }));
  const good = parseTreeConfig(
    '[remote]\nref = "127.0.0.1:5000/t"\nsign_key = "r.key"\ntrust = ["r.pub"]\n',
    ctx,
  );
  assert.deepEqual(
    good.diagnostics.filter((d) => d.severity === "error"),
    [],
  );
  assert.equal(good.config.remote?.signKey, join(dir, "r.key"));
  const s = remoteSettings(good.config.remote, {});
  assert.ok(s.ok && s.value !== undefined);
  assert.equal(s.value.push, true);
  assert.equal(s.value.trusted.length, 1);
  const o = remoteSettings(good.config.remote, { ref: "registry.example/other", noPush: true });
  assert.ok(o.ok && o.value !== undefined);
  assert.equal(o.value.ref.host, "registry.example");
  assert.equal(o.value.push, false);
  assert.deepEqual(remoteSettings(undefined, {}), { ok: true, value: undefined });
  const wrong = remoteSettings({ push: true, trust: [join(dir, "rsa.pub")], ref: "h/x" }, {});
  assert.ok(!wrong.ok);
  assert.match(wrong.error.message, /is a rsa key; the remote signs with Ed25519/);
  assert.match(wrong.error.hint ?? "", /openssl genpkey -algorithm ed25519/);
  rmSync(dir, { recursive: true, force: true });
});
