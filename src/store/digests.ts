/**
 * `.DIGESTS` files in Gentoo's format (what catalyst writes and Gentoo's autobuilds publish):
 * for each file (the output, then its `.CONTENTS.gz`), for each algorithm, a header line
 * `# <ALGO> HASH` followed by `<hex>  <basename>`. substrate writes BLAKE2B then SHA512, in that
 * order, so the file is deterministic (catalyst's order comes from a Python set). Files are hashed
 * in one streaming pass per file. {@link verifyDigests} checks a seed against such a file, also
 * accepting a PGP clear-signed wrapper and BSD-style lines (`SHA512 (name) = hex`).
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { type Result, ok, err } from "../util/result.js";
import type { DigestAlgorithm, FailureOf } from "../report/failure.js";

/** Algorithms substrate writes and verifies, by their DIGESTS header names. */
export const DIGEST_ALGORITHMS = ["BLAKE2B", "SHA512"] as const;

/** A DIGESTS algorithm name. */
export type { DigestAlgorithm };

const NODE_NAMES: Readonly<Record<DigestAlgorithm, string>> = {
  BLAKE2B: "blake2b512",
  SHA512: "sha512",
  SHA256: "sha256",
};

/** Hex digests of one file, by algorithm. */
export type FileDigests = Readonly<Partial<Record<DigestAlgorithm, string>>>;

/** Why hashing or verifying failed. */
export type DigestFailure = FailureOf<"unreadable" | "no-entry" | "mismatch">;

/** Hashes a file with each algorithm in one streaming read. */
export async function hashFile(
  path: string,
  algorithms: readonly DigestAlgorithm[] = DIGEST_ALGORITHMS,
  signal?: AbortSignal,
): Promise<Result<FileDigests, DigestFailure>> {
  const hashes: [DigestAlgorithm, Hash][] = algorithms.map((a) => [a, createHash(NODE_NAMES[a])]);
  try {
    const stream = createReadStream(path, {
      highWaterMark: 1 << 20,
      ...(signal === undefined ? {} : { signal }),
    });
    for await (const chunk of stream) {
      for (const [, h] of hashes) h.update(chunk as Buffer);
    }
  } catch (e) {
    return err({
      reason: "unreadable",
      path,
      message: `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`,
    });
  }
  const out: Partial<Record<DigestAlgorithm, string>> = {};
  for (const [a, h] of hashes) out[a] = h.digest("hex");
  return ok(out);
}

/** Formats DIGESTS text for files already hashed, in the order given. Pure. */
export function formatDigests(
  entries: readonly { readonly name: string; readonly digests: FileDigests }[],
  algorithms: readonly DigestAlgorithm[] = DIGEST_ALGORITHMS,
): string {
  let text = "";
  for (const { name, digests } of entries) {
    for (const a of algorithms) {
      const hex = digests[a];
      if (hex === undefined) throw new Error(`Internal error: no ${a} digest for ${name}`);
      text += `# ${a} HASH\n${hex}  ${name}\n`;
    }
  }
  return text;
}

/**
 * Makes the DIGESTS text for `file` and, when given, its sidecars (its `.CONTENTS.gz`, then its
 * `.spdx.json` SBOM), named by basename as Gentoo does.
 */
export async function makeDigests(
  file: string,
  sidecars?: string | readonly string[],
  signal?: AbortSignal,
): Promise<Result<string, DigestFailure>> {
  const entries: { name: string; digests: FileDigests }[] = [];
  const more = sidecars === undefined ? [] : typeof sidecars === "string" ? [sidecars] : sidecars;
  for (const path of [file, ...more]) {
    const d = await hashFile(path, DIGEST_ALGORITHMS, signal);
    if (!d.ok) return d;
    entries.push({ name: basename(path), digests: d.value });
  }
  return ok(formatDigests(entries));
}

/** One parsed DIGESTS line. */
export interface DigestEntry {
  readonly algorithm: string;
  readonly hex: string;
  readonly name: string;
}

/**
 * Parses DIGESTS text: `# ALGO HASH` headers followed by `<hex>  <name>` lines, or BSD lines
 * `ALGO (name) = hex`. A PGP clear-signature wrapper and unknown lines are ignored. Names are
 * reduced to their basename (Gentoo's lines sometimes carry a path) unless `keepPaths` (a folder's
 * DIGESTS names files by their path in it). Pure.
 */
export function parseDigests(text: string, keepPaths = false): DigestEntry[] {
  const nameOf = (n: string): string => (keepPaths ? n : basename(n));
  const entries: DigestEntry[] = [];
  let algorithm: string | undefined;
  let inSignature = false;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line.startsWith("-----BEGIN PGP SIGNATURE-----")) inSignature = true;
    if (line.startsWith("-----END PGP SIGNATURE-----")) {
      inSignature = false;
      continue;
    }
    if (inSignature) continue;
    const header = /^#\s*(\w+)\s+HASH\s*$/i.exec(line);
    if (header !== null) {
      algorithm = (header[1] ?? "").toUpperCase();
      continue;
    }
    const bsd = /^(\w+)\s*\((.+)\)\s*=\s*([0-9a-fA-F]+)\s*$/.exec(line);
    if (bsd !== null) {
      entries.push({
        algorithm: (bsd[1] ?? "").toUpperCase(),
        name: nameOf(bsd[2] ?? ""),
        hex: (bsd[3] ?? "").toLowerCase(),
      });
      continue;
    }
    const linux = /^([0-9a-fA-F]{32,})\s+\*?(.+?)\s*$/.exec(line);
    if (linux !== null && algorithm !== undefined) {
      entries.push({
        algorithm,
        hex: (linux[1] ?? "").toLowerCase(),
        name: nameOf(linux[2] ?? ""),
      });
    }
  }
  return entries;
}

