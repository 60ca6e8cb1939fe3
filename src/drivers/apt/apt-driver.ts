/**
 * The Debian driver: mmdebstrap bootstraps roots, apt inside the root (through the sandbox's
 * chroot runner) installs and removes packages. Every run shares one `.deb` cache,
 * `<cache>/apt/archives`, bind-mounted at the root's /var/cache/apt/archives, so a package is
 * downloaded once per store. Archive signatures are always verified, as apt does by default.
 * See docs/drivers.md for the design and the spec keys.
 */
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, join } from "node:path";
import type { Event } from "../../report/events.js";
import {
  type BindMount,
  type SandboxFailure,
  describeSandboxFailure,
  runInChroot,
} from "../../sandbox/chroot.js";
import { runInNamespace } from "../../sandbox/namespace.js";
import { run } from "../../sandbox/process.js";
import { shareDebs, withAptCacheLock } from "../../store/cache.js";
import {
  inRootPath,
  lstatInRoot,
  mkdirInRoot,
  readFileInRoot,
  resolveInRoot,
} from "../../sandbox/root-path.js";
import { globInRoot, removeInRoot } from "../../sandbox/root-glob.js";
import type { AptSettings, DriverName, SpecValue, TargetKindName } from "../../spec/types.js";
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
import { type AptOptions, DEFAULT_APT_SETTINGS, resolveAptOptions } from "./apt-options.js";
import {
  type AptGetSettings,
  autoremoveArgv,
  checkPackageNames,
  downloadArgv,
  installFromCacheArgv,
  parseSimulatedInstall,
  purgeArgv,
  updateArgv,
} from "./apt-get.js";
import { licenceOf } from "./copyright.js";
import { DPKG_STATUS, type InstalledPackage, bareName, installedPackages } from "./dpkg-status.js";
import { aptHostTools } from "./host-tools.js";
import { defaultKernelPackage, pickKernelVersion } from "./kernel.js";
import {
  MERGED_USR_LINKS,
  MERGE_ROOT_MOUNT,
  PACKAGE_DB_PATHS,
  downloadScript,
  simulateScript,
  unpackScript,
} from "./merge-root.js";
import {
  ARCHIVES_ENV,
  KEYRING_ENV,
  MAYBE_MERGED_USR_HOOKS,
  MMDEBSTRAP_CONFIG_FILES,
  mmdebstrapArgv,
  variantRunsDpkg,
} from "./mmdebstrap.js";

/** Where the shared archive cache is mounted inside a root. */
const ROOT_ARCHIVES = "/var/cache/apt/archives";

/** Packages the live initramfs needs inside the root (bookworm names). */
export const LIVE_INITRAMFS_PACKAGES = ["dracut", "dracut-live", "zstd"] as const;

/**
 * dracut's arguments before the spec's `dracut_args` (later arguments win, so a spec can
 * override them): a generic image for any machine, reproducible under SOURCE_DATE_EPOCH,
 * zstd at level 3 (dracut's own zstd default, level 15, took 85 s instead of 11 s here for an
 * image 13 % smaller), built in the sandbox's tmpfs /tmp.
 */
