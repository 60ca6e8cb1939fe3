/**
 * The ebuilds of the real-Portage tier's whole system (issue 13, item 3), written into the
 * generated repository (portage-repo.ts): one ebuild per {@link ResolvedAtom} that installs its
 * Debian packages through `eclass/deb-bin.eclass`, `sys-apps/portage` built with meson from the
 * vendored Portage tarball, and `scripts/bootstrap.sh` (what catalyst's stage2 runs).
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeFile } from "./apt-tree.js";
import type { ResolvedAtom } from "./deb-bin.js";
import type { Distfile } from "./portage-repo.js";

/** A distfile and where the test finds it (to put into DISTDIR). */
export interface LocalDistfile extends Distfile {
  readonly path: string;
}

/** The vendored Portage (its sha256 is checked by seed.sh and again here). */
export const PORTAGE_VERSION = "3.0.82";
export const PORTAGE_SHA256 = "b5b9a6896132a9a4b042d76a75454bf3e621dd8a819cd6a853443a10f1b1142f";

const ECLASS = `# Written for substrate's real-Portage test tier.
# @ECLASS: deb-bin.eclass
# @BLURB: installs the files of Debian binary packages (.deb), as Gentoo's -bin ebuilds do
# @DESCRIPTION:
# Every .deb in A is unpacked into the image (its data.tar member, with owners and modes), then
# /bin, /sbin and /lib* are moved under /usr (23.0 profiles are merged-usr), and documentation
# is dropped. Debian's maintainer scripts are not run: an ebuild does what they would have done.
# The unpacking runs in src_install, as root, so that owners and set-id bits are kept.

case \${EAPI} in
	8) ;;
	*) die "\${ECLASS}: EAPI \${EAPI} unsupported" ;;
esac

EXPORT_FUNCTIONS src_unpack src_install

S="\${WORKDIR}"

# @FUNCTION: deb-bin_multiarch
# @DESCRIPTION: Debian's multiarch triplet of this ARCH.
deb-bin_multiarch() {
	case \${ARCH} in
		amd64) echo x86_64-linux-gnu ;;
		arm) echo arm-linux-gnueabihf ;;
		arm64) echo aarch64-linux-gnu ;;
		*) die "no Debian multiarch name for ARCH=\${ARCH}" ;;
	esac
}

deb-bin_src_unpack() {
	:
}

# @FUNCTION: deb-bin_unpack
# @USAGE: <deb> <dest>
# @DESCRIPTION: Extracts the data.tar member of a .deb (an ar archive) into dest.
deb-bin_unpack() {
	python3 - "$1" "$2" <<'EOF' || die "cannot unpack $1"
import io, sys, tarfile
path, dest = sys.argv[1], sys.argv[2]
with open(path, "rb") as f:
    data = f.read()
if data[:8] != b"!<arch>\\n":
    sys.exit(path + ": not a Debian package")
off = 8
while off + 60 <= len(data):
    name = data[off:off + 16].decode().strip().rstrip("/")
    size = int(data[off + 48:off + 58].decode().strip())
    if name.startswith("data.tar"):
        with tarfile.open(fileobj=io.BytesIO(data[off + 60:off + 60 + size])) as t:
            t.extractall(dest, numeric_owner=True)
        sys.exit(0)
    off += 60 + size + (size & 1)
sys.exit(path + ": no data.tar member")
EOF
}

deb-bin_src_install() {
	local a d
	mkdir -p "\${ED}" || die
	for a in \${A}; do
		[[ \${a} == *.deb ]] && deb-bin_unpack "\${DISTDIR}/\${a}" "\${ED}"
	done
	cd "\${ED}" || die
	for d in bin sbin lib lib32 lib64 libx32; do
		if [[ -d \${d} && ! -L \${d} ]]; then
			mkdir -p "usr/\${d}" && cp -a "\${d}/." "usr/\${d}/" && rm -rf "\${d}" || die
		fi
	done
	rm -rf usr/share/doc usr/share/man usr/share/info usr/share/lintian usr/share/bug \\
		usr/share/locale || die
	cd "\${S}" || die
}
`;

/** The bootstrap catalyst's stage2 runs (`scripts/bootstrap.sh` of the repository). */
const BOOTSTRAP = `#!/bin/bash
# Written for substrate's real-Portage test tier (not Gentoo's bootstrap.sh). A Gentoo stage2
# rebuilds the toolchain here; this tier has no compiler after stage1 (docs/real-portage-tier.md),
# so it re-merges its C library and shell, as the toolchain step would, from binary packages
# when -r is given (catalyst passes -r with pkgcache), and otherwise from the ebuilds.
set -e
opts=(--oneshot)
for a in "$@"; do
	case $a in
		-q|--quiet) opts+=(--quiet) ;;
		-r|--resume) opts+=(--usepkg --buildpkg) ;;
		-p|--pretend) opts+=(--pretend) ;;
		-f|--fetchonly) opts+=(--fetchonly) ;;
		*) echo "bootstrap.sh: unknown option $a" >&2; exit 1 ;;
	esac
done
echo "bootstrap.sh: emerge \${opts[*]} sys-libs/glibc app-shells/bash"
exec emerge "\${opts[@]}" sys-libs/glibc app-shells/bash
`;

