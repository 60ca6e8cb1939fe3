/**
 * The Gentoo driver: roots start from a verified stage3 seed (unpacked by the target), Portage
 * inside the root (through the sandbox's chroot runner) builds and installs. Before the first
 * emerge of a root the driver does catalyst's prepare and chroot_setup (catalyst.md §2.4-2.6):
 * the profile link, `portage_confdir`, repos.conf, make.conf from the arch table; every run binds
 * the unpacked snapshot read-only at /var/db/repos/gentoo (plus `repos`), the shared distfiles
 * cache, the stage's `pkgcache_path` at /var/cache/binpkgs and `kerncache_path` at /tmp/kerncache.
 * `clean` drops catalyst_use from make.conf, the `portage_prefix` files and repos.conf entries
 * not in `keep_repos`, and refuses bindist roots holding non-free packages. See docs/drivers.md.
 */
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import type { Event } from "../../report/events.js";
import {
  type BindMount,
  type SandboxFailure,
  describeSandboxFailure,
  runInChroot,
} from "../../sandbox/chroot.js";
import { shellQuote } from "../../sandbox/setup-script.js";
import { checkInterpreters } from "../../sandbox/interpreter.js";
import { run } from "../../sandbox/process.js";
import {
  inRootPath,
  lstatInRoot,
  mkdirInRoot,
  readFileInRoot,
  resolveInRoot,
  writeFileInRoot,
} from "../../sandbox/root-path.js";
import { copyOverlayInto } from "../../sandbox/root-overlay.js";
import { globInRoot, removeInRoot } from "../../sandbox/root-glob.js";
import type { DriverName, SpecValue, TargetKindName, TreeConfig } from "../../spec/types.js";
import { ok, err } from "../../util/result.js";
import type {
  Driver,
  DriverFailure,
  DriverResult,
  HostTool,
  InstalledKernel,
  KernelRequest,
  LiveInitramfsRequest,
  PackageRecord,
  StageContext,
} from "../driver.js";
import { type ArchEntry, archEntry, knownSubarches } from "./arch-table.js";
import {
  DISTDIR,
  type EmergeSettings,
  KERNCACHE_MOUNT,
  MERGE_ROOT,
  PKGDIR,
  STAGE1_ROOT,
  type StageCommand,
  emergeEnv,
  emergeOptions,
  emergeSettingsFor,
  installArgs,
  stageCommands,
  updateSeed,
} from "./emerge.js";
import { portageForeignHostTools, portageHostTools } from "./host-tools.js";
import {
  configTarget,
  distDracutArgv,
  genkernelArgv,
  kernelPlan,
  type KernelPlan,
  splitArgs,
} from "./kernel.js";
import { expandGroup, nonFreePackages, parseLicenseGroups, readVdb } from "./licences.js";
import { isBindist, makeConfInput, parseMakeConf, renderMakeConf, usePrefix } from "./make-conf.js";
import { stage1Packages } from "./profile.js";
import { REPO_BASEDIR, type RepoMount, repoNameOf, reposConfFiles } from "./repos.js";
import { fetchSnapshot, snapshotDir, snapshotFileName, unpackedSnapshot } from "./snapshot.js";
import { fetchInputs } from "./fetch-inputs.js";
import type { FetchInputsRequest, FetchInputsSummary } from "../fetch-request.js";

/** Settings of the Portage driver beyond the tree config. */
export interface PortageDriverOptions {
  /** OpenPGP keyring for snapshots fetched on demand (default: Gentoo's release key). */
  readonly keyring?: string;
  /** Accept unsigned snapshots fetched on demand. */
  readonly insecure?: boolean;
  /** Fetch a missing snapshot from the tree's mirrors (default true). */
  readonly fetchMissing?: boolean;
  /** CPU count used for --load-average (default: the host's). */
  readonly cores?: number;
}

/**
 * dracut's arguments for the live initramfs before the spec's `dracut_args` (the same defaults
 * as the apt driver: generic, reproducible, dmsquash-live, zstd -3, built in /tmp).
 */
export const PORTAGE_DRACUT_ARGS = [
  "--force",
  "--no-hostonly",
  "--no-hostonly-cmdline",
  "--reproducible",
  "--add",
  "dmsquash-live",
  "--omit",
  "plymouth",
  "--compress",
  "zstd -q -T0 -3",
  "--tmpdir",
  "/tmp",
] as const;

/** Portage config folders whose `<portage_prefix>` file clean removes (catalyst §2.9). */
export const PREFIX_CONFIG_DIRS = [
  "package.accept_keywords",
  "package.keywords",
  "package.mask",
  "package.unmask",
  "package.use",
  "package.env",
  "env",
  "profile/package.use.force",
  "profile/package.use.mask",
] as const;

/** Files clean removes from every Portage root. */
export const PORTAGE_CLEAN_PATTERNS = [
  "/etc/portage/patches",
  "/var/log/emerge.log",
  "/var/log/emerge-fetch.log",
  "/var/log/portage/elog/*",
  "/var/cache/distfiles/*",
  "/var/cache/binpkgs/*",
  "/etc/sandbox.d/99catalyst",
] as const;

/** Everything a prepared root's runs share. */
interface Prepared {
  readonly kind: TargetKindName;
  readonly arch: ArchEntry;
  readonly repos: readonly RepoMount[];
  readonly binds: readonly BindMount[];
  readonly interpreters: readonly string[];
  readonly emerge: EmergeSettings;
  /** The ROOT (not /) this root builds into, when there is one. */
  readonly subRoot?: string;
}

