/**
 * A published stage as an OCI artifact: one manifest per stage fingerprint (the tag), a small
 * JSON config naming the stage, and one layer per published file (the output and its
 * sidecars; a folder output travels as one tar). The manifest may carry an Ed25519 signature
 * over a statement of the repository, tag, stage, fingerprint and every blob's digest, so a
 * puller that trusts the key knows the bytes are what that builder published.
 *
 * Pure: the text and the checks. Moving bytes is `registry.ts`'s; wiring into a build is
 * `stage-cache.ts`'s.
 */
import { type KeyObject, createPublicKey, sign, verify } from "node:crypto";
import { createHash } from "node:crypto";
import { type Result, ok, err } from "../util/result.js";
import type { FailureOf } from "../report/failure.js";
import type { Descriptor } from "./registry.js";

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const STAGE_ARTIFACT = "application/vnd.substrate.stage.v1";
export const STAGE_CONFIG = "application/vnd.substrate.stage.config.v1+json";
/** A published file, as is. */
export const FILE_LAYER = "application/vnd.substrate.file.v1";
/** A published folder, as a tar of its contents. */
export const FOLDER_LAYER = "application/vnd.substrate.folder.v1.tar";
export const TITLE = "org.opencontainers.image.title";
export const SIGNATURE = "dev.substrate.signature";

/** The config blob: which stage this is. */
export interface StageConfig {
  readonly stage: string;
  readonly fingerprint: string;
  /** The main output's file name (first layer). */
  readonly output: string;
  readonly substrate: string;
}

/** Why an artifact is refused. */
export type ArtifactFailure = FailureOf<"bad-input" | "unsigned" | "bad-signature">;

/** A file name that may be written in the staging folder: a plain name, nothing else. */
export function safeFileName(name: string): boolean {
  return (
    name !== "" &&
    name !== "." &&
    name !== ".." &&
    !name.includes("/") &&
    !name.includes("\0") &&
    name.length <= 255
  );
}

/** The text a signature covers. */
export function statement(
  repo: string,
  tag: string,
  config: StageConfig,
  configDescriptor: Descriptor,
  layers: readonly Descriptor[],
): string {
  const lines = [
    "substrate-remote-stage/1",
    `repository ${repo}`,
    `tag ${tag}`,
    `stage ${config.stage}`,
    `fingerprint ${config.fingerprint}`,
    `config ${configDescriptor.digest} ${configDescriptor.size}`,
    ...layers.map(
      (l) => `layer ${l.digest} ${l.size} ${l.mediaType} ${l.annotations?.[TITLE] ?? ""}`,
    ),
  ];
  return `${lines.join("\n")}\n`;
}

/** A key's id: the first 16 hex digits of the SHA-256 of its public key (SPKI DER). */
export function keyId(key: KeyObject): string {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  return createHash("sha256")
    .update(pub.export({ type: "spki", format: "der" }))
    .digest("hex")
    .slice(0, 16);
}

/** `ed25519:<key id>:<base64 signature>` of a statement. */
export function signStatement(text: string, key: KeyObject): string {
  return `ed25519:${keyId(key)}:${sign(null, Buffer.from(text), key).toString("base64")}`;
}

/** Checks a signature annotation against the trusted public keys. */
export function checkSignature(
  text: string,
  annotation: string | undefined,
  trusted: readonly KeyObject[],
  where: string,
): Result<string, ArtifactFailure> {
  if (annotation === undefined)
    return err({
      reason: "unsigned",
      message: `${where} is not signed, and the tree trusts only signed stages`,
      hint: "push it from a builder with [remote] sign_key, or remove [remote] trust to accept unsigned stages",
    });
  const m = /^ed25519:([0-9a-f]{16}):([A-Za-z0-9+/=]+)$/.exec(annotation);
  if (m === null)
    return err({ reason: "bad-signature", message: `${where} has a malformed signature` });
  const key = trusted.find((k) => keyId(k) === m[1]);
  if (key === undefined)
    return err({
      reason: "bad-signature",
      message: `${where} is signed by key ${m[1]}, which the tree does not trust (trusted: ${trusted.map(keyId).join(", ") || "none"})`,
      hint: "add the builder's public key to [remote] trust if it is yours",
    });
  const good = verify(null, Buffer.from(text), key, Buffer.from(m[2] ?? "", "base64"));
  if (!good)
    return err({
      reason: "bad-signature",
      message: `${where}: the signature by key ${m[1]} does not match its contents`,
      hint: "the artifact was changed after it was signed; it is not used",
    });
  return ok(m[1] ?? "");
}