export const DEFAULT_DRACUT_ARGS = [
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

/**
 * What cleanRoot removes (globs inside the root): package lists and caches, apt and dpkg logs,
 * mmdebstrap's build-time options, backup files of dpkg and debconf.
 */
export const CLEAN_PATTERNS = [
  "/var/lib/apt/lists/*_*",
  "/var/lib/apt/lists/partial/*",
  "/var/lib/apt/lists/auxfiles",
  "/var/cache/apt/*.bin",
  "/var/cache/apt/archives/*.deb",
  "/var/cache/apt/archives/partial/*",
  "/var/log/apt/*",
  "/var/log/dpkg.log",
  "/var/log/alternatives.log",
  "/var/lib/dpkg/*-old",
  "/var/cache/debconf/*-old",
  ...MMDEBSTRAP_CONFIG_FILES,
] as const;

/** A script for /usr/sbin/policy-rc.d that forbids starting services during a build. */
const POLICY_RC_D =
  "#!/bin/sh\n# substrate: no service starts while packages are installed in a build root\nexit 101\n";

function fromSandbox(step: string, f: SandboxFailure): DriverFailure {
  if (f.reason === "cancelled") return { reason: "cancelled", message: `${step} was cancelled` };
  const tail = "tail" in f ? f.tail : [];
  // apt's argv is long; the step name says what ran, the log has the full command.
  const message =
    f.reason === "exit-non-zero"
      ? `${step} exited with status ${f.status}`
      : describeSandboxFailure(f);
  return { reason: "command-failed", step, message, tail };
}

function stringKey(keys: Readonly<Record<string, SpecValue>>, key: string): string | undefined {
  const v = keys[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  return v.join(" ");
}

function listKey(keys: Readonly<Record<string, SpecValue>>, key: string): string[] {
  const v = keys[key];
  if (v === undefined || v === null) return [];
  return (typeof v === "string" ? [v] : [...v])
    .flatMap((w) => w.split(/\s+/))
    .filter((w) => w !== "");
}

/** Counts apt's "Setting up" lines against its "N newly installed" line for progress events. */
function aptProgress(ctx: StageContext, what: string): (line: string) => void {
  let total = 0;
  let done = 0;
  return (line) => {
    const summary = /^(\d+) upgraded, (\d+) newly installed/.exec(line);
    if (summary !== null) {
      total = Number(summary[1]) + Number(summary[2]);
      return;
    }
    if (line.startsWith("Setting up ") && total > 0) {
      done += 1;
      const pkg = line.slice("Setting up ".length).split(" ")[0] ?? "";
      ctx.emit({
        type: "stage-progress",
        stage: ctx.stage,
        message: `${what}: ${pkg}`,
        fraction: Math.min(1, done / total),
      });
    }
  };
}

/** The apt driver. Construct it with the tree's `[apt]` settings. */
export class AptDriver implements Driver {
  /** Always `apt`. */
  readonly name: DriverName = "apt";
  private identityPromise: Promise<string> | undefined;

  /** @param settings the tree's `[apt]` table (defaults: Debian bookworm, main, Debian's CDN). */
  constructor(private readonly settings: AptSettings = DEFAULT_APT_SETTINGS) {}

  /** `apt:` + the tree settings + the host's mmdebstrap, apt and dpkg versions. */
  identity(): Promise<string> {
    this.identityPromise ??= this.computeIdentity();
    return this.identityPromise;
  }

  private async computeIdentity(): Promise<string> {
    const s = this.settings;
    const parts = [
      `suite=${s.suite}`,
      `mirror=${s.mirror}`,
      `components=${s.components.join(",")}`,
      `keyring=${s.keyring ?? ""}`,
      `variant=${s.variant ?? "minbase"}`,
    ];
    const r = await run({
      argv: ["dpkg-query", "-W", "-f", "${Package}=${Version}\\n", "mmdebstrap", "apt", "dpkg"],
      captureStdout: true,
    });
    // On a host without dpkg's database the versions are unknown; say so rather than fail.
    const tools = r.ok ? r.value.stdout.trim().split("\n").join(",") : "tools=unknown";
    return `apt:${parts.join(";")};${tools}`;
  }

  /** See {@link aptHostTools}. */
  hostTools(kind: TargetKindName): readonly HostTool[] {
    return aptHostTools(kind);
  }

  private options(ctx: StageContext): DriverResult<AptOptions> {
    return resolveAptOptions(this.settings, ctx.values);
  }

  private emit(ctx: StageContext, message: string): void {
    const event: Event = { type: "stage-progress", stage: ctx.stage, message };
    ctx.emit(event);
  }

  /** The shared archive cache on the host, created on first use. */
  private archives(ctx: StageContext): string {
    const dir = join(ctx.cacheDir, "apt", "archives");
    mkdirSync(join(dir, "partial"), { recursive: true });
    return dir;
  }

  /** A host file bound over the root's /usr/sbin/policy-rc.d while apt runs. */
  private policyRcD(ctx: StageContext): string {
    const dir = join(ctx.cacheDir, "apt");
    const file = join(dir, "policy-rc.d");
    let current: string | undefined;
    try {
      current = readFileSync(file, "utf8");
    } catch {
      current = undefined;
    }
    if (current !== POLICY_RC_D) {
      // Written aside and renamed, so a parallel stage never binds a half-written file.
      mkdirSync(dir, { recursive: true });
      const temp = join(dir, `.policy-rc.d.${process.pid}`);
      writeFileSync(temp, POLICY_RC_D, { mode: 0o755 });
      renameSync(temp, file);
    }
    chmodSync(file, 0o755);
    return file;
  }

  /** Runs argv or a script in the root with the stage's log, signal and progress. */
  private async inRoot(
    ctx: StageContext,
    root: string,
    step: string,
    command: { argv: readonly string[] } | { script: string },
    opts: {
      network?: boolean;
      binds?: readonly BindMount[];
      env?: Readonly<Record<string, string>>;
      captureStdout?: boolean;
      onLine?: (line: string) => void;
    } = {},
  ): Promise<DriverResult<string>> {
    const base = {
      root,
      logFile: ctx.logFile,
      signal: ctx.signal,
      network: opts.network ?? false,
      binds: opts.binds ?? [],
      env: { SOURCE_DATE_EPOCH: String(ctx.sourceDateEpoch), ...(opts.env ?? {}) },
      ...(opts.captureStdout === true ? { captureStdout: true } : {}),
      ...(opts.onLine === undefined ? {} : { onLine: opts.onLine }),
    };
    const go = (): ReturnType<typeof runInChroot> =>
      "argv" in command
        ? runInChroot({ ...base, argv: command.argv })
        : runInChroot({ ...base, script: command.script });
    // apt locks the archive folder it downloads into: stages running in parallel share it, so
    // every run that binds it writable takes substrate's cache lock first (and waits its turn).
    const usesCache = base.binds.some((b) => b.source === this.archives(ctx) && !b.readonly);
    const r = usesCache ? await this.withCache(ctx, go) : await go();
    if (!r.ok) return err(fromSandbox(step, r.error));
    return ok(r.value.stdout);
  }

  /** Runs `fn` holding the shared package cache's lock; a lock failure is a run failure. */
  private async withCache<T extends { ok: boolean }>(
    ctx: StageContext,
    fn: () => Promise<T>,
  ): Promise<
    | T
    | {
        ok: false;
        error: { reason: "cancelled"; command: string; message: string; tail: readonly string[] };
      }
  > {
    const r = await withAptCacheLock(ctx.cacheDir, fn, {
      signal: ctx.signal,
      onWait: (message) => {
        this.emit(ctx, message);
      },
    });
    if (r.ok) return r.value;
    return {
      ok: false,
      error: {
        reason: "cancelled",
        command: "apt cache lock",
        message: r.error.message,
        tail: [r.error.message],
      },
    };
  }

  /** {@link shareDebs} from `from` into `to` under the shared cache's lock (for mmdebstrap). */
  private async linkDebs(ctx: StageContext, from: string, to: string): Promise<DriverResult> {
    const r = await this.withCache(ctx, () => {
      shareDebs(from, to);
      return Promise.resolve(ok(undefined));
    });
    return r.ok ? ok(undefined) : err(fromSandbox("mmdebstrap", r.error));
  }

  /** The binds every apt run gets: the shared cache and the no-services policy. */
  private aptBinds(ctx: StageContext, opts: { readonly?: boolean } = {}): BindMount[] {
    return [
      { source: this.archives(ctx), target: ROOT_ARCHIVES, readonly: opts.readonly === true },
      { source: this.policyRcD(ctx), target: "/usr/sbin/policy-rc.d", readonly: true },
    ];
  }

  /** Runs `apt-get update` unless the root already has package lists. */
  private async ensureLists(
    ctx: StageContext,
    root: string,
    s: AptGetSettings,
  ): Promise<DriverResult> {
    const lists = globInRoot(root, "/var/lib/apt/lists/*_Packages*");
    if (lists.ok && lists.value.length > 0) return ok(undefined);
    this.emit(ctx, "apt: updating package lists");
    const r = await this.inRoot(
      ctx,
      root,
      "apt-get update",
      { argv: updateArgv(s) },
      { network: true },
    );
    return r.ok ? ok(undefined) : r;
  }

  /**
   * mmdebstrap `<suite> <root> <mirror>` with the stage's variant, components and keyring, plus
   * `packages`. Runs in a private mount namespace (so a failed run leaves no mount behind),
   * with the shared archive cache mounted into the new root while it is built.
   */
  async bootstrap(
    ctx: StageContext,
    root: string,
    packages: readonly string[],
  ): Promise<DriverResult> {
    const o = this.options(ctx);
    if (!o.ok) return o;
    const names = checkPackageNames(packages, "packages");
    if (!names.ok) return names;
    if (o.value.keyring !== undefined && !isFile(o.value.keyring)) {
      return err({
        reason: "bad-input",
        message: `the archive keyring ${o.value.keyring} is not a file on this host`,
        hint: "install the debian-archive-keyring package, or set `apt/keyring` (or [apt] keyring) to the keyring that signs your mirror",
      });
    }
    mkdirSync(root, { recursive: true });
    const hookDirs =
      variantRunsDpkg(o.value.variant) && existsSync(MAYBE_MERGED_USR_HOOKS)
        ? [MAYBE_MERGED_USR_HOOKS]
        : [];
    const argv = mmdebstrapArgv({ options: o.value, root, packages, hookDirs });
    this.emit(ctx, `mmdebstrap: ${o.value.suite} (${o.value.variant}) from ${o.value.mirror}`);
    // mmdebstrap downloads and installs in one run, so it gets a private archive folder holding
    // links to the shared cache's packages, and what it downloads is linked back afterwards:
    // the cache lock is held only for those two quick passes, not the whole bootstrap.
    const shared = this.archives(ctx);
    const own = `${root}.apt-archives`;
    rmSync(own, { recursive: true, force: true });
    mkdirSync(join(own, "partial"), { recursive: true });
    const seeded = await this.linkDebs(ctx, shared, own);
    if (!seeded.ok) return seeded;
    const r = await runInNamespace({
      argv,
      network: true,
      env: {
        [ARCHIVES_ENV]: own,
        ...(o.value.keyring === undefined ? {} : { [KEYRING_ENV]: o.value.keyring }),
        SOURCE_DATE_EPOCH: String(ctx.sourceDateEpoch),
      },
      logFile: ctx.logFile,
      signal: ctx.signal,
      onLine: (line) => {
        if (line.startsWith("I: ") && !line.startsWith("I: running --"))
          this.emit(ctx, `mmdebstrap: ${line.slice(3)}`);
      },
    });
    // Even after a failure: what was downloaded (and verified by apt) is not lost.
    const back = await this.linkDebs(ctx, own, shared);
    rmSync(own, { recursive: true, force: true });
    if (!r.ok) return err(fromSandbox("mmdebstrap", r.error));
    if (!back.ok) return back;
    return ok(undefined);
  }

  /** `apt-get install` inside the root (lists fetched first when the root has none). */
  async install(
    ctx: StageContext,
    root: string,
    packages: readonly string[],
  ): Promise<DriverResult> {
    return this.installWith(ctx, root, packages, {});
  }

  private async installWith(
    ctx: StageContext,
    root: string,
    packages: readonly string[],
    env: Readonly<Record<string, string>>,
  ): Promise<DriverResult> {
    if (packages.length === 0) return ok(undefined);
    const o = this.options(ctx);
    if (!o.ok) return o;
    const names = checkPackageNames(packages, "packages");
    if (!names.ok) return names;
    const lists = await this.ensureLists(ctx, root, o.value);
    if (!lists.ok) return lists;
    this.emit(ctx, `apt: installing ${packages.join(" ")}`);
    // Two runs: the download holds the shared cache's lock (short when the cache is warm), the
    // install reads the cache read-only without it, so stages running side by side unpack and
    // configure their packages at the same time instead of taking turns.
    const fetched = await this.inRoot(
      ctx,
      root,
      "apt-get install --download-only",
      { argv: downloadArgv(o.value, packages) },
      { network: true, binds: this.aptBinds(ctx), env },
    );
    if (!fetched.ok) return fetched;
    const r = await this.inRoot(
      ctx,
      root,
      "apt-get install",
      { argv: installFromCacheArgv(o.value, packages) },
      {
        binds: this.aptBinds(ctx, { readonly: true }),
        env,
        onLine: aptProgress(ctx, "apt: set up"),
      },
    );
    return r.ok ? ok(undefined) : r;
  }

  /** `apt-get purge` inside the root. Packages that are not installed are skipped by apt. */
  async remove(
    ctx: StageContext,
    root: string,
    packages: readonly string[],
  ): Promise<DriverResult> {
    if (packages.length === 0) return ok(undefined);
    const o = this.options(ctx);
    if (!o.ok) return o;
    const names = checkPackageNames(packages, "unmerge");
    if (!names.ok) return names;
    this.emit(ctx, `apt: purging ${packages.join(" ")}`);
    const r = await this.inRoot(
      ctx,
      root,
      "apt-get purge",
      { argv: purgeArgv(o.value, packages) },
      { binds: this.aptBinds(ctx) },
    );
    return r.ok ? ok(undefined) : r;
  }

  /** `apt-get autoremove --purge` inside the root. */
  async depclean(ctx: StageContext, root: string): Promise<DriverResult> {
    const o = this.options(ctx);
    if (!o.ok) return o;
    this.emit(ctx, "apt: removing packages nothing depends on");
    const r = await this.inRoot(
      ctx,
      root,
      "apt-get autoremove",
      { argv: autoremoveArgv(o.value) },
      { binds: this.aptBinds(ctx) },
    );
    return r.ok ? ok(undefined) : r;
  }

  /**
   * Unpacks `packages` and their dependency closure into `target`: apt in `buildRoot` plans the
   * closure against an empty system and downloads it to the shared cache; the packages' files
   * are unpacked into `target` (seen as /tmp/mergeroot), whose merged-/usr links copy the build
   * root's. Maintainer scripts do not run. The dpkg and apt databases are kept only with
   * `embedded/keep_package_db: yes`.
   */
  async mergeRoot(
    ctx: StageContext,
    buildRoot: string,
    target: string,
    packages: readonly string[],
  ): Promise<DriverResult> {
    const o = this.options(ctx);
    if (!o.ok) return o;
    if (packages.length === 0) return ok(undefined);
    const names = checkPackageNames(packages, "embedded/packages");
    if (!names.ok) return names;
    const lists = await this.ensureLists(ctx, buildRoot, o.value);
    if (!lists.ok) return lists;

    const sim = await this.inRoot(
      ctx,
      buildRoot,
      "apt-get install --simulate",
      { script: simulateScript(o.value, packages) },
      { captureStdout: true },
    );
    if (!sim.ok) return sim;
    const planned = parseSimulatedInstall(sim.value);
    if (planned.length === 0) {
      return err({
        reason: "command-failed",
        step: "apt-get install --simulate",
        message: `apt planned no packages for ${packages.join(" ")}`,
        tail: sim.value.split("\n").slice(-20),
      });
    }
    this.emit(ctx, `apt: merging ${planned.length} packages into ${MERGE_ROOT_MOUNT}`);

    const dl = await this.inRoot(
      ctx,
      buildRoot,
      "apt-get install --download-only",
      { script: downloadScript(o.value, packages) },
      { network: true, binds: [{ source: this.archives(ctx), target: ROOT_ARCHIVES }] },
    );
    if (!dl.ok) return dl;

    mkdirSync(target, { recursive: true });
    copyMergedUsrLinks(buildRoot, target);
    const unpack = await this.inRoot(
      ctx,
      buildRoot,
      "unpack into the merge root",
      { script: unpackScript(planned, o.value.keepPackageDb) },
      {
        binds: [
          { source: this.archives(ctx), target: ROOT_ARCHIVES, readonly: true },
          { source: target, target: MERGE_ROOT_MOUNT },
        ],
      },
    );
    if (!unpack.ok) return unpack;
    if (!o.value.keepPackageDb) {
      for (const path of PACKAGE_DB_PATHS) {
        const removed = removeInRoot(target, path);
        if (!removed.ok) {
          return err({
            reason: "command-failed",
            step: "merge",
            message: removed.error.message,
            tail: [],
          });
        }
      }
    }
    return ok(undefined);
  }

  /**
   * Installs `boot/kernel/<label>/package` (default: the generic kernel of the root's
   * architecture, linux-image-amd64 on amd64), any
   * `boot/kernel/<label>/packages`, and dracut (Debian's kernels need an initramfs tool;
   * substrate's live media use dracut) without Recommends, so no firmware comes along.
   * `boot/kernel/<label>/config` is not meaningful: Debian kernels are prebuilt.
   */
  async installKernel(
    ctx: StageContext,
    root: string,
    kernel: KernelRequest,
  ): Promise<DriverResult<InstalledKernel>> {
    const prefix = `boot/kernel/${kernel.label}`;
    if (stringKey(kernel.keys, "config") !== undefined) {
      return err({
        reason: "not-meaningful",
        message: `\`${prefix}/config\` is not meaningful with the apt driver: Debian kernels are prebuilt`,
        hint: `remove \`${prefix}/config\` and choose a kernel package with \`${prefix}/package\` (e.g. linux-image-amd64, linux-image-cloud-amd64)`,
      });
    }
    const dpkgArch = this.readInstalled(root).find((p) => p.name === "dpkg")?.architecture;
    const pkg = stringKey(kernel.keys, "package") ?? defaultKernelPackage(dpkgArch);
    const extra = listKey(kernel.keys, "packages");
    const checked = checkPackageNames([pkg, ...extra], `${prefix}/package`);
    if (!checked.ok) return checked;
    // INITRD=No makes Debian's kernel hooks skip their own initramfs when the caller builds one.
    const env: Record<string, string> =
      kernel.skipDefaultInitramfs === true ? { INITRD: "No" } : {};
    const inst = await this.installWith(ctx, root, [pkg, "dracut", ...extra], env);
    if (!inst.ok) return inst;

    const modules = globInRoot(root, "/lib/modules/*");
    const candidates = (modules.ok ? modules.value : [])
      .map((p) => basename(p))
      .filter((v) => lstatInRoot(root, `/boot/vmlinuz-${v}`) !== undefined);
    const picked = pickKernelVersion(pkg, candidates, this.readInstalled(root));
    if (!picked.ok) {
      return err({
        reason: "bad-input",
        message: `${prefix}: ${picked.error.message}`,
        hint: `name a versioned kernel package in \`${prefix}/package\` (e.g. linux-image-6.1.0-28-amd64)`,
      });
    }
    const version = picked.value;
    const modulesDir = canonicalInRoot(root, `/lib/modules/${version}`);
    const config = `/boot/config-${version}`;
    return ok({
      label: kernel.label,
      version,
      image: `/boot/vmlinuz-${version}`,
      modulesDir,
      ...(lstatInRoot(root, config) === undefined ? {} : { config }),
    });
  }

  /**
   * Builds a generic (not host-only) dracut initramfs with dmsquash-live for `req.kernel`,
   * installing dracut, dracut-live and zstd first when missing. `req.extraArgs` come after
   * substrate's defaults, so they can override them.
   */
  async liveInitramfs(
    ctx: StageContext,
    root: string,
    req: LiveInitramfsRequest,
  ): Promise<DriverResult> {
    if (!req.output.startsWith("/")) {
      return err({
        reason: "bad-input",
        message: `initramfs output ${req.output} is not an absolute path`,
      });
    }
    const present = new Set(this.readInstalled(root).map((p) => bareName(p.name)));
    const missing = LIVE_INITRAMFS_PACKAGES.filter((p) => !present.has(p));
    const inst = await this.installWith(ctx, root, missing, { INITRD: "No" });
    if (!inst.ok) return inst;
    const parent = req.output.slice(0, req.output.lastIndexOf("/")) || "/";
    const made = mkdirInRoot(root, parent);
    if (!made.ok) return err({ reason: "bad-input", message: made.error.message });
    const argv = [
      "dracut",
      ...DEFAULT_DRACUT_ARGS,
      ...req.extraArgs,
      "--kver",
      req.kernel.version,
      req.output,
    ];
    this.emit(ctx, `dracut: live initramfs for ${req.kernel.version}`);
    const r = await this.inRoot(ctx, root, "dracut", { argv });
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

  private readInstalled(root: string): InstalledPackage[] {
    const status = readFileInRoot(root, DPKG_STATUS);
    return status.ok ? installedPackages(status.value.toString("utf8")) : [];
  }

  /**
   * Installed packages from /var/lib/dpkg/status (read directly: works for roots without dpkg),
   * each with the licences of its machine-readable copyright file, or "unknown". A root without
   * a dpkg database (a merge root) lists nothing.
   */
  listPackages(_ctx: StageContext, root: string): Promise<DriverResult<readonly PackageRecord[]>> {
    const records = this.readInstalled(root).map((p): PackageRecord => {
      const copyright = readFileInRoot(root, `/usr/share/doc/${bareName(p.name)}/copyright`);
      return {
        name: p.name,
        version: p.version,
        licence: licenceOf(copyright.ok ? copyright.value.toString("utf8") : undefined),
      };
    });
    return Promise.resolve(ok(records));
  }

  /** Removes package lists, downloaded packages, caches, apt/dpkg logs and build-time options. */
  cleanRoot(_ctx: StageContext, root: string): Promise<DriverResult> {
    for (const pattern of CLEAN_PATTERNS) {
      const r = removeInRoot(root, pattern);
      if (!r.ok) {
        return Promise.resolve(
          err({ reason: "command-failed", step: "clean", message: r.error.message, tail: [] }),
        );
      }
    }
    return Promise.resolve(ok(undefined));
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The canonical in-root path of `path` (e.g. /lib/modules/x is /usr/lib/modules/x when merged). */
function canonicalInRoot(root: string, path: string): string {
  const r = resolveInRoot(root, path);
  return r.ok ? inRootPath(root, r.value) : path;
}

/** Gives `target` the same top-level merged-/usr links as `buildRoot` (bin -> usr/bin, ...). */
function copyMergedUsrLinks(buildRoot: string, target: string): void {
  for (const name of MERGED_USR_LINKS) {
    let link: string;
    try {
      if (!lstatSync(join(buildRoot, name)).isSymbolicLink()) continue;
      link = readlinkSync(join(buildRoot, name));
    } catch {
      continue;
    }
    // Only relative links into usr/ (what Debian makes); anything else is not copied.
    if (!/^usr\/[\w.-]+$/.test(link) || existsSync(join(target, name))) continue;
    mkdirSync(join(target, link), { recursive: true });
    symlinkSync(link, join(target, name));
  }
}
