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
import type { BootLoaderFiles, DriverResult, HostTool, StageContext } from "../driver.js";
import { SessionDriver, type SessionOperations } from "../session-driver.js";
import type { FetchInputsRequest, FetchInputsSummary } from "../fetch-request.js";
import { bootstrap, buildStage } from "./build-stage.js";
import { cleanRoot } from "./clean.js";
import { describePortageSteps } from "./describe.js";
import { fetchInputs } from "./fetch-inputs.js";
import { portageForeignHostTools, portageHostTools } from "./host-tools.js";
import { liveInitramfs } from "./initramfs.js";
import { depclean, install, remove } from "./install.js";
import { installKernel } from "./install-kernel.js";
import { inventory } from "./inventory.js";
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
export class PortageDriver extends SessionDriver<PortageSession> {
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
  protected readonly operations: SessionOperations<PortageSession> = {
    bootstrap,
    install,
    remove,
    depclean,
    mergeRoot,
    installKernel,
    liveInitramfs,
    listPackages: (s) => listPackages(s.root),
    inventory: (s, options) => inventory(s.root, options),
    cleanRoot,
  };

  constructor(config: Pick<TreeConfig, "mirrors">, options: PortageDriverOptions = {}) {
    super();
    this.state = { config, options, prepared: new Map<string, Prepared>() };
  }

  protected session(ctx: StageContext, root: string): PortageSession {
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
}
