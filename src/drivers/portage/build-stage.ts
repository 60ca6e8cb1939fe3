/**
 * A stage kind's own Portage work (catalyst's run_local + preclean, see {@link stageCommands})
 * and the Portage form of bootstrapping a root from its unpacked seed.
 */
import { renameSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import {
  lstatInRoot,
  mkdirInRoot,
  readFileInRoot,
  resolveInRoot,
  writeFileInRoot,
} from "../../sandbox/root-path.js";
import type { TargetKindName } from "../../spec/types.js";
import { ok } from "../../util/result.js";
import type { DriverResult } from "../driver.js";
import { refuse } from "../session.js";
import { checkBindist } from "./bindist.js";
import { finalMakeConf } from "./clean.js";
import { STAGE1_ROOT, stageCommands, updateSeed } from "./emerge.js";
import { install } from "./install.js";
import { type PortageSession, exec } from "./portage-session.js";
import { prepare } from "./prepare.js";
import { stage1Packages } from "./profile.js";

/**
 * Runs the stage kind's own commands in the session's root. stage1 builds into /tmp/stage1root
 * and returns it as the folder to capture.
 */
export async function buildStage(
  s: PortageSession,
  kind: TargetKindName,
): Promise<DriverResult<{ readonly captureRoot: string }>> {
  const root = s.root;
  const seedUpdate = updateSeed(s.values);
  if (typeof seedUpdate === "string") return refuse("bad-setting", seedUpdate);
  const subRoot = kind === "stage1" ? STAGE1_ROOT : undefined;
  const p = await prepare(s, subRoot);
  if (!p.ok) return p;
  let packages: string[] = [];
  if (kind === "stage1") {
    const profile = s.str("profile") ?? "";
    const main = p.value.repos[0];
    const repoDirs: Record<string, string> = {};
    for (const r of p.value.repos) repoDirs[r.name] = r.hostDir;
    const list = stage1Packages(main?.hostDir ?? "", profile, repoDirs);
    if (!list.ok)
      return refuse(
        "profile-packages-missing",
        list.error.message,
        "check `profile:`; the snapshot's profile must list packages.build",
      );
    packages = list.value;
    const made = mkdirInRoot(root, `${STAGE1_ROOT}/etc/portage`);
    if (!made.ok) return refuse("root-write-failed", made.error.message);
    const conf = readFileInRoot(root, "/etc/portage/make.conf");
    if (conf.ok) {
      const w = writeFileInRoot(root, `${STAGE1_ROOT}/etc/portage/make.conf`, conf.value);
      if (!w.ok) return refuse("root-write-failed", w.error.message);
    }
  }
  for (const cmd of stageCommands(kind, s.values, p.value.emerge, packages)) {
    const r = await exec(p.value, cmd);
    if (!r.ok) return r;
  }
  if (kind !== "stage1") return ok({ captureRoot: root });
  const sub = resolveInRoot(root, STAGE1_ROOT);
  if (!sub.ok) return refuse("root-write-failed", sub.error.message);
  const fin = finalMakeConf(s, sub.value);
  if (!fin.ok) return fin;
  const lic = checkBindist(s, sub.value, p.value);
  if (!lic.ok) return lic;
  return ok({ captureRoot: sub.value });
}

/**
 * The Portage form of bootstrapping: the root already holds the unpacked seed (the target
 * unpacked `source_subpath`); this runs the stage kind's own work and, for stage1, makes the
 * new system (/tmp/stage1root) the root, as catalyst's seedcache `clean_stage1` does.
 * `packages` are emerged afterwards.
 */
export async function bootstrap(
  s: PortageSession,
  packages: readonly string[],
): Promise<DriverResult> {
  const root = s.root;
  if (lstatInRoot(root, "/etc") === undefined) {
    return refuse(
      "seed-missing",
      "the Portage driver builds from a seed: the root is empty",
      "set source_subpath to a stage3 seed (`substrate fetch` downloads Gentoo's) or to a stage of the tree",
    );
  }
  const b = await buildStage(s, s.kind);
  if (!b.ok) return b;
  if (b.value.captureRoot !== root && b.value.captureRoot !== resolveInRootOr(root, "/")) {
    const aside = `${root}.seed-${process.pid}`;
    renameSync(root, aside);
    renameSync(join(aside, relative(root, b.value.captureRoot)), root);
    rmSync(aside, { recursive: true, force: true });
    s.forget();
    return packages.length === 0
      ? ok(undefined)
      : refuse("packages-not-allowed", "stage1 takes no extra packages");
  }
  return install(s, packages);
}

function resolveInRootOr(root: string, path: string): string {
  const r = resolveInRoot(root, path);
  return r.ok ? r.value : root;
}
