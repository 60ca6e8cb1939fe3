/**
 * Debian's binary packages as the real-Portage tier's system (issue 13, item 3): no Gentoo
 * mirror is reachable here and a real toolchain bootstrap is out of reach on this machine, so
 * each Gentoo atom a stage needs (sys-libs/glibc, sys-apps/systemd, sys-kernel/gentoo-kernel,
 * ...) gets an ebuild, written by the project, that installs the files of a set of Debian
 * packages, as Gentoo's own `-bin` ebuilds install upstream's binaries. Portage fetches nothing
 * (the `.deb`s are in DISTDIR), checks every `.deb` against the Manifest's BLAKE2B and SHA512,
 * unpacks it, merges it into the VDB and makes binary packages of it like any other package.
 *
 * Which `.deb`s belong to which atom is worked out here, against Debian's archive, with apt in a
 * private state (nothing of the host's apt is read or changed): apt resolves every atom's root
 * packages at once (Recommends off); each root package belongs to its atom, and every other
 * package to the first atom (in list order) whose packages reach it through
 * `Depends`/`Pre-Depends`. An atom depends on the earlier atoms that own what its packages
 * depend on (so the graph has no cycles). The `.deb`s are downloaded once into the tier's cache
 * and checked against the sha256 the archive's signed index gives (see {@link resolveBinAtoms}).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeFile } from "./apt-tree.js";

const MIRROR = "http://deb.debian.org/debian";
const KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";

/** One Gentoo atom made of Debian packages. */
export interface BinAtom {
  readonly atom: string;
  /** The Debian packages that define it (their dependencies come too). */
  readonly debs: readonly string[];
  readonly description: string;
  readonly license: string;
  /** Extra `src_install` lines, after the files are in place (bash, tab-indented). */
  readonly install?: string;
  /** `pkg_postinst` lines. */
  readonly postinst?: string;
  /** Extra IUSE flags (USE the driver sets, such as the kernel's `initramfs`). */
  readonly iuse?: string;
}

/** Debian packages that no atom installs: baselayout stands for them. */
const PROVIDED_BY_BASELAYOUT = new Set(["base-files", "base-passwd"]);

const PAM_COMMON: Record<string, string> = {
  "common-auth":
    "auth\t[success=1 default=ignore]\tpam_unix.so nullok\nauth\trequisite\tpam_deny.so\nauth\trequired\tpam_permit.so\n",
  "common-account":
    "account\t[success=1 new_authtok_reqd=done default=ignore]\tpam_unix.so\naccount\trequisite\tpam_deny.so\naccount\trequired\tpam_permit.so\n",
  "common-password":
    "password\t[success=1 default=ignore]\tpam_unix.so obscure yescrypt\npassword\trequisite\tpam_deny.so\npassword\trequired\tpam_permit.so\n",
  "common-session":
    "session\t[default=1]\tpam_permit.so\nsession\trequisite\tpam_deny.so\nsession\trequired\tpam_permit.so\nsession\trequired\tpam_unix.so\nsession\toptional\tpam_systemd.so\n",
  "common-session-noninteractive":
    "session\t[default=1]\tpam_permit.so\nsession\trequisite\tpam_deny.so\nsession\trequired\tpam_permit.so\nsession\trequired\tpam_unix.so\n",
};

function pamInstall(): string {
  return Object.entries(PAM_COMMON)
    .map(
      ([name, text]) =>
        `\tprintf '${text.replace(/\t/g, "\\t").replace(/\n/g, "\\n")}' > "\${ED}/etc/pam.d/${name}" || die`,
    )
    .join("\n");
}

/**
 * The atoms, in dependency order (a later atom may depend on an earlier one, never the
 * reverse). `packages.build` and @system are made of the first ones.
 */
