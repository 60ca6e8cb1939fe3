#!/usr/bin/env node
// Writes the real-Portage tier's ebuild repository and its distfiles (issue 13, item 2).
//   node scripts/portage-tier/write-repo.mjs REPO_DIR DISTDIR [CACHE_DIR]
// REPO_DIR gets the repository (test/helpers/portage-repo.ts); DISTDIR gets every distfile
// under its Gentoo name, taken from Debian's archive (test/helpers/debian-source.ts, cached in
// CACHE_DIR, default /var/cache/substrate/portage-tier). Needs `npm run build` first.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { BZIP2_SHA256, writeEbuildRepo } from "../../dist/test/helpers/portage-repo.js";
import { debianOrigTarball } from "../../dist/test/helpers/debian-source.js";

const [repoDir, distDir, cacheDir = "/var/cache/substrate/portage-tier"] = process.argv.slice(2);
if (repoDir === undefined || distDir === undefined) {
  console.error("usage: write-repo.mjs REPO_DIR DISTDIR [CACHE_DIR]");
  process.exit(2);
}
const repo = writeEbuildRepo(repoDir);
mkdirSync(distDir, { recursive: true });
const orig = debianOrigTarball(cacheDir, "bzip2", "1.0.8");
const sha256 = createHash("sha256").update(readFileSync(orig)).digest("hex");
if (sha256 !== BZIP2_SHA256) {
  console.error(`${orig}: sha256 ${sha256}, upstream's bzip2-1.0.8.tar.gz is ${BZIP2_SHA256}`);
  process.exit(1);
}
copyFileSync(orig, join(distDir, "bzip2-1.0.8.tar.gz"));
console.log(
  JSON.stringify({
    repo: repo.dir,
    profile: repo.profile,
    packages: repo.packages,
    distdir: distDir,
  }),
);