const ATOM = /^[\w@<>=~!*.:/+\-[\],]+$/;

function str(v: SpecValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === "string" ? v : v.join(" ");
}

function words(v: SpecValue | undefined): string[] {
  const s = str(v);
  return s === undefined ? [] : s.split(/\s+/).filter((w) => w !== "");
}

function fromSandbox(step: string, f: SandboxFailure): DriverFailure {
  if (f.reason === "cancelled") return { reason: "cancelled", message: `${step} was cancelled` };
  const tail = "tail" in f ? f.tail : [];
  const message =
    f.reason === "exit-non-zero"
      ? `${step} exited with status ${f.status}`
      : describeSandboxFailure(f);
  return { reason: "command-failed", step, message, tail };
}

function bad(message: string, hint?: string): { ok: false; error: DriverFailure } {
  return err(
    hint === undefined ? { reason: "bad-input", message } : { reason: "bad-input", message, hint },
  );
}

function checkAtoms(packages: readonly string[], key: string): DriverResult {
  const badOne = packages.find((p) => !ATOM.test(p) || p.startsWith("-"));
  if (badOne === undefined) return ok(undefined);
  return bad(
    `${key}: "${badOne}" is not a package atom`,
    "list atoms such as app-editors/nano or >=sys-apps/systemd-256",
  );
}

/** Emerge's "(3 of 120)" lines as progress. */
function emergeProgress(ctx: StageContext, what: string): (line: string) => void {
  return (line) => {
    const m = /^>>> Emerging (?:binary )?\((\d+) of (\d+)\) (\S+)/.exec(line);
    if (m === null) return;
    const done = Number(m[1]);
    const total = Number(m[2]);
    ctx.emit({
      type: "stage-progress",
      stage: ctx.stage,
      message: `${what}: ${m[3] ?? ""}`,
      ...(total > 0 ? { fraction: Math.min(1, (done - 1) / total) } : {}),
    });
  };
}

/** The Portage driver. Construct it with the tree config (its `mirrors` serve snapshots). */
export class PortageDriver implements Driver {
  /** Always `portage`. */
  readonly name: DriverName = "portage";
  private readonly prepared = new Map<string, Prepared>();
  private identityPromise: Promise<string> | undefined;

  /**
   * @param config the tree config (`mirrors` for snapshots fetched on demand).
   * @param options keyring, --insecure and host size overrides.
   */
  constructor(
    private readonly config: Pick<TreeConfig, "mirrors">,
    private readonly options: PortageDriverOptions = {},
  ) {}

  /** `portage:` + the arch table version + the host's gpgv and unsquashfs versions. */
  identity(): Promise<string> {
    this.identityPromise ??= (async () => {
      const r = await run({
        argv: ["dpkg-query", "-W", "-f", "${Package}=${Version}\\n", "gpgv", "squashfs-tools"],
        captureStdout: true,
      });
      const tools = r.ok ? r.value.stdout.trim().split("\n").join(",") : "tools=unknown";
      return `portage:driver=1;${tools}`;
    })();
    return this.identityPromise;
  }

  /** See {@link portageHostTools}. */
  hostTools(kind: TargetKindName): readonly HostTool[] {
    return portageHostTools(kind);
  }

  /** See {@link portageForeignHostTools}. */
  foreignHostTools(interpreters: readonly string[]): readonly HostTool[] {
    return portageForeignHostTools(interpreters);
  }

  /** See {@link fetchInputs}. */
  fetchInputs(req: FetchInputsRequest): Promise<FetchInputsSummary> {
    return fetchInputs(req);
  }

  private emit(ctx: StageContext, message: string): void {
    const event: Event = { type: "stage-progress", stage: ctx.stage, message };
    ctx.emit(event);
  }

  private kindOf(ctx: StageContext): TargetKindName {
    return (str(ctx.values["target"]) ?? "stage3") as TargetKindName;
  }

  /** The snapshot's unpacked folder for the stage's `snapshot_treeish`, fetched when missing. */
  private async snapshotTree(ctx: StageContext): Promise<DriverResult<string>> {
    const treeish = str(ctx.values["snapshot_treeish"]);
    if (treeish === undefined)
      return bad("the stage has no snapshot_treeish", "set snapshot_treeish: <YYYYMMDD>.xz");
    const sqfs = join(snapshotDir(ctx.cacheDir), snapshotFileName(treeish));
    if (
      !existsSync(sqfs) &&
      this.options.fetchMissing !== false &&
      this.config.mirrors.length > 0
    ) {
      this.emit(ctx, `fetching snapshot ${basename(sqfs)}`);
      const f = await fetchSnapshot(treeish, {
        mirrors: this.config.mirrors,
        cacheDir: ctx.cacheDir,
        ...(this.options.keyring === undefined ? {} : { keyring: this.options.keyring }),
        ...(this.options.insecure === undefined ? {} : { insecure: this.options.insecure }),
        signal: ctx.signal,
        emit: ctx.emit,
      });
      if (!f.ok) {
        return bad(
          `snapshot ${basename(sqfs)}: ${f.error.message}`,
          f.error.hint ?? "run `substrate fetch` for this tree with --date matching the snapshot",
        );
      }
    }
    const tree = await unpackedSnapshot(sqfs, ctx.cacheDir, ctx.logFile, ctx.signal);
    if (!tree.ok) return bad(tree.error.message, tree.error.hint);
    return ok(tree.value);
  }

