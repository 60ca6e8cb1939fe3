/**
 * The steps stage kinds share, with catalyst's meaning (catalyst.md §2.9, §3): unpacking the
 * source, root overlays, fsscripts, users and groups, `rm`, `empty`, `unmerge`, `depclean`,
 * cleaning and capture. Each returns a typed failure; every path taken from a spec is resolved
 * inside the build root by `sandbox/root-path`.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { defaultCompressionMode } from "../spec/compression.js";
import { packTarball, unpackTarball } from "../image/tarball.js";
import { describeSandboxFailure, runInChroot } from "../sandbox/chroot.js";
import { recoverRoot } from "../sandbox/root-swaps.js";
import { mkdirInRoot, writeFileInRoot } from "../sandbox/root-path.js";
import { copyOverlayInto } from "../sandbox/root-overlay.js";
import { emptyInRoot, removeInRoot } from "../sandbox/root-glob.js";
import type { TargetKindName } from "../spec/types.js";
import { type Result, ok, err } from "../util/result.js";
import type { StageFailure, TargetContext } from "./target-kind.js";
import { type Inventory, takeInventory } from "./sbom-steps.js";
import { clstEnvironment, commaListOf, keyPrefix, listOf, stringOf } from "../spec/values.js";

/** A step result without a value. */
export type StepResult = Result<void, StageFailure>;

const OK: StepResult = ok(undefined);

/** Unpacks the stage's `source` tarball into `root` (an empty folder). */
export async function unpackSource(ctx: TargetContext, root: string): Promise<StepResult> {
  const source = ctx.inputs.source;
  if (source === undefined) {
    return err({
      reason: "bad-input",
      message: `${ctx.spec.kind} needs a source stage (source_subpath)`,
    });
  }
  if (source.kind !== "tarball") {
    return err({
      reason: "bad-input",
      message: `source_subpath names ${source.from}, a ${source.kind}; ${ctx.spec.kind} needs a stage tarball`,
      hint: "point source_subpath at a stage3, stage4 or embedded output",
    });
  }
  return ctx.step("unpack", basename(source.path), async () => {
    mkdirSync(root, { recursive: true });
    const r = await unpackTarball({
      input: source.path,
      dest: root,
      logFile: ctx.logFile,
      signal: ctx.signal,
    });
    return r.ok ? OK : err(r.error);
  });
}

/**
 * The driver's own work for this kind (Portage: stage4's `emerge -u @system`, the livecd
 * @world update, before the packages); drivers without any (apt) skip it.
 */
export async function driverStage(ctx: TargetContext, root: string): Promise<StepResult> {
  const build = ctx.driver.buildStage?.bind(ctx.driver);
  if (build === undefined) return OK;
  return ctx.step("update", `${ctx.driver.name} ${ctx.spec.kind}`, async () => {
    const r = await build(ctx, root, ctx.spec.kind);
    return r.ok ? OK : err(r.error);
  });
}

/** Copies each folder of `<prefix>/root_overlay` into the root, in order. */
export async function rootOverlay(
  ctx: TargetContext,
  root: string,
  key?: string,
): Promise<StepResult> {
  const k = key ?? `${keyPrefix(ctx.spec.kind)}/root_overlay`;
  const dirs = listOf(ctx.values[k]);
  if (dirs.length === 0) return OK;
  return ctx.step("root_overlay", dirs.join(" "), () => {
    for (const dir of dirs) {
      if (!existsSync(dir) || !statSync(dir).isDirectory()) {
        return Promise.resolve(
          err({
            reason: "bad-input",
            message: `${k}: ${dir} is not a folder`,
            hint: "root_overlay names folders whose contents are copied into the root",
          }),
        );
      }
      const r = copyOverlayInto(root, dir);
      if (!r.ok) return Promise.resolve(err(r.error));
    }
    return Promise.resolve(OK);
  });
}

/** Environment for fsscripts and other in-root scripts, as catalyst exports it. */
export function stageEnvironment(ctx: TargetContext, rootPath: string): Record<string, string> {
  return clstEnvironment(ctx.values, {
    clst_root_path: rootPath,
    clst_target: ctx.spec.kind,
    clst_hostarch: stringOf(ctx.values["subarch"]) ?? "",
    clst_jobs: String(ctx.jobs),
    MAKEOPTS: `-j${ctx.jobs}`,
  });
}

/**
 * Runs the `<prefix>/fsscript` inside the chroot (copied to /tmp, run with the `clst_*`
 * environment). `rootPath` is what the script sees as `clst_root_path` (`/` or the merge root).
 */
