/**
 * `.CONTENTS.gz`: a gzip'd listing of an output's files, as catalyst publishes next to every
 * stage (`tar -tv` for tarballs, `unsquashfs -ll` for squashfs, an ISO file listing for ISOs).
 * Listings use numeric owners and UTC times, and the gzip header carries no name or time, so the
 * same output always gives the same bytes.
 */
import { gzipSync } from "node:zlib";
import { describeFailure, run } from "../sandbox/process.js";
import { tarballModeForFile } from "../spec/compression.js";
import { type Result, ok, err } from "../util/result.js";
import type { FailureOf } from "../report/failure.js";

/** Which lister reads an output. */
export type ContentsKind = "tarball" | "squashfs" | "iso";

/** Why a listing failed. */
export type ContentsFailure = FailureOf<"unknown-kind" | "command-failed">;

/** The lister for a file name: tarballs, `.squashfs`/`.sqfs`/`.sfs`, `.iso`; else undefined. */
export function contentsKindFor(path: string): ContentsKind | undefined {
  if (tarballModeForFile(path) !== undefined) return "tarball";
  if (/\.(squashfs|sqfs|sfs)$/.test(path)) return "squashfs";
  if (/\.iso$/.test(path)) return "iso";
  return undefined;
}

/** The listing command for a kind (GNU tar detects the compression itself when reading). */
export function listingArgv(kind: ContentsKind, file: string): string[] {
  switch (kind) {
    case "tarball":
      return [
        "tar",
        "--list",
        "--verbose",
        "--xattrs",
        "--numeric-owner",
        "--full-time",
        `--file=${file}`,
      ];
    case "squashfs":
      return ["unsquashfs", "-lln", "-d", "", file];
    case "iso":
      return [
        "xorriso",
        "-report_about",
        "SORRY",
        "-indev",
        file,
        "-find",
        "/",
        "-exec",
        "lsdl",
        "--",
      ];
  }
}

/** Lists an output's files (plain text). */
export async function listContents(
  file: string,
  kind: ContentsKind | undefined = contentsKindFor(file),
  signal?: AbortSignal,
): Promise<Result<string, ContentsFailure>> {
  if (kind === undefined) {
    return err({
      reason: "unknown-kind",
      message: `no lister for ${file} (not a tarball, squashfs or ISO)`,
    });
  }
  const r = await run({
    argv: listingArgv(kind, file),
    extraEnv: { TZ: "UTC" },
    captureStdout: true,
    ...(signal === undefined ? {} : { signal }),
  });
  if (!r.ok) {
    return err({
      reason: "command-failed",
      message: `listing ${file}: ${describeFailure(r.error)}`,
      ...("tail" in r.error ? { tail: r.error.tail } : {}),
    });
  }
  return ok(r.value.stdout);
}

/** Gzips listing text deterministically (no file name, mtime 0, level 9). Pure. */
export function gzipListing(text: string): Buffer {
  return gzipSync(Buffer.from(text, "utf8"), { level: 9 });
}

/** The `.CONTENTS.gz` bytes for an output. */
export async function makeContents(
  file: string,
  kind?: ContentsKind,
  signal?: AbortSignal,
): Promise<Result<Buffer, ContentsFailure>> {
  const listing = await listContents(file, kind ?? contentsKindFor(file), signal);
  if (!listing.ok) return listing;
  return ok(gzipListing(listing.value));
}
