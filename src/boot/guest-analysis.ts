/**
 * What the guest's own systemd measured about its boot: `systemd-analyze time` (firmware,
 * loader, kernel, initrd and userspace as the guest saw them) and the slowest units from
 * `systemd-analyze blame`. `substrate test` runs the command once logged in and reports it,
 * which is where to look when userspace is slow. Pure parsing here.
 */

/** How many of the slowest units a report keeps. */
export const SLOWEST_UNITS = 8;

/** The command run in the guest (its output goes to parseGuestAnalysis). */
export const GUEST_ANALYSIS_COMMAND = `command -v systemd-analyze >/dev/null && { systemd-analyze time 2>&1 | head -n 2; echo '--- blame'; systemd-analyze blame --no-pager 2>&1 | head -n ${SLOWEST_UNITS}; }`;

/** One unit and the time it took to start. */
export interface UnitTime {
  readonly unit: string;
  readonly ms: number;
}

/** The guest's view of its boot. */
export interface GuestBootAnalysis {
  /** `systemd-analyze time`'s first line ("Startup finished in …"), or why it has none. */
  readonly startup: string;
  /** The guest's split, where it gave one (keys: firmware, loader, kernel, initrd, userspace). */
  readonly split: Readonly<Record<string, number>>;
  /** The slowest units, slowest first. */
  readonly slowestUnits: readonly UnitTime[];
}

/** Parses systemd's time spans: `1min 2.345s`, `512ms`, `3.2s`, `1h 2min`. */
export function parseSpanMs(text: string): number | undefined {
  const parts = text.trim().split(/\s+/);
  let total = 0;
  for (const p of parts) {
    const m = /^(\d+(?:\.\d+)?)(us|µs|ms|s|min|h)$/.exec(p);
    if (m === null) return undefined;
    const n = Number(m[1]);
    const unit = m[2];
    total +=
      unit === "h"
        ? n * 3_600_000
        : unit === "min"
          ? n * 60_000
          : unit === "s"
            ? n * 1000
            : unit === "ms"
              ? n
              : n / 1000;
  }
  return parts.length === 0 ? undefined : Math.round(total);
}

/** Reads GUEST_ANALYSIS_COMMAND's output; undefined when the guest has no systemd-analyze. */
export function parseGuestAnalysis(output: string): GuestBootAnalysis | undefined {
  const [timePart, blamePart] = output.split("--- blame");
  if (blamePart === undefined) return undefined;
  const first = (timePart ?? "")
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l !== "");
  const split: Record<string, number> = {};
  if (first !== undefined && first.startsWith("Startup finished in ")) {
    for (const m of first.matchAll(
      /([\d.]+(?:us|µs|ms|s|min|h)(?: [\d.]+(?:us|µs|ms|s))?) \((\w+)\)/g,
    )) {
      const ms = parseSpanMs(m[1] ?? "");
      if (ms !== undefined && m[2] !== undefined) split[m[2]] = ms;
    }
  }
  const slowestUnits: UnitTime[] = [];
  for (const line of blamePart.split("\n")) {
    const m = /^\s*((?:\d+(?:\.\d+)?(?:us|µs|ms|s|min|h)\s+)+)(\S+)\s*$/.exec(line);
    if (m === null) continue;
    const ms = parseSpanMs(m[1] ?? "");
    if (ms !== undefined && m[2] !== undefined) slowestUnits.push({ unit: m[2], ms });
  }
  slowestUnits.sort((a, b) => b.ms - a.ms);
  return {
    startup: first ?? "systemd-analyze printed nothing",
    split,
    slowestUnits: slowestUnits.slice(0, SLOWEST_UNITS),
  };
}
