// Test helper: load a page in headless Chromium (Debian's `chromium`): the DOM it rendered,
// and a screenshot.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "./cli.js";

/** The Chromium binary, or undefined when it is not installed. */
export function chromiumBinary(): string | undefined {
  for (const name of ["chromium", "chromium-browser"]) {
    const r = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
    if (r.status === 0) return r.stdout.trim();
  }
  return undefined;
}

/** Where tests keep what a person may want to look at (screenshots): `test-output/<name>`. */
export function testOutputDir(name: string): string {
  return join(process.env["SUBSTRATE_TEST_OUTPUT"] ?? join(REPO_ROOT, "test-output"), name);
}

function run(binary: string, args: readonly string[]): string {
  const profile = mkdtempSync(join(tmpdir(), "substrate-chromium-"));
  const r = spawnSync(
    binary,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { encoding: "utf8", timeout: 120_000, maxBuffer: 64 << 20 },
  );
  if (r.status !== 0) throw new Error(`chromium failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/**
 * The DOM Chromium rendered for a local file. (`--dump-dom` and `--screenshot` read the page
 * through DevTools, which needs JavaScript on: a page that must work without scripts says so
 * with its own Content-Security-Policy, which the browser enforces.)
 */
export function renderedDom(binary: string, file: string): string {
  return run(binary, ["--dump-dom", pathToFileURL(file).href]);
}

/** A PNG screenshot of a local file. */
export function screenshot(binary: string, file: string, png: string): void {
  run(binary, [`--screenshot=${png}`, "--window-size=1280,2000", pathToFileURL(file).href]);
}
