/**
 * Secure Boot with the user's own keys: the key folder `substrate genkey` makes (a platform key,
 * a key-exchange key and a db key, each as a private key, an X.509 certificate, an EFI signature
 * list and an authenticated variable for enrolment), reading it back (public facts only:
 * certificate fingerprints and the enrolment files), and signing EFI binaries with the db key
 * (sbsigntool). Private keys never leave the folder: nothing here copies, hashes or logs them.
 * See docs/secure-boot.md.
 */
import { randomUUID, X509Certificate } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { copyFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { describeFailure, run } from "../sandbox/process.js";
import { type Result, ok, err } from "../util/result.js";
import type { FailureOf } from "../report/failure.js";

/** The three keys, in the order they are made (each signs the next one's enrolment file). */
export const KEY_NAMES = ["PK", "KEK", "db"] as const;

/** One of the three keys. */
export type KeyName = (typeof KEY_NAMES)[number];

/** The file holding the owner GUID every signature list names. */
export const OWNER_GUID_FILE = "GUID";

/** The files of one key in the folder: `<name>.key` is the only private one. */
export function keyFiles(dir: string, name: KeyName) {
  return {
    /** Private key (PEM, mode 0600). Never copied anywhere. */
    key: join(dir, `${name}.key`),
    /** X.509 certificate (PEM). */
    crt: join(dir, `${name}.crt`),
    /** The certificate in DER form (what firmware setup menus import). */
    cer: join(dir, `${name}.cer`),
    /** EFI signature list holding the certificate. */
    esl: join(dir, `${name}.esl`),
    /** Authenticated variable (signed signature list) for enrolment. */
    auth: join(dir, `${name}.auth`),
  };
}

/** Which key signs which key's enrolment file: PK itself, KEK by PK, db by KEK. */
export const SIGNED_BY: Readonly<Record<KeyName, KeyName>> = { PK: "PK", KEK: "PK", db: "KEK" };

/** A certificate as the manifests name it: its subject and the SHA-256 of its DER bytes. */
export interface CertificateId {
  readonly subject: string;
  /** Lower-case hex SHA-256 of the DER certificate (what `openssl x509 -fingerprint -sha256` shows). */
  readonly sha256: string;
}

/** A key folder read back: everything public about it, and where the db key is. */
export interface KeyFolder {
  readonly dir: string;
  readonly ownerGuid: string;
  readonly certificates: Readonly<Record<KeyName, CertificateId>>;
  /** The enrolment files (public), by key. */
  readonly auth: Readonly<Record<KeyName, string>>;
  /** The db key pair that signs EFI binaries. */
  readonly dbKey: string;
  readonly dbCert: string;
}

/** Why a key folder cannot be made or used. */
export type KeyFailure = FailureOf<"bad-input" | "tool-failed">;

/** The certificate's identity, from its PEM text. */
export function certificateId(pem: string | Buffer): CertificateId {
  const c = new X509Certificate(pem);
  return {
    subject: c.subject.replace(/\n/g, ", "),
    sha256: c.fingerprint256.replace(/:/g, "").toLowerCase(),
  };
}

/**
 * The subject of one key's certificate: the owner as the organisation, and a common name naming
 * substrate, the key and the owner GUID (`substrate db 1b4e28ba-...`, 50 characters: X.509 allows
 * 64).
 */
export function certificateSubject(name: KeyName, owner: string, guid: string): string {
  return `/O=${owner}/CN=substrate ${name} ${guid}`;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Options of {@link generateKeys}. */
export interface GenerateOptions {
  readonly dir: string;
  /** Who the keys belong to, for the certificates' names (default `substrate`). */
  readonly owner?: string;
  /** RSA modulus bits (2048 or 4096; default 2048). */
  readonly bits?: 2048 | 4096;
  /** Certificate lifetime in days (default 3650). */
  readonly days?: number;
  /** Owner GUID (default: a random one). */
  readonly guid?: string;
  readonly logFile?: string;
  readonly signal?: AbortSignal;
}

/** What {@link generateKeys} made. */
export interface GeneratedKeys {
  readonly folder: KeyFolder;
  /** Every file written, relative to the folder. */
  readonly files: readonly string[];
}

/**
 * The problem with making keys in `dir`, if any: it must not hold key files already (an existing
 * key is never replaced: firmware that enrolled it would stop booting what it signs).
 */
export function generateProblem(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  if (!statSync(dir).isDirectory()) return `${dir} exists and is not a folder`;
  const present = readdirSync(dir).filter(
    (n) => n === OWNER_GUID_FILE || KEY_NAMES.some((k) => n.startsWith(`${k}.`)),
  );
  return present.length > 0
    ? `${dir} already holds keys (${present.sort().join(", ")}); substrate never overwrites a key`
    : undefined;
}

async function tool(
  argv: readonly string[],
  options: { logFile?: string | undefined; signal?: AbortSignal | undefined },
): Promise<Result<string, KeyFailure>> {
  const r = await run({
    argv,
    captureStdout: true,
    ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  if (r.ok) return ok(r.value.stdout);
  return err({
    reason: "tool-failed",
    failure: r.error,
    message: describeFailure(r.error),
    tail: "tail" in r.error ? r.error.tail : [],
  });
}

/**
 * Makes PK, KEK and db in `dir` (created with mode 0700; private keys 0600): for each an RSA key
 * and a self-signed certificate (openssl), the certificate in DER form, an EFI signature list
 * (cert-to-efi-sig-list) and an authenticated variable for enrolment (sign-efi-sig-list; PK signs
 * itself and KEK, KEK signs db). Refuses a folder that already holds keys.
 */
export async function generateKeys(
  options: GenerateOptions,
): Promise<Result<GeneratedKeys, KeyFailure>> {
  const { dir } = options;
  const problem = generateProblem(dir);
  if (problem !== undefined)
    return err({
      reason: "bad-input",
      message: problem,
      hint: "name a new folder, or remove the old keys yourself if nothing enrolled them",
    });
  const guid = (options.guid ?? randomUUID()).toLowerCase();
  if (!GUID.test(guid))
    return err({ reason: "bad-input", message: `owner GUID ${guid} is not a GUID` });
  const owner = options.owner ?? "substrate";
  if (/[/\n\\=+,]/.test(owner) || owner.length === 0 || owner.length > 64)
    return err({
      reason: "bad-input",
      message: `owner "${owner}" is not 1 to 64 characters without / \\ = + , or a line break (an X.509 organisation name)`,
    });
  const created = !existsSync(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const made = await makeKeys(dir, guid, owner, options);
  if (!made.ok) {
    // Half a key folder is of no use: take back what was written.
    if (created) rmSync(dir, { recursive: true, force: true });
    else for (const n of made.error.files) rmSync(join(dir, n), { force: true });
    return err(made.error.failure);
  }
  return made;
}

async function makeKeys(
  dir: string,
  guid: string,
  owner: string,
  options: GenerateOptions,
): Promise<Result<GeneratedKeys, { failure: KeyFailure; files: string[] }>> {
  chmodSync(dir, 0o700);
  const o = { logFile: options.logFile, signal: options.signal };
  const files: string[] = [OWNER_GUID_FILE];
  const fail = (failure: KeyFailure) =>
    err({
      failure,
      files: [
        ...files,
        ...KEY_NAMES.flatMap((k) => ["key", "crt", "cer", "esl", "auth"].map((e) => `${k}.${e}`)),
      ],
    });
  writeFileSync(join(dir, OWNER_GUID_FILE), guid + "\n", { mode: 0o644 });
  for (const name of KEY_NAMES) {
    const f = keyFiles(dir, name);
    const made = await tool(
      [
        "openssl",
        "req",
        "-new",
        "-x509",
        "-newkey",
        `rsa:${options.bits ?? 2048}`,
        "-nodes",
        "-sha256",
        "-days",
        String(options.days ?? 3650),
        "-subj",
        certificateSubject(name, owner, guid),
        "-keyout",
        f.key,
        "-out",
        f.crt,
      ],
      o,
    );
    if (!made.ok) return fail(made.error);
    chmodSync(f.key, 0o600);
    chmodSync(f.crt, 0o644);
    const der = await tool(["openssl", "x509", "-in", f.crt, "-outform", "DER", "-out", f.cer], o);
    if (!der.ok) return fail(der.error);
    const esl = await tool(["cert-to-efi-sig-list", "-g", guid, f.crt, f.esl], o);
    if (!esl.ok) return fail(esl.error);
    files.push(`${name}.key`, `${name}.crt`, `${name}.cer`, `${name}.esl`);
  }
  for (const name of KEY_NAMES) {
    const f = keyFiles(dir, name);
    const by = keyFiles(dir, SIGNED_BY[name]);
    const auth = await tool(
      ["sign-efi-sig-list", "-g", guid, "-k", by.key, "-c", by.crt, name, f.esl, f.auth],
      o,
    );
    if (!auth.ok) return fail(auth.error);
    files.push(`${name}.auth`);
  }
  for (const n of files) if (!n.endsWith(".key")) chmodSync(join(dir, n), 0o644);
  const folder = readKeyFolder(dir);
  if (!folder.ok) return fail({ reason: "bad-input", message: folder.error });
  return ok({ folder: folder.value, files });
}

/** Reads a key folder's public facts; the message says what is missing. */
export function readKeyFolder(dir: string): Result<KeyFolder, string> {
  if (!existsSync(dir)) return err(`the Secure Boot key folder ${dir} does not exist`);
  const missing: string[] = [];
  const need = (p: string): void => {
    if (!existsSync(p)) missing.push(p.slice(dir.length + 1));
  };
  need(join(dir, OWNER_GUID_FILE));
  for (const name of KEY_NAMES) {
    const f = keyFiles(dir, name);
    need(f.crt);
    need(f.auth);
  }
  need(keyFiles(dir, "db").key);
  if (missing.length > 0)
    return err(`the Secure Boot key folder ${dir} lacks ${missing.join(", ")}`);
  const certificates = {} as Record<KeyName, CertificateId>;
  const auth = {} as Record<KeyName, string>;
  for (const name of KEY_NAMES) {
    const f = keyFiles(dir, name);
    try {
      certificates[name] = certificateId(readFileSync(f.crt));
    } catch (e) {
      return err(`${f.crt} is not a PEM certificate: ${(e as Error).message}`);
    }
    auth[name] = f.auth;
  }
  const ownerGuid = readFileSync(join(dir, OWNER_GUID_FILE), "utf8").trim();
  const db = keyFiles(dir, "db");
  return ok({ dir, ownerGuid, certificates, auth, dbKey: db.key, dbCert: db.crt });
}

/** One EFI binary signed. */
export interface SignedFile {
  /** Path relative to the payload. */
  readonly path: string;
  /** Signatures it carried before (e.g. Debian's on its kernel), removed before signing. */
  readonly removedSignatures: number;
}

/** Counts the signatures in a PE/COFF file (`sbverify --list`). */
export async function signatureCount(
  file: string,
  options: { logFile?: string | undefined; signal?: AbortSignal | undefined } = {},
): Promise<Result<number, KeyFailure>> {
  const r = await tool(["sbverify", "--list", file], options);
  if (!r.ok) return r;
  return ok((r.value.match(/^signature \d+$/gm) ?? []).length);
}

/**
 * Signs an EFI binary in place with the db key: earlier signatures are removed first
 * (`sbattach --remove`, so the file carries only the user's), then `sbsign` signs and
 * `sbverify --cert` checks the result against the db certificate.
 */
export async function signEfiBinary(
  file: string,
  keys: { readonly dbKey: string; readonly dbCert: string },
  options: { logFile?: string | undefined; signal?: AbortSignal | undefined } = {},
): Promise<Result<number, KeyFailure>> {
  const unsigned = `${file}.unsigned`;
  const signed = `${file}.signed`;
  try {
    await copyFile(file, unsigned);
    const before = await signatureCount(unsigned, options);
    if (!before.ok) return before;
    for (let i = 0; i < before.value; i++) {
      const r = await tool(["sbattach", "--remove", unsigned], options);
      if (!r.ok) return r;
    }
    const s = await tool(
      ["sbsign", "--key", keys.dbKey, "--cert", keys.dbCert, "--output", signed, unsigned],
      options,
    );
    if (!s.ok) return s;
    const v = await tool(["sbverify", "--cert", keys.dbCert, signed], options);
    if (!v.ok) return v;
    await rename(signed, file);
    return ok(before.value);
  } finally {
    await rm(unsigned, { force: true });
    await rm(signed, { force: true });
  }
}

/** Host tools signing needs (for `substrate doctor` and the stage kinds' tool lists). */
export const SIGNING_TOOLS = [
  { command: "sbsign", debianPackage: "sbsigntool", why: "signs EFI binaries for Secure Boot" },
  { command: "sbverify", debianPackage: "sbsigntool", why: "checks Secure Boot signatures" },
  { command: "sbattach", debianPackage: "sbsigntool", why: "removes old Secure Boot signatures" },
] as const;

/** Host tools `substrate genkey` needs. */
export const KEYGEN_TOOLS = [
  { command: "openssl", debianPackage: "openssl", why: "makes the keys and certificates" },
  {
    command: "cert-to-efi-sig-list",
    debianPackage: "efitools",
    why: "makes EFI signature lists",
  },
  {
    command: "sign-efi-sig-list",
    debianPackage: "efitools",
    why: "signs the enrolment variables",
  },
] as const;
