// The remote stage cache against a real OCI registry (Debian's docker-registry, started on
// 127.0.0.1 by this test and stopped after it): host A builds the default roflmaOS tree and
// pushes every stage, signed; host B, an empty store in another folder, fetches all of them,
// builds nothing, and its ISO passes the boot test; a real OCI client (podman) runs the pushed
// stage3 image; host C, after one blob was damaged in the registry's storage and one manifest
// replaced by an unsigned one, refuses both, builds those two stages itself and fetches the
// rest. Needs root, docker-registry, podman + runc (scripts/install-deps.sh) and Debian's
// archive.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
  closeSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type JsonEvent, REPO_ROOT, ofType, runCli } from "../../helpers/cli.js";
import { keyId } from "../../../src/remote/stage-artifact.js";

const DATE = "20260101";
const CACHE = "/var/cache/substrate";
const STAGES = ["stage3", "stage4", "livecd-stage1", "livecd-stage2", "livecd-stage3"].map(
  (s) => `amd64/roflmaos:${s}`,
);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      const port = typeof a === "object" && a !== null ? a.port : 0;
      srv.close(() => {
        resolve(port);
      });
    });
  });
}

async function startRegistry(
  dir: string,
): Promise<{ url: string; host: string; data: string; proc: ChildProcess }> {
  const port = await freePort();
  const data = join(dir, "data");
  mkdirSync(data, { recursive: true });
  const config = join(dir, "config.yml");
  writeFileSync(
    config,
    [
      "version: 0.1",
      "log:",
      "  level: warn",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${data}`,
      "http:",
      `  addr: 127.0.0.1:${port}`,
      "",
    ].join("\n"),
  );
  assert.ok(
    existsSync("/usr/bin/docker-registry"),
    "docker-registry is missing: run scripts/install-deps.sh (Debian package docker-registry)",
  );
  const proc = spawn("/usr/bin/docker-registry", ["serve", config], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`${url}/v2/`);
      if (r.status === 200) return { url, host: `127.0.0.1:${port}`, data, proc };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  proc.kill();
  throw new Error(`docker-registry did not start: ${stderr}`);
}

function succeeded(events: readonly JsonEvent[]): Map<string, JsonEvent> {
  return new Map(ofType(events, "stage-succeeded").map((e) => [String(e["stage"]), e]));
}

function sha256(file: string): string {
  return execFileSync("sha256sum", [file]).toString().split(" ")[0] ?? "";
}

void test(
  "remote stage cache: A pushes, B fetches everything and boots the ISO, C refuses tampered artifacts and builds them",
  { timeout: 40 * 60_000 },
  async (t) => {
    const work = mkdtempSync(join(tmpdir(), "substrate-remote-"));
    const registry = await startRegistry(join(work, "registry"));
    try {
      const { privateKey, publicKey } = generateKeyPairSync("ed25519");
      const trustedId = keyId(publicKey);
      const makeTree = (host: string): string => {
        const tree = join(work, host, "tree");
        cpSync(join(REPO_ROOT, "examples/roflmaos"), tree, { recursive: true });
        mkdirSync(join(tree, "keys"));
        writeFileSync(
          join(tree, "keys/remote.key"),
          privateKey.export({ type: "pkcs8", format: "pem" }),
          { mode: 0o600 },
        );
        writeFileSync(
          join(tree, "keys/remote.pub"),
          publicKey.export({ type: "spki", format: "pem" }),
        );
        appendFileSync(
          join(tree, "substrate.toml"),
          `\n[remote]\nref = "${registry.host}/roflmaos"\nsign_key = "keys/remote.key"\ntrust = ["keys/remote.pub"]\n`,
        );
        return tree;
      };
      const build = (host: string, cache: string, extra: readonly string[] = []) =>
        runCli(
          [
            "build",
            join(work, host, "tree"),
            "--json",
            "--date",
            DATE,
            "--cache",
            cache,
            "--only",
            "roflmaos:livecd-stage3",
            ...extra,
          ],
          { cwd: join(work, host) },
        );
      const isoOf = (host: string): string =>
        join(work, host, "builds/amd64/roflmaos", DATE, `roflmaOS-${DATE}.iso`);

      // Host A: builds all five stages and pushes each, signed.
      makeTree("a");
      const a = await build("a", CACHE);
      assert.equal(
        a.code,
        0,
        `A failed:\n${a.stderr}\n${JSON.stringify(ofType(a.events, "stage-failed"))}`,
      );
      const aDone = succeeded(a.events);
      assert.deepEqual([...aDone.keys()].sort(), [...STAGES].sort());
      for (const [id, e] of aDone) {
        assert.equal(e["fetched"], undefined, `${id} was built on A`);
        assert.ok(
          (e["pushed"] as { to?: string } | undefined)?.to === `${registry.host}/roflmaos`,
          `${id} was pushed: ${JSON.stringify(e)}`,
        );
      }
      const fingerprints = new Map(
        ofType(a.events, "stage-planned").map((e) => [
          String(e["stage"]),
          String(e["fingerprint"]),
        ]),
      );

      await t.test(
        "host B (an empty store elsewhere) fetches every stage, builds none, and its ISO boots",
        async () => {
          makeTree("b");
          // The plan asks the registry: every stage is there, under A's fingerprint.
          const plan = await runCli(
            [
              "plan",
              join(work, "b", "tree"),
              "--json",
              "--date",
              DATE,
              "--only",
              "roflmaos:livecd-stage3",
            ],
            { cwd: join(work, "b") },
          );
          assert.equal(plan.code, 0, plan.stderr);
          assert.deepEqual(
            ofType(plan.events, "stage-planned")
              .map((e) => [String(e["stage"]), e["remote"]])
              .sort(),
            [...STAGES].sort().map((s) => [s, "hit"]),
          );
          const b = await build("b", join(work, "b", "cache"), ["--test"]);
          assert.equal(
            b.code,
            0,
            `B failed:\n${b.stderr}\n${JSON.stringify(ofType(b.events, "stage-failed"))}`,
          );
          const done = succeeded(b.events);
          assert.deepEqual([...done.keys()].sort(), [...STAGES].sort());
          for (const [id, e] of done) {
            const f = e["fetched"] as
              { from?: string; fingerprint?: string; signedBy?: string } | undefined;
            assert.ok(f !== undefined, `${id} was fetched, not built`);
            assert.equal(f.fingerprint, fingerprints.get(id));
            assert.equal(f.signedBy, trustedId, `${id}'s signature was checked`);
          }
          const fin = ofType(b.events, "run-finished")[0];
          assert.equal(fin?.["fetched"], 5);
          assert.equal(fin["built"], 5);
          // No stage ran a build step on B: only fetch, publish and the boot test.
          const steps = new Set(ofType(b.events, "step-started").map((e) => String(e["step"])));
          assert.deepEqual([...steps].sort(), ["fetch", "publish"]);
          assert.equal(sha256(isoOf("b")), sha256(isoOf("a")), "B holds A's ISO");
          const boot = ofType(b.events, "boot-finished")[0];
          assert.equal(boot?.["ok"], true, `B's ISO failed its boot test: ${JSON.stringify(boot)}`);
          // The fetched stamp says where the stage came from.
          const stamp = JSON.parse(readFileSync(`${isoOf("b")}.stamp`, "utf8")) as {
            fingerprint: string;
            fetched?: { from: string };
          };
          assert.equal(stamp.fingerprint, fingerprints.get("amd64/roflmaos:livecd-stage3"));
          assert.equal(stamp.fetched?.from, `${registry.host}/roflmaos`);
          // A second run on B finds everything fresh.
          const again = await build("b", join(work, "b", "cache"));
          assert.equal(again.code, 0);
          assert.equal(ofType(again.events, "stage-fresh").length, 5);
        },
      );

      await t.test("a real OCI client runs the pushed stage3 image (podman, runc)", () => {
        const ref = `${registry.host}/roflmaos/stage3-amd64-roflmaos:latest`;
        const r = spawnSync(
          "podman",
          [
            "--runtime",
            "runc",
            "run",
            "--rm",
            "--network=none",
            "--tls-verify=false",
            // podman's default RLIMIT_NOFILE is above this host's hard limit; crun cannot use
            // this host's hybrid cgroups: docs/remote.md.
            "--ulimit",
            "nofile=1024:1024",
            "--ulimit",
            "nproc=1024:1024",
            ref,
            "cat",
            "/etc/os-release",
          ],
          { encoding: "utf8", timeout: 300_000 },
        );
        assert.equal(r.status, 0, `podman run failed: ${r.stderr}`);
        assert.match(r.stdout, /PRETTY_NAME="Debian GNU\/Linux 12 \(bookworm\)"/);
        const inspect = spawnSync(
          "podman",
          ["image", "inspect", ref, "--format", "{{json .Labels}}"],
          {
            encoding: "utf8",
          },
        );
        const labels = JSON.parse(inspect.stdout) as Record<string, string>;
        assert.equal(
          labels["dev.substrate.fingerprint"],
          fingerprints.get("amd64/roflmaos:stage3"),
        );
        assert.equal(labels["dev.substrate.date"], DATE);
        spawnSync("podman", ["rmi", "-f", ref], { stdio: "ignore" });
      });

      await t.test(
        "host C refuses a damaged blob and an unsigned manifest, and builds those stages itself",
        async () => {
          const manifestOf = async (
            repo: string,
            tag: string,
          ): Promise<Record<string, unknown>> => {
            const r = await fetch(`${registry.url}/v2/${repo}/manifests/${tag}`, {
              headers: { Accept: "application/vnd.oci.image.manifest.v1+json" },
            });
            assert.equal(r.status, 200);
            return (await r.json()) as Record<string, unknown>;
          };
          // Damage stage4's tarball in the registry's own storage (same size, other bytes).
          const s4 = await manifestOf(
            "roflmaos/stage4-amd64-roflmaos",
            fingerprints.get("amd64/roflmaos:stage4") ?? "",
          );
          const layer = (s4["layers"] as { digest: string; size: number }[])[0]!;
          const hex = layer.digest.slice("sha256:".length);
          const blob = join(
            registry.data,
            "docker/registry/v2/blobs/sha256",
            hex.slice(0, 2),
            hex,
            "data",
          );
          const fd = openSync(blob, "r+");
          writeSync(fd, Buffer.from("substrate test: damaged"), 0, 23, Math.floor(layer.size / 2));
          closeSync(fd);
          // Replace livecd-stage3's manifest by the same one without its signature.
          const repo3 = "roflmaos/livecd-stage3-amd64-roflmaos";
          const tag3 = fingerprints.get("amd64/roflmaos:livecd-stage3") ?? "";
          const m3 = await manifestOf(repo3, tag3);
          const ann = { ...(m3["annotations"] as Record<string, string>) };
          delete ann["dev.substrate.signature"];
          const put = await fetch(`${registry.url}/v2/${repo3}/manifests/${tag3}`, {
            method: "PUT",
            headers: { "Content-Type": "application/vnd.oci.image.manifest.v1+json" },
            body: JSON.stringify({ ...m3, annotations: ann }),
          });
          assert.equal(put.status, 201);

          makeTree("c");
          const c = await build("c", join(work, "c", "cache"));
          assert.equal(
            c.code,
            0,
            `C failed:\n${c.stderr}\n${JSON.stringify(ofType(c.events, "stage-failed"))}`,
          );
          const done = succeeded(c.events);
          const fetched = [...done].filter(([, e]) => e["fetched"] !== undefined).map(([id]) => id);
          const built = [...done].filter(([, e]) => e["fetched"] === undefined).map(([id]) => id);
          assert.deepEqual(built.sort(), ["amd64/roflmaos:livecd-stage3", "amd64/roflmaos:stage4"]);
          assert.deepEqual(fetched.sort(), [
            "amd64/roflmaos:livecd-stage1",
            "amd64/roflmaos:livecd-stage2",
            "amd64/roflmaos:stage3",
          ]);
          const warnings = ofType(c.events, "warning").map((w) => String(w["message"]));
          assert.ok(
            warnings.some((w) =>
              /^amd64\/roflmaos:stage4: not using the copy in .*: blob sha256:[0-9a-f]{64} .* arrived as sha256:[0-9a-f]{64}.*; building it here$/s.test(
                w,
              ),
            ),
            warnings.join("\n"),
          );
          assert.ok(
            warnings.some((w) =>
              /^amd64\/roflmaos:livecd-stage3: not using the copy in .*is not signed, and the tree trusts only signed stages.*; building it here$/s.test(
                w,
              ),
            ),
            warnings.join("\n"),
          );
          // What C built matches its .DIGESTS, and nothing of the damaged blob reached its store.
          assert.ok(existsSync(isoOf("c")));
        },
      );
    } finally {
      registry.proc.kill();
      rmSync(work, { recursive: true, force: true });
    }
  },
);