  /** catalyst's prepare + chroot_setup for `root` (once per root; later calls reuse it). */
  private async prepare(
    ctx: StageContext,
    root: string,
    subRoot?: string,
  ): Promise<DriverResult<Prepared>> {
    // The root's inode too: a new folder at the same path (a retried stage) is prepared again.
    const key = `${root}\0${subRoot ?? ""}\0${inode(root)}`;
    const known = this.prepared.get(key);
    if (known !== undefined) return ok(known);
    const kind = this.kindOf(ctx);
    const subarch = str(ctx.values["subarch"]) ?? "";
    const arch = archEntry(subarch);
    if (arch === undefined) {
      return bad(
        `unknown subarch "${subarch}" (catalyst: Unknown host machine type)`,
        `known: ${knownSubarches().join(", ")}`,
      );
    }
    const interpreters = words(ctx.values["interpreter"]);
    if (interpreters.length > 0) {
      const c = checkInterpreters(interpreters);
      if (!c.ok) return bad(c.error.message, "hint" in c.error ? c.error.hint : undefined);
    }
    const main = await this.snapshotTree(ctx);
    if (!main.ok) return main;
    const repos: RepoMount[] = [
      { name: repoNameOf(main.value) ?? "gentoo", hostDir: main.value, main: true },
    ];
    for (const path of [...words(ctx.values["repos"]), ...words(ctx.values["portage_overlay"])]) {
      let dir = path;
      if (path.endsWith(".sqfs")) {
        const u = await unpackedSnapshot(path, ctx.cacheDir, ctx.logFile, ctx.signal);
        if (!u.ok) return bad(`repos: ${u.error.message}`);
        dir = u.value;
      } else if (!isDir(path)) {
        return bad(`repos: ${path} is not a folder or a .sqfs file`);
      }
      const name = repoNameOf(dir);
      if (name === undefined) {
        return bad(
          `repos: ${path} declares no repo name`,
          "add profiles/repo_name or repo-name in metadata/layout.conf",
        );
      }
      if (repos.some((r) => r.name === name)) return bad(`repos: two repos are named ${name}`);
      repos.push({ name, hostDir: dir, main: false });
    }

    // Profile link: /etc/portage/make.profile -> ../../var/db/repos/<repo>/profiles/<profile>.
    const profile = str(ctx.values["profile"]);
    if (profile !== undefined) {
      const m = /^([\w-]+):(.+)$/.exec(profile);
      const repo = m === null ? repos[0] : repos.find((r) => r.name === m[1]);
      const path = m === null ? profile : (m[2] ?? "");
      if (repo === undefined) return bad(`profile ${profile}: no repo named ${m?.[1] ?? ""}`);
      if (!isDir(join(repo.hostDir, "profiles", path))) {
        return bad(
          `profile ${profile} does not exist in the ${repo.name} repo of snapshot ${str(ctx.values["snapshot_treeish"]) ?? ""}`,
          "list profiles with `ls profiles/` of the snapshot, or check profiles/profiles.desc",
        );
      }
      for (const r of subRoot === undefined ? ["/"] : ["/", subRoot]) {
        const link = linkProfile(root, r, `${REPO_BASEDIR}/${repo.name}/profiles/${path}`);
        if (!link.ok) return link;
      }
    }
    // portage_confdir (one or several): rsync -a <dir>/ /etc/portage/
    const etc = mkdirInRoot(root, "/etc/portage");
    if (!etc.ok) return bad(etc.error.message);
    for (const dir of words(ctx.values["portage_confdir"])) {
      if (!isDir(dir)) return bad(`portage_confdir: ${dir} is not a folder`);
      const c = copyOverlayInto(etc.value.path, dir);
      if (!c.ok) return bad(`portage_confdir ${dir}: ${c.error.message}`);
    }
    for (const [file, text] of reposConfFiles(repos)) {
      const w = writeFileInRoot(root, `/etc/portage/repos.conf/${file}`, text);
      if (!w.ok) return bad(w.error.message);
    }
    // make.conf: the seed's flags (after stage1) over the arch table, USE with catalyst_use.
    const seedConf = readFileInRoot(root, "/etc/portage/make.conf");
    const seed = seedConf.ok ? parseMakeConf(seedConf.value.toString("utf8")) : {};
    const makeConf = renderMakeConf(
      makeConfInput({ kind, values: ctx.values, arch, seed, building: true }),
    );
    const w = writeFileInRoot(root, "/etc/portage/make.conf", makeConf);
    if (!w.ok) return bad(w.error.message);

    const binds: BindMount[] = [];
    for (const r of repos) {
      binds.push({ source: r.hostDir, target: `${REPO_BASEDIR}/${r.name}`, readonly: true });
      if (subRoot !== undefined) {
        binds.push({
          source: r.hostDir,
          target: `${subRoot}${REPO_BASEDIR}/${r.name}`,
          readonly: true,
        });
      }
    }
    const distfiles = join(ctx.cacheDir, "distfiles");
    mkdirSync(distfiles, { recursive: true });
    binds.push({ source: distfiles, target: DISTDIR });
    const pkgcache = str(ctx.values["pkgcache_path"]);
    if (pkgcache !== undefined) {
      mkdirSync(pkgcache, { recursive: true });
      binds.push({ source: pkgcache, target: PKGDIR });
    }
    const kerncache = str(ctx.values["kerncache_path"]);
    if (kerncache !== undefined) {
      mkdirSync(kerncache, { recursive: true });
      binds.push({ source: kerncache, target: KERNCACHE_MOUNT });
    }
    const prepared: Prepared = {
      kind,
      arch,
      repos,
      binds,
      interpreters,
      emerge: emergeSettingsFor({
        jobs: ctx.jobs,
        cores: this.options.cores ?? availableParallelism(),
        values: ctx.values,
      }),
      ...(subRoot === undefined ? {} : { subRoot }),
    };
    this.prepared.set(key, prepared);
    return ok(prepared);
  }

