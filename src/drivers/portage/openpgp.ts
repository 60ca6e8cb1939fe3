/**
 * OpenPGP checks with `gpgv` (GnuPG's verify-only tool: no keyring state, no trust database).
 * Gentoo signs its autobuild pointers (`latest-stage3-*.txt`), seed `.DIGESTS` files and the
 * snapshot `sha512sum.txt` as clear-signed text, and seed tarballs with detached `.asc`
 * signatures. gpgv reads only binary keyrings, so an armored key file (Gentoo ships
 * `/usr/share/openpgp-keys/gentoo-release.asc`) is de-armored here, in TypeScript, first.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, describeFailure } from "../../sandbox/process.js";
import { type Result, ok, err } from "../../util/result.js";
import type { FailureOf } from "../../report/failure.js";

/** Keyrings tried, in order, when the user names none. */
export const DEFAULT_KEYRINGS: readonly string[] = [
  "/usr/share/openpgp-keys/gentoo-release.asc",
  "/usr/share/openpgp-keys/gentoo-release.gpg",
  "/usr/share/keyrings/gentoo-release.gpg",
];

/** Why a signature check failed. */
export type SignatureFailure = FailureOf<
  "no-keyring" | "bad-keyring" | "bad-signature" | "no-signature" | "gpgv-missing"
>;

/** Decodes every ASCII-armored block of `text` into binary packets, or undefined if none. */
export function dearmor(text: string): Buffer | undefined {
  const blocks: Buffer[] = [];
  const re = /-----BEGIN PGP [A-Z ]+-----\r?\n([\s\S]*?)-----END PGP [A-Z ]+-----/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const body = m[1] ?? "";
    const lines = body.split(/\r?\n/);
    // Armor headers end at the first empty line (there may be none).
    const blank = lines.findIndex((l) => l.trim() === "");
    const data = (
      blank >= 0 && lines.slice(0, blank).every((l) => l.includes(":"))
        ? lines.slice(blank + 1)
        : lines
    )
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("="));
    blocks.push(Buffer.from(data.join(""), "base64"));
  }
  return blocks.length === 0 ? undefined : Buffer.concat(blocks);
}

/** Picks the keyring: the user's, else the first default that exists. */
export function chooseKeyring(userKeyring: string | undefined): Result<string, SignatureFailure> {
  const candidates = userKeyring === undefined ? DEFAULT_KEYRINGS : [userKeyring];
  for (const c of candidates) {
    try {
      readFileSync(c);
      return ok(c);
    } catch {
      if (userKeyring !== undefined) {
        return err({ reason: "bad-keyring", message: `cannot read the keyring ${c}` });
      }
    }
  }
  return err({
    reason: "no-keyring",
    message: "no OpenPGP keyring to check Gentoo's signatures with",
    hint: "install Gentoo's release key (on Gentoo: sec-keys/openpgp-keys-gentoo-release; elsewhere save the key listed at https://www.gentoo.org/downloads/signatures/) and pass --keyring FILE; --insecure skips the check",
  });
}

/** A keyring file gpgv can read: the file itself, or a de-armored copy in `workDir`. */
function gpgvKeyring(keyring: string, workDir: string): Result<string, SignatureFailure> {
  let data: Buffer;
  try {
    data = readFileSync(keyring);
  } catch (e) {
    return err({
      reason: "bad-keyring",
      message: `cannot read the keyring ${keyring}: ${String(e)}`,
    });
  }
  if (!data.subarray(0, 64).toString("latin1").includes("-----BEGIN PGP")) return ok(keyring);
  const binary = dearmor(data.toString("latin1"));
  if (binary === undefined || binary.length === 0) {
    return err({ reason: "bad-keyring", message: `${keyring} holds no armored OpenPGP key block` });
  }
  const out = join(workDir, "keyring.gpg");
  writeFileSync(out, binary);
  return ok(out);
}

async function gpgv(
  keyring: string,
  args: readonly string[],
  signal?: AbortSignal,
): Promise<Result<{ readonly plain?: string }, SignatureFailure>> {
  const work = mkdtempSync(join(tmpdir(), "substrate-gpgv-"));
  try {
    const kr = gpgvKeyring(keyring, work);
    if (!kr.ok) return kr;
    const wantsOutput = args[0] === "--output";
    const out = join(work, "plain");
    const argv = [
      "gpgv",
      "--keyring",
      kr.value,
      ...(wantsOutput ? ["--output", out, ...args.slice(1)] : args),
    ];
    const r = await run({
      argv,
      ...(signal === undefined ? {} : { signal }),
      extraEnv: { GNUPGHOME: work },
    });
    if (!r.ok) {
      const f = r.error;
      if (f.reason === "spawn-error") {
        return err({
          reason: "gpgv-missing",
          message: describeFailure(f),
          hint: "install gpgv (apt-get install gpgv)",
        });
      }
      const tail = "tail" in f ? f.tail : [];
      const text = tail.join("\n");
      if (
        /no signature found|no valid OpenPGP data|verify signatures failed/i.test(text) &&
        !/BAD signature|No public key/i.test(text)
      ) {
        return err({ reason: "no-signature", message: "the file carries no OpenPGP signature" });
      }
      const why = /BAD signature/i.test(text)
        ? "BAD signature: the file was changed after it was signed"
        : /No public key|public key not found/i.test(text)
          ? "signed by a key that is not in the keyring"
          : "the signature does not verify";
      return err({
        reason: "bad-signature",
        message: why,
        detail: tail.filter((l) => l.startsWith("gpgv:")),
      });
    }
    if (!wantsOutput) return ok({});
    return ok({ plain: readFileSync(out, "utf8") });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** True when `text` is an OpenPGP clear-signed message. */
export function isClearSigned(text: string): boolean {
  return text.startsWith("-----BEGIN PGP SIGNED MESSAGE-----");
}

/** Verifies a clear-signed file and returns the signed text only (what the key vouches for). */
export async function verifyClearSigned(
  file: string,
  keyring: string,
  signal?: AbortSignal,
): Promise<Result<string, SignatureFailure>> {
  const r = await gpgv(keyring, ["--output", file], signal);
  if (!r.ok) return r;
  return ok(r.value.plain ?? "");
}

/** Verifies a detached signature `sigFile` over `file`. */
export async function verifyDetached(
  sigFile: string,
  file: string,
  keyring: string,
  signal?: AbortSignal,
): Promise<Result<void, SignatureFailure>> {
  const r = await gpgv(keyring, [sigFile, file], signal);
  return r.ok ? ok(undefined) : r;
}
