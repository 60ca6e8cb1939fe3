/**
 * A small ebuild repository for the real-Portage test tier (issue 13, item 2), written by the
 * project: `metadata/layout.conf`, `profiles/` with a parent chain shaped like Gentoo's
 * `default/linux/amd64/23.0/systemd` (base, arch/amd64, features/systemd, default/linux),
 * `licenses/`, and EAPI 8 ebuilds with full Manifests (BLAKE2B and SHA512 for every EBUILD,
 * MISC and DIST entry), which the real Portage verifies before it builds.
 *
 * `app-arch/bzip2` really compiles upstream's bzip2 1.0.8 tarball. Its DIST line is pinned here
 * (not computed from whatever file is at hand), so a tarball that differs is refused by Portage;
 * Debian's `bzip2_1.0.8.orig.tar.gz` is byte-identical to it (see `debian-source.ts`).
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFile } from "./apt-tree.js";
import { type GeneratedEbuild, writeSystemSupport } from "./deb-bin-ebuilds.js";
import { writeArmProfiles } from "./portage-repo-arm.js";

/** A distfile as a Manifest DIST line names it. */
export interface Distfile {
  readonly name: string;
  readonly size: number;
  readonly blake2b: string;
  readonly sha512: string;
}

/** Upstream's bzip2-1.0.8.tar.gz (sourceware), the same bytes as Debian's orig tarball. */
export const BZIP2_DISTFILE: Distfile = {
  name: "bzip2-1.0.8.tar.gz",
  size: 810029,
  blake2b:
    "22ab3acd84f4db8c3d6f59340c252faedfd4447cea00dafbd652e65b6cf8a20adf6835c22e58563004cfafdb15348c924996230b4b23cae42da5e25eeac4bdad",
  sha512:
    "083f5e675d73f3233c7930ebe20425a533feedeaaa9d8cc86831312a6581cefbe6ed0d08d2fa89be81082f2a5abdabca8b3c080bf97218a1bd59dc118a30b9f3",
};

/** Upstream's sha256 of bzip2-1.0.8.tar.gz, as sourceware publishes it (a cross-check). */
export const BZIP2_SHA256 = "ab5a03176ee106d3f0fa90e381da478ddae405918153cca248e682cd0c4a2269";

/** The profile the seed's `make.profile` points at. */
export const PROFILE = "default/linux/amd64/23.0/systemd";

/** Packages of @system (profiles/base/packages) and of packages.build (default/linux). */
export const SYSTEM_PACKAGES = ["sys-apps/baselayout", "app-arch/bzip2"] as const;
export const BUILD_PACKAGES = ["sys-apps/baselayout", "app-arch/bzip2"] as const;

/**
 * With the whole system (deb-bin.ts): packages.build is what a root needs to run emerge, and
 * @system adds login, PAM, kmod and the service manager.
 */
export const FULL_BUILD_PACKAGES = [
  "sys-apps/baselayout",
  "sys-libs/glibc",
  "app-shells/bash",
  "sys-apps/coreutils",
  "sys-apps/sed",
  "sys-apps/grep",
  "sys-apps/findutils",
  "sys-apps/diffutils",
  "sys-apps/gawk",
  "app-arch/tar",
  "app-arch/xz-utils",
  "app-arch/gzip",
  "app-arch/zstd",
  "app-arch/bzip2",
  "dev-lang/python",
  "sys-apps/portage",
] as const;
export const FULL_SYSTEM_PACKAGES = [
  ...FULL_BUILD_PACKAGES,
  "sys-apps/util-linux",
  "sys-libs/pam",
  "sys-apps/shadow",
  "sys-apps/kmod",
  "virtual/service-manager",
] as const;

/** Which files a Manifest lists for one package directory. */
type ManifestKind = "AUX" | "DIST" | "EBUILD" | "MISC";

function digests(data: Buffer): string {
  const b2 = createHash("blake2b512").update(data).digest("hex");
  const sha = createHash("sha512").update(data).digest("hex");
  return `${data.length} BLAKE2B ${b2} SHA512 ${sha}`;
}

/** The digest line part (`<size> BLAKE2B <hex> SHA512 <hex>`) of a file on disk. */
export function fileDigests(path: string): string {
  return digests(readFileSync(path));
}