  /** Runs one command in the prepared root. */
  private async exec(
    ctx: StageContext,
    root: string,
    p: Prepared,
    cmd: StageCommand,
    extraBinds: readonly BindMount[] = [],
    captureStdout = false,
  ): Promise<DriverResult<string>> {
    this.emit(ctx, cmd.step);
    const base = {
      root,
      logFile: ctx.logFile,
      signal: ctx.signal,
      network: true,
      tmp: "keep" as const,
      binds: [...p.binds, ...extraBinds],
      interpreters: p.interpreters,
      env: { SOURCE_DATE_EPOCH: String(ctx.sourceDateEpoch), ...(cmd.env ?? {}) },
      onLine: emergeProgress(ctx, cmd.step),
      ...(captureStdout ? { captureStdout: true } : {}),
    };
    let r;
    if ("argv" in cmd) {
      const argv = cmd.argv;
      if (cmd.optional === true) {
        const script = `command -v ${shellQuote(argv[0] ?? "")} >/dev/null 2>&1 || exit 0\nexec ${argv.map(shellQuote).join(" ")}`;
        r = await runInChroot({ ...base, script });
      } else {
        r = await runInChroot({ ...base, argv });
      }
    } else {
      r = await runInChroot({ ...base, script: cmd.script });
    }
    if (!r.ok) return err(fromSandbox(cmd.step, r.error));
    return ok(r.value.stdout);
  }

  private async emerge(
    ctx: StageContext,
    root: string,
    p: Prepared,
    step: string,
    args: readonly string[],
    env: Readonly<Record<string, string>> = {},
    extraBinds: readonly BindMount[] = [],
  ): Promise<DriverResult> {
    const r = await this.exec(
      ctx,
      root,
      p,
      {
        step,
        argv: ["emerge", ...emergeOptions(p.emerge), ...args],
        env: { ...emergeEnv(p.emerge), ...env },
      },
      extraBinds,
    );
    return r.ok ? ok(undefined) : r;
  }

  /**
   * A stage kind's own work (catalyst's run_local + preclean), see {@link stageCommands}.
   * stage1 builds into /tmp/stage1root and returns it as the folder to capture.
   */
  async buildStage(
    ctx: StageContext,
    root: string,
    kind: TargetKindName,
  ): Promise<DriverResult<{ readonly captureRoot: string }>> {
    const seedUpdate = updateSeed(ctx.values);
    if (typeof seedUpdate === "string") return bad(seedUpdate);
    const subRoot = kind === "stage1" ? STAGE1_ROOT : undefined;
    const p = await this.prepare(ctx, root, subRoot);
    if (!p.ok) return p;
    let packages: string[] = [];
    if (kind === "stage1") {
      const profile = str(ctx.values["profile"]) ?? "";
      const main = p.value.repos[0];
      const repoDirs: Record<string, string> = {};
      for (const r of p.value.repos) repoDirs[r.name] = r.hostDir;
      const list = stage1Packages(main?.hostDir ?? "", profile, repoDirs);
      if (!list.ok)
        return bad(
          list.error.message,
          "check `profile:`; the snapshot's profile must list packages.build",
        );
      packages = list.value;
      const made = mkdirInRoot(root, `${STAGE1_ROOT}/etc/portage`);
      if (!made.ok) return bad(made.error.message);
      const conf = readFileInRoot(root, "/etc/portage/make.conf");
      if (conf.ok) {
        const w = writeFileInRoot(root, `${STAGE1_ROOT}/etc/portage/make.conf`, conf.value);
        if (!w.ok) return bad(w.error.message);
      }
    }
    for (const cmd of stageCommands(kind, ctx.values, p.value.emerge, packages)) {
      const r = await this.exec(ctx, root, p.value, cmd);
      if (!r.ok) return r;
    }
    if (kind !== "stage1") return ok({ captureRoot: root });
    const sub = resolveInRoot(root, STAGE1_ROOT);
    if (!sub.ok) return bad(sub.error.message);
    const fin = this.finalMakeConf(ctx, sub.value);
    if (!fin.ok) return fin;
    const lic = this.checkBindist(ctx, sub.value, p.value);
    if (!lic.ok) return lic;
    return ok({ captureRoot: sub.value });
  }

  /**
   * The Portage form of bootstrapping: `root` already holds the unpacked seed (the target
   * unpacked `source_subpath`); this runs the stage kind's own work and, for stage1, makes the
   * new system (/tmp/stage1root) the root, as catalyst's seedcache `clean_stage1` does.
   * `packages` are emerged afterwards.
   */
  async bootstrap(
    ctx: StageContext,
    root: string,
    packages: readonly string[],
  ): Promise<DriverResult> {
    if (lstatInRoot(root, "/etc") === undefined) {
      return bad(
        "the Portage driver builds from a seed: the root is empty",
        "set source_subpath to a stage3 seed (`substrate fetch` downloads Gentoo's) or to a stage of the tree",
      );
    }
    const kind = this.kindOf(ctx);
    const b = await this.buildStage(ctx, root, kind);
    if (!b.ok) return b;
    if (b.value.captureRoot !== root && b.value.captureRoot !== resolveInRootOr(root, "/")) {
      const aside = `${root}.seed-${process.pid}`;
      renameSync(root, aside);
      renameSync(join(aside, relative(root, b.value.captureRoot)), root);
      rmSync(aside, { recursive: true, force: true });
      for (const k of [...this.prepared.keys()])
        if (k.startsWith(`${root}\0`)) this.prepared.delete(k);
      return packages.length === 0 ? ok(undefined) : bad("stage1 takes no extra packages");
    }
    return this.install(ctx, root, packages);
  }

