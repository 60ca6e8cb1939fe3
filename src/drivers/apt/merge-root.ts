/**
 * catalyst's embedded merge root for Debian: a root holding only some packages and what they
 * depend on. apt inside the build root resolves the dependency closure against an empty dpkg
 * status (as if nothing were installed) and downloads it into the shared cache; the packages'
 * files are then unpacked into the merge root, which the build root sees at /tmp/mergeroot
 * (catalyst's ROOT). Maintainer scripts do not run: the merge root needs no shell, no dpkg and
 * no apt. Pure: this file builds argv and scripts; the driver runs them.
 */
import { shellQuote } from "../../sandbox/setup-script.js";
import { aptGetOptions, type AptGetSettings, debFileName, type PlannedPackage } from "./apt-get.js";

/** Where the merge root is mounted inside the build root. */
export const MERGE_ROOT_MOUNT = "/tmp/mergeroot";

/** Scratch folder inside the build root's private /tmp. */
const SCRATCH = "/tmp/substrate-merge";

/** The archive folder inside the build root (the shared cache is mounted there). */
const ARCHIVES = "/var/cache/apt/archives";

/** apt options that make apt see an empty system, so it plans the full dependency closure. */
function emptySystemOptions(): string[] {
  return [
    "-o",
    `Dir::State::status=${SCRATCH}/status`,
    "-o",
    `Dir::State::extended_states=${SCRATCH}/extended_states`,
  ];
}

/** Shell lines that create the empty status files (the chroot's /tmp is fresh each run). */
function scratchSetup(): string {
  return `mkdir -p ${SCRATCH} && : > ${SCRATCH}/status && : > ${SCRATCH}/extended_states`;
}

/** A script printing apt's simulated install of `packages` on an empty system. */
export function simulateScript(s: AptGetSettings, packages: readonly string[]): string {
  const argv = [
    "apt-get",
    ...aptGetOptions(s),
    ...emptySystemOptions(),
    "-s",
    "install",
    ...packages,
  ];
  return `${scratchSetup()}\n${argv.map(shellQuote).join(" ")}\n`;
}

/** A script downloading the closure of `packages` into the archive folder. */
export function downloadScript(s: AptGetSettings, packages: readonly string[]): string {
  const argv = [
    "apt-get",
    ...aptGetOptions(s),
    ...emptySystemOptions(),
    "-y",
    "--download-only",
    "install",
    ...packages,
  ];
  return `${scratchSetup()}\n${argv.map(shellQuote).join(" ")}\n`;
}

/**
 * A script unpacking every planned package into the merge root. With `keepPackageDb` it also
 * writes a dpkg database recording each package as installed (control fields, file lists and
 * md5sums), so `dpkg-query` and substrate's manifests work on the result; maintainer scripts
 * still have not run.
 */
export function unpackScript(planned: readonly PlannedPackage[], keepPackageDb: boolean): string {
  const files = planned.map((p) => shellQuote(debFileName(p))).join(" ");
  const lines = [`M=${MERGE_ROOT_MOUNT}`, `A=${ARCHIVES}`, `T=${SCRATCH}`, `mkdir -p "$T"`];
  if (keepPackageDb) {
    lines.push(
      `D="$M/var/lib/dpkg"`,
      `mkdir -p "$D/info" "$D/updates" "$D/triggers"`,
      `: > "$D/available"`,
      `: > "$T/status"`,
    );
  }
  lines.push(
    `for f in ${files}; do`,
    `  if [ ! -f "$A/$f" ]; then echo "substrate: $A/$f is missing after the download" >&2; exit 1; fi`,
    // A temporary tar instead of a pipe: dash has no pipefail, and a failing dpkg-deb must fail
    // the run. --keep-directory-symlink keeps the merged-/usr links (bin -> usr/bin).
    `  dpkg-deb --fsys-tarfile "$A/$f" > "$T/data.tar"`,
    `  tar -x --keep-directory-symlink -C "$M" -f "$T/data.tar"`,
  );
  if (keepPackageDb) {
    lines.push(
      `  pkg=$(dpkg-deb -f "$A/$f" Package)`,
      `  id="$pkg"`,
      `  if [ "$(dpkg-deb -f "$A/$f" Multi-Arch)" = same ]; then id="$pkg:$(dpkg-deb -f "$A/$f" Architecture)"; fi`,
      `  { dpkg-deb -f "$A/$f"; echo "Status: install ok installed"; echo; } >> "$T/status"`,
      `  tar -tf "$T/data.tar" | sed -e 's,^\\.,,' -e 's,/$,,' -e 's,^$,/.,' > "$D/info/$id.list"`,
      `  rm -rf "$T/control" && dpkg-deb -e "$A/$f" "$T/control"`,
      `  if [ -f "$T/control/md5sums" ]; then cp "$T/control/md5sums" "$D/info/$id.md5sums"; fi`,
    );
  }
  lines.push(`  rm -f "$T/data.tar"`, `done`);
  if (keepPackageDb) lines.push(`cp "$T/status" "$D/status"`);
  return lines.join("\n") + "\n";
}

/** The top-level links of a merged-/usr root that a merge root copies (`bin -> usr/bin`, ...). */
export const MERGED_USR_LINKS = [
  "bin",
  "sbin",
  "lib",
  "lib32",
  "lib64",
  "libx32",
  "libo32",
] as const;

/** Folders removed from a merge root unless `embedded/keep_package_db` is set. */
export const PACKAGE_DB_PATHS = ["/var/lib/dpkg", "/var/lib/apt", "/var/cache/apt"] as const;
