/**
 * The Portage-specific steps of a stage for `substrate build --dry-run`: what the driver will set
 * up (snapshot, profile, confdirs, repos, make.conf), the stage kind's own commands
 * ({@link stageCommands}) and the kernels. Pure; the lead's `targets/describe.ts` places these
 * lines between the unpack and the clean step.
 */
import { availableParallelism } from "node:os";
import type { SpecValue, TargetKindName } from "../../spec/types.js";
import { stringOf, wordsOf } from "../../spec/values.js";
import { emergeSettingsFor, stageCommands } from "./emerge.js";
import { kernelPlan } from "./kernel.js";
import { catalystUse, usePrefix } from "./make-conf.js";
import { snapshotFileName } from "./snapshot.js";

/** Human lines, one per Portage step of a stage of `kind` with spec `values`. */
export function describePortageSteps(
  kind: TargetKindName,
  values: Readonly<Record<string, SpecValue>>,
  jobs: number = availableParallelism(),
): string[] {
  if (kind === "livecd-stage3" || kind === "diskimage-stage2" || kind === "netboot") return [];
  const lines: string[] = [];
  const treeish = stringOf(values["snapshot_treeish"]);
  if (treeish !== undefined)
    lines.push(`snapshot ${snapshotFileName(treeish)} at /var/db/repos/gentoo (read-only)`);
  const repos = [...wordsOf(values["repos"]), ...wordsOf(values["portage_overlay"])];
  if (repos.length > 0) lines.push(`repos ${repos.join(" ")} (read-only, repos.conf)`);
  const profile = stringOf(values["profile"]);
  if (profile !== undefined) lines.push(`profile ${profile}`);
  const confdirs = wordsOf(values["portage_confdir"]);
  if (confdirs.length > 0) lines.push(`portage_confdir ${confdirs.join(" ")}`);
  const use = catalystUse(kind, values);
  const prefix = usePrefix(kind);
  const specUse = prefix === undefined ? [] : wordsOf(values[`${prefix}/use`]);
  lines.push(
    `make.conf for ${stringOf(values["subarch"]) ?? "?"}${use.length + specUse.length > 0 ? ` (USE ${[...new Set([...use, ...specUse])].sort().join(" ")})` : ""}`,
  );
  const settings = emergeSettingsFor({ jobs, cores: jobs, values });
  const packages = kind === "stage1" ? [`<packages.build of ${profile ?? "the profile"}>`] : [];
  for (const c of stageCommands(kind, values, settings, packages)) {
    if ("argv" in c) {
      const root = c.env?.["ROOT"];
      lines.push(`${c.step}: ${root === undefined ? "" : `ROOT=${root} `}${c.argv.join(" ")}`);
    } else {
      lines.push(c.step);
    }
  }
  for (const label of wordsOf(values["boot/kernel"])) {
    const keys: Record<string, SpecValue> = {};
    const p = `boot/kernel/${label}/`;
    for (const [k, v] of Object.entries(values)) if (k.startsWith(p)) keys[k.slice(p.length)] = v;
    const plan = kernelPlan(label, keys);
    lines.push(
      plan.dist
        ? `kernel ${label}: dist kernel ${plan.sources} (dracut)`
        : `kernel ${label}: genkernel with ${plan.sources}`,
    );
  }
  if (use.length > 0) lines.push("make.conf without catalyst_use (clean)");
  if (use.includes("bindist")) lines.push('bindist: every package under ACCEPT_LICENSE="@FREE"');
  return lines;
}
