/**
 * The names of Gentoo's autobuild releases (substrate.md §3): which upstream variant a
 * substrate flavour's seed is, where its clear-signed `latest-stage3-*.txt` pointer lives below
 * a mirror, and what the pointer says. Pure; seeds.ts fetches and verifies.
 */

/**
 * The upstream autobuild variant for a substrate flavour (substrate.md §3): amd64 systemd is
 * `nomultilib-systemd`, desktop flavours `systemd`, arm systemd `systemd`, and the default,
 * minimal and hardfp flavours `openrc`. Anything else is used as written.
 */
export function upstreamVariant(subarch: string, flavour: string): string {
  switch (flavour) {
    case "systemd":
      return subarch === "amd64" ? "nomultilib-systemd" : "systemd";
    case "plasma":
    case "gnome":
      return "systemd";
    case "default":
    case "openrc":
    case "hardfp":
    case "minimal":
      return "openrc";
    default:
      return flavour;
  }
}

/** The pointer file's path below a mirror. */
export function pointerPath(keyword: string, subarch: string, variant: string): string {
  return `releases/${keyword}/autobuilds/latest-stage3-${subarch}-${variant}.txt`;
}

/** One entry of a pointer file. */
export interface PointerEntry {
  /** `<date>/<file>` relative to `releases/<keyword>/autobuilds/`. */
  readonly path: string;
  readonly size?: number;
}

/** Parses the (signed text of a) `latest-stage3-*.txt`: `<path> <size>` lines; `#` lines are comments. */
export function parsePointer(text: string): PointerEntry[] {
  const out: PointerEntry[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("-----") || /^Hash:/i.test(line))
      continue;
    const [path, size] = line.split(/\s+/);
    if (path === undefined || !/^[\w.-]+\/stage3-[\w.-]+\.tar\.\w+$/.test(path)) continue;
    out.push(size !== undefined && /^\d+$/.test(size) ? { path, size: Number(size) } : { path });
  }
  return out;
}