export const BIN_ATOMS: readonly BinAtom[] = [
  {
    atom: "sys-libs/glibc",
    debs: ["libc6", "libc-bin"],
    description: "The GNU C library (Debian's build)",
    license: "LGPL-2.1+",
    install: [
      "\tinsinto /etc/env.d",
      "\tnewins - 00debian-multiarch <<-EOF",
      '\t\tLDPATH="/usr/local/lib/$(deb-bin_multiarch):/usr/lib/$(deb-bin_multiarch)"',
      "\tEOF",
      "\tinsinto /etc",
      "\tnewins - nsswitch.conf <<-EOF",
      "\t\tpasswd: files systemd",
      "\t\tgroup: files systemd",
      "\t\tshadow: files",
      "\t\thosts: files dns",
      "\t\tnetworks: files",
      "\t\tprotocols: files",
      "\t\tservices: files",
      "\tEOF",
    ].join("\n"),
  },
  {
    atom: "app-shells/bash",
    debs: ["bash"],
    description: "The GNU Bourne-Again SHell (Debian's build), also /bin/sh",
    license: "GPL-3+",
    install: "\tdosym bash /usr/bin/sh",
  },
  {
    atom: "sys-apps/coreutils",
    debs: ["coreutils"],
    description: "GNU core utilities",
    license: "GPL-3+",
  },
  { atom: "sys-apps/sed", debs: ["sed"], description: "GNU sed", license: "GPL-3+" },
  { atom: "sys-apps/grep", debs: ["grep"], description: "GNU grep", license: "GPL-3+" },
  {
    atom: "sys-apps/findutils",
    debs: ["findutils"],
    description: "GNU find and xargs",
    license: "GPL-3+",
  },
  { atom: "sys-apps/diffutils", debs: ["diffutils"], description: "GNU diff", license: "GPL-3+" },
  {
    atom: "sys-apps/gawk",
    debs: ["gawk"],
    description: "GNU awk, also /usr/bin/awk",
    license: "GPL-3+",
    install: "\tdosym gawk /usr/bin/awk",
  },
  {
    atom: "app-arch/tar",
    debs: ["tar"],
    description: "GNU tar, also gtar (Portage unpacks with gtar)",
    license: "GPL-3+",
    install: "\tdosym tar /usr/bin/gtar",
  },
  { atom: "app-arch/xz-utils", debs: ["xz-utils"], description: "xz", license: "public-domain" },
  { atom: "app-arch/gzip", debs: ["gzip"], description: "GNU gzip", license: "GPL-3+" },
  { atom: "app-arch/zstd", debs: ["zstd"], description: "zstd (binary packages)", license: "BSD" },
  {
    atom: "dev-lang/python",
    debs: ["python3", "python-is-python3"],
    description: "Python 3 (Debian's build), also /usr/bin/python",
    license: "PSF-2",
  },
  {
    atom: "dev-build/ninja",
    debs: ["ninja-build"],
    description: "ninja (builds sys-apps/portage)",
    license: "Apache-2.0",
  },
  {
    atom: "dev-build/meson",
    debs: ["meson"],
    description: "meson (builds sys-apps/portage)",
    license: "Apache-2.0",
  },
  {
    atom: "sys-apps/util-linux",
    debs: ["util-linux", "mount"],
    description: "util-linux (mount, agetty, ...)",
    license: "GPL-2",
  },
  {
    atom: "sys-libs/pam",
    debs: ["libpam-modules", "libpam-runtime"],
    description: "Linux-PAM with the common-* stacks pam-auth-update would write",
    license: "BSD",
    install: ['\tmkdir -p "${ED}/etc/pam.d" || die', pamInstall()].join("\n"),
  },
  {
    atom: "sys-apps/shadow",
    debs: ["login", "passwd"],
    description: "login, passwd and the shadow tools",
    license: "BSD",
  },
  {
    atom: "sys-apps/kmod",
    debs: ["kmod"],
    description: "kmod (modprobe, depmod)",
    license: "LGPL-2",
  },
  {
    atom: "sys-apps/systemd",
    debs: [
      "systemd",
      "systemd-sysv",
      "udev",
      "dbus",
      "libnss-systemd",
      "libpam-systemd",
      "systemd-boot-efi",
    ],
    description: "systemd, udev and systemd-boot (Debian's build)",
    license: "GPL-2 LGPL-2.1",
    iuse: "boot",
    postinst: [
      "\tif command -v systemd-sysusers >/dev/null; then",
      '\t\tsystemd-sysusers --root="${EROOT:-/}" || ewarn "systemd-sysusers failed"',
      "\tfi",
    ].join("\n"),
  },
  {
    atom: "virtual/service-manager",
    debs: [],
    description: "The service manager (systemd)",
    license: "metapackage",
  },
  {
    atom: "sys-kernel/dracut",
    debs: ["dracut", "dracut-live"],
    description: "dracut, with its live (dmsquash-live) modules",
    license: "GPL-2",
  },
  {
    atom: "sys-kernel/gentoo-kernel",
    debs: ["linux-image-amd64"],
    description:
      "A distribution kernel: Debian's prebuilt kernel, as catalyst's dist-kernel path installs one",
    license: "GPL-2",
    iuse: "initramfs",
    // Drivers no test machine has; keeps the live payload small.
    install: [
      "\tlocal m",
      '\tfor m in "${ED}"/usr/lib/modules/*/kernel; do',
      '\t\trm -rf "${m}"/sound "${m}"/drivers/{gpu,media,infiniband,staging,bluetooth,net/wireless,isdn} "${m}"/net/{wireless,bluetooth,mac80211} || die',
      "\tdone",
    ].join("\n"),
    postinst: [
      "\tlocal v",
      '\tfor v in "${EROOT}"/usr/lib/modules/*; do',
      '\t\t[[ -d ${v}/kernel ]] && depmod -b "${EROOT:-/}" "${v##*/}"',
      "\tdone",
    ].join("\n"),
  },
  {
    atom: "sys-kernel/linux-firmware",
    debs: ["firmware-linux-free"],
    description: "Firmware blobs (redistributable in binary form only)",
    license: "linux-fw-redistributable no-source-code",
  },
  { atom: "app-admin/sudo", debs: ["sudo"], description: "sudo", license: "ISC" },
  { atom: "app-editors/nano", debs: ["nano"], description: "GNU nano", license: "GPL-3+" },
  {
    atom: "sys-fs/btrfs-progs",
    debs: ["btrfs-progs"],
    description: "btrfs tools",
    license: "GPL-2",
  },
  { atom: "sys-fs/dosfstools", debs: ["dosfstools"], description: "FAT tools", license: "GPL-3+" },
  { atom: "sys-apps/kexec-tools", debs: ["kexec-tools"], description: "kexec", license: "GPL-2" },
  { atom: "sys-apps/usbutils", debs: ["usbutils"], description: "lsusb", license: "GPL-2+" },
  {
    atom: "sys-boot/efibootmgr",
    debs: ["efibootmgr"],
    description: "efibootmgr",
    license: "GPL-2+",
  },
  { atom: "sys-apps/busybox", debs: ["busybox"], description: "BusyBox", license: "GPL-2" },
  {
    atom: "sys-apps/kbd",
    debs: ["kbd"],
    description: "Console keymaps and fonts",
    license: "GPL-2+",
  },
];

