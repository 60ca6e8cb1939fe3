/**
 * Shared text for the human reporters: one line per event (or none), durations, and the
 * failure block with the log tail. Kept apart from the writers so TTY and plain agree.
 */
import pc from "picocolors";
import type { Event } from "./events.js";
import { readFileSync } from "node:fs";
import { cachedReader, formatDiagnostic } from "./diagnostic-printer.js";
import { unreachable } from "../util/unreachable.js";

/** Reads spec sources for diagnostic excerpts (paths as spans name them, relative to cwd). */
const readSource = cachedReader((file) => {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
});

/** `1.2s`, `3m04s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, "0")}s`;
}

/** The human text for an event, or undefined when the event shows nothing by itself. */
export function describeEvent(event: Event, color: boolean): string | undefined {
  const c = color ? pc : pc.createColors(false);
  switch (event.type) {
    case "diagnostic":
      return formatDiagnostic(event.diagnostic, { color, readSource });
    case "info":
      return event.message;
    case "warning":
      return (
        `${c.yellow("warning:")} ${event.message}` + (event.hint ? `\n  hint: ${event.hint}` : "")
      );
    case "error":
      return `${c.red("error:")} ${event.message}` + (event.hint ? `\n  hint: ${event.hint}` : "");
    case "note":
      return `note: ${event.message}`;
    case "usage-error":
      return (
        `${c.red("error:")} ${event.message}\n` +
        `(run \`substrate ${event.command} --help\` for usage)`
      );
    case "run-started":
      return `${event.command}: ${event.stages} stage(s), ${event.jobs} job(s)`;
    case "stage-planned":
      // The plan belongs to `substrate plan` and to --json; a run's human view says what happens
      // to each stage when it happens (fresh, start, done, skip), once.
      return undefined;
    case "stage-fresh":
      return `${c.green("fresh")}  ${event.stage}  ${event.output}`;
    case "stage-started":
      return `${c.cyan("start")}  ${event.stage}  (log: ${event.log})`;
    case "step-started":
      return `       ${event.stage}  ${event.step}${event.detail ? `: ${event.detail}` : ""}`;
    case "step-finished":
      return undefined;
    case "stage-progress":
      return `       ${event.stage}  ${event.message}`;
    case "stage-succeeded":
      return (
        // One line: the main output (published first); its sidecars are in --json and `status`.
        `${c.green("done")}   ${event.stage}  ${formatDuration(event.durationMs)}` +
        (event.fetched === undefined
          ? ""
          : `  (fetched from ${event.fetched.from}, fingerprint ${event.fetched.fingerprint.slice(0, 12)}…${event.fetched.signedBy === undefined ? "" : `, signed by ${event.fetched.signedBy}`})`) +
        (event.pushed === undefined ? "" : `  (built, pushed to ${event.pushed.to})`) +
        (event.outputs[0] === undefined ? "" : `  -> ${event.outputs[0]}`)
      );
    case "stage-failed": {
      const lines = [
        `${c.red("FAILED")} ${event.stage}  after ${formatDuration(event.durationMs)}` +
          (event.step ? ` in step ${event.step}` : ""),
        `  ${event.message}`,
      ];
      if (event.logTail && event.logTail.length > 0) {
        lines.push("  last lines of output:");
        for (const l of event.logTail) lines.push(`  | ${l}`);
      }
      if (event.log) lines.push(`  full log: ${event.log}`);
      if (event.workKept !== undefined) lines.push(`  work folder kept: ${event.workKept}`);
      else if (event.reason !== "cancelled" && event.reason !== "locked")
        lines.push(
          "  to keep its work folder (the build root) for inspection, rerun with --keep-work",
        );
      return lines.join("\n");
    }
    case "stage-skipped":
      return `${c.yellow("skip")}   ${event.stage}  ${event.reason}`;
    case "run-finished":
      return (
        `${event.ok ? c.green("ok") : c.red("failed")}: ${event.fetched === undefined ? `${event.built} built` : `${event.built - event.fetched} built, ${event.fetched} fetched`}, ${event.fresh} fresh, ` +
        `${event.failed} failed, ${event.skipped} skipped in ${formatDuration(event.durationMs)}`
      );
    case "boot-interactive":
      return (
        `booting ${event.iso} (${event.loader}, ${event.accel}); ` +
        "Ctrl-A X quits, Ctrl-A C is the QEMU monitor"
      );
    case "boot-console":
      // Shown live by the terminal view only; the console log keeps every line.
      return undefined;
    case "boot-phase":
      return `  boot: ${event.phase} ${formatDuration(event.durationMs)}${event.merged === undefined ? "" : ` (with ${event.merged.join(", ")}: no console mark between them)`}`;
    case "boot-guest-analysis":
      return [
        `  guest: ${event.startup}`,
        ...(event.slowestUnits.length === 0
          ? []
          : [
              `  guest: slowest units: ${event.slowestUnits
                .slice(0, 5)
                .map((u) => `${u.unit} ${formatDuration(u.ms)}`)
                .join(", ")}`,
            ]),
      ].join("\n");
    case "boot-check":
      return `  ${event.ok ? c.green("pass") : c.red("FAIL")} ${event.check}: ${event.detail}`;
    case "reproducible-check": {
      if (event.verdict === "reproducible")
        return `${c.green("reproducible")} ${event.stage}  ${event.output}${event.sha256 === undefined ? "" : `  ${event.sha256}`}`;
      const lines = [
        `${c.red("DIFFERS")} ${event.stage}  ${event.output}`,
        `  rebuilt: ${event.rebuilt}`,
      ];
      const files = event.differingFiles.filter((f) => f !== ".");
      if (files.length > 0) lines.push(`  differing files: ${files.join(", ")}`);
      if (event.details.length > 0) {
        lines.push(`  where (${event.detailsFrom ?? "none"}):`);
        for (const l of event.details) lines.push(`  | ${l}`);
      } else lines.push("  (install diffoscope-minimal to see where they differ)");
      return lines.join("\n");
    }
    case "boot-finished":
      return (
        `${event.ok ? c.green("boot test passed") : c.red("boot test FAILED")}: ${event.reason} ` +
        `(${formatDuration(event.durationMs)}; console log: ${event.consoleLog})`
      );
    default:
      return unreachable(event);
  }
}