/** A full (not thin) Manifest for the package directory `dir` with its distfiles. */
export function manifestText(dir: string, distfiles: readonly Distfile[]): string {
  const lines: string[] = [];
  const add = (kind: ManifestKind, name: string, rest: string): void => {
    lines.push(`${kind} ${name} ${rest}`);
  };
  const filesDir = join(dir, "files");
  const walk = (sub: string): void => {
    for (const name of readdirSync(join(filesDir, sub)).sort()) {
      const rel = sub === "" ? name : `${sub}/${name}`;
      if (statSync(join(filesDir, rel)).isDirectory()) walk(rel);
      else add("AUX", rel, fileDigests(join(filesDir, rel)));
    }
  };
  if (readdirSync(dir).includes("files")) walk("");
  for (const d of distfiles)
    add("DIST", d.name, `${d.size} BLAKE2B ${d.blake2b} SHA512 ${d.sha512}`);
  for (const name of readdirSync(dir).sort()) {
    if (name.endsWith(".ebuild")) add("EBUILD", name, fileDigests(join(dir, name)));
    else if (name !== "Manifest" && name !== "files")
      add("MISC", name, fileDigests(join(dir, name)));
  }
  return lines.sort().join("\n") + "\n";
}

const METADATA_XML = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE pkgmetadata SYSTEM "https://www.gentoo.org/dtd/metadata.dtd">
<pkgmetadata>
  <maintainer type="project">
    <name>substrate test tier</name>
  </maintainer>
</pkgmetadata>
`;

const BASELAYOUT = `# Written for substrate's real-Portage test tier; not Gentoo's baselayout.
EAPI=8

DESCRIPTION="Filesystem skeleton of a substrate test system (USE=build: the skeleton only)"
HOMEPAGE="https://wiki.gentoo.org/wiki/Project:Base"
S="\${WORKDIR}"

LICENSE="GPL-2"
SLOT="0"
KEYWORDS="amd64 arm"
IUSE="build split-usr"

src_install() {
	local d
	# dev, proc, run and sys are made in pkg_postinst: they are mount points in a running root.
	for d in boot etc home media mnt opt root srv tmp usr/bin usr/include \\
		usr/lib usr/lib64 usr/sbin usr/share var/cache var/db var/empty var/lib var/log \\
		var/spool var/tmp; do
		keepdir "/\${d}"
	done
	fperms 0700 /root
	fperms 1777 /tmp /var/tmp
	if use split-usr; then
		keepdir /bin /sbin /lib /lib64
	else
		# 23.0 profiles are merged-usr.
		dosym usr/bin /bin
		dosym usr/sbin /sbin
		dosym usr/lib /lib
		dosym usr/lib64 /lib64
	fi
	dosym ../run /var/run

	insinto /etc
	# The accounts every root starts with (Gentoo's baselayout installs them too).
	newins - passwd <<-EOF
		root:x:0:0:root:/root:/bin/bash
		bin:x:1:1:bin:/bin:/sbin/nologin
		daemon:x:2:2:daemon:/sbin:/sbin/nologin
		nobody:x:65534:65534:nobody:/var/empty:/sbin/nologin
		portage:x:250:250:portage:/var/lib/portage/home:/sbin/nologin
	EOF
	newins - group <<-EOF
		root:x:0:
		bin:x:1:
		daemon:x:2:
		sys:x:3:
		adm:x:4:
		tty:x:5:
		disk:x:6:
		lp:x:7:
		mem:x:8:
		kmem:x:9:
		wheel:x:10:root
		utmp:x:406:
		audio:x:18:
		cdrom:x:19:
		video:x:27:
		input:x:97:
		kvm:x:78:
		render:x:28:
		users:x:100:
		nogroup:x:65533:
		nobody:x:65534:
		portage:x:250:portage
	EOF
	newins - shadow <<-EOF
		root:*:10770:0:::::
		bin:*:10770:0:::::
		daemon:*:10770:0:::::
		nobody:*:10770:0:::::
		portage:!:10770:0:::::
	EOF
	fperms 0600 /etc/shadow
	newins - os-release <<-EOF
		NAME="substrate test system"
		ID=gentoo
		PRETTY_NAME="substrate test system (real-Portage tier)"
	EOF
	use build && return

	# A full system also gets the shell and network basics.
	newins - hosts <<-EOF
		127.0.0.1	localhost
		::1		localhost
	EOF
	newins - shells <<-EOF
		/bin/sh
		/bin/bash
	EOF
	newins - profile <<-'EOF'
		[ -e /etc/profile.env ] && . /etc/profile.env
		export PATH="\${PATH:-/usr/sbin:/usr/bin}"
	EOF
	insinto /etc/env.d
	newins - 50baselayout <<-EOF
		PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"
		ROOTPATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"
		MANPATH="/usr/local/share/man:/usr/share/man"
		CONFIG_PROTECT_MASK="/etc/gentoo-release"
	EOF
}

