/**
 * apt-get command lines run inside a build root, and the parsing of what apt prints. Pure.
 *
 * Every run is non-interactive, keeps downloaded packages (the archive folder is the shared
 * cache), installs no Recommends unless asked, keeps existing configuration files on upgrade,
 * and gives dpkg `--force-unsafe-io` on the command line only, so nothing of it stays in the root.
 */
import { type Result, ok, err } from "../../util/result.js";
import type { DriverFailure } from "../driver.js";

/** What the apt-get options depend on. */
export interface AptGetSettings {
  readonly recommends: boolean;
}

/** `-o` options shared by every apt-get run. */
export function aptGetOptions(s: AptGetSettings): string[] {
  return [
    "-q",
    "-o",
    "Acquire::Languages=none",
    "-o",
    `APT::Install-Recommends=${s.recommends ? "true" : "false"}`,
    "-o",
    "APT::Install-Suggests=false",
    "-o",
    "APT::Keep-Downloaded-Packages=true",
    "-o",
    "Dpkg::Use-Pty=0",
    "-o",
    "Dpkg::Options::=--force-unsafe-io",
    "-o",
    "Dpkg::Options::=--force-confdef",
    "-o",
    "Dpkg::Options::=--force-confold",
  ];
}

/** `apt-get update`. */
export function updateArgv(s: AptGetSettings): string[] {
  return ["apt-get", ...aptGetOptions(s), "update"];
}

/**
 * `apt-get install --download-only -y <packages>`: fills the shared package cache with what the
 * install needs (taken under substrate's cache lock, see apt-driver.ts).
 */
export function downloadArgv(s: AptGetSettings, packages: readonly string[]): string[] {
  return ["apt-get", ...aptGetOptions(s), "-y", "--download-only", "install", ...packages];
}

/**
 * `apt-get install -y <packages>` from a read-only package cache that already holds every
 * package: apt takes no lock on it (`Debug::NoLocking`; the root is private to the stage, so
 * its own dpkg database needs none either) and downloads nothing.
 */
export function installFromCacheArgv(s: AptGetSettings, packages: readonly string[]): string[] {
  return [
    "apt-get",
    ...aptGetOptions(s),
    "-o",
    "Debug::NoLocking=true",
    "-o",
    "APT::Get::Download=false",
    "-y",
    "install",
    ...packages,
  ];
}

/** `apt-get purge -y <packages>` (catalyst's unmerge: configuration files go too). */
export function purgeArgv(s: AptGetSettings, packages: readonly string[]): string[] {
  return ["apt-get", ...aptGetOptions(s), "-y", "purge", ...packages];
}

/** `apt-get autoremove --purge -y` (catalyst's depclean). */
export function autoremoveArgv(s: AptGetSettings): string[] {
  return ["apt-get", ...aptGetOptions(s), "-y", "--purge", "autoremove"];
}

/**
 * A package argument apt accepts: a name with an optional `=version`, `/release` or `:arch`,
 * or an apt pattern starting with `?`/`~` would also work, but substrate only passes names so
 * that a spec value can never become an option.
 */
const PACKAGE_RE = /^[a-z0-9][a-z0-9.+-]*(:[a-z0-9-]+)?([=/][A-Za-z0-9.+~:_-]+)?$/;

/**
 * Checks package arguments from a spec. Returns the offending word in a `bad-atom` refusal
 * naming `key`.
 */
export function checkPackageNames(
  packages: readonly string[],
  key: string,
): Result<readonly string[], DriverFailure> {
  const bad = packages.find((p) => !PACKAGE_RE.test(p));
  if (bad !== undefined) {
    return err({
      reason: "bad-atom",
      message: `\`${key}\`: \`${bad}\` is not a Debian package name`,
      hint: "Debian package names are lower case: letters, digits and + - . (optionally =version or /release)",
    });
  }
  return ok(packages);
}

/** One package apt would install, from `apt-get -s install`. */
export interface PlannedPackage {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
}

/**
 * Parses the `Inst name [old] (version origin... [arch])` lines of a simulated install.
 * Other lines (`Conf ...`, notes) are ignored.
 */
export function parseSimulatedInstall(stdout: string): PlannedPackage[] {
  const planned: PlannedPackage[] = [];
  for (const line of stdout.split("\n")) {
    const m = /^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) .*\[([^\]]+)\]\)/.exec(line.trim());
    if (m === null) continue;
    const [, name, version, architecture] = m;
    if (name === undefined || version === undefined || architecture === undefined) continue;
    planned.push({ name, version, architecture });
  }
  return planned;
}

/** The file name apt gives a downloaded package in its archive folder (`:` becomes `%3a`). */
export function debFileName(p: PlannedPackage): string {
  return `${p.name}_${p.version.replace(/:/g, "%3a")}_${p.architecture}.deb`;
}
