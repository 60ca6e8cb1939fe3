/**
 * Stage fingerprints: a canonical JSON record of everything a stage consumes, and its SHA-256.
 * Two builds with equal fingerprints take the same inputs, so an output whose stamp holds the
 * current fingerprint is fresh. `diffRecords` names what changed between two records.
 *
 * The record holds:
 * - `format`, `substrate` (VERSION), `tool` (caller's tool versions), `driver`, and for apt trees
 *   the tree's `[apt]` settings (suite, mirror, components, keyring);
 * - `stage`, `kind`, `date` (output names contain the date, so it is an input);
 * - `values`: every final spec value (after tokens, computed keys included) except
 *   `pkgcache_path` and `kerncache_path`, which say where caches live, not what is built.
 *   Paths are written relative to the tree (`@REPO_DIR@/...`) and the store (`@BUILDS@/...`,
 *   `@LOGS@`, `@CACHE@`), so moving a tree or a store keeps fingerprints;
 * - `files`: for every key naming host files or folders, each path's content: a file's mode and
 *   SHA-256; a folder's sorted `[relative path, type, mode, SHA-256 or symlink target]` list;
 * - `inputs` by role: a parent stage's id and fingerprint; a seed's name and identity (the
 *   fingerprint in its `.stamp` when an earlier substrate run made it, else the SHA-256 of its
 *   `.DIGESTS` file, else its resolved link target, size and mtime); or `bootstrap`;
 * - `secureboot` (livecd-stage2 of a tree with `[secureboot] keys`): the key folder and the
 *   hashes of its public files (certificates, enrolment files), never a private key's.
 */
import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import type { StageId } from "../report/events.js";
import type { SpecValue, StageSpec, TreeConfig } from "../spec/types.js";
import { VERSION } from "../version.js";
import { referencedPaths } from "./references.js";
import { readStampFile, type StoreView } from "./store-view.js";
import type { Fingerprint, FingerprintRecord, InputRole } from "./types.js";

/** Bumped when the record's shape changes, so old stamps never match by accident. */
export const RECORD_FORMAT = 1;

/** Keys left out of the record: bookkeeping that does not change what a stage builds. */
export const BOOKKEEPING_KEYS: ReadonlySet<string> = new Set(["pkgcache_path", "kerncache_path"]);

/** What the record says about one of a stage's inputs. */
export type InputIdentity =
  | { readonly stage: StageId; readonly fingerprint: Fingerprint }
  | { readonly seed: string; readonly identity: Readonly<Record<string, unknown>> }
  | { readonly seed: string; readonly missing: true }
  | { readonly bootstrap: true };

/** Everything `fingerprintRecord` needs. */
export interface FingerprintInputs {
  readonly spec: StageSpec;
  readonly config: TreeConfig;
  readonly date: string;
  readonly inputs: Readonly<Partial<Record<InputRole, InputIdentity>>>;
  /** Versions of the host tools the build uses (e.g. `mmdebstrap 1.3.5; tar 1.34`). */
  readonly toolVersion: string;
}

