/**
 * The remote stage cache: before a stage builds, the executor asks {@link RemoteStageCache.pull}
 * for an artifact tagged with the stage's fingerprint; after it built, {@link
 * RemoteStageCache.push} uploads what was published. A pulled stage is checked three times
 * before the store sees it: every blob against its digest, the manifest's signature against the
 * tree's trusted keys (when the tree names any: then an unsigned or foreign artifact is
 * refused), and the output against its own `.DIGESTS`. A refusal is never fatal: the stage is
 * then built here.
 *
 * Layout in the registry: `<prefix>/<stage>-<arch><rel>:<fingerprint>` (and, for tarballs, the
 * runnable image as `:latest` and `:<date>`).
 */
import type { KeyObject } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { run } from "../sandbox/process.js";
import { verifyDigests, verifyFolderDigests } from "../store/digests.js";
import { type Result, ok, err } from "../util/result.js";
import type { Failure } from "../report/failure.js";
import { VERSION } from "../version.js";
import { pushStageImage } from "./container-image.js";
import {
  type Descriptor,
  type RegistryRef,
  Registry,
  fileDigest,
  repositoryComponent,
  sha256Digest,
} from "./registry.js";
import {
  FILE_LAYER,
  FOLDER_LAYER,
  OCI_MANIFEST,
  SIGNATURE,
  STAGE_CONFIG,
  type StageConfig,
  TITLE,
  checkSignature,
  manifestBytes,
  parseStageConfig,
  parseStageManifest,
  signStatement,
  statement,
} from "./stage-artifact.js";

/** What the cache needs to know of a stage. */
export interface RemoteStage {
  /** `<arch>/<flavour>:<stage>`. */
  readonly id: string;
  readonly flavour: string;
  /** `<stage>-<arch><rel>` (the store's name without the date). */
  readonly name: string;
  readonly fingerprint: string;
  /** The dated main output's path. */
  readonly output: string;
  /** The tree's arch name (`amd64`, `armv7a`): the image's platform. */
  readonly arch: string;
  /** The build date (`YYYYMMDD`): an image tag. */
  readonly date: string;
  /** SOURCE_DATE_EPOCH of the build. */
  readonly epoch: number;
  /** A tarball output is pushed as a runnable image too. */
  readonly form: "tarball" | "squashfs" | "directory" | "iso" | "qcow2";
}

/** How the tree uses its remote. */
export interface RemoteSettings {
  readonly ref: RegistryRef;
  /** Upload after building (default true). */
  readonly push: boolean;
  /** Signs pushed manifests. */
  readonly signKey?: KeyObject;
  /** When not empty, only artifacts signed by one of these keys are used. */
  readonly trusted: readonly KeyObject[];
}

/** A pulled stage, in the staging folder. */
export interface Pulled {
  /** File names written in the staging folder to publish, main output first (sidecars the store regenerates are left out). */
  readonly names: readonly string[];
  readonly bytes: number;
  /** The signing key's id, when the artifact was signed and checked. */
  readonly signedBy?: string;
  readonly manifestDigest: string;
}

/** Sidecars the store writes itself when it publishes: checked on pull, then replaced. */
const REGENERATED = [".DIGESTS", ".sha256", ".CONTENTS.gz", ".stamp"];

/**
 * The repository of a stage under the tree's prefix: `<prefix>/<stage>-<arch><rel>`, the
 * store's release name (which names the flavour unless it is the arch's default one).
 */
export function stageRepository(ref: RegistryRef, stage: Pick<RemoteStage, "name">): string {
  return [ref.prefix, repositoryComponent(stage.name)].filter((p) => p !== "").join("/");
}

export class RemoteStageCache {
  constructor(readonly settings: RemoteSettings) {}

  /** The remote as the user wrote it. */
  get label(): string {
    return this.settings.ref.text;
  }

  /** Whether built stages are pushed. */
  get pushes(): boolean {
    return this.settings.push;
  }

