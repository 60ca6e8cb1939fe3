/**
 * The Gentoo driver: roots start from a verified stage3 seed (unpacked by the target), Portage
 * inside the root (through the sandbox's chroot runner) builds and installs. Before the first
 * emerge of a root the driver does catalyst's prepare and chroot_setup (prepare.ts); every run
 * binds the unpacked snapshot read-only at /var/db/repos/gentoo (plus `repos`), the shared
 * distfiles cache, the stage's `pkgcache_path` at /var/cache/binpkgs and `kerncache_path` at
 * /tmp/kerncache. Each operation lives in the file named after it; this class opens a
 * {@link PortageSession} per call and delegates. See docs/drivers.md.
 */
import { run } from "../../sandbox/process.js";
import type { DriverName, SpecValue, TargetKindName, TreeConfig } from "../../spec/types.js";
import type {
  BootLoaderFiles,
  Driver,
  DriverResult,
  HostTool,
  InstalledKernel,
  KernelRequest,
  LiveInitramfsRequest,
  PackageRecord,
  StageContext,
} from "../driver.js";
import type { FetchInputsRequest, FetchInputsSummary } from "../fetch-request.js";
import { bootstrap, buildStage } from "./build-stage.js";
import { cleanRoot } from "./clean.js";
import { describePortageSteps } from "./describe.js";
import { fetchInputs } from "./fetch-inputs.js";
import { portageForeignHostTools, portageHostTools } from "./host-tools.js";
import { liveInitramfs } from "./initramfs.js";
import { depclean, install, remove } from "./install.js";
import { installKernel } from "./install-kernel.js";
import { listPackages } from "./list-packages.js";
import { mergeRoot } from "./merge-root.js";
import {
  type PortageDriverOptions,
  type PortageState,
  type Prepared,
  PortageSession,
} from "./portage-session.js";

export type { PortageDriverOptions } from "./portage-session.js";

/** The Portage driver. Construct it with the tree config (its `mirrors` serve snapshots). */
export class PortageDriver implements Driver {
  /** Always `portage`. */
  readonly name: DriverName = "portage";
  /** systemd-boot from sys-apps/systemd. */
  readonly bootLoader: BootLoaderFiles = {
    // systemd profiles: sys-apps/systemd with USE=boot (systemd-utils[boot] would conflict).
    packages: ["sys-apps/systemd"],
    efi: "/usr/lib/systemd/boot/efi/systemd-bootx64.efi",
  };
  private readonly state: PortageState;
  private identityPromise: Promise<string> | undefined;

  /**
   * @param config the tree config (`mirrors` for snapshots fetched on demand).
   * @param options keyring, --insecure and host size overrides.
   */
  constructor(config: Pick<TreeConfig, "mirrors">, options: PortageDriverOptions = {}) {
    this.state = { config, options, prepared: new Map<string, Prepared>() };
  }

  private session(ctx: StageContext, root: string): PortageSession {
    return new PortageSession(ctx, root, this.state);
  }

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

  /** See {@link describePortageSteps}. */
  describeStage(kind: TargetKindName, values: Readonly<Record<string, SpecValue>>): string[] {
    return describePortageSteps(kind, values);
  }

  /** See {@link fetchInputs}. */
  fetchInputs(req: FetchInputsRequest): Promise<FetchInputsSummary> {
    return fetchInputs(req);
  }

  /** See {@link buildStage}. */
  buildStage(
    ctx: StageContext,
    root: string,
    kind: TargetKindName,
  ): Promise<DriverResult<{ readonly captureRoot: string }>> {
    return buildStage(this.session(ctx, root), kind);
  }

  /** See {@link bootstrap}. */
  bootstrap(ctx: StageContext, root: string, packages: readonly string[]): Promise<DriverResult> {
    return bootstrap(this.session(ctx, root), packages);
  }

  /** See {@link install}. */
  install(ctx: StageContext, root: string, packages: readonly string[]): Promise<DriverResult> {
    return install(this.session(ctx, root), packages);
  }

  /** See {@link remove}. */
  remove(ctx: StageContext, root: string, packages: readonly string[]): Promise<DriverResult> {
    return remove(this.session(ctx, root), packages);
  }

  /** See {@link depclean}. */
  depclean(ctx: StageContext, root: string): Promise<DriverResult> {
    return depclean(this.session(ctx, root));
  }

  /** See {@link mergeRoot}. */
  mergeRoot(
    ctx: StageContext,
    buildRoot: string,
    target: string,
    packages: readonly string[],
  ): Promise<DriverResult> {
    return mergeRoot(this.session(ctx, buildRoot), target, packages);
  }

  /** See {@link installKernel}. */
  installKernel(
    ctx: StageContext,
    root: string,
    kernel: KernelRequest,
  ): Promise<DriverResult<InstalledKernel>> {
    return installKernel(this.session(ctx, root), kernel);
  }

  /** See {@link liveInitramfs}. */
  liveInitramfs(ctx: StageContext, root: string, req: LiveInitramfsRequest): Promise<DriverResult> {
    return liveInitramfs(this.session(ctx, root), req);
  }

  /** See {@link listPackages}. */
  listPackages(_ctx: StageContext, root: string): Promise<DriverResult<readonly PackageRecord[]>> {
    return Promise.resolve(listPackages(root));
  }

  /** See {@link cleanRoot}. */
  cleanRoot(ctx: StageContext, root: string): Promise<DriverResult> {
    return Promise.resolve(cleanRoot(this.session(ctx, root)));
  }
}
