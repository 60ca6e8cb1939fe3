/**
 * The verification shared by seeds and snapshots: a digest list (a seed's `.DIGESTS`, the
 * snapshots' `sha512sum.txt`) is trusted only when an OpenPGP signature covers it (clear-signed,
 * or a detached signature given by the caller), then the file is checked against it with
 * `store/digests` (SHA512 and BLAKE2B lines). With `insecure` the signature is skipped, never the
 * digests.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { type DigestAlgorithm, parseDigests, verifyDigests } from "../../store/digests.js";
import { type Result, ok, err } from "../../util/result.js";
import { isClearSigned, verifyClearSigned, verifyDetached } from "./openpgp.js";
import type { FailureOf } from "../../report/failure.js";

/** Why an input was refused. */
export type VerifyFailure = FailureOf<
  | "bad-signature"
  | "unsigned"
  | "no-digest-line"
  | "digest-mismatch"
  | "unreadable"
  | "no-keyring"
  | "gpgv-missing"
>;

/** What was checked, for the report. */
export interface Verified {
  readonly signature: "clear-signed" | "detached" | "skipped (--insecure)";
  readonly algorithms: readonly DigestAlgorithm[];
}

/**
 * Verifies `file` against the digest list `digestsFile`. `detachedSig` is a detached signature
 * over `file` itself (a seed's `.asc`), used when the list is not clear-signed. `keyring` is
 * undefined only with `insecure`. `bareLines` marks a `sha512sum` style list (`hex  name`
 * lines without `# SHA512 HASH` headers).
 */
export async function verifySigned(opts: {
  readonly file: string;
  readonly digestsFile: string;
  readonly detachedSig?: string;
  readonly keyring: string | undefined;
  readonly insecure: boolean;
  readonly bareLines?: boolean;
  readonly signal?: AbortSignal;
}): Promise<Result<Verified, VerifyFailure>> {
  let text: string;
  try {
    text = readFileSync(opts.digestsFile, "utf8");
  } catch (e) {
    return err({ reason: "unreadable", message: `cannot read ${opts.digestsFile}: ${String(e)}` });
  }
  let signature: Verified["signature"] = "skipped (--insecure)";
  let trusted = text;
  if (opts.keyring !== undefined && isClearSigned(text)) {
    const v = await verifyClearSigned(opts.digestsFile, opts.keyring, opts.signal);
    if (!v.ok) {
      return err({
        reason:
          v.error.reason === "no-keyring" || v.error.reason === "gpgv-missing"
            ? v.error.reason
            : "bad-signature",
        message: `${basename(opts.digestsFile)}: ${v.error.message}`,
        ...("hint" in v.error ? { hint: v.error.hint } : {}),
      });
    }
    trusted = v.value;
    signature = "clear-signed";
  } else if (opts.keyring !== undefined && opts.detachedSig !== undefined) {
    const v = await verifyDetached(opts.detachedSig, opts.file, opts.keyring, opts.signal);
    if (!v.ok)
      return err({
        reason: "bad-signature",
        message: `${basename(opts.detachedSig)}: ${v.error.message}`,
      });
    signature = "detached";
  } else if (!opts.insecure) {
    return err({
      reason: "unsigned",
      message: `${basename(opts.digestsFile)} is not signed and there is no signature for ${basename(opts.file)}`,
      hint: "use a mirror that publishes Gentoo's signatures, or pass --insecure to accept unverified input",
    });
  }
  const body = opts.bareLines === true ? `# SHA512 HASH\n${trusted}` : trusted;
  const name = basename(opts.file);
  if (
    !parseDigests(body).some(
      (e) => e.name === name && (e.algorithm === "SHA512" || e.algorithm === "BLAKE2B"),
    )
  ) {
    return err({
      reason: "no-digest-line",
      message: `${basename(opts.digestsFile)} has no SHA512 or BLAKE2B line for ${name}`,
    });
  }
  const work = mkdtempSync(join(tmpdir(), "substrate-digests-"));
  try {
    const list = join(work, "DIGESTS");
    writeFileSync(list, body);
    const d = await verifyDigests(opts.file, list, opts.signal);
    if (!d.ok) {
      return err({
        reason:
          d.error.reason === "mismatch"
            ? "digest-mismatch"
            : d.error.reason === "no-entry"
              ? "no-digest-line"
              : "unreadable",
        message: d.error.message,
      });
    }
    return ok({ signature, algorithms: d.value });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