pkg_postinst() {
	local d
	for d in dev proc run sys; do
		[[ -d \${EROOT}/\${d} ]] || mkdir -m 0755 "\${EROOT}/\${d}" || die
	done
}
`;

const BZIP2 = `# Written for substrate's real-Portage test tier: builds upstream's tarball, no eclasses.
EAPI=8

DESCRIPTION="Block-sorting file compressor (upstream tarball, compiled for real)"
HOMEPAGE="https://sourceware.org/bzip2/"
SRC_URI="mirror://sourceware/bzip2/\${P}.tar.gz"

LICENSE="BZIP2"
SLOT="0/1"
KEYWORDS="amd64 arm"
IUSE="static-libs"

libdir() {
	local v="LIBDIR_\${ABI:-none}"
	echo "\${!v:-lib}"
}

src_compile() {
	local cc="\${CC:-gcc}"
	emake -f Makefile-libbz2_so CC="\${cc}" \\
		CFLAGS="\${CFLAGS} -fpic -fPIC -Wall -Winline -D_FILE_OFFSET_BITS=64" all
	emake CC="\${cc}" CFLAGS="\${CFLAGS} -Wall -Winline -D_FILE_OFFSET_BITS=64" \\
		libbz2.a bzip2recover
}

src_install() {
	local l="/usr/$(libdir)"
	dolib.so "libbz2.so.\${PV}"
	dosym "libbz2.so.\${PV}" "\${l}/libbz2.so.1.0"
	dosym "libbz2.so.\${PV}" "\${l}/libbz2.so.1"
	dosym "libbz2.so.\${PV}" "\${l}/libbz2.so"
	use static-libs && dolib.a libbz2.a
	newbin bzip2-shared bzip2
	dobin bzip2recover
	dosym bzip2 /usr/bin/bunzip2
	dosym bzip2 /usr/bin/bzcat
	doheader bzlib.h
	doman bzip2.1
	dodoc README CHANGES
}
`;

interface Ebuild {
  readonly atom: string;
  readonly version: string;
  readonly text: string;
  readonly distfiles: readonly Distfile[];
}

const EBUILDS: readonly Ebuild[] = [
  { atom: "sys-apps/baselayout", version: "2.17", text: BASELAYOUT, distfiles: [] },
  { atom: "app-arch/bzip2", version: "1.0.8", text: BZIP2, distfiles: [BZIP2_DISTFILE] },
];

/** The profile nodes: path under profiles/ → file name → text. */
const PROFILE_NODES: Record<string, Record<string, string>> = {
  base: {
    eapi: "5\n",
    "make.defaults": `# substrate test tier: the base of every profile
USE_EXPAND="ELIBC KERNEL USERLAND"
USE_EXPAND_HIDDEN="ELIBC KERNEL USERLAND"
USE_EXPAND_IMPLICIT="ARCH ELIBC KERNEL USERLAND"
USE_EXPAND_UNPREFIXED="ARCH"
USE_EXPAND_VALUES_ARCH="amd64 arm"
USE_EXPAND_VALUES_ELIBC="glibc musl"
USE_EXPAND_VALUES_KERNEL="linux"
USE_EXPAND_VALUES_USERLAND="GNU"
IUSE_IMPLICIT="prefix prefix-guest prefix-stack"
PROFILE_ONLY_VARIABLES="ARCH ELIBC IUSE_IMPLICIT KERNEL USERLAND USE_EXPAND_IMPLICIT USE_EXPAND_UNPREFIXED USE_EXPAND_VALUES_ARCH USE_EXPAND_VALUES_ELIBC USE_EXPAND_VALUES_KERNEL USE_EXPAND_VALUES_USERLAND"
CONFIG_PROTECT="/etc"
CONFIG_PROTECT_MASK="/etc/env.d /etc/gentoo-release"
`,
    "package.use": "app-arch/bzip2 -static-libs\n",
    "use.mask":
      "# systemd is unmasked by features/systemd\nsystemd\nprefix\nprefix-guest\nprefix-stack\n",
  },
  "arch/base": {
    eapi: "5\n",
    "use.mask": "# arch flags are unmasked by each arch\namd64\narm\n",
  },
  "arch/amd64": {
    eapi: "5\n",
    parent: "../base\n",
    "make.defaults": `ARCH="amd64"