/** Serialises a JSON value with object keys sorted and no whitespace. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    // JSON.stringify gives undefined for undefined and functions, which records never hold.
    const text = JSON.stringify(value) as string | undefined;
    return text ?? "null";
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
}

/** SHA-256 over the record's canonical JSON. */
export function fingerprintOf(record: FingerprintRecord): Fingerprint {
  return createHash("sha256").update(canonicalJson(record)).digest("hex") as Fingerprint;
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

const PREFIXES = new WeakMap<TreeConfig, [string, string][]>();

/** Rewrites tree and store prefixes to tokens so records do not depend on where they live. */
export function portablePath(text: string, config: TreeConfig): string {
  if (!text.startsWith("/")) return text;
  let prefixes = PREFIXES.get(config);
  if (prefixes === undefined) {
    prefixes = [
      [config.store.builds, "@BUILDS@"],
      [config.store.logs, "@LOGS@"],
      [config.store.cache, "@CACHE@"],
      [config.root, "@REPO_DIR@"],
    ];
    // Longest first: a store inside the tree is named by its store token.
    prefixes.sort((a, b) => b[0].length - a[0].length);
    PREFIXES.set(config, prefixes);
  }
  for (const [prefix, token] of prefixes) {
    if (text === prefix) return token;
    if (text.startsWith(`${prefix}/`)) return token + text.slice(prefix.length);
  }
  return text;
}

function portableValue(value: SpecValue, config: TreeConfig): SpecValue {
  if (value === null) return null;
  if (typeof value === "string") return portablePath(value, config);
  return value.map((v) => portablePath(v, config));
}

/** One folder entry: relative path, type, mode (octal), content hash or link target. */
export type FolderEntry = readonly [string, string, string, string];

/** What the record holds for one referenced path. */
export type PathRecord =
  | { readonly type: "file"; readonly mode: string; readonly sha256: string }
  | { readonly type: "dir"; readonly mode: string; readonly entries: readonly FolderEntry[] }
  | { readonly type: "symlink"; readonly target: string }
  | { readonly type: "missing" }
  | { readonly type: "other" };

const octal = (mode: number): string => mode.toString(8).padStart(4, "0");

function walkFolder(root: string, view: StoreView): FolderEntry[] {
  const entries: FolderEntry[] = [];
  const visit = (rel: string): void => {
    const names = [...(view.readdir(join(root, rel)) ?? [])].sort();
    for (const name of names) {
      const relPath = rel === "" ? name : `${rel}/${name}`;
      const abs = join(root, relPath);
      const st = view.lstat(abs);
      if (st === undefined) continue;
      switch (st.type) {
        case "file":
          entries.push([
            relPath,
            "f",
            octal(st.mode),
            sha256(view.readFile(abs) ?? Buffer.alloc(0)),
          ]);
          break;
        case "dir":
          entries.push([relPath, "d", octal(st.mode), ""]);
          visit(relPath);
          break;
        case "symlink":
          entries.push([relPath, "l", octal(st.mode), view.readlink(abs) ?? ""]);
          break;
        case "other":
          entries.push([relPath, "o", octal(st.mode), ""]);
          break;
      }
    }
  };
  visit("");
  return entries;
}

/** Hashes a file or folder by content (symlinks are recorded, not followed, inside folders). */
export function pathRecord(path: string, view: StoreView): PathRecord {
  const st = view.stat(path);
  if (st === undefined) {
    const l = view.lstat(path);
    return l?.type === "symlink"
      ? { type: "symlink", target: view.readlink(path) ?? "" }
      : { type: "missing" };
  }
  switch (st.type) {
    case "file":
      return {
        type: "file",
        mode: octal(st.mode),
        sha256: sha256(view.readFile(path) ?? Buffer.alloc(0)),
      };
    case "dir":
      return { type: "dir", mode: octal(st.mode), entries: walkFolder(path, view) };
    case "symlink":
    case "other":
      return { type: "other" };
  }
}

/**
 * A seed's identity: an earlier substrate run's stamp fingerprint, else its `.DIGESTS` hash, else
 * (documented as weaker) its resolved link target, size and modification time.
 */
export function seedIdentity(path: string, view: StoreView): Record<string, unknown> {
  const link = view.lstat(path)?.type === "symlink" ? view.readlink(path) : undefined;
  const real = link === undefined ? path : join(dirname(path), link);
  const stamp = readStampFile(view, `${real}.stamp`);
  const id: Record<string, unknown> = {};
  if (link !== undefined) id["link"] = link;
  if (stamp !== undefined) return { ...id, stamp: stamp.fingerprint };
  const digests = view.readFile(`${real}.DIGESTS`);
  if (digests !== undefined) return { ...id, digests: sha256(digests) };
  const st = view.stat(real);
  return { ...id, name: basename(real), size: st?.size ?? -1, mtimeMs: st?.mtimeMs ?? -1 };
}

/** Identity of a seed as recorded (`@BUILDS@`-relative name plus its identity). */
export function seedInput(path: string, config: TreeConfig, view: StoreView): InputIdentity {
  const name = portablePath(path, config);
  if (view.stat(path) === undefined) return { seed: name, missing: true };
  return { seed: name, identity: seedIdentity(path, view) };
}

/** Builds a stage's fingerprint record. `cache` memoises path hashes across stages of one plan. */
export function fingerprintRecord(
  inputs: FingerprintInputs,
  view: StoreView,
  cache: Map<string, PathRecord> = new Map(),
): FingerprintRecord {
  const { spec, config } = inputs;
  const values: Record<string, SpecValue> = {};
  for (const key of Object.keys(spec.values).sort()) {
    const v = spec.values[key];
    if (v === undefined || BOOKKEEPING_KEYS.has(key)) continue;
    values[key] = portableValue(v, config);
  }
  const files: Record<string, Record<string, PathRecord>> = {};
  for (const ref of referencedPaths(spec, config.root)) {
    const byPath: Record<string, PathRecord> = {};
    for (const p of ref.paths) {
      let rec = cache.get(p);
      if (rec === undefined) {
        rec = pathRecord(p, view);
        cache.set(p, rec);
      }
      byPath[portablePath(p, config)] = rec;
    }
    files[ref.key] = byPath;
  }
  const record: Record<string, unknown> = {
    format: RECORD_FORMAT,
    substrate: VERSION,
    tool: inputs.toolVersion,
    driver: config.driver,
    stage: spec.id,
    kind: spec.kind,
    date: inputs.date,
    values,
    files,
    inputs: inputs.inputs,
  };
  if (config.driver === "apt" && config.apt !== undefined) {
    const { keyring, ...rest } = config.apt;
    record["apt"] =
      keyring === undefined
        ? rest
        : {
            ...rest,
            keyring: portablePath(keyring, config),
            keyringFile: pathRecord(keyring, view),
          };
  }
  if (spec.kind === "livecd-stage2" && config.secureBoot !== undefined) {
    record["secureboot"] = secureBootRecord(config.secureBoot.keys, config, view);
  }
  // Plain JSON data only (no undefined members), so a stamp's copy reads back equal.
  return record;
}

/**
 * What a signing stage's record holds about the key folder: its place and the hashes of its
 * public files (certificates, enrolment variables, owner GUID), never of a private key: a new
 * key comes with a new certificate, which rebuilds the stage.
 */
export function secureBootRecord(
  dir: string,
  config: TreeConfig,
  view: StoreView,
): Record<string, unknown> {
  const files: Record<string, PathRecord> = {};
  for (const name of SECURE_BOOT_PUBLIC_FILES) files[name] = pathRecord(join(dir, name), view);
  return { keys: portablePath(dir, config), files };
}

/** The key folder's public files a signing stage depends on. */
export const SECURE_BOOT_PUBLIC_FILES: readonly string[] = [
  "GUID",
  ...["PK", "KEK", "db"].flatMap((k) => [`${k}.crt`, `${k}.auth`]),
];

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : {};
}

