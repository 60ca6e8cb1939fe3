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
import type { BootLoaderFiles, DriverResult, HostTool, StageContext } from "../driver.js";
import { SessionDriver, type SessionOperations } from "../session-driver.js";
import { DEFAULT_APT_SETTINGS } from "./apt-options.js";
import { AptSession } from "./apt-session.js";
import { bootstrap } from "./bootstrap.js";
import { cleanRoot } from "./clean.js";
import { aptHostTools } from "./host-tools.js";
import { liveInitramfs } from "./initramfs.js";
import { depclean, install, remove } from "./install.js";
import { installKernel } from "./install-kernel.js";
import { inventory } from "./inventory.js";
import { listPackages } from "./list-packages.js";
import { mergeRoot } from "./merge.js";
import { checkForeignRoot } from "./foreign.js";
import { aptStageSupport } from "./stage-support.js";

/** The apt driver. Construct it with the tree's `[apt]` settings. */
export class AptDriver extends SessionDriver<AptSession> {
  /** Always `apt`. */
  readonly name: DriverName = "apt";
  /** systemd-boot from Debian's systemd-boot-efi. */
  readonly bootLoader: BootLoaderFiles = {
    packages: ["systemd-boot-efi"],
    efi: "/usr/lib/systemd/boot/efi/systemd-bootx64.efi",
  };
  private identityPromise: Promise<string> | undefined;

  /** @param settings the tree's `[apt]` table (defaults: Debian bookworm, main, Debian's CDN). */
  // Every operation that runs the root's programs first checks that a foreign root's
  // interpreter works (foreign.ts): a build without the host preparation stops before it starts.
  protected readonly operations: SessionOperations<AptSession> = {
    bootstrap: (s, packages) => foreign(s, () => bootstrap(s, packages)),
    install: (s, packages) => foreign(s, () => install(s, packages)),
    remove: (s, packages) => foreign(s, () => remove(s, packages)),
    depclean: (s) => foreign(s, () => depclean(s)),
    mergeRoot: (s, target, packages) => foreign(s, () => mergeRoot(s, target, packages)),
    installKernel: (s, kernel) => foreign(s, () => installKernel(s, kernel)),
    liveInitramfs: (s, req) => foreign(s, () => liveInitramfs(s, req)),
    listPackages,
    inventory,
    cleanRoot: (s) => cleanRoot(s.root),
  };

  constructor(private readonly settings: AptSettings = DEFAULT_APT_SETTINGS) {
    super();
  }

  protected session(ctx: StageContext, root: string): AptSession {
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

  /** The qemu-user interpreter of a foreign root (qemu-user-static), for `doctor`. */
  foreignHostTools(interpreters: readonly string[]): readonly HostTool[] {
    return interpreters.map((path) => ({
      command: path,
      debianPackage: "qemu-user-static",
      why: "runs a foreign root's programs (binfmt_misc with the F flag)",
    }));
  }

  /** See {@link aptStageSupport}: Debian has no bootstrap stages. */
  supportsKind(kind: TargetKindName): DriverResult {
    return aptStageSupport(kind);
  }
}

/** Runs `go` once the root's interpreter (if foreign) is known to work. */
async function foreign<T>(
  s: AptSession,
  go: () => DriverResult<T> | Promise<DriverResult<T>>,
): Promise<DriverResult<T>> {
  const c = checkForeignRoot(s.ctx.values);
  if (!c.ok) return c;
  return go();
}