  /** `emerge <packages>` (livecd/diskimage stage1: `--update --deep --newuse`). */
  async install(
    ctx: StageContext,
    root: string,
    packages: readonly string[],
  ): Promise<DriverResult> {
    if (packages.length === 0) return ok(undefined);
    const c = checkAtoms(packages, "packages");
    if (!c.ok) return c;
    const p = await this.prepare(ctx, root);
    if (!p.ok) return p;
    return this.emerge(
      ctx,
      root,
      p.value,
      `emerge ${packages.join(" ")}`,
      installArgs(p.value.kind, packages),
    );
  }

  /** `emerge --unmerge <packages>` (catalyst's `emerge -C`). */
  async remove(
    ctx: StageContext,
    root: string,
    packages: readonly string[],
  ): Promise<DriverResult> {
    if (packages.length === 0) return ok(undefined);
    const c = checkAtoms(packages, "unmerge");
    if (!c.ok) return c;
    const p = await this.prepare(ctx, root);
    if (!p.ok) return p;
    return this.emerge(ctx, root, p.value, "unmerge", ["--unmerge", ...packages]);
  }

  /** `emerge --depclean` (`--with-bdeps=y` for `<prefix>/depclean: keepbdeps`, as depclean.sh). */
  async depclean(ctx: StageContext, root: string): Promise<DriverResult> {
    const p = await this.prepare(ctx, root);
    if (!p.ok) return p;
    const prefix = usePrefix(p.value.kind);
    const keep = prefix !== undefined && str(ctx.values[`${prefix}/depclean`]) === "keepbdeps";
    return this.emerge(ctx, root, p.value, "depclean", [
      "--depclean",
      `--with-bdeps=${keep ? "y" : "n"}`,
    ]);
  }

  /**
   * catalyst's embedded build_packages: dependencies into / (`--onlydeps`), then the packages
   * alone into `target`, seen as /tmp/mergeroot (`ROOT=/tmp/mergeroot emerge -1 -O`), with
   * `embedded/install_mask` (or `install_mask`) as INSTALL_MASK.
   */
  async mergeRoot(
    ctx: StageContext,
    buildRoot: string,
    target: string,
    packages: readonly string[],
  ): Promise<DriverResult> {
    if (packages.length === 0) return ok(undefined);
    const c = checkAtoms(packages, "embedded/packages");
    if (!c.ok) return c;
    const p = await this.prepare(ctx, buildRoot);
    if (!p.ok) return p;
    const deps = await this.emerge(ctx, buildRoot, p.value, "dependencies", [
      "--onlydeps",
      ...packages,
    ]);
    if (!deps.ok) return deps;
    mkdirSync(target, { recursive: true });
    const mask = str(ctx.values["embedded/install_mask"]) ?? str(ctx.values["install_mask"]);
    return this.emerge(
      ctx,
      buildRoot,
      p.value,
      `merge into ${MERGE_ROOT}`,
      ["--oneshot", "--nodeps", ...packages],
      { ROOT: MERGE_ROOT, ...(mask === undefined ? {} : { INSTALL_MASK: mask }) },
      [{ source: target, target: MERGE_ROOT }],
    );
  }

  private modules(root: string): string[] {
    const found = new Set<string>();
    for (const pattern of ["/lib/modules/*", "/usr/lib/modules/*"]) {
      const g = globInRoot(root, pattern);
      if (g.ok) for (const p of g.value) found.add(basename(p));
    }
    return [...found].sort();
  }