/** An artifact manifest as read back. */
export interface StageManifest {
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly annotations: Readonly<Record<string, string>>;
}

function isDescriptor(v: unknown): v is Descriptor {
  if (typeof v !== "object" || v === null) return false;
  const d = v as Record<string, unknown>;
  return (
    typeof d["mediaType"] === "string" &&
    typeof d["digest"] === "string" &&
    /^sha256:[0-9a-f]{64}$/.test(d["digest"]) &&
    typeof d["size"] === "number" &&
    Number.isSafeInteger(d["size"]) &&
    d["size"] >= 0
  );
}

/** Parses and checks the shape of a stage manifest (it came from a registry: trust nothing). */
export function parseStageManifest(
  bytes: Buffer,
  where: string,
): Result<StageManifest, ArtifactFailure> {
  const bad = (why: string): { ok: false; error: ArtifactFailure } =>
    err({ reason: "bad-input", message: `${where} is not a substrate stage: ${why}` });
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString("utf8"));
  } catch {
    return bad("its manifest is not JSON");
  }
  if (typeof doc !== "object" || doc === null) return bad("its manifest is not an object");
  const m = doc as Record<string, unknown>;
  if (m["schemaVersion"] !== 2 || m["mediaType"] !== OCI_MANIFEST)
    return bad("not an OCI image manifest");
  if (!isDescriptor(m["config"]) || m["config"].mediaType !== STAGE_CONFIG)
    return bad(`its config is not ${STAGE_CONFIG}`);
  const layers = m["layers"];
  if (!Array.isArray(layers) || layers.length === 0 || !layers.every(isDescriptor))
    return bad("it has no layers");
  for (const l of layers) {
    if (l.mediaType !== FILE_LAYER && l.mediaType !== FOLDER_LAYER)
      return bad(`a layer has the media type ${l.mediaType}`);
    const title = l.annotations?.[TITLE];
    if (title === undefined || !safeFileName(title))
      return bad(`a layer is named ${JSON.stringify(title)}, not a plain file name`);
  }
  const titles = layers.map((l) => l.annotations?.[TITLE]);
  if (new Set(titles).size !== titles.length) return bad("two layers have the same name");
  const annotations = m["annotations"];
  const ann: Record<string, string> = {};
  if (typeof annotations === "object" && annotations !== null)
    for (const [k, v] of Object.entries(annotations)) if (typeof v === "string") ann[k] = v;
  return ok({ config: m["config"], layers: layers, annotations: ann });
}

/** Parses the config blob and checks it names the stage and fingerprint asked for. */
export function parseStageConfig(
  bytes: Buffer,
  expect: { readonly stage: string; readonly fingerprint: string },
  where: string,
): Result<StageConfig, ArtifactFailure> {
  const bad = (why: string): { ok: false; error: ArtifactFailure } =>
    err({ reason: "bad-input", message: `${where}: ${why}` });
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
  } catch {
    return bad("its config is not JSON");
  }
  if (c["stage"] !== expect.stage) return bad(`it is ${String(c["stage"])}, not ${expect.stage}`);
  if (c["fingerprint"] !== expect.fingerprint)
    return bad(`its fingerprint is ${String(c["fingerprint"])}, not ${expect.fingerprint}`);
  if (typeof c["output"] !== "string" || !safeFileName(c["output"]))
    return bad("its output name is not a plain file name");
  return ok({
    stage: expect.stage,
    fingerprint: expect.fingerprint,
    output: c["output"],
    substrate: typeof c["substrate"] === "string" ? c["substrate"] : "",
  });
}

/** The manifest bytes (stable key order, so the same files give the same manifest digest). */
export function manifestBytes(
  config: Descriptor,
  layers: readonly Descriptor[],
  annotations: Readonly<Record<string, string>>,
): Buffer {
  const sorted = Object.fromEntries(
    Object.entries(annotations).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: STAGE_ARTIFACT,
      config,
      layers,
      annotations: sorted,
    }),
  );
}