export async function fsscript(
  ctx: TargetContext,
  root: string,
  options: { readonly rootPath?: string; readonly mergeRoot?: string; readonly key?: string } = {},
): Promise<StepResult> {
  const key = options.key ?? `${keyPrefix(ctx.spec.kind)}/fsscript`;
  const script = stringOf(ctx.values[key]);
  if (script === undefined) return OK;
  return ctx.step("fsscript", script, async () => {
    let text: string;
    try {
      text = readFileSync(script, "utf8");
    } catch (e) {
      return err({ reason: "bad-input", message: `${key}: cannot read ${script}: ${String(e)}` });
    }
    const rootPath = options.rootPath ?? "/";
    const binds =
      options.mergeRoot === undefined ? [] : [{ source: options.mergeRoot, target: rootPath }];
    const shell = text.startsWith("#!")
      ? (text.split("\n")[0] ?? "").slice(2).trim().split(/\s+/)[0]
      : "/bin/sh";
    const r = await runInChroot({
      root,
      script: text,
      ...(shell === undefined ? {} : { shell }),
      env: stageEnvironment(ctx, rootPath),
      binds,
      // The merge root is bound under the root's /tmp: keep that /tmp instead of a fresh tmpfs.
      ...(options.mergeRoot === undefined ? {} : { tmp: "keep" as const }),
      logFile: ctx.logFile,
      signal: ctx.signal,
      network: true,
    });
    return r.ok
      ? OK
      : err({
          reason: "step-failed",
          step: "fsscript",
          message: `${script}: ${describeSandboxFailure(r.error)}`,
          tail: "tail" in r.error ? r.error.tail : [],
        });
  });
}

