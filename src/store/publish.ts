/**
 * Atomic publishing of stage outputs. A stage writes everything into a staging folder next to
 * its final place (`<dir>/.tmp-<name>-<pid>`, same filesystem). {@link publishStage} moves the
 * output, its sidecars and its stamp into a new generation folder `<dir>/.<output>.pub/<gen>/`
 * and switches the public names (fixed symlinks through `.<output>.pub/current`) with one rename:
 * an output, its digests and its stamp appear (and are replaced) together, and a failed or killed
 * rebuild leaves the previous output with its own stamp. Staging folders left by dead processes
 * are removed.
 */
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { type Result, ok, err } from "../util/result.js";
import { contentsKindFor, makeContents } from "./contents.js";
import { makeDigests, makeFolderDigests, makeSha256File } from "./digests.js";
import { updatePointers } from "./pointers.js";
import { sbomName } from "../image/sbom.js";
import type { FailureOf } from "../report/failure.js";

/** Why publishing failed. */
export type PublishFailure = FailureOf<
  "missing-output" | "bad-names" | "io-error" | "cancelled" | "digest-failed"
>;

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

/** The folder holding an output's generations: `<dir>/.<name>.pub/`. */
export function generationsDirFor(output: string): string {
  return join(dirname(output), `.${basename(output)}.pub`);
}

let faultCount = 0;

/**
 * Test-only fault hook: `SUBSTRATE_FAULT=publish:<n>` makes the process SIGKILL itself before
 * the n-th file-system change of a publish (1-based, counted per process). Never set it outside
 * tests.
 */
function faultPoint(): void {
  const m = /^publish:(\d+)$/.exec(process.env["SUBSTRATE_FAULT"] ?? "");
  if (m === null) return;
  faultCount++;
  if (faultCount === Number(m[1])) process.kill(process.pid, "SIGKILL");
}

/** Replaces (or creates) the symlink `path` -> `target` atomically. */
function placeLink(path: string, target: string): void {
  const temp = join(dirname(path), `.tmp-${basename(path)}-${process.pid}`);
  rmSync(temp, { force: true });
  symlinkSync(target, temp);
  faultPoint();
  renameSync(temp, path);
}

