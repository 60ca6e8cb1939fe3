// Run by `npm run build` after tsc: records the git commit the build was made from in
// dist/build-info.json, which `substrate --version` reads. Outside a git checkout (a tarball,
// no git) the commit is "unknown"; a checkout with uncommitted changes is marked "-dirty".
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function git(...args) {
  return execFileSync("git", args, {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  }).trim();
}

let commit = "unknown";
try {
  commit = git("rev-parse", "--short=12", "HEAD");
  if (git("status", "--porcelain", "--untracked-files=no") !== "") commit += "-dirty";
} catch {
  // not a git checkout, or no git: "unknown"
}
mkdirSync(join(root, "dist"), { recursive: true });
writeFileSync(join(root, "dist/build-info.json"), JSON.stringify({ commit }) + "\n");