const same = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

function firstChangedKey(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): string | undefined {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.find((k) => !same(a[k], b[k]));
}

function changedWord(a: Record<string, unknown>, b: Record<string, unknown>, k: string): string {
  return !(k in a) ? "added" : !(k in b) ? "removed" : "changed";
}

/** The first changed path of a referenced file or folder, for a reason like `(etc/hostname)`. */
function pathChange(old: unknown, now: unknown): string {
  const o = asRecord(old);
  const n = asRecord(now);
  if (o["type"] === "dir" && n["type"] === "dir") {
    const list = (r: Record<string, unknown>): Map<string, string> =>
      new Map(
        (Array.isArray(r["entries"]) ? (r["entries"] as unknown[]) : []).map((e) => {
          const entry = Array.isArray(e) ? (e as unknown[]) : [];
          return [String(entry[0]), canonicalJson(entry)];
        }),
      );
    const a = list(o);
    const b = list(n);
    const names = [...new Set([...a.keys(), ...b.keys()])].sort();
    const name = names.find((x) => a.get(x) !== b.get(x));
    if (name !== undefined)
      return `${name}${!a.has(name) ? " added" : !b.has(name) ? " removed" : ""}`;
    return "folder mode";
  }
  return "";
}

function inputChange(role: string, old: unknown, now: unknown): string {
  const o = asRecord(old);
  const n = asRecord(now);
  if (typeof o["stage"] === "string" && o["stage"] === n["stage"])
    return `parent ${o["stage"]} changed`;
  if (typeof o["seed"] === "string" && o["seed"] === n["seed"]) {
    return n["missing"] === true ? `seed ${o["seed"]} is gone` : `seed ${o["seed"]} changed`;
  }
  const describe = (r: Record<string, unknown>): string =>
    typeof r["stage"] === "string"
      ? `stage ${r["stage"]}`
      : typeof r["seed"] === "string"
        ? `seed ${r["seed"]}`
        : r["bootstrap"] === true
          ? "bootstrap"
          : "nothing";
  return `${role} input changed from ${describe(o)} to ${describe(n)}`;
}

