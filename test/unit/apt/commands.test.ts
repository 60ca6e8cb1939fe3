/** The mmdebstrap and apt-get command lines the apt driver runs, and the parsing of apt's output. */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  autoremoveArgv,
  checkPackageNames,
  debFileName,
  downloadArgv,
  installFromCacheArgv,
  parseSimulatedInstall,
  purgeArgv,
} from "../../../src/drivers/apt/apt-get.js";
import { DEFAULT_APT_SETTINGS, resolveAptOptions } from "../../../src/drivers/apt/apt-options.js";
import { ARCHIVES_ENV, KEYRING_ENV, mmdebstrapArgv } from "../../../src/drivers/apt/mmdebstrap.js";
import {
  downloadScript,
  simulateScript,
  unpackScript,
} from "../../../src/drivers/apt/merge-root.js";

const options = (() => {
  const r = resolveAptOptions(DEFAULT_APT_SETTINGS, {});
  if (!r.ok) throw new Error("defaults must resolve");
  return r.value;
})();

void test("mmdebstrap: variant, components, keyring, packages, suite, root and mirror in order", () => {
  const argv = mmdebstrapArgv({
    options: { ...options, components: ["main", "contrib"] },
    root: "/work/root",
    packages: ["systemd-sysv", "less"],
    hookDirs: ["/usr/share/mmdebstrap/hooks/maybe-merged-usr"],
  });
  assert.equal(argv[0], "mmdebstrap");
  assert.ok(argv.includes("--variant=minbase"));
  assert.ok(argv.includes("--components=main,contrib"));
  assert.ok(argv.includes("--keyring=/usr/share/keyrings/debian-archive-keyring.gpg"));
  assert.ok(argv.includes("--include=systemd-sysv,less"));
  assert.ok(argv.includes("--hook-dir=/usr/share/mmdebstrap/hooks/maybe-merged-usr"));
  assert.deepEqual(argv.slice(-3), ["bookworm", "/work/root", "http://deb.debian.org/debian"]);
  // never skips signature checks
  assert.ok(!argv.some((a) => /no-check-gpg|trusted=yes|AllowInsecure/i.test(a)));
  // the cache path comes from the environment, not pasted into shell text
  const setup = argv.find((a) => a.startsWith("--setup-hook="));
  assert.ok(setup?.includes(`"$${ARCHIVES_ENV}"`));
  assert.ok(!argv.join(" ").includes("/var/cache/substrate"));
  // the mount is gone before mmdebstrap's cleanup empties the archive folder
  const hooks = argv.filter((a) => a.startsWith("--customize-hook="));
  assert.match(hooks[0] ?? "", /umount "\$1\/var\/cache\/apt\/archives"/);
  assert.match(hooks[1] ?? "", /99mmdebstrap/);
  // the build host's name and resolver, which mmdebstrap copies in, do not stay in the stage
  assert.match(hooks[1] ?? "", /"\$1\/etc\/hostname" "\$1\/etc\/resolv\.conf"/);
  assert.ok(argv.includes("--skip=essential/unlink,cleanup/apt/lists"));
});

void test("mmdebstrap: no --include without packages, no --keyring without a keyring", () => {
  const noKeyring = { ...options };
  delete (noKeyring as { keyring?: string }).keyring;
  const argv = mmdebstrapArgv({ options: noKeyring, root: "/r", packages: [], hookDirs: [] });
  assert.ok(!argv.some((a) => a.startsWith("--include") || a.startsWith("--keyring")));
});

void test("apt-get: non-interactive, unsafe I/O on the command line only, Recommends as asked", () => {
  const argv = installFromCacheArgv({ recommends: false }, ["less"]);
  assert.deepEqual(argv.slice(0, 1), ["apt-get"]);
  assert.deepEqual(argv.slice(-3), ["-y", "install", "less"]);
  assert.ok(argv.includes("Dpkg::Options::=--force-unsafe-io"));
  assert.ok(argv.includes("APT::Install-Recommends=false"));
  assert.ok(argv.includes("APT::Keep-Downloaded-Packages=true"));
  assert.ok(
    installFromCacheArgv({ recommends: true }, ["less"]).includes("APT::Install-Recommends=true"),
  );
  // The split install: download under the cache lock, then install from the cache, no download.
  assert.deepEqual(downloadArgv({ recommends: false }, ["less"]).slice(-4), [
    "-y",
    "--download-only",
    "install",
    "less",
  ]);
  const fromCache = installFromCacheArgv({ recommends: false }, ["less"]);
  assert.ok(fromCache.includes("APT::Get::Download=false"));
  assert.ok(fromCache.includes("Debug::NoLocking=true"));
  assert.deepEqual(fromCache.slice(-3), ["-y", "install", "less"]);
  assert.deepEqual(purgeArgv({ recommends: false }, ["a", "b"]).slice(-4), [
    "-y",
    "purge",
    "a",
    "b",
  ]);
  assert.deepEqual(autoremoveArgv({ recommends: false }).slice(-3), [
    "-y",
    "--purge",
    "autoremove",
  ]);
});

