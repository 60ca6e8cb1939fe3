/**
 * Small apt spec trees for tests that build against Debian's archive: the `substrate.toml` of a
 * bookworm tree and a file writer that makes the folders it needs.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** Writes `text` to `path`, creating its folders. */
export function writeFile(path: string, text: string, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text, { mode });
}

/** The `substrate.toml` of an apt tree named `name` (bookworm, main) building `builds` on amd64. */
export function aptTreeConfig(name: string, builds: readonly string[]): string {
  return `name = "${name}"
driver = "apt"
[apt]
suite = "bookworm"
mirror = "http://deb.debian.org/debian"
components = ["main"]
[arch.amd64]
subarch = "amd64"
builds = [${builds.map((b) => `"${b}"`).join(", ")}]
`;
}
