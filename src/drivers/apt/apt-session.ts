/**
 * The apt driver's root session: the generic {@link RootSession} whose runs take the shared
 * package cache's lock whenever they bind it writable, plus what apt's operations share (the
 * resolved `apt/*` options, the cache and no-services binds, the package lists, the dpkg
 * status of the root, apt's progress lines).
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BindMount } from "../../sandbox/chroot.js";
import { readFileInRoot } from "../../sandbox/root-path.js";
import { globInRoot } from "../../sandbox/root-glob.js";
import type { AptSettings } from "../../spec/types.js";
import { ok } from "../../util/result.js";
import type { DriverResult, StageContext } from "../driver.js";
import { RootSession } from "../session.js";
import { type AptOptions, resolveAptOptions } from "./apt-options.js";
import { type AptGetSettings, updateArgv } from "./apt-get.js";
import { sharedArchives, withArchiveCache } from "./archive-cache.js";
import { DPKG_STATUS, type InstalledPackage, installedPackages } from "./dpkg-status.js";

/** Where the shared archive cache is mounted inside a root. */
export const ROOT_ARCHIVES = "/var/cache/apt/archives";

/** A script for /usr/sbin/policy-rc.d that forbids starting services during a build. */
const POLICY_RC_D =
  "#!/bin/sh\n# substrate: no service starts while packages are installed in a build root\nexit 101\n";

/** An apt stage's session on one root. */
export class AptSession extends RootSession {
  /**
   * @param ctx the running stage.
   * @param root the build root.
   * @param tree the tree's `[apt]` settings.
   */
  constructor(
    ctx: StageContext,
    root: string,
    readonly tree: AptSettings,
  ) {
    // apt locks the archive folder it downloads into: stages running in parallel share it, so
    // every run that binds it writable takes substrate's cache lock first (and waits its turn).
    super(ctx, root, {
      guard: (step, binds, go) => {
        const shared = sharedArchives(ctx.cacheDir);
        return binds.some((b) => b.source === shared && b.readonly !== true)
          ? withArchiveCache(ctx, step, go)
          : go();
      },
    });
  }

  /** The stage's apt options (tree settings overridden by `apt/*` keys). */
  options(): DriverResult<AptOptions> {
    return resolveAptOptions(this.tree, this.values);
  }

  /** The shared archive cache on the host. */
  archives(): string {
    return sharedArchives(this.ctx.cacheDir);
  }

  /** The binds every apt run gets: the shared cache and the no-services policy. */
  aptBinds(opts: { readonly?: boolean } = {}): BindMount[] {
    return [
      { source: this.archives(), target: ROOT_ARCHIVES, readonly: opts.readonly === true },
      { source: policyRcD(this.ctx.cacheDir), target: "/usr/sbin/policy-rc.d", readonly: true },
    ];
  }

  /** Runs `apt-get update` unless the root already has package lists. */
  async ensureLists(s: AptGetSettings): Promise<DriverResult> {
    const lists = globInRoot(this.root, "/var/lib/apt/lists/*_Packages*");
    if (lists.ok && lists.value.length > 0) return ok(undefined);
    this.note("apt: updating package lists");
    const r = await this.run("apt-get update", { argv: updateArgv(s) }, { network: true });
    return r.ok ? ok(undefined) : r;
  }

  /** The root's installed packages (its dpkg status file; empty without one). */
  installed(): InstalledPackage[] {
    const status = readFileInRoot(this.root, DPKG_STATUS);
    return status.ok ? installedPackages(status.value.toString("utf8")) : [];
  }
}

/** Counts apt's "Setting up" lines against its "N newly installed" line for progress events. */
export function aptProgress(s: RootSession, what: string): (line: string) => void {
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
      s.ctx.emit({
        type: "stage-progress",
        stage: s.ctx.stage,
        message: `${what}: ${pkg}`,
        fraction: Math.min(1, done / total),
      });
    }
  };
}

/** A host file bound over the root's /usr/sbin/policy-rc.d while apt runs. */
function policyRcD(cacheDir: string): string {
  const dir = join(cacheDir, "apt");
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