/** Atoms that are virtuals: their only dependency is named here. */
const VIRTUALS: Readonly<Record<string, string>> = {
  "virtual/service-manager": "sys-apps/systemd",
};

/** One `.deb` of the resolved set. */
export interface Deb {
  readonly name: string;
  readonly version: string;
  readonly uri: string;
  readonly sha256: string;
  readonly size: number;
  /** The file in the tier's `.deb` cache. */
  readonly path: string;
  /** Its DISTDIR name. */
  readonly distName: string;
  readonly depends: readonly string[][];
}

/** An atom with its packages and the earlier atoms it depends on. */
export interface ResolvedAtom extends BinAtom {
  readonly version: string;
  readonly packages: readonly Deb[];
  readonly deps: readonly string[];
}

function aptOptions(state: string, arch: string): string[] {
  return [
    "-o", `Dir::Etc::SourceList=${join(state, "sources.list")}`,
    "-o", `Dir::Etc::SourceParts=${join(state, "sources.list.d")}`,
    "-o", `Dir::Etc::Preferences=${join(state, "preferences")}`,
    "-o", `Dir::Etc::PreferencesParts=${join(state, "sources.list.d")}`,
    "-o", `Dir::State=${join(state, "state")}`,
    "-o", `Dir::State::status=${join(state, "status")}`,
    "-o", `Dir::Cache=${join(state, "cache")}`,
    "-o", `APT::Architecture=${arch}`,
    "-o", `APT::Architectures=${arch}`,
    "-o", "APT::Install-Recommends=false",
    "-o", "APT::Sandbox::User=root",
    "-o", "Debug::NoLocking=true",
    "-qq",
  ]; // prettier-ignore
}

