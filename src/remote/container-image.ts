/**
 * A stage tarball as a runnable OCI image: one layer (the tarball itself when it is a tar,
 * gzip or zstd stream, which OCI layers may be; other compressions are re-packed as zstd), an
 * image config with the architecture, a shell as the command and labels naming the stage,
 * fingerprint and date, tagged `latest` and `<date>` in the stage's repository. Then
 * `podman run <registry>/<prefix>/<stage>-<arch><rel>:latest cat /etc/os-release`
 * runs in the stage, as Gentoo's stage3 images are used.
 */
import { rmSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { run } from "../sandbox/process.js";
import { type Result, ok, err } from "../util/result.js";
import type { Failure } from "../report/failure.js";
import { type Registry, fileDigest, sha256Digest } from "./registry.js";
import { OCI_MANIFEST } from "./stage-artifact.js";

export const IMAGE_CONFIG = "application/vnd.oci.image.config.v1+json";

/** The layer media type a tarball can be used as directly, by its name; undefined: re-pack it. */
export function layerMediaType(file: string): string | undefined {
  if (/\.(tar\.zst|tzst)$/.test(file)) return "application/vnd.oci.image.layer.v1.tar+zstd";
  if (/\.(tar\.gz|tgz)$/.test(file)) return "application/vnd.oci.image.layer.v1.tar+gzip";
  if (/\.tar$/.test(file)) return "application/vnd.oci.image.layer.v1.tar";
  return undefined;
}

/** The decompressor that writes a tarball's tar stream to stdout, by its name. */
export function catCommand(file: string): string {
  if (/\.(tar\.zst|tzst)$/.test(file)) return "zstd -dcq --";
  if (/\.(tar\.gz|tgz)$/.test(file)) return "gzip -dc --";
  if (/\.(tar\.xz|txz|tpxz)$/.test(file)) return "xz -dc --";
  if (/\.(tar\.bz2|tbz2)$/.test(file)) return "bzip2 -dc --";
  if (/\.tar\.lzma$/.test(file)) return "xz --format=lzma -dc --";
  if (/\.(tar\.lzip|tar\.lz)$/.test(file)) return "lzip -dc --";
  if (/\.(tar\.lzop|tar\.lzo)$/.test(file)) return "lzop -dc --";
  return "cat --";
}

/** OCI's architecture (and variant) for substrate's arch names. */
export function ociPlatform(arch: string): { architecture: string; variant?: string } {
  if (arch === "amd64" || arch === "x86_64") return { architecture: "amd64" };
  if (arch === "arm64" || arch === "aarch64") return { architecture: "arm64", variant: "v8" };
  if (/^armv7/.test(arch) || arch === "armhf" || arch === "arm")
    return { architecture: "arm", variant: "v7" };
  if (arch === "x86" || /^i[3-6]86$/.test(arch)) return { architecture: "386" };
  return { architecture: arch };
}

/** What the image says about its stage. */
export interface ImageStage {
  readonly id: string;
  readonly arch: string;
  readonly fingerprint: string;
  readonly date: string;
  /** SOURCE_DATE_EPOCH of the build (the image's `created`). */
  readonly epoch: number;
}

/** The image config (pure). */
export function imageConfig(stage: ImageStage, diffId: string): Buffer {
  const created = new Date(stage.epoch * 1000).toISOString();
  return Buffer.from(
    JSON.stringify({
      created,
      ...ociPlatform(stage.arch),
      os: "linux",
      config: {
        Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        Cmd: ["/bin/sh"],
        Labels: {
          "dev.substrate.stage": stage.id,
          "dev.substrate.fingerprint": stage.fingerprint,
          "dev.substrate.date": stage.date,
          "org.opencontainers.image.created": created,
          "org.opencontainers.image.title": stage.id,
        },
      },
      rootfs: { type: "layers", diff_ids: [diffId] },
      history: [{ created, created_by: `substrate build (${stage.id})` }],
    }),
  );
}

async function shellOut(
  script: string,
  args: readonly string[],
  signal?: AbortSignal,
): Promise<Result<string, Failure>> {
  const r = await run({
    argv: ["bash", "-c", `set -o pipefail; ${script}`, "bash", ...args],
    captureStdout: true,
    ...(signal === undefined ? {} : { signal }),
  });
  return r.ok ? ok(r.value.stdout) : err(r.error);
}

/**
 * Pushes `tarball` as an image tagged `tags` in `repo`. The tarball blob is not uploaded again
 * when the registry has it (the stage cache pushed it already). Returns the bytes sent.
 */
export async function pushStageImage(
  registry: Registry,
  repo: string,
  stage: ImageStage,
  tarball: string,
  tags: readonly string[],
  workDir: string,
  signal?: AbortSignal,
): Promise<Result<number, Failure>> {
  let layerFile = tarball;
  let mediaType = layerMediaType(tarball);
  if (mediaType === undefined) {
    layerFile = join(workDir, `${basename(tarball)}.layer.tar.zst`);
    const r = await shellOut(
      `${catCommand(tarball)} "$1" | zstd -q -T0 -6 -o "$2"`,
      [tarball, layerFile],
      signal,
    );
    if (!r.ok) return r;
    mediaType = "application/vnd.oci.image.layer.v1.tar+zstd";
  }
  const diff = await shellOut(`${catCommand(layerFile)} "$1" | sha256sum`, [layerFile], signal);
  if (!diff.ok) return diff;
  const hex = /^([0-9a-f]{64})/.exec(diff.value.trim())?.[1];
  if (hex === undefined)
    return err({
      reason: "internal-error",
      message: `sha256sum printed ${diff.value.slice(0, 80)}`,
    });
  const layer = await fileDigest(layerFile);
  const config = imageConfig(stage, `sha256:${hex}`);
  let bytes = 0;
  const l = await registry.putBlob(repo, layer.digest, { file: layerFile });
  if (!l.ok) return l;
  bytes += l.value;
  const c = await registry.putBlob(repo, sha256Digest(config), { data: config });
  if (!c.ok) return c;
  bytes += c.value;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: IMAGE_CONFIG, digest: sha256Digest(config), size: config.length },
      layers: [{ mediaType, digest: layer.digest, size: statSync(layerFile).size }],
      annotations: {
        "org.opencontainers.image.created": new Date(stage.epoch * 1000).toISOString(),
        "dev.substrate.stage": stage.id,
        "dev.substrate.fingerprint": stage.fingerprint,
      },
    }),
  );
  for (const tag of tags) {
    const m = await registry.putManifest(repo, tag, OCI_MANIFEST, manifest);
    if (!m.ok) return m;
    bytes += manifest.length;
  }
  // A re-packed layer is scratch.
  if (layerFile !== tarball) rmSync(layerFile, { force: true });
  return ok(bytes);
}