function linkTarget(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Publishes a finished stage as one atomic step. The output, its sidecars (`.CONTENTS.gz`,
 * `.DIGESTS`, `.sha256`), extra files and the stamp are moved into a new generation folder
 * `<dir>/.<output>.pub/<gen>/`; the public names (`<dir>/<name>`, `<dir>/<name>.DIGESTS`, ...)
 * are fixed relative symlinks through `<dir>/.<output>.pub/current`, and ONE rename of that
 * `current` symlink switches them all: a reader sees the old generation or the new one, never a
 * mix. Older generations are then removed and the `-latest` link and pointer file moved.
 * Returns the published public paths (main output first).
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
    // The SBOM a target wrote beside its output is digested with it, so a consumer that checks
    // the DIGESTS checks the SBOM too (docs/store.md, "SBOMs").
    const sbom = extra.includes(sbomName(main)) ? join(opts.stagingDir, sbomName(main)) : undefined;
    const digests = await makeDigests(
      stagedMain,
      [
        ...(contentsFile === undefined ? [] : [contentsFile]),
        ...(sbom === undefined ? [] : [sbom]),
      ],
      opts.signal,
    );
    if (!digests.ok) return err({ reason: "digest-failed", message: digests.error.message });
    const wd = writeStaged(`${stagedMain}.DIGESTS`, digests.value);
    if (!wd.ok) return wd;
    const sha = await makeSha256File(stagedMain, opts.signal);
    if (!sha.ok) return err({ reason: "digest-failed", message: sha.error.message });
    const ws = writeStaged(`${stagedMain}.sha256`, sha.value);
    if (!ws.ok) return ws;
    sidecars.push(`${main}.DIGESTS`, `${main}.sha256`);
  } else if ((opts.digests ?? true) && lstatSync(stagedMain).isDirectory()) {
    // A folder output (the live CD payload) gets one DIGESTS entry per file, so the stage that
    // uses it can verify it as it verifies a tarball.
    const digests = await makeFolderDigests(stagedMain, opts.signal);
    if (!digests.ok) return err({ reason: "digest-failed", message: digests.error.message });
    const wd = writeStaged(`${stagedMain}.DIGESTS`, digests.value);
    if (!wd.ok) return wd;
    sidecars.push(`${main}.DIGESTS`);
  }
  if (opts.signal?.aborted === true) {
    return err({ reason: "cancelled", message: "cancelled before publishing" });
  }
  // The stamp travels with the output it describes, with the output's size and mtime so that
  // planning notices a replaced or touched output cheaply.
  const st = lstatSync(stagedMain);
  const stampName = basename(stampPath(main));
  const stampData =
    typeof opts.stamp === "object" && opts.stamp !== null && !Array.isArray(opts.stamp)
      ? {
          ...(opts.stamp as Record<string, unknown>),
          output: { size: st.size, mtimeMs: st.mtimeMs },
        }
      : opts.stamp;
  const wst = writeStaged(
    join(opts.stagingDir, stampName),
    `${JSON.stringify(stampData, null, 2)}\n`,
  );
  if (!wst.ok) return wst;
  const names = [main, ...extra, ...sidecars, stampName];
  const gens = generationsDirFor(opts.outputs.output);
  const gen = `g-${Date.now()}-${process.pid}`;
  const current = join(gens, "current");
  const relCurrent = join(basename(gens), "current");
  try {
    mkdirSync(join(gens, gen), { recursive: true });
    // Invisible until the switch: every file moves into the new generation folder.
    for (const name of names) {
      if (!existsSync(join(opts.stagingDir, name))) {
        return err({
          reason: "missing-output",
          message: `${join(opts.stagingDir, name)} was not written`,
        });
      }
    }
    for (const name of names) {
      faultPoint();
      moveIntoPlace(join(opts.stagingDir, name), join(gens, gen, name));
    }
    // An output of the old layout (plain files at the public names): stamp and sidecars go
    // first, so no public name ever describes another file.
    const publicNames = new Set([
      stampName,
      `${main}.DIGESTS`,
      `${main}.sha256`,
      `${main}.CONTENTS.gz`,
      ...extra,
      main,
    ]);
    for (const name of publicNames) {
      const path = join(finalDir, name);
      const l = lstatSync(path, { throwIfNoEntry: false });
      if (l === undefined || (l.isSymbolicLink() && linkTarget(path) === join(relCurrent, name)))
        continue;
      faultPoint();
      rmSync(path, { recursive: true, force: true });
    }
    // Fixed public links (dangling until `current` names a generation holding the file).
    for (const name of names) {
      const path = join(finalDir, name);
      if (linkTarget(path) !== join(relCurrent, name)) placeLink(path, join(relCurrent, name));
    }
    // The one step that publishes.
    placeLink(current, gen);
    // Older generations, and public links to files the new generation lacks.
    for (const entry of readdirSync(gens)) {
      if (entry === gen || entry === "current") continue;
      rmSync(join(gens, entry), { recursive: true, force: true });
    }
    for (const name of publicNames) {
      if (!names.includes(name) && linkTarget(join(finalDir, name)) === join(relCurrent, name))
        rmSync(join(finalDir, name), { force: true });
    }
  } catch (x) {
    return ioFailure(opts.outputs.output, x);
  }
  const pointers = updatePointers({
    output: opts.outputs.output,
    latest: opts.outputs.latest,
    pointer: opts.outputs.pointer,
    pointerText: opts.outputs.pointerText,
  });
  if (!pointers.ok) return err({ reason: "io-error", message: pointers.error.message });
  return ok([main, ...extra, ...sidecars].map((n) => join(finalDir, n)));
}