/** A Gentoo version from a Debian one: the leading dotted numbers of the upstream part. */
export function gentooVersion(debian: string): string {
  const upstream = debian.replace(/^\d+:/, "");
  return /^\d+(\.\d+)*/.exec(upstream)?.[0] ?? "0";
}

/** `Depends` parsed to alternatives of package names (versions and arch qualifiers dropped). */
export function parseDepends(field: string): string[][] {
  return field
    .split(",")
    .map((clause) =>
      clause
        .split("|")
        .map((alt) =>
          alt
            .trim()
            .replace(/\s*\(.*\)$/, "")
            .replace(/:\w+$/, ""),
        )
        .filter((n) => n !== ""),
    )
    .filter((alts) => alts.length > 0);
}

function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/**
 * Resolves {@link BIN_ATOMS} against bookworm for `arch` (apt's name: amd64, armhf) and
 * downloads their `.deb`s into `<cacheDir>/deb-bin/<arch>/`. apt resolves every atom's root
 * packages at once (one consistent choice among alternatives); each root package belongs to its
 * atom, and every other package to the first atom (in order) whose packages reach it through
 * `Depends`/`Pre-Depends`. The result is cached for the day under `<cacheDir>/deb-bin/`. Throws
 * on any apt failure or a `.deb` whose sha256 is not the archive's.
 */