function portageEbuild(): string {
  return `# Written for substrate's real-Portage test tier: Portage itself, from its release tarball.
EAPI=8

DESCRIPTION="The package manager (built with meson from upstream's tarball)"
HOMEPAGE="https://wiki.gentoo.org/wiki/Project:Portage"
SRC_URI="https://gitweb.gentoo.org/proj/portage.git/snapshot/\${P}.tar.xz"

LICENSE="GPL-2"
SLOT="0"
KEYWORDS="amd64 arm"
RESTRICT="mirror strip binchecks"

BDEPEND="
	dev-build/meson
	dev-build/ninja
"
RDEPEND="
	app-arch/tar
	app-arch/zstd
	app-shells/bash
	dev-lang/python
	sys-apps/findutils
	sys-apps/sed
"

src_configure() {
	meson setup --prefix="\${EPREFIX}/usr" --sysconfdir="\${EPREFIX}/etc" \\
		-Dnative-extensions=false -Ddoc=false -Drsync-verify=false \\
		"\${WORKDIR}/build" "\${S}" || die
}

src_compile() {
	meson compile -C "\${WORKDIR}/build" || die
}

src_install() {
	DESTDIR="\${D}" meson install -C "\${WORKDIR}/build" --no-rebuild || die
	rm -rf "\${ED}"/usr/share/doc || die
	keepdir /var/lib/portage /var/db/repos /var/cache/distfiles /var/cache/binpkgs
}
`;
}

function atomEbuild(a: ResolvedAtom): string {
  const uris = a.packages.map((p) => `\t${p.uri} -> ${p.distName}`).join("\n");
  const deps = a.deps.map((d) => `\t${d}`).join("\n");
  const lines = [
    "# Generated for substrate's real-Portage test tier from Debian's binary packages:",
    `# ${a.packages.map((p) => `${p.name}=${p.version}`).join(" ") || "(none: a virtual)"}`,
    "EAPI=8",
    "",
    ...(a.packages.length > 0 ? ["inherit deb-bin", ""] : []),
    `DESCRIPTION="${a.description}"`,
    `HOMEPAGE="https://packages.debian.org/bookworm/${a.debs[0] ?? "base-files"}"`,
    ...(a.packages.length > 0 ? [`SRC_URI="\n${uris}\n"`] : []),
    ...(a.packages.length > 0 ? [] : ['S="${WORKDIR}"']),
    "",
    `LICENSE="${a.license}"`,
    'SLOT="0"',
    'KEYWORDS="amd64 arm"',
    `IUSE="${a.iuse ?? ""}"`,
    'RESTRICT="mirror strip binchecks"',
    "",
    ...(deps === "" ? [] : [`RDEPEND="\n${deps}\n"`, ""]),
  ];
  if (a.install !== undefined && a.packages.length > 0)
    lines.push("src_install() {", "\tdeb-bin_src_install", a.install, "}", "");
  if (a.postinst !== undefined) lines.push("pkg_postinst() {", a.postinst, "}", "");
  return lines.join("\n");
}

function distfileOf(path: string, name: string): LocalDistfile {
  const data = readFileSync(path);
  return {
    name,
    path,
    size: data.length,
    blake2b: createHash("blake2b512").update(data).digest("hex"),
    sha512: createHash("sha512").update(data).digest("hex"),
  };
}

/** One ebuild the caller writes with its Manifest. */
export interface GeneratedEbuild {
  readonly atom: string;
  readonly version: string;
  readonly text: string;
  readonly distfiles: readonly LocalDistfile[];
}

/** The ebuilds of `atoms` and sys-apps/portage (from `portageTarball`). */
export function systemEbuilds(
  atoms: readonly ResolvedAtom[],
  portageTarball: string,
): GeneratedEbuild[] {
  const portage = distfileOf(portageTarball, `portage-${PORTAGE_VERSION}.tar.xz`);
  const sha256 = createHash("sha256").update(readFileSync(portageTarball)).digest("hex");
  if (sha256 !== PORTAGE_SHA256)
    throw new Error(`${portageTarball}: sha256 ${sha256}, expected ${PORTAGE_SHA256}`);
  return [
    ...atoms.map((a) => ({
      atom: a.atom,
      version: a.version,
      text: atomEbuild(a),
      distfiles: a.packages.map((p) => distfileOf(p.path, p.distName)),
    })),
    {
      atom: "sys-apps/portage",
      version: PORTAGE_VERSION,
      text: portageEbuild(),
      distfiles: [portage],
    },
  ];
}

/** Writes the eclass and scripts/bootstrap.sh into the repository at `dir`. */
export function writeSystemSupport(dir: string): void {
  writeFile(join(dir, "eclass", "deb-bin.eclass"), ECLASS);
  writeFile(join(dir, "scripts", "bootstrap.sh"), BOOTSTRAP, 0o755);
}

/**
 * The vendored Portage tarball: `PORTAGE_TARBALL`, or `../shared/vendor/` beside the checkout
 * (for a git worktree: beside the main checkout), as seed.sh finds it.
 */
export function portageTarball(repoRoot: string): string {
  const name = `portage-${PORTAGE_VERSION}.tar.xz`;
  const candidates = [
    process.env["PORTAGE_TARBALL"],
    join(repoRoot, "..", "shared", "vendor", name),
  ];
  try {
    const common = execFileSync(
      "git",
      ["-C", repoRoot, "rev-parse", "--path-format=absolute", "--git-common-dir"],
      { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
    ).trim();
    candidates.push(join(dirname(common), "..", "shared", "vendor", name));
  } catch {
    // not a git checkout
  }
  const found = candidates.find((c) => c !== undefined && existsSync(c));
  if (found === undefined) throw new Error(`${name} not found (tried ${candidates.join(", ")})`);
  return found;
}
