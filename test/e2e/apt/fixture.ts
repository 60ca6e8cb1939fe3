/**
 * Shared set-up for the apt driver's end-to-end tests: a stage context writing to a temporary
 * log, the package cache (the machine's /var/cache/substrate when it exists, so repeated runs
 * download nothing, else a fresh temporary folder), and probes for mounts and cache contents.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { StageContext } from "../../../src/drivers/driver.js";
import type { Event } from "../../../src/report/events.js";
import type { SpecValue } from "../../../src/spec/types.js";

/** The shared cache a developer machine or CI may keep between runs. */
export const MACHINE_CACHE = "/var/cache/substrate";

/** A cache folder for the tests: the machine's shared one when present, else a new temp dir. */
export function testCacheDir(): { readonly dir: string; readonly temporary: boolean } {
  if (existsSync(MACHINE_CACHE)) return { dir: MACHINE_CACHE, temporary: false };
  return { dir: mkdtempSync(join("/var/tmp", "substrate-apt-cache-")), temporary: true };
}

/** Removes a temporary test cache (never the machine's shared one). */
export function dropTestCache(cache: { readonly dir: string; readonly temporary: boolean }): void {
  if (cache.temporary) rmSync(cache.dir, { recursive: true, force: true });
}

/** A scratch folder on disk (not tmpfs-limited). */
export function scratchDir(name: string): string {
  return mkdtempSync(join("/var/tmp", `substrate-apt-${name}-`));
}

/** A stage context that records events. */
export function makeContext(
  work: string,
  cacheDir: string,
  values: Readonly<Record<string, SpecValue>> = {},
): StageContext & { readonly events: Event[] } {
  const events: Event[] = [];
  return {
    stage: "amd64/test:stage3",
    kind: "stage3",
    logFile: join(work, "stage.log"),
    signal: new AbortController().signal,
    emit: (e) => events.push(e),
    cacheDir,
    jobs: 2,
    values,
    sourceDateEpoch: 1700000000,
    events,
  };
}

/** The mount table of this process, as lines without the mount ids (stable across reads). */
export function mountTable(): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((l) => l !== "");
}

/** name -> "size:mtime" of every .deb in the archive cache. */
export function cacheSnapshot(cacheDir: string): Map<string, string> {
  const dir = join(cacheDir, "apt", "archives");
  const out = new Map<string, string>();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (!name.endsWith(".deb")) continue;
    const st = statSync(join(dir, name));
    out.set(name, `${st.size}:${st.mtimeMs}`);
  }
  return out;
}