  /**
   * Builds `boot/kernel/<label>` (catalyst's pre-kmerge/pre-distkmerge + kmerge.sh): a dist
   * kernel (emerge the sources with USE=-initramfs, its packages, then dracut unless the caller
   * makes its own initramfs) or genkernel (`kernel` instead of `all` in that case). With
   * `kerncache_path` the kernel and modules are also packed as catalyst does
   * (`<k>-kernel-initrd-<version_stamp>.tar.bz2`, `<k>-modules-<version_stamp>.tar.bz2`).
   */
  async installKernel(
    ctx: StageContext,
    root: string,
    kernel: KernelRequest,
  ): Promise<DriverResult<InstalledKernel>> {
    const plan = kernelPlan(kernel.label, kernel.keys);
    const prefix = `boot/kernel/${kernel.label}`;
    if (!/^[\w.+-]+$/.test(kernel.label))
      return bad(`boot/kernel: "${kernel.label}" is not a usable kernel name`);
    const atoms = checkAtoms([plan.sources], `${prefix}/sources`);
    if (!atoms.ok) return atoms;
    const p = await this.prepare(ctx, root);
    if (!p.ok) return p;
    const before = new Set(this.modules(root));
    if (plan.config !== undefined) {
      let text: Buffer;
      try {
        text = readFileSync(plan.config);
      } catch {
        return bad(`${prefix}/config: cannot read ${plan.config}`);
      }
      const w = writeFileInRoot(root, configTarget(plan), text);
      if (!w.ok) return bad(w.error.message);
    }
    const env = emergeEnv(p.value.emerge);
    const useWith = (extra: string): string => [extra, ...plan.use].join(" ").trim();
    const skipInitramfs = kernel.skipDefaultInitramfs === true;
    // kerncache (dist kernels): reuse the packed kernel when sources, USE and config match.
    const kerncache = plan.dist ? str(ctx.values["kerncache_path"]) : undefined;
    let best: string | undefined;
    let cached: string | undefined;
    if (kerncache !== undefined) {
      const q = await this.exec(
        ctx,
        root,
        p.value,
        {
          step: "portageq best_visible",
          argv: ["portageq", "best_visible", "/", plan.sources],
          env,
        },
        [],
        true,
      );
      best = q.ok ? q.value.trim().split("\n").pop() : undefined;
      const hit =
        best === undefined || best === ""
          ? undefined
          : kerncacheHit(kerncache, plan, best, skipInitramfs);
      if (hit !== undefined) {
        const x = await this.exec(ctx, root, p.value, {
          step: `kerncache ${kernel.label} (reused)`,
          script: [
            "mkdir -p /boot",
            `tar -xjpf ${KERNCACHE_MOUNT}/${hit.kernelTar} -C /boot`,
            `tar -xjpf ${KERNCACHE_MOUNT}/${hit.modulesTar} -C /`,
          ].join("\n"),
        });
        if (!x.ok) return x;
        cached = hit.kver;
      }
    }
    if (cached !== undefined) {
      // Restored from the kernel cache: nothing to build.
    } else if (plan.dist) {
      const pre = await this.emerge(ctx, root, p.value, "dracut", [
        "--oneshot",
        "--update",
        "sys-kernel/dracut",
      ]);
      if (!pre.ok) return pre;
      const touch = await this.exec(ctx, root, p.value, {
        step: "installkernel chroot check",
        script:
          "mkdir -p /etc/kernel/install.d && : > /etc/kernel/install.d/05-check-chroot.install",
      });
      if (!touch.ok) return touch;
      const src = await this.emerge(
        ctx,
        root,
        p.value,
        `kernel ${kernel.label}: ${plan.sources}`,
        ["--update", plan.sources],
        {
          USE: useWith("-initramfs"),
        },
      );
      if (!src.ok) return src;
      if (plan.packages.length > 0) {
        const pk = await this.emerge(
          ctx,
          root,
          p.value,
          `kernel ${kernel.label}: packages`,
          plan.packages,
        );
        if (!pk.ok) return pk;
      }
    } else {
      const pre = await this.emerge(ctx, root, p.value, "genkernel", [
        "--oneshot",
        "--update",
        "sys-kernel/genkernel",
      ]);
      if (!pre.ok) return pre;
      const src = await this.emerge(
        ctx,
        root,
        p.value,
        `kernel ${kernel.label}: ${plan.sources}`,
        ["--update", plan.sources],
        {
          USE: useWith("symlink"),
        },
      );
      if (!src.ok) return src;
      const callback =
        plan.packages.length > 0
          ? `emerge ${[...emergeOptions(p.value.emerge), ...plan.packages].join(" ")}`
          : undefined;
      const argv = genkernelArgv(plan, {
        versionStamp: str(ctx.values["version_stamp"]) ?? kernel.label,
        gkMainargs: splitArgs(
          str(ctx.values[`${usePrefix(p.value.kind) ?? "livecd"}/gk_mainargs`]),
        ),
        kerncache: str(ctx.values["kerncache_path"]) !== undefined,
        skipInitramfs,
        ...(callback === undefined ? {} : { emergeCallback: callback }),
      });
      const gk = await this.exec(ctx, root, p.value, {
        step: `genkernel ${kernel.label}`,
        argv,
        env: {
          ...env,
          ...(plan.extraversion === undefined ? {} : { clst_kextraversion: plan.extraversion }),
        },
      });
      if (!gk.ok) return gk;
    }
    const after = this.modules(root);
    const fresh = after.filter((v) => !before.has(v));
    const version = cached ?? (fresh.length > 0 ? fresh : after).at(-1);
    if (version === undefined) {
      return err({
        reason: "command-failed",
        step: `kernel ${kernel.label}`,
        message: `${plan.sources} installed no kernel modules (no /lib/modules/<version>)`,
        tail: [],
      });
    }
    const image = this.findImage(root, version, plan, p.value.arch);
    if (image === undefined) {
      return err({
        reason: "command-failed",
        step: `kernel ${kernel.label}`,
        message: `no kernel image for ${version} in /boot or /usr/src/linux-${version}`,
        tail: [],
      });
    }
    if (plan.dist && !skipInitramfs && cached === undefined) {
      const d = await this.exec(ctx, root, p.value, {
        step: `dracut ${kernel.label}`,
        argv: distDracutArgv(plan, version, image),
        env,
      });
      if (!d.ok) return d;
    }
    if (kerncache !== undefined && cached === undefined) {
      const vs = str(ctx.values["version_stamp"]) ?? kernel.label;
      const k = await this.exec(ctx, root, p.value, {
        step: `kerncache ${kernel.label}`,
        script: [
          `cd /boot && tar -cjf ${KERNCACHE_MOUNT}/${kernel.label}-kernel-initrd-${vs}.tar.bz2 $(ls -d System.map* config* initramfs* vmlinuz* vmlinux* kernel-* 2>/dev/null)`,
          `cd / && tar -cjf ${KERNCACHE_MOUNT}/${kernel.label}-modules-${vs}.tar.bz2 lib/modules/${version}`,
        ].join("\n"),
      });
      if (!k.ok) return k;
      recordKerncache(kerncache, plan, {
        best: best ?? "",
        kver: version,
        stamp: vs,
        initramfs: !skipInitramfs,
      });
    }
    if (cached === undefined) {
      const deselect = await this.emerge(ctx, root, p.value, "deselect sources", [
        "--deselect",
        plan.sources,
      ]);
      if (!deselect.ok) return deselect;
    }
    const modulesDir = canonicalInRoot(root, `/lib/modules/${version}`);
    const config = `/boot/config-${version}`;
    return ok({
      label: kernel.label,
      version,
      image,
      modulesDir,
      ...(lstatInRoot(root, config) === undefined ? {} : { config }),
    });
  }

