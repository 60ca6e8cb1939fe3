/**
 * Reading dpkg's database (`/var/lib/dpkg/status`) without running dpkg, so it works for any
 * root, including ones whose dpkg binaries were removed. Pure.
 */
import { type Deb822Paragraph, fieldValue, parseDeb822 } from "./deb822.js";

/** The status file, inside a root. */
export const DPKG_STATUS = "/var/lib/dpkg/status";

/** One package that is (at least partly) installed. */
export interface InstalledPackage {
  /** The package name, with `:<arch>` when several architectures of it are installed. */
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  /** The `Depends` field as written, or "" when absent. */
  readonly depends: string;
}

/**
 * dpkg's package states (the third word of `Status`) that mean files of the package are on
 * disk. `not-installed` and `config-files` (purged or removed) do not count.
 */
const PRESENT_STATES = new Set([
  "installed",
  "unpacked",
  "half-configured",
  "half-installed",
  "triggers-awaited",
  "triggers-pending",
]);

function isPresent(p: Deb822Paragraph): boolean {
  const status = fieldValue(p, "Status")?.split(/\s+/);
  const state = status?.[2];
  return state !== undefined && PRESENT_STATES.has(state);
}

/** The installed packages of a status file, sorted by name. */
export function installedPackages(statusText: string): InstalledPackage[] {
  const found: { name: string; version: string; architecture: string; depends: string }[] = [];
  for (const p of parseDeb822(statusText)) {
    if (!isPresent(p)) continue;
    const name = fieldValue(p, "Package");
    if (name === undefined || name === "") continue;
    found.push({
      name,
      version: fieldValue(p, "Version") ?? "",
      architecture: fieldValue(p, "Architecture") ?? "",
      depends: fieldValue(p, "Depends") ?? "",
    });
  }
  const perName = new Map<string, number>();
  for (const f of found) perName.set(f.name, (perName.get(f.name) ?? 0) + 1);
  return found
    .map((f) =>
      (perName.get(f.name) ?? 0) > 1 ? { ...f, name: `${f.name}:${f.architecture}` } : f,
    )
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The bare package name of a possibly arch-qualified name (`libc6:amd64` gives `libc6`). */
export function bareName(name: string): string {
  const colon = name.indexOf(":");
  return colon === -1 ? name : name.slice(0, colon);
}