/** `<prefix>/groups` and `<prefix>/users` (`name` or `name=grp1,grp2`), then ssh keys. */
export async function usersAndGroups(ctx: TargetContext, root: string): Promise<StepResult> {
  const p = keyPrefix(ctx.spec.kind);
  const groups = commaListOf(ctx.values[`${p}/groups`]);
  const users = listOf(ctx.values[`${p}/users`]);
  const keys = commaListOf(ctx.values[`${p}/ssh_public_keys`]);
  if (groups.length === 0 && users.length === 0) return OK;
  return ctx.step("users", [...groups, ...users].join(" "), async () => {
    const lines: string[] = ["set -e"];
    for (const g of groups) lines.push(`getent group ${shq(g)} >/dev/null || groupadd ${shq(g)}`);
    for (const u of users) {
      const [name = "", grps] = u.split("=", 2);
      const opt = grps ? ` -G ${shq(grps)}` : "";
      lines.push(`getent passwd ${shq(name)} >/dev/null || useradd -m${opt} ${shq(name)}`);
    }
    const r = await runInChroot({
      root,
      script: lines.join("\n"),
      logFile: ctx.logFile,
      signal: ctx.signal,
    });
    if (!r.ok) return err(r.error);
    for (const keyFile of keys) {
      for (const u of users) {
        const name = u.split("=", 1)[0] ?? "";
        let content: Buffer;
        try {
          content = readFileSync(keyFile);
        } catch (e) {
          return err({
            reason: "bad-input",
            message: `${p}/ssh_public_keys: cannot read ${keyFile}: ${String(e)}`,
          });
        }
        const d = mkdirInRoot(root, `/home/${name}/.ssh`, 0o700);
        if (!d.ok) return err(d.error);
        const w = writeFileInRoot(root, `/home/${name}/.ssh/authorized_keys`, content, 0o644);
        if (!w.ok) return err(w.error);
      }
    }
    return OK;
  });
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `<prefix>/rm`: glob-delete inside the root. */
export async function removePaths(ctx: TargetContext, root: string): Promise<StepResult> {
  const key = `${keyPrefix(ctx.spec.kind)}/rm`;
  const paths = listOf(ctx.values[key]);
  if (paths.length === 0) return OK;
  return ctx.step("rm", paths.join(" "), () => {
    for (const p of paths) {
      const r = removeInRoot(root, p);
      if (!r.ok) return Promise.resolve(err(r.error));
    }
    return Promise.resolve(OK);
  });
}

/** `<prefix>/empty`: recreate folders empty, keeping owner and mode. */
export async function emptyPaths(ctx: TargetContext, root: string): Promise<StepResult> {
  const key = `${keyPrefix(ctx.spec.kind)}/empty`;
  const dirs = listOf(ctx.values[key]);
  if (dirs.length === 0) return OK;
  return ctx.step("empty", dirs.join(" "), () => {
    for (const d of dirs) {
      const r = emptyInRoot(root, d);
      if (!r.ok) return Promise.resolve(err(r.error));
    }
    return Promise.resolve(OK);
  });
}

/** `<prefix>/unmerge` through the driver. */
export async function unmerge(ctx: TargetContext, root: string): Promise<StepResult> {
  const pkgs = listOf(ctx.values[`${keyPrefix(ctx.spec.kind)}/unmerge`]);
  if (pkgs.length === 0) return OK;
  return ctx.step("unmerge", pkgs.join(" "), async () => {
    const r = await ctx.driver.remove(ctx, root, pkgs);
    return r.ok ? OK : err(r.error);
  });
}

/** `<prefix>/depclean: yes|keepbdeps` through the driver. */
export async function depclean(
  ctx: TargetContext,
  root: string,
  force = false,
): Promise<StepResult> {
  const v = stringOf(ctx.values[`${keyPrefix(ctx.spec.kind)}/depclean`])?.toLowerCase();
  if (!force && v !== "yes" && v !== "keepbdeps") return OK;
  return ctx.step("depclean", undefined, async () => {
    const r = await ctx.driver.depclean(ctx, root);
    return r.ok ? OK : err(r.error);
  });
}

/**
 * Files that differ between two builds of the same inputs and must not ship in a stage
 * (docs/reproducible.md): glibc's ldconfig aux cache records the inode, device and ctime of
 * every library it saw (ldconfig rebuilds it when missing), and systemd's random seed, which
 * every machine booted from the image would share.
 */
export const UNREPRODUCIBLE_FILES = [
  "/var/cache/ldconfig/aux-cache",
  "/var/lib/systemd/random-seed",
] as const;

/**
 * catalyst's `clean` (§2.9): drop `/etc/machine-id` content (kept as an empty file so systemd
 * treats the first boot right), `/tmp/*`, `/var/tmp/*`, backup files,
 * {@link UNREPRODUCIBLE_FILES}, and the driver's caches.
 */
export async function clean(
  ctx: TargetContext,
  root: string,
  kind: TargetKindName,
): Promise<StepResult> {
  return ctx.step("clean", undefined, async () => {
    for (const pattern of [
      "/tmp/*",
      "/tmp/.*",
      "/var/tmp/*",
      "/var/tmp/.*",
      "/etc/*-",
      ...UNREPRODUCIBLE_FILES,
    ]) {
      const r = removeInRoot(root, pattern);
      if (!r.ok) return err(r.error);
    }
    if (existsSync(join(root, "etc"))) {
      const w = writeFileInRoot(root, "/etc/machine-id", "", 0o444);
      if (!w.ok) return err(w.error);
      const dbus = removeInRoot(root, "/var/lib/dbus/machine-id");
      if (!dbus.ok) return err(dbus.error);
    }
    if (kind !== "stage4") {
      // catalyst keeps resolv.conf for stage4 only (the fsscript may have written one).
    }
    const r = await ctx.driver.cleanRoot(ctx, root);
    return r.ok ? OK : err(r.error);
  });
}

/** Captures the root as the stage tarball `ctx.outputName` in the staging folder. */
export async function capture(ctx: TargetContext, root: string): Promise<StepResult> {
  const mode = stringOf(ctx.values["compression_mode"]) ?? defaultCompressionMode(ctx.driver.name);
  return ctx.step("capture", `${ctx.outputName} (${mode})`, async () => {
    // A run killed earlier may have left the host's resolv.conf or an interpreter in the root.
    recoverRoot(root, listOf(ctx.values["interpreter"]));
    const r = await packTarball({
      source: root,
      output: join(ctx.stagingDir, ctx.outputName),
      mode,
      sourceDateEpoch: ctx.sourceDateEpoch,
      logFile: ctx.logFile,
      signal: ctx.signal,
      jobs: ctx.jobs,
    });
    return r.ok ? OK : err(r.error);
  });
}

/** Writes the package manifest (`name<TAB>version<TAB>licence` lines) next to the output. */
export async function packageManifest(
  ctx: TargetContext,
  root: string,
  fileName: string,
): Promise<StepResult> {
  return ctx.step("manifest", fileName, async () => {
    const r = await ctx.driver.listPackages(ctx, root);
    if (!r.ok) return err(r.error);
    const text = r.value.map((p) => `${p.name}\t${p.version}\t${p.licence}\n`).join("");
    writeFileSync(join(ctx.stagingDir, fileName), text);
    return OK;
  });
}

/** Installs `packages` with the driver (nothing to do for an empty list). */
export async function installPackages(
  ctx: TargetContext,
  root: string,
  packages: readonly string[],
): Promise<StepResult> {
  if (packages.length === 0) return OK;
  return ctx.step("packages", packages.join(" "), async () => {
    const i = await ctx.driver.install(ctx, root, packages);
    return i.ok ? OK : err(i.error);
  });
}

/**
 * The finishing steps stage4 and livecd-stage1 share, in catalyst's order: overlay, fsscript,
 * unmerge, depclean, (the SBOM's inventory, when given one), rm, users and groups, empty, clean.
 */
export function finishRoot(
  ctx: TargetContext,
  root: string,
  inventory?: Inventory,
): (() => Promise<StepResult>)[] {
  return [
    () => rootOverlay(ctx, root),
    () => fsscript(ctx, root),
    () => unmerge(ctx, root),
    () => depclean(ctx, root),
    // The package set is final here; `rm` may remove the licence files.
    ...(inventory === undefined ? [] : [() => takeInventory(ctx, root, inventory)]),
    () => removePaths(ctx, root),
    () => usersAndGroups(ctx, root),
    () => emptyPaths(ctx, root),
    () => clean(ctx, root, ctx.spec.kind),
  ];
}

/** Runs steps in order, stopping at the first failure. */
export async function sequence(steps: readonly (() => Promise<StepResult>)[]): Promise<StepResult> {
  for (const s of steps) {
    const r = await s();
    if (!r.ok) return r;
  }
  return OK;
}