ACCEPT_KEYWORDS="amd64"
CHOST="x86_64-pc-linux-gnu"
CHOST_amd64="x86_64-pc-linux-gnu"
CFLAGS="-O2 -pipe"
CXXFLAGS="\${CFLAGS}"
LDFLAGS="-Wl,-O1 -Wl,--as-needed"
ABI="amd64"
DEFAULT_ABI="amd64"
MULTILIB_ABIS="amd64"
LIBDIR_amd64="lib64"
`,
    "use.mask": "-amd64\n",
  },
  "default/linux": {
    eapi: "5\n",
    parent: "../../base\n",
    "make.defaults": 'ELIBC="glibc"\nKERNEL="linux"\nUSERLAND="GNU"\n',
  },
  "default/linux/amd64/23.0": {
    eapi: "5\n",
    parent: "../..\n../../../../arch/amd64\n",
  },
  "features/systemd": {
    eapi: "5\n",
    "make.defaults": 'USE="systemd"\n',
    packages: "# the service manager itself is not part of this small tier\n",
    "package.use": "sys-apps/baselayout -split-usr\n",
    "use.mask": "-systemd\n",
  },
  "default/linux/amd64/23.0/systemd": {
    eapi: "5\n",
    parent: "..\n../../../../../features/systemd\n",
  },
  // amd64 has no other ABI in this tier: no-multilib is the same chain under its own name.
  "default/linux/amd64/23.0/no-multilib": {
    eapi: "5\n",
    parent: "..\n",
  },
  "default/linux/amd64/23.0/no-multilib/systemd": {
    eapi: "5\n",
    parent: "..\n../../../../../../features/systemd\n",
  },
};

const LICENSE_GROUPS = `# substrate test tier (the shape of Gentoo's profiles/license_groups)
GPL-COMPATIBLE Apache-2.0 GPL-2 GPL-2+ GPL-3+ LGPL-2 LGPL-2.1 LGPL-2.1+ public-domain
FSF-APPROVED @GPL-COMPATIBLE ISC
OSI-APPROVED GPL-2 BZIP2 BSD PSF-2
FREE-SOFTWARE @FSF-APPROVED @OSI-APPROVED metapackage
FREE-DOCUMENTS
EULA all-rights-reserved
FREE @FREE-SOFTWARE @FREE-DOCUMENTS
BINARY-REDISTRIBUTABLE @FREE linux-fw-redistributable no-source-code
`;

const LICENSES: Record<string, string> = {
  "GPL-2":
    "GNU General Public License, version 2.\nFull text: https://www.gnu.org/licenses/old-licenses/gpl-2.0.txt\n",
  BZIP2: "The bzip2 licence (a BSD-style licence), as shipped in bzip2's LICENSE file.\n",
  "all-rights-reserved": "No permission is granted beyond what the law allows (an EULA).\n",
  "linux-fw-redistributable":
    "Firmware that may be redistributed in binary form only (not @FREE).\n",
  "no-source-code": "Distributed without its source code (not @FREE).\n",
  "GPL-2+": "GNU General Public License, version 2 or later.\n",
  "GPL-3+": "GNU General Public License, version 3 or later.\n",
  "LGPL-2": "GNU Library General Public License, version 2.\n",
  "LGPL-2.1": "GNU Lesser General Public License, version 2.1.\n",
  "LGPL-2.1+": "GNU Lesser General Public License, version 2.1 or later.\n",
  "public-domain": "Placed in the public domain.\n",
  BSD: "A BSD-style licence.\n",
  ISC: "The ISC licence.\n",
  "Apache-2.0": "The Apache License, version 2.0.\n",
  "PSF-2": "The Python Software Foundation licence, version 2.\n",
  metapackage: "Installs no files of its own.\n",
};

/** What `writeEbuildRepo` made. */
export interface EbuildRepo {
  readonly dir: string;
  readonly profile: string;
  /** `<cat>/<pn>-<pv>` of every ebuild. */
  readonly packages: readonly string[];
  /** The distfiles the ebuilds need (to be placed in DISTDIR under these names). */
  readonly distfiles: readonly Distfile[];
}

/** What `writeEbuildRepo` adds to the two packages of stage1. */
export interface RepoOptions {
  /** The whole system (deb-bin-ebuilds.ts `systemEbuilds`): packages.build and @system grow. */
  readonly system?: readonly GeneratedEbuild[];
}

/** Writes the repository (repo name `gentoo`) into `dir`, which should be empty. */
export function writeEbuildRepo(dir: string, opts: RepoOptions = {}): EbuildRepo {
  const system = opts.system ?? [];
  const full = system.length > 0;
  const ebuilds: readonly Ebuild[] = [...EBUILDS, ...system];
  writeFile(
    join(dir, "metadata/layout.conf"),
    `repo-name = gentoo
