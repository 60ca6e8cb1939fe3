/**
 * The Debian driver: mmdebstrap bootstraps roots, apt inside the root (through the sandbox's
 * chroot runner) installs and removes packages. Every run shares one `.deb` cache,
 * `<cache>/apt/archives` (archive-cache.ts), bind-mounted at the root's /var/cache/apt/archives,
 * so a package is downloaded once per store. Archive signatures are always verified, as apt does
 * by default. Each operation lives in the file named after it; this class opens an
 * {@link AptSession} per call and delegates. See docs/drivers.md for the design and the spec keys.
 */
import { run } from "../../sandbox/process.js";
import type { AptSettings, DriverName, TargetKindName } from "../../spec/types.js";
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
import { DEFAULT_APT_SETTINGS } from "./apt-options.js";
import { AptSession } from "./apt-session.js";
import { bootstrap } from "./bootstrap.js";
import { cleanRoot } from "./clean.js";
import { aptHostTools } from "./host-tools.js";
import { liveInitramfs } from "./initramfs.js";
import { depclean, install, remove } from "./install.js";
import { installKernel } from "./install-kernel.js";
import { listPackages } from "./list-packages.js";
import { mergeRoot } from "./merge.js";
import { aptStageSupport } from "./stage-support.js";

/** The apt driver. Construct it with the tree's `[apt]` settings. */
export class AptDriver implements Driver {
  /** Always `apt`. */
  readonly name: DriverName = "apt";
  /** systemd-boot from Debian's systemd-boot-efi. */
  readonly bootLoader: BootLoaderFiles = {
    packages: ["systemd-boot-efi"],
    efi: "/usr/lib/systemd/boot/efi/systemd-bootx64.efi",
  };
  private identityPromise: Promise<string> | undefined;

  /** @param settings the tree's `[apt]` table (defaults: Debian bookworm, main, Debian's CDN). */
  constructor(private readonly settings: AptSettings = DEFAULT_APT_SETTINGS) {}

  private session(ctx: StageContext, root: string): AptSession {
    return new AptSession(ctx, root, this.settings);
  }

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

  /** See {@link aptStageSupport}: Debian has no bootstrap stages. */
  supportsKind(kind: TargetKindName): DriverResult {
    return aptStageSupport(kind);
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
  listPackages(ctx: StageContext, root: string): Promise<DriverResult<readonly PackageRecord[]>> {
    return Promise.resolve(listPackages(this.session(ctx, root)));
  }

  /** See {@link cleanRoot}. */
  cleanRoot(_ctx: StageContext, root: string): Promise<DriverResult> {
    return Promise.resolve(cleanRoot(root));
  }
}
