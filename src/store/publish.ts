/**
 * Atomic publishing of stage outputs. A stage writes everything into a staging folder next to
 * its final place (`<dir>/.tmp-<name>-<pid>`, same filesystem); publishing renames each file into
 * place only when all are complete, sidecars first and the main output last, then moves the
 * `-latest` pointers, and writes the freshness stamp (`<output>.stamp`) at the very end. The stamp
 * is removed before a stage runs, so an interrupted build is never mistaken for a fresh one, and
 * no final name ever holds a partial file. Staging folders left by dead processes are removed.
 */
import {
  cpSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { type Result, ok, err } from "../util/result.js";
import { contentsKindFor, makeContents } from "./contents.js";
import { makeDigests, makeSha256File } from "./digests.js";
import { updatePointers } from "./pointers.js";

/** Why publishing failed. */
export interface PublishFailure {
  readonly reason: "missing-output" | "bad-names" | "io-error" | "cancelled" | "digest-failed";
  readonly message: string;
}

function ioFailure(path: string, e: unknown): { ok: false; error: PublishFailure } {
  return err({
    reason: "io-error",
    message: `cannot publish ${path}: ${e instanceof Error ? e.message : String(e)}`,
  });
}

/** The staging folder for an output named `name` in `dir`: `<dir>/.tmp-<name>-<pid>`. */
export function stagingDirFor(dir: string, name: string, pid = process.pid): string {
  return join(dir, `.tmp-${name}-${pid}`);
}

const TEMP_RE = /^\.(?:tmp|old)-.+-(\d+)$/;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes `.tmp-*-<pid>` and `.old-*-<pid>` entries in `dir` whose process is dead (debris of an
 * interrupted run). Returns the names removed. Missing `dir` is fine.
 */
export function removeStaleTemps(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_RE.exec(name);
    if (m === null) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pidAlive(pid)) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed.sort();
}

/** `<output>.stamp`. */
export function stampPath(output: string): string {
  return `${output}.stamp`;
}

/** Removes a stage's stamp (before the stage runs). Missing is fine. */
export function removeStamp(output: string): void {
  rmSync(stampPath(output), { force: true });
}

/** Writes `<output>.stamp` (JSON) atomically. Call only after every output is published. */
export function writeStamp(output: string, data: unknown): Result<void, PublishFailure> {
  const path = stampPath(output);
  const temp = join(dirname(path), `.tmp-${basename(path)}-${process.pid}`);
  try {
    writeFileSync(temp, `${JSON.stringify(data, null, 2)}\n`);
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    return ioFailure(path, e);
  }
  return ok(undefined);
}

