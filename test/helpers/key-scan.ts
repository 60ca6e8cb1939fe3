// Looks for private key material in build outputs: every file under the given folders is read
// byte for byte, and every archive or image among them is unpacked (tar, squashfs, ISO 9660,
// its El Torito boot images, FAT, gzip) and looked through the same way, recursively. The
// needles of an RSA key are its DER (PKCS#8) bytes, the raw private numbers (d, p, q) and two
// PEM lines that encode them; public parts (the modulus) are never needles, since
// certificates rightly carry them.
import { createPrivateKey } from "node:crypto";
import { execFileSync } from "node:child_process";
import {
  closeSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

/** One thing to look for. */
export interface Needle {
  readonly label: string;
  readonly bytes: Buffer;
}

/** A needle found. */
export interface KeyHit {
  readonly needle: string;
  /** The file, as a chain of archives: `outer.iso!/LiveOS/squashfs.img!/etc/x`. */
  readonly where: string;
}

/** The needles of a PEM private key (RSA). */
export function privateKeyNeedles(pem: string, name: string): Needle[] {
  const key = createPrivateKey(pem);
  const der = key.export({ format: "der", type: "pkcs8" });
  const jwk = key.export({ format: "jwk" });
  const needles: Needle[] = [{ label: `${name} DER`, bytes: der }];
  // Every binary form of the key holds d; p and q in case only the primes leaked.
  for (const part of ["d", "p", "q"] as const) {
    const v = jwk[part];
    if (typeof v === "string")
      needles.push({ label: `${name} ${part}`, bytes: Buffer.from(v, "base64url") });
  }
  // PEM lines past the modulus encode private numbers only (48 DER bytes a line): two of them,
  // one in d and one in the primes (each needle costs a pass over every byte scanned).
  const body = pem.split("\n").filter((l) => l !== "" && !l.startsWith("-----"));
  for (const i of [9, 16]) {
    const l = body[i];
    if (l?.length === 64)
      needles.push({ label: `${name} PEM line ${i + 1}`, bytes: Buffer.from(l) });
  }
  return needles;
}

/** The needles found in `bytes`. */
export function findNeedles(bytes: Buffer, needles: readonly Needle[]): string[] {
  return needles.filter((n) => bytes.includes(n.bytes)).map((n) => n.label);
}

function head(path: string, length: number, at = 0): Buffer {
  const fd = openSync(path, "r");
  try {
    const b = Buffer.alloc(length);
    const n = readSync(fd, b, 0, length, at);
    return b.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

type Kind = "tar" | "squashfs" | "iso" | "fat" | "gzip" | undefined;

function kindOf(path: string): Kind {
  const name = basename(path);
  const h = head(path, 0x8006);
  if (h.length >= 4 && h.subarray(0, 4).toString("latin1") === "hsqs") return "squashfs";
  if (h.length >= 0x8006 && h.subarray(0x8001, 0x8006).toString("latin1") === "CD001") return "iso";
  if (/\.tar(\.(zst|gz|xz|bz2))?$/.test(name)) return "tar";
  if (
    h.length >= 0x5a &&
    h[510] === 0x55 &&
    h[511] === 0xaa &&
    /FAT/.test(h.subarray(0x36, 0x5a).toString("latin1"))
  )
    return "fat";
  if (h.length >= 2 && h[0] === 0x1f && h[1] === 0x8b) return "gzip";
  return undefined;
}

function unpack(path: string, kind: Exclude<Kind, undefined>, into: string): void {
  const quiet = { stdio: "ignore" as const, maxBuffer: 1 << 30 };
  switch (kind) {
    case "tar":
      execFileSync("tar", ["-xf", path, "-C", into, "--no-same-owner", "--warning=none"], quiet);
      return;
    case "squashfs":
      execFileSync("unsquashfs", ["-q", "-n", "-no-xattrs", "-f", "-d", into, path], quiet);
      return;
    case "iso":
      execFileSync("osirrox", ["-indev", path, "-extract", "/", join(into, "tree")], quiet);
      execFileSync(
        "xorriso",
        ["-osirrox", "on", "-indev", path, "-extract_boot_images", join(into, "boot-images") + "/"],
        quiet,
      );
      return;
    case "fat":
      execFileSync("mcopy", ["-s", "-n", "-i", path, "::/", into], {
        ...quiet,
        env: { ...process.env, MTOOLS_SKIP_CHECK: "1" },
      });
      return;
    case "gzip":
      execFileSync(
        "sh",
        ["-c", 'gzip -dc "$1" > "$2"', "sh", path, join(into, basename(path).replace(/\.gz$/, ""))],
        quiet,
      );
      return;
  }
}

/**
 * Scans every regular file under `roots` (and everything unpacked from them) for the needles.
 * Returns the hits and how many files were read.
 */
export function scanForKeys(
  roots: readonly string[],
  needles: readonly Needle[],
): { hits: KeyHit[]; files: number; archives: number } {
  const hits: KeyHit[] = [];
  let files = 0;
  let archives = 0;
  const scratch = mkdtempSync(join(tmpdir(), "substrate-keyscan-"));
  let n = 0;
  const visit = (path: string, where: string, depth: number): void => {
    const st = lstatSync(path);
    if (st.isDirectory()) {
      for (const name of readdirSync(path).sort())
        visit(join(path, name), `${where}/${name}`, depth);
      return;
    }
    if (!st.isFile()) return;
    files++;
    for (const label of findNeedles(readFileSync(path), needles))
      hits.push({ needle: label, where });
    const kind = depth < 4 ? kindOf(path) : undefined;
    // Compressed files inside an image (man pages, changelogs) come from packages, not from the
    // build; the build's own gzip files (.CONTENTS.gz) are at the top.
    if (kind === undefined || (kind === "gzip" && depth > 0)) return;
    archives++;
    const into = join(scratch, String(n++));
    mkdirSync(into, { recursive: true });
    unpack(path, kind, into);
    visit(into, `${where}!`, depth + 1);
    rmSync(into, { recursive: true, force: true });
  };
  try {
    for (const r of roots) visit(r, r, 0);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { hits, files, archives };
}
