/**
 * catalyst's prepare + chroot_setup for a Portage root (catalyst.md §2.4-2.6), once per root:
 * the snapshot (fetched when missing) and `repos`, the profile link, `portage_confdir`,
 * repos.conf, make.conf from the arch table, and the binds every later run gets (snapshot and
 * repos read-only, distfiles, `pkgcache_path`, `kerncache_path`).
 */
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, join, relative } from "node:path";
import type { BindMount } from "../../sandbox/chroot.js";
import { checkInterpreters } from "../../sandbox/interpreter.js";
import {
  mkdirInRoot,
  readFileInRoot,
  resolveInRoot,
  writeFileInRoot,
} from "../../sandbox/root-path.js";
import { copyOverlayInto } from "../../sandbox/root-overlay.js";
import { removeInRoot } from "../../sandbox/root-glob.js";
import { ok } from "../../util/result.js";
import type { DriverResult } from "../driver.js";
import { refuse } from "../session.js";
import { archEntry, knownSubarches } from "./arch-table.js";
import {
  DISTDIR,
  KERNCACHE_MOUNT,
  PKGDIR,
  SANDBOX_BINARY,
  emergeSettingsFor,
  sandboxFeatures,
} from "./emerge.js";
import { makeConfInput, parseMakeConf, renderMakeConf } from "./make-conf.js";
import {
  type Prepared,
  type PortageSession,
  emergeProgress,
  isDir,
  preparedKey,
} from "./portage-session.js";
import { REPO_BASEDIR, type RepoMount, repoNameOf, reposConfFiles } from "./repos.js";
import { fetchSnapshot, snapshotDir, snapshotFileName, unpackedSnapshot } from "./snapshot.js";

/** The snapshot's unpacked folder for the stage's `snapshot_treeish`, fetched when missing. */
async function snapshotTree(s: PortageSession): Promise<DriverResult<string>> {
  const { ctx } = s;
  const { config, options } = s.state;
  const treeish = s.str("snapshot_treeish");
  if (treeish === undefined)
    return refuse(
      "snapshot-unavailable",
      "the stage has no snapshot_treeish",
      "set snapshot_treeish: <YYYYMMDD>.xz",
    );
  const sqfs = join(snapshotDir(ctx.cacheDir), snapshotFileName(treeish));
  if (!existsSync(sqfs) && options.fetchMissing !== false && config.mirrors.length > 0) {
    s.note(`fetching snapshot ${basename(sqfs)}`);
    const f = await fetchSnapshot(treeish, {
      mirrors: config.mirrors,
      cacheDir: ctx.cacheDir,
      ...(options.keyring === undefined ? {} : { keyring: options.keyring }),
      ...(options.insecure === undefined ? {} : { insecure: options.insecure }),
      signal: ctx.signal,
      emit: ctx.emit,
    });
    if (!f.ok) {
      return refuse(
        "snapshot-unavailable",
        `snapshot ${basename(sqfs)}: ${f.error.message}`,
        f.error.hint ?? "run `substrate fetch` for this tree with --date matching the snapshot",
      );
    }
  }
  const tree = await unpackedSnapshot(sqfs, ctx.cacheDir, ctx.logFile, ctx.signal);
  if (!tree.ok) return refuse("snapshot-unavailable", tree.error.message, tree.error.hint);
  return ok(tree.value);
}

/** The main repo (the snapshot) and `repos`/`portage_overlay`, each with its repo name. */
async function repoMounts(s: PortageSession): Promise<DriverResult<RepoMount[]>> {
  const { ctx } = s;
  const main = await snapshotTree(s);
  if (!main.ok) return main;
  const repos: RepoMount[] = [
    { name: repoNameOf(main.value) ?? "gentoo", hostDir: main.value, main: true },
  ];
  for (const path of [...s.words("repos"), ...s.words("portage_overlay")]) {
    let dir = path;
    if (path.endsWith(".sqfs")) {
      const u = await unpackedSnapshot(path, ctx.cacheDir, ctx.logFile, ctx.signal);
      if (!u.ok) return refuse("repo-unusable", `repos: ${u.error.message}`);
      dir = u.value;
    } else if (!isDir(path)) {
      return refuse("repo-unusable", `repos: ${path} is not a folder or a .sqfs file`);
    }
    const name = repoNameOf(dir);
    if (name === undefined) {
      return refuse(
        "repo-unusable",
        `repos: ${path} declares no repo name`,
        "add profiles/repo_name or repo-name in metadata/layout.conf",
      );
    }
    if (repos.some((r) => r.name === name))
      return refuse("repo-unusable", `repos: two repos are named ${name}`);
    repos.push({ name, hostDir: dir, main: false });
  }
  return ok(repos);
}