void test("package names from specs are checked so none can become an option", () => {
  assert.ok(
    checkPackageNames(["linux-image-amd64", "libc6:amd64", "bash=5.2.15-2+b2", "g++"], "k").ok,
  );
  for (const bad of ["-o", "--allow-unauthenticated", "Bash", "a b", "$(x)", ""]) {
    const r = checkPackageNames([bad], "stage4/packages");
    assert.ok(!r.ok, bad);
    assert.match(r.error.message, /`stage4\/packages`/);
  }
});

void test("apt's simulated install is parsed into names, versions and architectures", () => {
  const out = [
    "NOTE: This is only a simulation!",
    "Inst libc6 (2.36-9+deb12u9 Debian:12.9/stable [amd64])",
    "Inst busybox (1:1.35.0-4+b3 Debian:12.9/stable, Debian-Security:12/stable-security [amd64])",
    "Inst tzdata [2024a-0+deb12u1] (2025b-0+deb12u1 Debian:12.11/stable [all])",
    "Conf libc6 (2.36-9+deb12u9 Debian:12.9/stable [amd64])",
  ].join("\n");
  const planned = parseSimulatedInstall(out);
  assert.deepEqual(planned, [
    { name: "libc6", version: "2.36-9+deb12u9", architecture: "amd64" },
    { name: "busybox", version: "1:1.35.0-4+b3", architecture: "amd64" },
    { name: "tzdata", version: "2025b-0+deb12u1", architecture: "all" },
  ]);
  assert.equal(debFileName(planned[1]!), "busybox_1%3a1.35.0-4+b3_amd64.deb");
});

void test("merge-root scripts plan against an empty status and unpack keeping merged-/usr links", () => {
  const sim = simulateScript({ recommends: false }, ["busybox"]);
  assert.match(sim, /: > \/tmp\/substrate-merge\/status/);
  assert.match(sim, /Dir::State::status=\/tmp\/substrate-merge\/status/);
  assert.match(sim, / -s install busybox\n$/);
  assert.match(
    downloadScript({ recommends: false }, ["busybox"]),
    /--download-only install busybox/,
  );
  const planned = [{ name: "busybox", version: "1:1.35.0-4+b3", architecture: "amd64" }];
  const plain = unpackScript(planned, false);
  assert.match(plain, /busybox_1%3a1\.35\.0-4\+b3_amd64\.deb/);
  assert.match(plain, /tar -x --keep-directory-symlink -C "\$M"/);
  assert.doesNotMatch(plain, /var\/lib\/dpkg/);
  const withDb = unpackScript(planned, true);
  assert.match(withDb, /Status: install ok installed/);
  assert.match(withDb, /\$D\/info\/\$id\.list/);
});

void test("mmdebstrap: a keyring other than Debian's is copied into the root for later apt runs", () => {
  const custom = mmdebstrapArgv({
    options: { ...options, keyring: "/srv/keys/derivative.asc" },
    root: "/r",
    packages: [],
    hookDirs: [],
  });
  assert.ok(custom.includes("--keyring=/srv/keys/derivative.asc"));
  assert.ok(
    custom.includes(
      `--customize-hook=cp "$${KEYRING_ENV}" "$1/etc/apt/trusted.gpg.d/substrate-archive-keyring.asc"`,
    ),
  );
  const debian = mmdebstrapArgv({ options, root: "/r", packages: [], hookDirs: [] });
  assert.ok(
    !debian.some((a) => a.includes(KEYRING_ENV)),
    "Debian's keyring comes from its package",
  );
});
