/**
 * A fake Gentoo mirror for the Portage fetch tests: OpenPGP keys made with gpg in a temporary
 * GNUPGHOME, a clear-signed `latest-stage3-*.txt` pointer, a tiny stage3 tarball with a
 * clear-signed `.DIGESTS`, a tiny squashfs snapshot with a clear-signed `sha512sum.txt`, served
 * by node:http on 127.0.0.1 with HTTP Range support and a switch to cut a transfer short.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

/** A gpg home with one signing key. */
export interface TestKey {
  readonly home: string;
  /** Armored public key file (what a user would pass as --keyring). */
  readonly publicKey: string;
}

/** Makes a signing key without a passphrase in a new GNUPGHOME. */
export function makeKey(dir: string, name: string): TestKey {
  const home = join(dir, `gnupg-${name}`);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const gpg = (args: string[]): Buffer =>
    execFileSync(
      "gpg",
      ["--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "", ...args],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
  gpg(["--quick-gen-key", `${name} <${name}@example.invalid>`, "ed25519", "sign", "never"]);
  const publicKey = join(dir, `${name}.asc`);
  writeFileSync(publicKey, gpg(["--armor", "--export"]));
  return { home, publicKey };
}

/** Clear-signs `text` with `key`. */
export function clearSign(key: TestKey, text: string): string {
  return execFileSync(
    "gpg",
    [
      "--homedir",
      key.home,
      "--batch",
      "--pinentry-mode",
      "loopback",
      "--passphrase",
      "",
      "--clearsign",
    ],
    {
      input: text,
    },
  ).toString();
}

/** A detached armored signature over `data` with `key`. */
export function detachSign(key: TestKey, data: Buffer): Buffer {
  return execFileSync(
    "gpg",
    [
      "--homedir",
      key.home,
      "--batch",
      "--pinentry-mode",
      "loopback",
      "--passphrase",
      "",
      "--armor",
      "--detach-sign",
    ],
    { input: data },
  );
}

/** Gentoo-style DIGESTS text for files (SHA512 and BLAKE2B blocks). */
export function digestsText(files: readonly { name: string; data: Buffer }[]): string {
  let out = "";
  for (const f of files) {
    out += `# BLAKE2B HASH\n${createHash("blake2b512").update(f.data).digest("hex")}  ${f.name}\n`;
    out += `# SHA512 HASH\n${createHash("sha512").update(f.data).digest("hex")}  ${f.name}\n`;
  }
  return out;
}

/** The autobuild timestamp of the fake seed. */
export const SEED_STAMP = "20260101T170000Z";
/** The snapshot treeish of the fake snapshot. */
export const SNAPSHOT_TREEISH = "20260101.xz";

/** What the fake mirror holds, by URL path. */
export type MirrorFiles = Map<string, Buffer>;

/** Builds a tiny stage3 tarball (a few files) and returns its bytes. */
export function tinyStage3(dir: string): Buffer {
  const src = join(dir, "stage3-src");
  mkdirSync(join(src, "etc", "portage"), { recursive: true });
  writeFileSync(join(src, "etc", "os-release"), "NAME=Gentoo\n");
  writeFileSync(
    join(src, "etc", "portage", "make.conf"),
    'COMMON_FLAGS="-O2 -pipe"\nCHOST="x86_64-pc-linux-gnu"\n',
  );
  const out = join(dir, "stage3.tar.xz");
  execFileSync("tar", ["-cJf", out, "-C", src, "."]);
  return readFileSync(out);
}

/** Builds a tiny Portage tree as squashfs (profiles with packages.build, license_groups). */
export function tinySnapshot(dir: string): Buffer {
  const tree = join(dir, "snapshot-src");
  const prof = join(tree, "profiles");
  mkdirSync(join(prof, "base"), { recursive: true });
  mkdirSync(join(prof, "default", "linux", "amd64", "23.0"), { recursive: true });
  mkdirSync(join(tree, "scripts"), { recursive: true });
  writeFileSync(join(prof, "repo_name"), "gentoo\n");
  writeFileSync(
    join(prof, "license_groups"),
    "FREE-SOFTWARE GPL-2 GPL-3 MIT\nFREE-DOCUMENTS CC-BY-4.0\nFREE @FREE-SOFTWARE @FREE-DOCUMENTS\n",
  );
  writeFileSync(
    join(prof, "base", "packages.build"),
    "sys-apps/baselayout\nsys-libs/glibc\nsys-devel/gcc\nsys-apps/portage\n",
  );
  writeFileSync(join(prof, "base", "packages"), "*>=sys-libs/glibc-2.40\n*sys-apps/baselayout\n");
  writeFileSync(join(prof, "default", "linux", "parent"), "../../base\n");
  writeFileSync(join(prof, "default", "linux", "amd64", "parent"), "..\n");
  writeFileSync(join(prof, "default", "linux", "amd64", "23.0", "parent"), "..\n");
  writeFileSync(
    join(prof, "default", "linux", "amd64", "23.0", "packages.build"),
    "-sys-devel/gcc\nsys-devel/gcc:14\n",
  );
  writeFileSync(
    join(tree, "scripts", "bootstrap.sh"),
    '#!/bin/sh\necho bootstrap "$@" >> /var/log/record.log\n',
    {
      mode: 0o755,
    },
  );
  const out = join(dir, "snapshot.sqfs");
  execFileSync("mksquashfs", [
    tree,
    out,
    "-noappend",
    "-quiet",
    "-no-progress",
    "-comp",
    "xz",
    "-all-root",
  ]);
  return readFileSync(out);
}

/** A full mirror's files, built and signed with `key`. */
export function mirrorFiles(
  dir: string,
  key: TestKey,
): { files: MirrorFiles; stage3: Buffer; snapshot: Buffer } {
  const stage3 = tinyStage3(dir);
  const snapshot = tinySnapshot(dir);
  const name = `stage3-amd64-openrc-${SEED_STAMP}.tar.xz`;
  const base = `/releases/amd64/autobuilds`;
  const files: MirrorFiles = new Map();
  files.set(
    `${base}/latest-stage3-amd64-openrc.txt`,
    Buffer.from(
      clearSign(
        key,
        `# Latest as of Thu, 01 Jan 2026 17:00:00 +0000\n# ts=1767286800\n${SEED_STAMP}/${name} ${stage3.length}\n`,
      ),
    ),
  );
  files.set(`${base}/${SEED_STAMP}/${name}`, stage3);
  files.set(
    `${base}/${SEED_STAMP}/${name}.DIGESTS`,
    Buffer.from(clearSign(key, digestsText([{ name, data: stage3 }]))),
  );
  const snapName = `gentoo-${SNAPSHOT_TREEISH}.sqfs`;
  files.set(`/snapshots/squashfs/${snapName}`, snapshot);
  files.set(
    `/snapshots/squashfs/sha512sum.txt`,
    Buffer.from(
      clearSign(key, `${createHash("sha512").update(snapshot).digest("hex")}  ${snapName}\n`),
    ),
  );
  return { files, stage3, snapshot };
}

/** A running fake mirror. */
export interface FakeMirror {
  readonly url: string;
  readonly files: MirrorFiles;
  /** Range headers the server saw, by path. */
  readonly ranges: string[];
  /** Cut the next full transfer of `path` after `bytes` bytes (once). */
  cutOnce(path: string, bytes: number): void;
  close(): Promise<void>;
}

/** Serves `files` on 127.0.0.1 (random port) with Range support. */
export async function startMirror(files: MirrorFiles): Promise<FakeMirror> {
  const ranges: string[] = [];
  const cuts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? "/").split("?")[0] ?? "/");
    const data = files.get(path);
    if (data === undefined) {
      res.writeHead(404).end("not found");
      return;
    }
    const range = req.headers.range;
    if (range !== undefined) {
      ranges.push(`${path} ${range}`);
      const m = /^bytes=(\d+)-$/.exec(range);
      const start = Number(m?.[1] ?? 0);
      if (start >= data.length) {
        res.writeHead(416, { "content-range": `bytes */${data.length}` }).end();
        return;
      }
      res.writeHead(206, {
        "content-length": String(data.length - start),
        "content-range": `bytes ${start}-${data.length - 1}/${data.length}`,
      });
      res.end(data.subarray(start));
      return;
    }
    const cut = cuts.get(path);
    if (cut !== undefined) {
      cuts.delete(path);
      res.writeHead(200, { "content-length": String(data.length) });
      res.write(data.subarray(0, cut), () => res.destroy());
      return;
    }
    res.writeHead(200, { "content-length": String(data.length) });
    res.end(data);
  });
  await new Promise<void>((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      resolve();
    }),
  );
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    files,
    ranges,
    cutOnce: (path, bytes) => cuts.set(path, bytes),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A scratch folder. */
export function scratch(name: string): string {
  return mkdtempSync(join("/var/tmp", `substrate-portage-${name}-`));
}