/**
 * Names the first input that differs between an old record (from a stamp) and a new one, e.g.
 * `input livecd/root_overlay changed (etc/hostname)`, `parent amd64/x:stage3 changed`,
 * `spec value stage4/packages changed`. Returns `no input changed` for equal records.
 */
export function diffRecords(old: FingerprintRecord, now: FingerprintRecord): string {
  const o = asRecord(old);
  const n = asRecord(now);
  const fields = [
    "format",
    "substrate",
    "tool",
    "driver",
    "apt",
    "stage",
    "kind",
    "date",
    "values",
    "files",
    "inputs",
    "secureboot",
  ];
  for (const f of [...fields, ...Object.keys(o), ...Object.keys(n)]) {
    if (same(o[f], n[f])) continue;
    switch (f) {
      case "format":
        return "fingerprint format changed";
      case "substrate":
        return `substrate version changed (${String(o[f])} -> ${String(n[f])})`;
      case "tool":
        return "host tool versions changed";
      case "driver":
        return `driver changed (${String(o[f])} -> ${String(n[f])})`;
      case "apt": {
        const k = firstChangedKey(asRecord(o[f]), asRecord(n[f]));
        return `apt setting ${k ?? "?"} changed`;
      }
      case "stage":
        return "stage identity changed";
      case "kind":
        return `target changed (${String(o[f])} -> ${String(n[f])})`;
      case "date":
        return `build date changed (${String(o[f])} -> ${String(n[f])})`;
      case "values": {
        const a = asRecord(o[f]);
        const b = asRecord(n[f]);
        const k = firstChangedKey(a, b) ?? "?";
        return `spec value ${k} ${changedWord(a, b, k)}`;
      }
      case "files": {
        const a = asRecord(o[f]);
        const b = asRecord(n[f]);
        const k = firstChangedKey(a, b) ?? "?";
        if (!(k in a) || !(k in b)) return `input ${k} ${changedWord(a, b, k)}`;
        const pa = asRecord(a[k]);
        const pb = asRecord(b[k]);
        const p = firstChangedKey(pa, pb) ?? "?";
        if (!(p in pa) || !(p in pb)) return `input ${k} changed (${p} ${changedWord(pa, pb, p)})`;
        const what = pathChange(pa[p], pb[p]);
        return `input ${k} changed (${what === "" ? p : what})`;
      }
      case "secureboot": {
        if (o[f] === undefined)
          return "Secure Boot signing added ([secureboot] in the tree config)";
        if (n[f] === undefined)
          return "Secure Boot signing removed ([secureboot] in the tree config)";
        const a = asRecord(asRecord(o[f])["files"]);
        const b = asRecord(asRecord(n[f])["files"]);
        const k = firstChangedKey(a, b);
        return k === undefined
          ? "the Secure Boot key folder moved"
          : `Secure Boot key ${k} changed`;
      }
      case "inputs": {
        const a = asRecord(o[f]);
        const b = asRecord(n[f]);
        const role = firstChangedKey(a, b) ?? "?";
        return inputChange(role, a[role], b[role]);
      }
      default:
        return `${f} changed`;
    }
  }
  return "no input changed";
}
