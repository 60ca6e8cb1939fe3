/**
 * Output naming, pure: substrate's release-name suffix `rel`. The planner builds the full names
 * of outputs and `latest` pointers from it (`plan/layout.ts`), with the extension of each
 * compression mode from `compression.ts`.
 */

/**
 * substrate's release-name suffix `rel` for an arch directory and a flavour (or, when a spec sets
 * its own `target:`, the spec file stem): `amd64` + `default` gives `""`, `armv7a` + `hardfp`
 * gives `_hardfp`, any other `armv7a*` gives `_hardfp-<flavour>`, everything else `-<flavour>`.
 */
export function relSuffix(arch: string, flavour: string): string {
  const joined = arch + flavour;
  if (joined === "amd64default") return "";
  if (joined === "armv7ahardfp") return "_hardfp";
  if (joined.startsWith("armv7a")) return `_hardfp-${flavour}`;
  return `-${flavour}`;
}
