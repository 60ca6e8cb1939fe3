/**
 * JUnit XML for a boot test (`substrate test --junit FILE`), the format CI systems show: one
 * test suite per ISO, one test case per boot phase and per check, failures with their reason.
 */

/** One test case. */
export interface JunitCase {
  readonly name: string;
  readonly className: string;
  readonly durationMs: number;
  /** Failure message, when the case failed. */
  readonly failure?: string;
  /** Extra text shown with the case (e.g. the failure detail). */
  readonly output?: string;
}

/** Escapes text for XML attributes and content (and drops characters XML cannot carry). */
export function xmlEscape(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex -- the allowed XML characters start at TAB
      .replace(/[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd]/gu, "")
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&apos;")
  );
}

/** Renders one suite. */
export function junitXml(
  suite: string,
  cases: readonly JunitCase[],
  totalMs: number,
  systemOut?: string,
): string {
  const failures = cases.filter((c) => c.failure !== undefined).length;
  const seconds = (ms: number): string => (ms / 1000).toFixed(3);
  const total = totalMs;
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="substrate boot test" tests="${cases.length}" failures="${failures}" time="${seconds(total)}">`,
    `  <testsuite name="${xmlEscape(suite)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${seconds(total)}">`,
  ];
  for (const c of cases) {
    const open = `    <testcase name="${xmlEscape(c.name)}" classname="${xmlEscape(c.className)}" time="${seconds(c.durationMs)}"`;
    if (c.failure === undefined && c.output === undefined) {
      lines.push(`${open}/>`);
      continue;
    }
    lines.push(`${open}>`);
    if (c.failure !== undefined) {
      lines.push(
        `      <failure message="${xmlEscape(c.failure)}">${xmlEscape(c.output ?? c.failure)}</failure>`,
      );
    } else if (c.output !== undefined) {
      lines.push(`      <system-out>${xmlEscape(c.output)}</system-out>`);
    }
    lines.push(`    </testcase>`);
  }
  if (systemOut !== undefined) lines.push(`    <system-out>${xmlEscape(systemOut)}</system-out>`);
  lines.push(`  </testsuite>`, `</testsuites>`, ``);
  return lines.join("\n");
}
