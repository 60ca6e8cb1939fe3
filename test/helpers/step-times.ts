/** Step timings of a `substrate build --json` run, for tests' diagnostics. */

/** One finished step: `<step> <detail>` and its duration. */
export interface StepTime {
  readonly step: string;
  readonly ms: number;
}

/** The steps of a `--json` build in the order they finished, named `<step> <detail>`. */
export function stepTimes(ndjson: string): StepTime[] {
  const out: StepTime[] = [];
  const open: string[] = [];
  for (const line of ndjson.split("\n")) {
    if (!line.startsWith("{")) continue;
    const e = JSON.parse(line) as {
      type?: string;
      step?: string;
      detail?: string;
      durationMs?: number;
    };
    if (e.type === "step-started") open.push(`${e.step ?? ""} ${e.detail ?? ""}`.trim());
    const step = e.type === "step-finished" ? open.pop() : undefined;
    if (step !== undefined) out.push({ step, ms: e.durationMs ?? 0 });
  }
  return out;
}

/** `<step>: <seconds> s` lines of {@link stepTimes}. */
export function stepTimeLines(ndjson: string): string[] {
  return stepTimes(ndjson).map((s) => `${s.step}: ${(s.ms / 1000).toFixed(1)} s`);
}