  private findImage(
    root: string,
    version: string,
    plan: KernelPlan,
    arch: ArchEntry,
  ): string | undefined {
    const candidates = [
      `/boot/vmlinuz-${version}`,
      `/boot/kernel-${version}`,
      `/boot/vmlinux-${version}`,
      `/usr/src/linux-${version}/${arch.kernelImage}`,
    ];
    const hit = candidates.find((c) => lstatInRoot(root, c) !== undefined);
    if (hit !== undefined) return hit;
    // genkernel's older names: kernel-genkernel-<arch>-<version>.
    const g = globInRoot(root, `/boot/*-${version}`);
    const named = g.ok
      ? g.value.map((h) => inRootPath(root, h)).find((h) => /\/(kernel|vmlinuz)-/.test(h))
      : undefined;
    if (named !== undefined) return named;
    return undefined;
  }

  /** A dracut initramfs with dmsquash-live (dracut emerged first when the root lacks it). */
  async liveInitramfs(
    ctx: StageContext,
    root: string,
    req: LiveInitramfsRequest,
  ): Promise<DriverResult> {
    if (!req.output.startsWith("/"))
      return bad(`initramfs output ${req.output} is not an absolute path`);
    const p = await this.prepare(ctx, root);
    if (!p.ok) return p;
    if (
      lstatInRoot(root, "/usr/bin/dracut") === undefined &&
      lstatInRoot(root, "/usr/sbin/dracut") === undefined
    ) {
      const e = await this.emerge(ctx, root, p.value, "dracut", ["--oneshot", "sys-kernel/dracut"]);
      if (!e.ok) return e;
    }
    const parent = req.output.slice(0, req.output.lastIndexOf("/")) || "/";
    const made = mkdirInRoot(root, parent);
    if (!made.ok) return bad(made.error.message);
    const argv = [
      "dracut",
      ...PORTAGE_DRACUT_ARGS,
      ...req.extraArgs,
      "--kver",
      req.kernel.version,
      req.output,
    ];
    const r = await this.exec(ctx, root, p.value, { step: "dracut (live)", argv });
    if (!r.ok) return r;
    if (lstatInRoot(root, req.output) === undefined) {
      return err({
        reason: "command-failed",
        step: "dracut",
        message: `dracut finished but wrote no ${req.output}`,
        tail: [],
      });
    }
    return ok(undefined);
  }

  /** Installed packages from /var/db/pkg/<cat>/<PF>/, licences from their LICENSE files. */
  listPackages(_ctx: StageContext, root: string): Promise<DriverResult<readonly PackageRecord[]>> {
    const vdb = resolveInRoot(root, "/var/db/pkg");
    if (!vdb.ok) return Promise.resolve(ok([]));
    const records = readVdb(vdb.value).map((p): PackageRecord => ({
      name: p.name,
      version: p.version,
      licence: p.license === "" ? "unknown" : p.license,
    }));
    return Promise.resolve(ok(records));
  }

  /** bindist builds: refuse (naming them) packages whose LICENSE is not within @FREE. */
  private checkBindist(ctx: StageContext, hostRoot: string, p: Prepared): DriverResult {
    if (!isBindist(ctx.values)) return ok(undefined);
    const main = p.repos.find((r) => r.main);
    let groupsText: string;
    try {
      groupsText = readFileSync(join(main?.hostDir ?? "", "profiles", "license_groups"), "utf8");
    } catch {
      return bad("bindist: the snapshot has no profiles/license_groups to define @FREE");
    }
    const free = expandGroup(parseLicenseGroups(groupsText), "FREE");
    const vdb = resolveInRoot(hostRoot, "/var/db/pkg");
    const offending = nonFreePackages(vdb.ok ? readVdb(vdb.value) : [], free);
    if (offending.length === 0) return ok(undefined);
    return bad(
      `bindist: ${offending.length} package(s) are not under ACCEPT_LICENSE="@FREE": ` +
        offending.map((o) => `${o.name}-${o.version} (${o.licences.join(" ")})`).join(", "),
      "remove them from the stage, or drop bindist from catalyst_use for a build you will not redistribute",
    );
  }

  /** The final make.conf: the flags the build used, `<prefix>/use`, without catalyst_use. */
  private finalMakeConf(ctx: StageContext, hostRoot: string): DriverResult {
    const conf = readFileInRoot(hostRoot, "/etc/portage/make.conf");
    if (!conf.ok) return ok(undefined);
    const current = parseMakeConf(conf.value.toString("utf8"));
    const kind = this.kindOf(ctx);
    const input = makeConfInput({
      kind: kind === "stage1" ? "stage3" : kind,
      values: ctx.values,
      arch: archEntry(str(ctx.values["subarch"]) ?? ""),
      seed: current,
      building: false,
    });
    const w = writeFileInRoot(hostRoot, "/etc/portage/make.conf", renderMakeConf(input));
    return w.ok ? ok(undefined) : bad(w.error.message);
  }

