/**
 * The mmdebstrap command line that bootstraps a Debian root. Pure: the driver runs it.
 *
 * The shared `.deb` cache is bind-mounted over the new root's /var/cache/apt/archives by a
 * setup hook and unmounted by a customize hook, before mmdebstrap's own cleanup empties that
 * folder; `--skip=essential/unlink` keeps the essential packages mmdebstrap downloaded. The
 * host path comes in through an environment variable, so no path is pasted into shell text.
 */
import { type AptOptions, DEBIAN_ARCHIVE_KEYRING } from "./apt-options.js";

/** The environment variable holding the host path of the shared archive cache. */
export const ARCHIVES_ENV = "SUBSTRATE_APT_ARCHIVES";

/** The environment variable holding the host path of a non-Debian archive keyring. */
export const KEYRING_ENV = "SUBSTRATE_APT_KEYRING";

/**
 * Where a keyring other than Debian's is copied inside the root, so apt in later stages still
 * verifies the archive (Debian's own keyring comes with the debian-archive-keyring package).
 * `.asc` files are armored keys; anything else is taken as a binary keyring.
 */
export function rootKeyringPath(keyring: string): string {
  return `/etc/apt/trusted.gpg.d/substrate-archive-keyring.${keyring.endsWith(".asc") ? "asc" : "gpg"}`;
}

/** True when the root must get a copy of the keyring (see {@link rootKeyringPath}). */
export function needsKeyringCopy(options: AptOptions): boolean {
  return options.keyring !== undefined && options.keyring !== DEBIAN_ARCHIVE_KEYRING;
}

/** Files mmdebstrap writes from `--aptopt`/`--dpkgopt`; they must not ship. */
export const MMDEBSTRAP_CONFIG_FILES = [
  "/etc/apt/apt.conf.d/99mmdebstrap",
  "/etc/dpkg/dpkg.cfg.d/99mmdebstrap",
] as const;

/**
 * Files mmdebstrap copies from the build host into the new root (its `setup` step) and leaves
 * there: they name the build machine, so two hosts would make different stages
 * (docs/reproducible.md). Removed: a stage names no host (live media get `livecd/hostname`),
 * and the sandbox lends the host's resolv.conf to every run that has the network.
 */
export const HOST_COPIED_FILES = ["/etc/hostname", "/etc/resolv.conf"] as const;

/** mmdebstrap's hook that sets up merged /usr without the usrmerge package (and its perl). */
export const MAYBE_MERGED_USR_HOOKS = "/usr/share/mmdebstrap/hooks/maybe-merged-usr";

/** What {@link mmdebstrapArgv} needs besides the stage options. */
export interface MmdebstrapRequest {
  readonly options: AptOptions;
  /** Host path of the new root (an empty or missing folder). */
  readonly root: string;
  /** Extra packages (`--include`). */
  readonly packages: readonly string[];
  /** Hook folders to pass with `--hook-dir` (those present on the host). */
  readonly hookDirs: readonly string[];
}

/**
 * Builds mmdebstrap's argv. Run it with {@link ARCHIVES_ENV} set to the shared cache and, when
 * {@link needsKeyringCopy}, {@link KEYRING_ENV} set to the keyring.
 */
export function mmdebstrapArgv(req: MmdebstrapRequest): string[] {
  const o = req.options;
  const archives = '"$1/var/cache/apt/archives"';
  const argv = [
    "mmdebstrap",
    // As root, unshare mode keeps the user but gives mmdebstrap its own mount namespace.
    "--mode=unshare",
    "--format=directory",
    `--variant=${o.variant}`,
    `--components=${o.components.join(",")}`,
  ];
  // A foreign architecture runs its maintainer scripts under qemu-user (binfmt_misc, F flag).
  if (o.architecture !== undefined) argv.push(`--architectures=${o.architecture}`);
  if (o.keyring !== undefined) argv.push(`--keyring=${o.keyring}`);
  if (req.packages.length > 0) argv.push(`--include=${req.packages.join(",")}`);
  argv.push(
    '--aptopt=Acquire::Languages "none"',
    `--aptopt=APT::Install-Recommends "${o.recommends ? "true" : "false"}"`,
    // Unsafe I/O only while building: a crash throws the root away anyway. The config file
    // that carries it is removed below, so the root does not keep it.
    "--dpkgopt=force-unsafe-io",
    // Keep downloaded packages (they live in the shared cache) and the package lists (a later
    // install in the same stage needs them; cleanRoot drops them before the root is captured).
    "--skip=essential/unlink,cleanup/apt/lists",
  );
  for (const dir of req.hookDirs) argv.push(`--hook-dir=${dir}`);
  argv.push(
    `--setup-hook=mkdir -p ${archives} && mount --bind "$${ARCHIVES_ENV}" ${archives}`,
    `--customize-hook=umount ${archives}`,
    ...(needsKeyringCopy(o) && o.keyring !== undefined
      ? [`--customize-hook=cp "$${KEYRING_ENV}" "$1${rootKeyringPath(o.keyring)}"`]
      : []),
    `--customize-hook=rm -f ${[...MMDEBSTRAP_CONFIG_FILES, ...HOST_COPIED_FILES].map((f) => `"$1${f}"`).join(" ")}`,
    o.suite,
    req.root,
    o.mirror,
  );
  return argv;
}

/** The variants in which mmdebstrap installs packages with dpkg (so merged-/usr matters). */
export function variantRunsDpkg(variant: AptOptions["variant"]): boolean {
  return variant !== "extract" && variant !== "custom";
}