  /** Whether the registry holds an artifact for the stage's fingerprint (nothing is checked yet). */
  async has(
    stage: Pick<RemoteStage, "name" | "fingerprint">,
    signal?: AbortSignal,
  ): Promise<Result<boolean, Failure>> {
    const registry = new Registry(this.settings.ref, signal);
    return registry.hasManifest(stageRepository(this.settings.ref, stage), stage.fingerprint, [
      OCI_MANIFEST,
    ]);
  }

  /**
   * Looks the stage's fingerprint up; on a hit downloads and checks it into `stagingDir`.
   * `ok(undefined)`: not in the registry. An error: the artifact was refused or the registry
   * failed (the caller builds the stage itself).
   */
  async pull(
    stage: RemoteStage,
    stagingDir: string,
    signal?: AbortSignal,
  ): Promise<Result<Pulled | undefined, Failure>> {
    const registry = new Registry(this.settings.ref, signal);
    const repo = stageRepository(this.settings.ref, stage);
    const where = `${this.settings.ref.protocol}//${this.settings.ref.host}/${repo}:${stage.fingerprint.slice(0, 12)}…`;
    const got = await registry.getManifest(repo, stage.fingerprint, [OCI_MANIFEST]);
    if (!got.ok) return got;
    if (got.value === undefined) return ok(undefined);
    const manifest = parseStageManifest(got.value.bytes, where);
    if (!manifest.ok) return manifest;
    const { config: configD, layers } = manifest.value;
    // The config is small: read it, check it names this stage, then check the signature before
    // any big blob is downloaded.
    const configFile = join(stagingDir, ".remote-config.json");
    const c = await registry.getBlob(repo, configD, configFile);
    if (!c.ok) return c;
    const config = parseStageConfig(
      readFileSync(configFile),
      { stage: stage.id, fingerprint: stage.fingerprint },
      where,
    );
    rmSync(configFile, { force: true });
    if (!config.ok) return config;
    const main = basename(stage.output);
    if (config.value.output !== main || layers[0]?.annotations?.[TITLE] !== main)
      return err({
        reason: "bad-input",
        message: `${where} holds ${config.value.output}, not ${main}`,
      });
    for (const l of layers) {
      const title = l.annotations?.[TITLE] ?? "";
      if (title !== main && !title.startsWith(`${main}.`))
        return err({
          reason: "bad-input",
          message: `${where} has a file ${title} that is not ${main} or one of its sidecars`,
        });
    }
    let signedBy: string | undefined;
    if (this.settings.trusted.length > 0) {
      const text = statement(repo, stage.fingerprint, config.value, configD, layers);
      const s = checkSignature(
        text,
        manifest.value.annotations[SIGNATURE],
        this.settings.trusted,
        where,
      );
      if (!s.ok) return s;
      signedBy = s.value;
    }
    let bytes = configD.size;
    for (const l of layers) {
      const title = l.annotations?.[TITLE] ?? "";
      const dest = join(stagingDir, l.mediaType === FOLDER_LAYER ? `.${title}.tar` : title);
      const b = await registry.getBlob(repo, l, dest);
      if (!b.ok) return b;
      bytes += l.size;
      if (l.mediaType === FOLDER_LAYER) {
        const dir = join(stagingDir, title);
        mkdirSync(dir, { recursive: true });
        const x = await run({
          argv: [
            "tar",
            "-x",
            "-f",
            dest,
            "-C",
            dir,
            "--numeric-owner",
            "--xattrs",
            "--xattrs-include=*",
          ],
          ...(signal === undefined ? {} : { signal }),
        });
        rmSync(dest, { force: true });
        if (!x.ok) return err(x.error);
      }
    }
    // The output must match the .DIGESTS it came with.
    const digests = join(stagingDir, `${main}.DIGESTS`);
    if (!existsSync(digests))
      return err({ reason: "bad-input", message: `${where} has no ${main}.DIGESTS` });
    const mainPath = join(stagingDir, main);
    const v = lstatSync(mainPath).isDirectory()
      ? await verifyFolderDigests(mainPath, digests, signal)
      : await verifyDigests(mainPath, digests, signal);
    if (!v.ok) return v;
    const names = [main];
    for (const l of layers.slice(1)) {
      const title = l.annotations?.[TITLE] ?? "";
      if (REGENERATED.some((s) => title === `${main}${s}`))
        rmSync(join(stagingDir, title), { force: true });
      else names.push(title);
    }
    return ok({
      names,
      bytes,
      ...(signedBy === undefined ? {} : { signedBy }),
      manifestDigest: got.value.digest,
    });
  }