masters =
thin-manifests = false
sign-manifests = false
manifest-hashes = BLAKE2B SHA512
manifest-required-hashes = BLAKE2B SHA512
profile-formats = portage-2
`,
  );
  writeFile(join(dir, "profiles/repo_name"), "gentoo\n");
  writeFile(join(dir, "profiles/arch.list"), "amd64\narm\n");
  writeFile(
    join(dir, "profiles/profiles.desc"),
    `amd64\t${PROFILE}\tstable\namd64\tdefault/linux/amd64/23.0/no-multilib/systemd\tstable\n`,
  );
  writeFile(
    join(dir, "profiles/thirdpartymirrors"),
    "sourceware\thttps://sourceware.org/pub https://mirrors.kernel.org/sourceware\n",
  );
  writeFile(join(dir, "profiles/license_groups"), LICENSE_GROUPS);
  writeFile(
    join(dir, "profiles/use.desc"),
    "build - Install only what a new system's first stage needs\nsplit-usr - Keep /bin, /sbin and /lib apart from /usr\nstatic-libs - Install static libraries\nsystemd - Support systemd\n",
  );
  const categories = new Set<string>();
  for (const e of ebuilds) categories.add(e.atom.split("/")[0] ?? "");
  writeFile(join(dir, "profiles/categories"), [...categories].sort().join("\n") + "\n");
  for (const [node, files] of Object.entries(PROFILE_NODES)) {
    for (const [name, text] of Object.entries(files))
      writeFile(join(dir, "profiles", node, name), text);
  }
  const sys = full ? FULL_SYSTEM_PACKAGES : SYSTEM_PACKAGES;
  const build = full ? FULL_BUILD_PACKAGES : BUILD_PACKAGES;
  writeFile(join(dir, "profiles/base/packages"), sys.map((p) => `*${p}`).join("\n") + "\n");
  writeFile(join(dir, "profiles/default/linux/packages.build"), build.join("\n") + "\n");
  if (full) writeSystemSupport(dir);
  for (const [name, text] of Object.entries(LICENSES)) writeFile(join(dir, "licenses", name), text);
  writeArmProfiles(dir);
  const packages: string[] = [];
  const distfiles: Distfile[] = [];
  for (const e of ebuilds) {
    const pkgDir = join(dir, e.atom);
    const pn = e.atom.split("/")[1] ?? "";
    writeFile(join(pkgDir, `${pn}-${e.version}.ebuild`), e.text);
    writeFile(join(pkgDir, "metadata.xml"), METADATA_XML);
    writeFile(join(pkgDir, "Manifest"), manifestText(pkgDir, e.distfiles));
    packages.push(`${e.atom}-${e.version}`);
    distfiles.push(...e.distfiles);
  }
  return { dir, profile: PROFILE, packages, distfiles };
}
