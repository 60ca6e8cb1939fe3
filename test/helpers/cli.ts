// Test helpers: run the compiled substrate CLI as a child process and parse its NDJSON events.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The compiled CLI entry (dist/src/cli/bin.js), found relative to this compiled helper. */
export const CLI_BIN = fileURLToPath(new URL("../../src/cli/bin.js", import.meta.url));

/** The repository root (two levels above dist/test/helpers). */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** One parsed NDJSON event. */
export type JsonEvent = Record<string, unknown> & { type: string };

/** What a CLI run produced. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly events: JsonEvent[];
}

/** Runs `substrate ...args` in `cwd` and collects its output. */
export function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--enable-source-maps", CLI_BIN, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: { ...process.env, ...(options.env ?? {}) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    child.on("close", (code) => {
      if (timer) clearTimeout(timer);
      const events: JsonEvent[] = [];
      for (const line of stdout.split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
          events.push(JSON.parse(line) as JsonEvent);
        } catch {
          // not an event line
        }
      }
      resolve({ code, stdout, stderr, events });
    });
  });
}

/** The events of one type. */
export function ofType(events: readonly JsonEvent[], type: string): JsonEvent[] {
  return events.filter((e) => e.type === type);
}

/** Stage ids that an event type names. */
export function stagesOf(events: readonly JsonEvent[], type: string): string[] {
  return ofType(events, type)
    .map((e) => String(e["stage"]))
    .sort();
}
