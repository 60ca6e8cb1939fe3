/**
 * Bootstrapping a Debian root: mmdebstrap `<suite> <root> <mirror>` with the stage's variant,
 * components and keyring, plus extra packages. It runs in a private mount namespace (so a failed
 * run leaves no mount behind), with the shared archive cache's packages offered to it.
 */
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { runInNamespace } from "../../sandbox/namespace.js";
import { ok, err } from "../../util/result.js";
import type { DriverResult } from "../driver.js";
import { fromSandbox, refuse } from "../session.js";
import { checkPackageNames } from "./apt-get.js";
import type { AptSession } from "./apt-session.js";
import { shareDebs, withArchiveCache } from "./archive-cache.js";
import {
  ARCHIVES_ENV,
  KEYRING_ENV,
  MAYBE_MERGED_USR_HOOKS,
  mmdebstrapArgv,
  variantRunsDpkg,
} from "./mmdebstrap.js";

/** Creates the session's root with mmdebstrap, `packages` included. */
export async function bootstrap(s: AptSession, packages: readonly string[]): Promise<DriverResult> {
  const { ctx, root } = s;
  const o = s.options();
  if (!o.ok) return o;
  const names = checkPackageNames(packages, "packages");
  if (!names.ok) return names;
  if (o.value.keyring !== undefined && !isFile(o.value.keyring)) {
    return refuse(
      "keyring-missing",
      `the archive keyring ${o.value.keyring} is not a file on this host`,
      "install the debian-archive-keyring package, or set `apt/keyring` (or [apt] keyring) to the keyring that signs your mirror",
    );
  }
  mkdirSync(root, { recursive: true });
  const hookDirs =
    variantRunsDpkg(o.value.variant) && existsSync(MAYBE_MERGED_USR_HOOKS)
      ? [MAYBE_MERGED_USR_HOOKS]
      : [];
  const argv = mmdebstrapArgv({ options: o.value, root, packages, hookDirs });
  s.note(`mmdebstrap: ${o.value.suite} (${o.value.variant}) from ${o.value.mirror}`);
  // mmdebstrap downloads and installs in one run, so it gets a private archive folder holding
  // links to the shared cache's packages, and what it downloads is linked back afterwards:
  // the cache lock is held only for those two quick passes, not the whole bootstrap.
  const shared = s.archives();
  const own = `${root}.apt-archives`;
  rmSync(own, { recursive: true, force: true });
  mkdirSync(join(own, "partial"), { recursive: true });
  const seeded = await linkDebs(s, shared, own);
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
        s.note(`mmdebstrap: ${line.slice(3)}`);
    },
  });
  // Even after a failure: what was downloaded (and verified by apt) is not lost.
  const back = await linkDebs(s, own, shared);
  rmSync(own, { recursive: true, force: true });
  if (!r.ok) return err(fromSandbox("mmdebstrap", r.error));
  if (!back.ok) return back;
  return ok(undefined);
}

/** {@link shareDebs} from `from` into `to` under the shared cache's lock. */
function linkDebs(s: AptSession, from: string, to: string): Promise<DriverResult> {
  return withArchiveCache(s.ctx, "mmdebstrap", () => {
    shareDebs(from, to);
    return Promise.resolve(ok(undefined));
  });
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