export function resolveBinAtoms(
  cacheDir: string,
  arch = "amd64",
  atoms: readonly BinAtom[] = BIN_ATOMS,
): ResolvedAtom[] {
  const state = join(cacheDir, "deb-bin", `apt-${arch}`);
  const debDir = join(cacheDir, "deb-bin", arch);
  for (const d of ["state/lists/partial", "cache/archives/partial", "sources.list.d"])
    mkdirSync(join(state, d), { recursive: true });
  mkdirSync(debDir, { recursive: true });
  const today = new Date().toISOString().slice(0, 10);
  const key = createHash("sha256")
    .update(JSON.stringify({ arch, atoms, today, v: 2 }))
    .digest("hex")
    .slice(0, 16);
  const record = join(cacheDir, "deb-bin", `resolved-${arch}-${key}.json`);
  if (existsSync(record)) {
    const cached = JSON.parse(readFileSync(record, "utf8")) as ResolvedAtom[];
    if (cached.every((a) => a.packages.every((p) => existsSync(p.path)))) return cached;
  }
  writeFile(join(state, "sources.list"), `deb [signed-by=${KEYRING}] ${MIRROR} bookworm main\n`);
  writeFileSync(join(state, "status"), "");
  const opts = aptOptions(state, arch);
  execFileSync("apt-get", [...opts, "update"], { stdio: ["ignore", "ignore", "inherit"] });
  const roots = atoms.flatMap((a) => a.debs);
  const sim = execFileSync("apt-get", [...opts, "-s", "install", ...roots], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  const wanted: { name: string; version: string }[] = [];
  for (const line of sim.split("\n")) {
    const m = /^Inst (\S+) \((\S+) /.exec(line);
    if (m !== null && !PROVIDED_BY_BASELAYOUT.has(m[1] ?? ""))
      wanted.push({ name: m[1] ?? "", version: m[2] ?? "" });
  }
  const debs = new Map(download(opts, debDir, wanted).map((d) => [d.name, d]));
  const owner = new Map<string, string>();
  for (const p of PROVIDED_BY_BASELAYOUT) owner.set(p, "sys-apps/baselayout");
  for (const a of atoms) for (const d of a.debs) if (!owner.has(d)) owner.set(d, a.atom);
  /** The installed package a dependency clause is met by (apt's choice among alternatives). */
  const meets = (alts: readonly string[]): string | undefined =>
    alts.find((n) => debs.has(n) || PROVIDED_BY_BASELAYOUT.has(n));
  const mine = new Map<string, Deb[]>();
  for (const a of atoms) {
    const queue = a.debs.filter((d) => owner.get(d) === a.atom);
    const list: Deb[] = [];
    for (let i = 0; i < queue.length; i++) {
      const d = debs.get(queue[i] ?? "");
      if (d === undefined) continue;
      list.push(d);
      for (const alts of d.depends) {
        const n = meets(alts);
        if (n !== undefined && !owner.has(n)) {
          owner.set(n, a.atom);
          queue.push(n);
        }
      }
    }
    mine.set(a.atom, list);
  }
  const order = atoms.map((a) => a.atom);
  const out = atoms.map((a, i): ResolvedAtom => {
    const packages = mine.get(a.atom) ?? [];
    const earlier = new Set(order.slice(0, i));
    const deps = new Set<string>();
    for (const d of packages) {
      for (const alts of d.depends) {
        const o = owner.get(meets(alts) ?? "");
        if (o !== undefined && earlier.has(o) && o !== "sys-apps/baselayout") deps.add(o);
      }
    }
    const v = VIRTUALS[a.atom];
    if (v !== undefined) deps.add(v);
    const first = packages.find((p) => p.name === a.debs[0]) ?? packages[0];
    return {
      ...a,
      packages,
      deps: [...deps].sort(),
      version: first === undefined ? "1" : gentooVersion(first.version),
    };
  });
  writeFileSync(record, JSON.stringify(out));
  return out;
}

function download(
  opts: string[],
  debDir: string,
  wanted: { name: string; version: string }[],
): Deb[] {
  const spec = wanted.map((w) => `${w.name}=${w.version}`);
  // From an empty folder: apt leaves out what is already in the current one.
  const empty = join(debDir, "..", ".print-uris");
  mkdirSync(empty, { recursive: true });
  const uris = execFileSync("apt-get", [...opts, "download", "--print-uris", ...spec], {
    encoding: "utf8",
    cwd: empty,
    maxBuffer: 64 << 20,
  });
  const byName = new Map<string, { uri: string; file: string; size: number; sha256: string }>();
  for (const line of uris.split("\n")) {
    const m = /^'([^']+)' (\S+) (\d+) SHA256:([0-9a-f]{64})$/.exec(line.trim());
    if (m === null) continue;
    const [, uri = "", file = "", size = "0", sha256 = ""] = m;
    byName.set(file.split("_")[0] ?? "", { uri, file, size: Number(size), sha256 });
  }
  const missing = wanted.filter((w) => {
    const u = byName.get(w.name);
    return u === undefined || !existsSync(join(debDir, distName(u.file)));
  });
  if (missing.length > 0) {
    execFileSync(
      "apt-get",
      [...opts, "download", ...missing.map((w) => `${w.name}=${w.version}`)],
      {
        cwd: debDir,
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
  }
  return wanted.map((w) => {
    const u = byName.get(w.name);
    if (u === undefined)
      throw new Error(`apt-get download --print-uris named no file for ${w.name}`);
    const dist = distName(u.file);
    const path = join(debDir, dist);
    if (!existsSync(path)) renameSync(join(debDir, u.file), path);
    const actual = sha256File(path);
    if (actual !== u.sha256)
      throw new Error(`${path}: sha256 ${actual}, the archive says ${u.sha256}`);
    const control = execFileSync("dpkg-deb", ["-f", path, "Depends", "Pre-Depends"], {
      encoding: "utf8",
    });
    const fields = control
      .split("\n")
      .map((l) => l.replace(/^(Pre-)?Depends:\s*/, ""))
      .join(",");
    return {
      name: w.name,
      version: w.version,
      uri: u.uri,
      sha256: u.sha256,
      size: u.size,
      path,
      distName: dist,
      depends: parseDepends(fields),
    };
  });
}

/** apt's file name without the epoch's `%3a` (DISTDIR names stay plain). */
function distName(file: string): string {
  return file.replace(/_\d+%3a/, "_");
}