/** Reads `<output>.stamp`; undefined when missing or not JSON. */
export function readStamp(output: string): unknown {
  try {
    return JSON.parse(readFileSync(stampPath(output), "utf8")) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Renames `staged` to `final`. Across filesystems (an ISO named by an absolute `livecd/iso`
 * elsewhere) it copies to a temporary name beside `final` first, so the final name still
 * appears in one rename.
 */
function moveIntoPlace(staged: string, final: string): void {
  try {
    renameSync(staged, final);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EXDEV") throw e;
    const temp = join(dirname(final), `.tmp-${basename(final)}-${process.pid}`);
    rmSync(temp, { recursive: true, force: true });
    try {
      cpSync(staged, temp, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
      renameSync(temp, final);
    } catch (x) {
      rmSync(temp, { recursive: true, force: true });
      throw x;
    }
    rmSync(staged, { recursive: true, force: true });
  }
}

/**
 * Renames a set of staged files (or folders) to their final paths, in the order added. Each
 * rename is atomic; a folder replacing an older folder is swapped through `.old-<name>-<pid>`.
 * Nothing is renamed until every staged path has been checked to exist.
 */
export class Publisher {
  private readonly entries: { readonly staged: string; readonly final: string }[] = [];

  /** Adds a staged path to publish at `final` (same filesystem). */
  add(staged: string, final: string): this {
    this.entries.push({ staged, final });
    return this;
  }

  /** The final paths, in order. */
  get finals(): readonly string[] {
    return this.entries.map((e) => e.final);
  }

  /** Renames everything into place. Returns the final paths. */
  commit(): Result<readonly string[], PublishFailure> {
    for (const e of this.entries) {
      if (!existsSync(e.staged)) {
        return err({ reason: "missing-output", message: `${e.staged} was not written` });
      }
    }
    for (const e of this.entries) {
      try {
        const stagedIsDir = lstatSync(e.staged).isDirectory();
        let old: string | undefined;
        if (stagedIsDir && existsSync(e.final)) {
          old = join(dirname(e.final), `.old-${basename(e.final)}-${process.pid}`);
          rmSync(old, { recursive: true, force: true });
          renameSync(e.final, old);
        }
        moveIntoPlace(e.staged, e.final);
        if (old !== undefined) rmSync(old, { recursive: true, force: true });
      } catch (x) {
        return ioFailure(e.final, x);
      }
    }
    return ok(this.finals);
  }
}

function writeStaged(path: string, data: string | Buffer): Result<void, PublishFailure> {
  try {
    writeFileSync(path, data, { mode: 0o644 });
    return ok(undefined);
  } catch (e) {
    return ioFailure(path, e);
  }
}

/** A stage's store paths that publishing needs (the planner's `StageOutputs` fits). */
export interface StagePublishPaths {
  /** The dated main output. */
  readonly output: string;
  /** The `-latest` symlink. */
  readonly latest: string;
  /** The `latest-*.txt` pointer file. */
  readonly pointer: string;
  /** The pointer file's text (`<date>/<file>\n`). */
  readonly pointerText: string;
}

/** What {@link publishStage} needs. */
export interface PublishStageOptions {
  /** Where the stage wrote its files under their final basenames. */
  readonly stagingDir: string;
  /** Basenames written, main output first (it must be the basename of `outputs.output`). */
  readonly names: readonly string[];
  readonly outputs: StagePublishPaths;
  /** The stamp's JSON content (the planner's `{fingerprint, record}`). */
  readonly stamp: unknown;
  readonly signal?: AbortSignal;
  /** Make `.CONTENTS.gz`, `.DIGESTS` and `.sha256` for a main output that is a file (default true). */
  readonly digests?: boolean;
}

/**
 * Publishes a finished stage: makes `.CONTENTS.gz` (tarball/squashfs/ISO), `.DIGESTS` and
 * `.sha256` for the main output in the staging folder, renames sidecars, extra files and then
 * the main output into the output's folder, moves the `-latest` link and pointer file, and
 * writes the stamp last. Returns the published paths (main output first).
 */
export async function publishStage(
  opts: PublishStageOptions,
): Promise<Result<readonly string[], PublishFailure>> {
  const [main, ...extra] = opts.names;
  const finalDir = dirname(opts.outputs.output);
  if (main === undefined || main !== basename(opts.outputs.output)) {
    return err({
      reason: "bad-names",
      message: `the stage wrote ${main ?? "nothing"}, expected ${basename(opts.outputs.output)} first`,
    });
  }
  removeStaleTemps(finalDir);
  removeStaleTemps(dirname(opts.outputs.latest));
  const stagedMain = join(opts.stagingDir, main);
  if (!existsSync(stagedMain)) {
    return err({ reason: "missing-output", message: `${stagedMain} was not written` });
  }
  const sidecars: string[] = [];
  if ((opts.digests ?? true) && lstatSync(stagedMain).isFile()) {
    let contentsFile: string | undefined;
    if (contentsKindFor(main) !== undefined) {
      const contents = await makeContents(stagedMain, undefined, opts.signal);
      if (!contents.ok) return err({ reason: "digest-failed", message: contents.error.message });
      contentsFile = `${stagedMain}.CONTENTS.gz`;
      const w = writeStaged(contentsFile, contents.value);
      if (!w.ok) return w;
      sidecars.push(`${main}.CONTENTS.gz`);
    }
    const digests = await makeDigests(stagedMain, contentsFile, opts.signal);
    if (!digests.ok) return err({ reason: "digest-failed", message: digests.error.message });
    const wd = writeStaged(`${stagedMain}.DIGESTS`, digests.value);
    if (!wd.ok) return wd;
    const sha = await makeSha256File(stagedMain, opts.signal);
    if (!sha.ok) return err({ reason: "digest-failed", message: sha.error.message });
    const ws = writeStaged(`${stagedMain}.sha256`, sha.value);
    if (!ws.ok) return ws;
    sidecars.push(`${main}.DIGESTS`, `${main}.sha256`);
  }
  if (opts.signal?.aborted === true) {
    return err({ reason: "cancelled", message: "cancelled before publishing" });
  }
  const publisher = new Publisher();
  for (const name of [...extra, ...sidecars])
    publisher.add(join(opts.stagingDir, name), join(finalDir, name));
  publisher.add(stagedMain, opts.outputs.output);
  const committed = publisher.commit();
  if (!committed.ok) return committed;
  const pointers = updatePointers({
    output: opts.outputs.output,
    latest: opts.outputs.latest,
    pointer: opts.outputs.pointer,
    pointerText: opts.outputs.pointerText,
  });
  if (!pointers.ok) return err({ reason: "io-error", message: pointers.error.message });
  const stamp = writeStamp(opts.outputs.output, opts.stamp);
  if (!stamp.ok) return stamp;
  const finals = committed.value;
  const mainFinal = finals[finals.length - 1] ?? opts.outputs.output;
  return ok([mainFinal, ...finals.slice(0, -1)]);
}
