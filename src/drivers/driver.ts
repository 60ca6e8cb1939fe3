/**
 * The distribution-specific half of a build, behind one interface. `apt/` (Debian) and
 * `portage/` (Gentoo) implement it; targets call only this. Every method works on a build root
 * (an absolute host path that is the chroot) and runs its tools through `sandbox/`.
 */
import type { Event, StageId } from "../report/events.js";
import type { FetchInputsRequest, FetchInputsSummary } from "./fetch-request.js";
import type { DriverName, SpecValue, TargetKindName } from "../spec/types.js";
import type { Result } from "../util/result.js";
import type { DriverRefusalReason, FailureOf } from "../report/failure.js";
import type { SpdxLicence } from "./spdx-licence.js";

/** What a driver needs from the running stage. */
export interface StageContext {
  readonly stage: StageId;
  /**
   * The stage's kind, from its spec (filled by the executor). Drivers read the kind here, never
   * from `values["target"]`.
   */
  readonly kind: TargetKindName;
  /** The stage log: every tool's full output is appended here. */
  readonly logFile: string;
  readonly signal: AbortSignal;
  /** Progress and notes for the reporter. */
  readonly emit: (event: Event) => void;
  /** The store's cache folder (package caches live under it, e.g. `<cache>/apt/archives`). */
  readonly cacheDir: string;
  /** How many parallel jobs tools may use. */
  readonly jobs: number;
  /** The stage's final spec values (drivers read their own keys, e.g. `apt/suite`). */
  readonly values: Readonly<Record<string, SpecValue>>;
  /** SOURCE_DATE_EPOCH for reproducible output. */
  readonly sourceDateEpoch: number;
}

/** A host program a stage needs, for `substrate doctor`. */
export interface HostTool {
  /** Command looked up on PATH. */
  readonly command: string;
  /** Debian package that provides it. */
  readonly debianPackage: string;
  /** Why it is needed, one phrase. */
  readonly why: string;
}

/** One installed package with its licence, for manifests. */
export interface PackageRecord {
  readonly name: string;
  readonly version: string;
  /** SPDX-ish licence words as the distribution records them; "unknown" when not stated. */
  readonly licence: string;
}

/** One package of an image, as a driver reads it from the root (the SBOM's packages). */
export interface InventoryPackage {
  /** The package's name (apt: `libc6`, `libc6:i386` when several arches; portage: `sys-apps/systemd`). */
  readonly name: string;
  readonly version: string;
  /** dpkg's Architecture (`amd64`, `all`); Portage: the CHOST it was built for. */
  readonly architecture: string;
  /** The declared licence; undefined when the distribution's data states none readable (NOASSERTION). */
  readonly licence?: SpdxLicence;
  /** SPDX supplier, e.g. `Organization: Debian`. */
  readonly supplier: string;
  /** The package URL (`pkg:deb/debian/...`, `pkg:ebuild/gentoo/...`). */
  readonly purl: string;
  /** A checksum of the package file, when an honest one exists (docs/store.md, "SBOMs"). */
  readonly checksum?: { readonly algorithm: "SHA256"; readonly value: string };
}

/** What {@link Driver.inventory} lists. */
export interface InventoryOptions {
  /**
   * Only the packages owning one of these paths (inside the root), e.g. the kernel image and the
   * boot loader a payload takes from its build environment. Absent: every installed package.
   */
  readonly owning?: readonly string[];
}

/** A kernel requested by `boot/kernel` and its `boot/kernel/<label>/*` keys. */
export interface KernelRequest {
  /** The label (`gentoo`, `roflmaos`), used for payload names `boot/<label>`, `boot/<label>.igz`. */
  readonly label: string;
  /** Every `boot/kernel/<label>/<key>` value, keyed by `<key>`. */
  readonly keys: Readonly<Record<string, SpecValue>>;
  /**
   * Skip the distribution's own initramfs for this kernel (apt: Debian's kernel hooks run with
   * INITRD=No) because the caller builds one itself, e.g. livecd-stage2's live initramfs.
   * Default false: an installed kernel comes with the distribution's initramfs.
   */
  readonly skipDefaultInitramfs?: boolean;
}

/** A kernel installed inside a build root. Paths are inside the root (start with `/`). */
export interface InstalledKernel {
  readonly label: string;
  /** `uname -r` of the kernel. */
  readonly version: string;
  /** The kernel image, e.g. `/boot/vmlinuz-6.1.0-28-amd64`. */
  readonly image: string;
  /** `/lib/modules/<version>` (or `/usr/lib/modules/<version>`). */
  readonly modulesDir: string;
  /** The kernel config, when the distribution ships it. */
  readonly config?: string;
}

/** Options for the live initramfs. */
export interface LiveInitramfsRequest {
  readonly kernel: InstalledKernel;
  /** Where to write it, inside the root. */
  readonly output: string;
  /** Extra arguments for dracut (from `boot/kernel/<k>/dracut_args`). */
  readonly extraArgs: readonly string[];
}

