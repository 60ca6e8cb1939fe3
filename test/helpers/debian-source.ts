/**
 * Upstream tarballs from Debian's archive for the real-Portage tier: `apt-get source
 * --download-only` with a private apt state (a deb-src list, lists and cache under `cacheDir`),
 * so the host's apt configuration is neither needed nor changed. Several Debian `.orig` tarballs
 * are byte-identical to Gentoo's distfiles (bzip2 1.0.8, sed 4.9, gzip 1.12).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { writeFile } from "./apt-tree.js";

const MIRROR = "http://deb.debian.org/debian";
const KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";

function aptOptions(cacheDir: string): string[] {
  const base = join(cacheDir, "apt-src");
  return [
    "-o", `Dir::Etc::SourceList=${join(base, "sources.list")}`,
    "-o", "Dir::Etc::SourceParts=/nonexistent",
    "-o", `Dir::State::Lists=${join(base, "lists")}`,
    "-o", `Dir::Cache=${join(base, "cache")}`,
    "-o", "APT::Get::Only-Source=true",
    "-o", "APT::Sandbox::User=root",
    "-qq",
  ]; // prettier-ignore
}

/**
 * The path of `<source>_<upstreamVersion>.orig.tar.<ext>` from bookworm, downloaded once into
 * `<cacheDir>/debian-orig/`. Throws when apt cannot fetch it.
 */
export function debianOrigTarball(
  cacheDir: string,
  source: string,
  upstreamVersion: string,
): string {
  const out = join(cacheDir, "debian-orig");
  const prefix = `${source}_${upstreamVersion}.orig.tar.`;
  const found = (): string | undefined =>
    existsSync(out)
      ? readdirSync(out).find((n) => n.startsWith(prefix) && !n.endsWith(".asc"))
      : undefined;
  const have = found();
  if (have !== undefined) return join(out, have);
  const base = join(cacheDir, "apt-src");
  mkdirSync(join(base, "lists", "partial"), { recursive: true });
  mkdirSync(join(base, "cache", "archives", "partial"), { recursive: true });
  writeFile(join(base, "sources.list"), `deb-src [signed-by=${KEYRING}] ${MIRROR} bookworm main\n`);
  const opts = aptOptions(cacheDir);
  execFileSync("apt-get", [...opts, "update"], { stdio: ["ignore", "ignore", "inherit"] });
  const work = join(out, ".download");
  mkdirSync(work, { recursive: true });
  execFileSync("apt-get", [...opts, "source", "--download-only", source], {
    cwd: work,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const name = readdirSync(work).find((n) => n.startsWith(prefix) && !n.endsWith(".asc"));
  if (name === undefined) throw new Error(`apt-get source ${source}: no ${prefix}* downloaded`);
  execFileSync("mv", [join(work, name), join(out, name)]);
  execFileSync("rm", ["-rf", work]);
  return join(out, name);
}