  /**
   * catalyst's clean (§2.9) for Portage: bindist licence check, `portage_prefix` files, patches,
   * repos.conf entries of repos not in `keep_repos`, logs and cache mount points, and make.conf
   * rewritten without catalyst_use.
   */
  async cleanRoot(ctx: StageContext, root: string): Promise<DriverResult> {
    const p = this.prepared.get(`${root}\0\0${inode(root)}`);
    if (p !== undefined) {
      const lic = this.checkBindist(ctx, root, p);
      if (!lic.ok) return lic;
    }
    const prefix = str(ctx.values["portage_prefix"]);
    const patterns: string[] = [...PORTAGE_CLEAN_PATTERNS];
    if (prefix !== undefined && /^[\w.-]+$/.test(prefix)) {
      for (const d of PREFIX_CONFIG_DIRS) patterns.push(`/etc/portage/${d}/${prefix}`);
    }
    const keep = new Set(words(ctx.values["keep_repos"]));
    for (const r of p?.repos ?? []) {
      if (keep.has(r.name)) continue;
      patterns.push(`/etc/portage/repos.conf/${r.name}.conf`);
    }
    for (const pattern of patterns) {
      const r = removeInRoot(root, pattern);
      if (!r.ok)
        return err({ reason: "command-failed", step: "clean", message: r.error.message, tail: [] });
    }
    const fin = this.finalMakeConf(ctx, root);
    if (!fin.ok) return fin;
    for (const k of [...this.prepared.keys()])
      if (k.startsWith(`${root}\0`)) this.prepared.delete(k);
    return Promise.resolve(ok(undefined));
  }
}

/** What a kerncache record says about the kernel packed beside it. */
interface KerncacheRecord {
  /** `portageq best_visible` of the sources when it was built. */
  readonly best: string;
  /** The kernel release (`uname -r`). */
  readonly kver: string;
  /** The version_stamp in the tarball names. */
  readonly stamp: string;
  /** Whether the packed /boot holds the distribution's initramfs. */
  readonly initramfs: boolean;
}

function configDigest(plan: KernelPlan): string {
  return plan.config === undefined
    ? ""
    : createHash("sha256").update(readFileSync(plan.config)).digest("hex");
}

/**
 * catalyst's kerncache record `<kerncache>/<k>/{USE,VERSION,CONFIG}` (plus KVER, STAMP and
 * INITRAMFS, which substrate needs to reuse the tarballs across version stamps).
 */
function recordKerncache(kerncache: string, plan: KernelPlan, r: KerncacheRecord): void {
  const dir = join(kerncache, plan.label);
  writeFileAtomic(join(dir, "USE"), plan.use.join(" ") + "\n");
  writeFileAtomic(join(dir, "VERSION"), r.best + "\n");
  writeFileAtomic(join(dir, "CONFIG"), configDigest(plan) + "\n");
  writeFileAtomic(join(dir, "KVER"), r.kver + "\n");
  writeFileAtomic(join(dir, "STAMP"), r.stamp + "\n");
  writeFileAtomic(join(dir, "INITRAMFS"), (r.initramfs ? "yes" : "no") + "\n");
}

/** The packed kernel to reuse, when the record matches the sources, USE, config and initramfs. */
function kerncacheHit(
  kerncache: string,
  plan: KernelPlan,
  best: string,
  skipInitramfs: boolean,
): { kver: string; kernelTar: string; modulesTar: string } | undefined {
  const dir = join(kerncache, plan.label);
  const read = (name: string): string | undefined => {
    try {
      return readFileSync(join(dir, name), "utf8").trim();
    } catch {
      return undefined;
    }
  };
  if (
    read("VERSION") !== best ||
    read("USE") !== plan.use.join(" ") ||
    read("CONFIG") !== configDigest(plan)
  ) {
    return undefined;
  }
  if (read("INITRAMFS") !== (skipInitramfs ? "no" : "yes")) return undefined;
  const kver = read("KVER");
  const stamp = read("STAMP");
  if (kver === undefined || kver === "" || stamp === undefined) return undefined;
  const kernelTar = `${plan.label}-kernel-initrd-${stamp}.tar.bz2`;
  const modulesTar = `${plan.label}-modules-${stamp}.tar.bz2`;
  if (!existsSync(join(kerncache, kernelTar)) || !existsSync(join(kerncache, modulesTar)))
    return undefined;
  return { kver, kernelTar, modulesTar };
}

function inode(path: string): number {
  try {
    return statSync(path).ino;
  } catch {
    return 0;
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}

function resolveInRootOr(root: string, path: string): string {
  const r = resolveInRoot(root, path);
  return r.ok ? r.value : root;
}

/** The canonical in-root path of `path` (/lib/modules/x is /usr/lib/modules/x when merged). */
function canonicalInRoot(root: string, path: string): string {
  const r = resolveInRoot(root, path);
  return r.ok ? inRootPath(root, r.value) : path;
}

/** Points `<subRoot>/etc/portage/make.profile` at `target` with a relative link. */
function linkProfile(root: string, subRoot: string, target: string): DriverResult {
  const base = subRoot === "/" ? "" : subRoot;
  const dir = mkdirInRoot(root, `${base}/etc/portage`);
  if (!dir.ok) return bad(dir.error.message);
  const removed = removeInRoot(root, `${base}/etc/portage/make.profile`);
  if (!removed.ok) return bad(removed.error.message);
  symlinkSync(
    relative(`${base}/etc/portage`, `${base}${target}`),
    join(dir.value.path, "make.profile"),
  );
  return ok(undefined);
}