  /**
   * Uploads a published stage: `files` are its public paths, main output first. Blobs the
   * registry has are not sent again, and the manifest of the same files is byte-identical, so
   * pushing twice, or from two builders at once, is harmless. Returns the bytes sent.
   */
  async push(
    stage: RemoteStage,
    files: readonly string[],
    workDir: string,
    signal?: AbortSignal,
  ): Promise<Result<{ bytes: number; manifestDigest: string }, Failure>> {
    const registry = new Registry(this.settings.ref, signal);
    const repo = stageRepository(this.settings.ref, stage);
    const layers: Descriptor[] = [];
    const sources: { digest: string; file: string }[] = [];
    mkdirSync(workDir, { recursive: true });
    for (const path of files) {
      const name = basename(path);
      if (name.endsWith(".stamp")) continue;
      const real = realpathSync(path);
      let file = real;
      let mediaType = FILE_LAYER;
      if (lstatSync(real).isDirectory()) {
        file = join(workDir, `${name}.tar`);
        const t = await run({
          argv: [
            "tar",
            "-c",
            "-f",
            file,
            "-C",
            real,
            "--sort=name",
            "--format=pax",
            "--numeric-owner",
            "--xattrs",
            "--xattrs-include=*",
            "--pax-option=delete=atime,delete=ctime",
            ".",
          ],
          ...(signal === undefined ? {} : { signal }),
        });
        if (!t.ok) return err(t.error);
        mediaType = FOLDER_LAYER;
      }
      const d = await fileDigest(file);
      layers.push({ mediaType, digest: d.digest, size: d.size, annotations: { [TITLE]: name } });
      sources.push({ digest: d.digest, file });
    }
    const config: StageConfig = {
      stage: stage.id,
      fingerprint: stage.fingerprint,
      output: basename(stage.output),
      substrate: VERSION,
    };
    const configBytes = Buffer.from(JSON.stringify(config));
    const configD: Descriptor = {
      mediaType: STAGE_CONFIG,
      digest: sha256Digest(configBytes),
      size: configBytes.length,
    };
    let bytes = 0;
    const c = await registry.putBlob(repo, configD.digest, { data: configBytes });
    if (!c.ok) return c;
    bytes += c.value;
    for (const s of sources) {
      const b = await registry.putBlob(repo, s.digest, { file: s.file });
      if (!b.ok) return b;
      bytes += b.value;
    }
    const annotations: Record<string, string> = {
      "dev.substrate.stage": stage.id,
      "dev.substrate.fingerprint": stage.fingerprint,
    };
    if (this.settings.signKey !== undefined)
      annotations[SIGNATURE] = signStatement(
        statement(repo, stage.fingerprint, config, configD, layers),
        this.settings.signKey,
      );
    const m = manifestBytes(configD, layers, annotations);
    const put = await registry.putManifest(repo, stage.fingerprint, OCI_MANIFEST, m);
    if (!put.ok) return put;
    bytes += m.length;
    if (stage.form === "tarball" && files[0] !== undefined) {
      const image = await pushStageImage(
        registry,
        repo,
        stage,
        realpathSync(files[0]),
        ["latest", stage.date],
        workDir,
        signal,
      );
      if (!image.ok) return image;
      bytes += image.value;
    }
    rmSync(workDir, { recursive: true, force: true });
    return ok({ bytes, manifestDigest: sha256Digest(m) });
  }
}