/** Normalises Gentoo's historic algorithm names to the ones substrate computes. */
function knownAlgorithm(name: string): DigestAlgorithm | undefined {
  switch (name) {
    case "BLAKE2B":
    case "BLAKE2B512":
      return "BLAKE2B";
    case "SHA512":
      return "SHA512";
    case "SHA256":
      return "SHA256";
    default:
      return undefined; // MD5, SHA1, WHIRLPOOL: not trusted, not checked
  }
}

/** The text of a DIGESTS file, or why it cannot be read. */
function readDigestsFile(digestsFile: string): Result<string, DigestFailure> {
  try {
    return ok(readFileSync(digestsFile, "utf8"));
  } catch (e) {
    return err({
      reason: "unreadable",
      path: digestsFile,
      message: `cannot read ${digestsFile}: ${e instanceof Error ? e.message : String(e)}`,
    });
  }
}

/**
 * Verifies `file` against the DIGESTS file `digestsFile`: every SHA512/BLAKE2B/SHA256 entry
 * naming the file's basename must match, and at least one must exist. Returns the algorithms
 * checked.
 */
export async function verifyDigests(
  file: string,
  digestsFile: string,
  signal?: AbortSignal,
): Promise<Result<readonly DigestAlgorithm[], DigestFailure>> {
  const read = readDigestsFile(digestsFile);
  if (!read.ok) return read;
  const text = read.value;
  const name = basename(file);
  const wanted: { algorithm: DigestAlgorithm; hex: string }[] = [];
  for (const e of parseDigests(text)) {
    const algorithm = knownAlgorithm(e.algorithm);
    if (e.name === name && algorithm !== undefined) wanted.push({ algorithm, hex: e.hex });
  }
  if (wanted.length === 0) {
    return err({
      reason: "no-entry",
      path: file,
      message: `${digestsFile} has no SHA512, BLAKE2B or SHA256 line for ${name}`,
    });
  }
  return matchDigests(file, name, wanted, digestsFile, signal);
}

/**
 * Hashes `file` once with every algorithm `wanted` names and compares; `name` is how the
 * mismatch message calls the file. Returns the algorithms checked.
 */
async function matchDigests(
  file: string,
  name: string,
  wanted: readonly { readonly algorithm: DigestAlgorithm; readonly hex: string }[],
  digestsFile: string,
  signal?: AbortSignal,
): Promise<Result<readonly DigestAlgorithm[], DigestFailure>> {
  const algorithms = [...new Set(wanted.map((w) => w.algorithm))];
  const actual = await hashFile(file, algorithms, signal);
  if (!actual.ok) return actual;
  for (const w of wanted) {
    const got = actual.value[w.algorithm];
    if (got !== w.hex) {
      return err({
        reason: "mismatch",
        path: file,
        algorithm: w.algorithm,
        expected: w.hex,
        actual: got ?? "",
        message: `${name}: ${w.algorithm} digest does not match ${basename(digestsFile)} (the file is corrupt or was replaced)`,
      });
    }
  }
  return ok(algorithms);
}

/** catalyst's separate `<file>.sha256`: the same format with one SHA256 entry for the file. */
export async function makeSha256File(
  file: string,
  signal?: AbortSignal,
): Promise<Result<string, DigestFailure>> {
  const d = await hashFile(file, ["SHA256"], signal);
  if (!d.ok) return d;
  return ok(formatDigests([{ name: basename(file), digests: d.value }], ["SHA256"]));
}

/** Every regular file under `dir`, as paths relative to it, sorted. Symlinks are not followed. */
function filesUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const r = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) found.push(r);
    }
  };
  walk("");
  return found.sort();
}

/**
 * The DIGESTS text for a folder output (livecd-stage2's payload): one BLAKE2B and SHA512 entry
 * for every regular file, named `<folder>/<relative path>`, in sorted order.
 */
export async function makeFolderDigests(
  dir: string,
  signal?: AbortSignal,
): Promise<Result<string, DigestFailure>> {
  const entries: { name: string; digests: FileDigests }[] = [];
  for (const rel of filesUnder(dir)) {
    const d = await hashFile(join(dir, rel), DIGEST_ALGORITHMS, signal);
    if (!d.ok) return d;
    entries.push({ name: `${basename(dir)}/${rel}`, digests: d.value });
  }
  return ok(formatDigests(entries));
}

/**
 * Verifies a folder output against its DIGESTS: every file listed must be there and match, and
 * no file may be there that is not listed.
 */
export async function verifyFolderDigests(
  dir: string,
  digestsFile: string,
  signal?: AbortSignal,
): Promise<Result<number, DigestFailure>> {
  const read = readDigestsFile(digestsFile);
  if (!read.ok) return read;
  const text = read.value;
  const prefix = `${basename(dir)}/`;
  const wanted = new Map<string, { algorithm: DigestAlgorithm; hex: string }[]>();
  for (const e of parseDigests(text, true)) {
    const algorithm = knownAlgorithm(e.algorithm);
    if (algorithm === undefined || !e.name.startsWith(prefix)) continue;
    const rel = e.name.slice(prefix.length);
    wanted.set(rel, [...(wanted.get(rel) ?? []), { algorithm, hex: e.hex }]);
  }
  const present = filesUnder(dir);
  for (const rel of present) {
    if (!wanted.has(rel)) {
      return err({
        reason: "no-entry",
        path: join(dir, rel),
        message: `${join(dir, rel)} is not listed in ${basename(digestsFile)} (a file was added)`,
      });
    }
  }
  for (const [rel, list] of wanted) {
    const m = await matchDigests(join(dir, rel), `${prefix}${rel}`, list, digestsFile, signal);
    if (!m.ok) return m;
  }
  return ok(present.length);
}