/** Why a driver step failed. */
export type DriverFailure = FailureOf<
  | "command-failed"
  | "not-meaningful"
  | "bad-input"
  | "cancelled"
  | "cache-lock-failed"
  | "unknown-subarch"
  | DriverRefusalReason
>;

/** A driver result without a value. */
export type DriverResult<T = void> = Result<T, DriverFailure>;

/** The UEFI boot loader a live payload takes from its build environment. */
export interface BootLoaderFiles {
  /** Packages that provide it, installed into the livecd-stage2 root. */
  readonly packages: readonly string[];
  /** Its EFI binary inside the root. */
  readonly efi: string;
}

/** The driver interface. */
export interface Driver {
  readonly name: DriverName;
  /** The systemd-boot packages and binary of this distribution (livecd-stage2's payload). */
  readonly bootLoader: BootLoaderFiles;
  /** What goes into every fingerprint: driver name and the versions of its tools. */
  identity(): Promise<string>;
  /** Host programs a stage of this kind needs. */
  hostTools(kind: TargetKindName): readonly HostTool[];
  /**
   * `ok` when the driver can build a stage of `kind`; a `not-meaningful` failure (with a hint)
   * when the kind means nothing for the distribution (apt: stage1, stage2). Absent: every kind.
   */
  supportsKind?(kind: TargetKindName): DriverResult;
  /**
   * The driver's own steps of a stage, one human line each, for `build --dry-run`: what
   * {@link Driver.buildStage} and the root preparation will do. They are shown after the unpack
   * (or bootstrap) line and replace the target's generic "build ... with the driver" line.
   * Absent or empty: the driver adds nothing.
   */
  describeStage?(kind: TargetKindName, values: Readonly<Record<string, SpecValue>>): string[];
  /** Host programs for stages with `interpreter` set (foreign arches), when the driver runs them. */
  foreignHostTools?(interpreters: readonly string[]): readonly HostTool[];
  /**
   * Creates a base root at `root` (an empty folder). apt: mmdebstrap from the archive;
   * portage: unpack the verified seed. `packages` are extra packages to include.
   */
  bootstrap(ctx: StageContext, root: string, packages: readonly string[]): Promise<DriverResult>;
  /** Installs packages into the root with the package manager inside the chroot. */
  install(ctx: StageContext, root: string, packages: readonly string[]): Promise<DriverResult>;
  /** Removes (purges/unmerges) packages. */
  remove(ctx: StageContext, root: string, packages: readonly string[]): Promise<DriverResult>;
  /** Removes packages nothing needs any more (depclean / autoremove). */
  depclean(ctx: StageContext, root: string): Promise<DriverResult>;
  /**
   * Installs `packages` and their run-time dependencies into `target` (an empty folder inside
   * or beside `buildRoot`), without the package manager itself (catalyst's embedded mergeroot).
   */
  mergeRoot(
    ctx: StageContext,
    buildRoot: string,
    target: string,
    packages: readonly string[],
  ): Promise<DriverResult>;
  /** Installs (apt) or builds (portage) a kernel inside the root. */
  installKernel(
    ctx: StageContext,
    root: string,
    kernel: KernelRequest,
  ): Promise<DriverResult<InstalledKernel>>;
  /** Builds a dracut initramfs with `dmsquash-live` inside the root. */
  liveInitramfs(ctx: StageContext, root: string, req: LiveInitramfsRequest): Promise<DriverResult>;
  /** Lists installed packages with versions and licences. */
  listPackages(ctx: StageContext, root: string): Promise<DriverResult<readonly PackageRecord[]>>;
  /**
   * The installed packages of the root with name, version, architecture, SPDX licence, supplier,
   * package URL and (when an honest one exists) checksum, sorted by name, read from the package
   * database (dpkg status, Portage's VDB) and the licence files. Call it before anything removes
   * what it reads (`rm`, `clean`). A root without a package database lists nothing.
   */
  inventory(
    ctx: StageContext,
    root: string,
    options?: InventoryOptions,
  ): Promise<DriverResult<readonly InventoryPackage[]>>;
  /** Removes package-manager caches and logs that must not ship (apt lists, archives). */
  cleanRoot(ctx: StageContext, root: string): Promise<DriverResult>;
  /**
   * The distribution's own work for a stage kind once its seed is unpacked at `root` (catalyst's
   * `run_local`/`preclean`): Portage builds stage1 (the profile's packages.build into
   * /tmp/stage1root), stage2 (bootstrap.sh), stage3 (`emerge -e @system`, depclean), brings
   * stage4's @system (`emerge -u @system`) and livecd roots' @world up to date. Returns the folder to capture (stage1's is the
   * sub-root). Drivers without such work (apt) leave it out.
   */
  buildStage?(
    ctx: StageContext,
    root: string,
    kind: TargetKindName,
  ): Promise<DriverResult<{ readonly captureRoot: string }>>;
  /** `substrate fetch`: downloads and verifies the inputs the stages need (Portage: seeds, snapshots). */
  fetchInputs?(req: FetchInputsRequest): Promise<FetchInputsSummary>;
}