/** catalyst's prepare + chroot_setup for the session's root (once; later calls reuse it). */
export async function prepare(
  s: PortageSession,
  subRoot?: string,
): Promise<DriverResult<Prepared>> {
  const { ctx, root } = s;
  const key = preparedKey(root, subRoot);
  const known = s.state.prepared.get(key);
  if (known !== undefined) return ok(known);
  const kind = s.kind;
  const subarch = s.str("subarch") ?? "";
  const arch = archEntry(subarch);
  if (arch === undefined) {
    return refuse(
      "unknown-subarch",
      `unknown subarch "${subarch}" (catalyst: Unknown host machine type)`,
      `known: ${knownSubarches().join(", ")}`,
    );
  }
  const interpreters = s.words("interpreter");
  if (interpreters.length > 0) {
    const c = checkInterpreters(interpreters);
    if (!c.ok)
      return refuse(
        "interpreter-unusable",
        c.error.message,
        "hint" in c.error ? c.error.hint : undefined,
      );
  }
  const found = await repoMounts(s);
  if (!found.ok) return found;
  const repos = found.value;

  // Profile link: /etc/portage/make.profile -> ../../var/db/repos/<repo>/profiles/<profile>.
  const profile = s.str("profile");
  if (profile !== undefined) {
    const m = /^([\w-]+):(.+)$/.exec(profile);
    const repo = m === null ? repos[0] : repos.find((r) => r.name === m[1]);
    const path = m === null ? profile : (m[2] ?? "");
    if (repo === undefined)
      return refuse("profile-missing", `profile ${profile}: no repo named ${m?.[1] ?? ""}`);
    if (!isDir(join(repo.hostDir, "profiles", path))) {
      return refuse(
        "profile-missing",
        `profile ${profile} does not exist in the ${repo.name} repo of snapshot ${s.str("snapshot_treeish") ?? ""}`,
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
  if (!etc.ok) return refuse("root-write-failed", etc.error.message);
  for (const dir of s.words("portage_confdir")) {
    if (!isDir(dir)) return refuse("confdir-unusable", `portage_confdir: ${dir} is not a folder`);
    const c = copyOverlayInto(etc.value.path, dir);
    if (!c.ok) return refuse("confdir-unusable", `portage_confdir ${dir}: ${c.error.message}`);
  }
  for (const [file, text] of reposConfFiles(repos)) {
    const w = writeFileInRoot(root, `/etc/portage/repos.conf/${file}`, text);
    if (!w.ok) return refuse("root-write-failed", w.error.message);
  }
  // make.conf: the seed's flags (after stage1) over the arch table, USE with catalyst_use.
  const seedConf = readFileInRoot(root, "/etc/portage/make.conf");
  const seed = seedConf.ok ? parseMakeConf(seedConf.value.toString("utf8")) : {};
  const emerge = emergeSettingsFor({
    jobs: ctx.jobs,
    cores: s.state.options.cores ?? availableParallelism(),
    values: ctx.values,
    sandboxBinary: hasSandboxBinary(root),
  });
  const makeConf = renderMakeConf(
    makeConfInput({
      kind,
      values: ctx.values,
      arch,
      seed,
      building: true,
      features: sandboxFeatures(emerge),
    }),
  );
  const w = writeFileInRoot(root, "/etc/portage/make.conf", makeConf);
  if (!w.ok) return refuse("root-write-failed", w.error.message);

  const binds = cacheBinds(s, repos, subRoot);
  const prepared: Prepared = {
    kind,
    arch,
    repos,
    binds,
    interpreters,
    emerge,
    ...(subRoot === undefined ? {} : { subRoot }),
    run: s.with({
      binds,
      interpreters,
      network: true,
      tmp: "keep",
      announceSteps: true,
      progress: emergeProgress,
    }),
  };
  s.state.prepared.set(key, prepared);
  return ok(prepared);
}

/** Whether emerge, run in `root`, finds Portage's sandbox binary (symlinks resolved in the root). */
function hasSandboxBinary(root: string): boolean {
  const p = resolveInRoot(root, SANDBOX_BINARY);
  return p.ok && existsSync(p.value);
}

/** The repos read-only (in the sub-root too), distfiles, `pkgcache_path`, `kerncache_path`. */
function cacheBinds(
  s: PortageSession,
  repos: readonly RepoMount[],
  subRoot: string | undefined,
): BindMount[] {
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
  const distfiles = join(s.ctx.cacheDir, "distfiles");
  mkdirSync(distfiles, { recursive: true });
  binds.push({ source: distfiles, target: DISTDIR });
  const pkgcache = s.str("pkgcache_path");
  if (pkgcache !== undefined) {
    mkdirSync(pkgcache, { recursive: true });
    binds.push({ source: pkgcache, target: PKGDIR });
  }
  const kerncache = s.str("kerncache_path");
  if (kerncache !== undefined) {
    mkdirSync(kerncache, { recursive: true });
    binds.push({ source: kerncache, target: KERNCACHE_MOUNT });
  }
  return binds;
}

/** Points `<subRoot>/etc/portage/make.profile` at `target` with a relative link. */
function linkProfile(root: string, subRoot: string, target: string): DriverResult {
  const base = subRoot === "/" ? "" : subRoot;
  const dir = mkdirInRoot(root, `${base}/etc/portage`);
  if (!dir.ok) return refuse("root-write-failed", dir.error.message);
  const removed = removeInRoot(root, `${base}/etc/portage/make.profile`);
  if (!removed.ok) return refuse("root-write-failed", removed.error.message);
  symlinkSync(
    relative(`${base}/etc/portage`, `${base}${target}`),
    join(dir.value.path, "make.profile"),
  );
  return ok(undefined);
}
