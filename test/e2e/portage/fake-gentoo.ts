/**
 * A small fake Gentoo root for the Portage driver tests, built from busybox-static: every busybox
 * applet in /bin, a seed make.conf and VDB, and recording stand-ins for `emerge`, `genkernel`,
 * `dracut`, `portageq`, `etc-update` and `locale-gen` that append their argv and the relevant
 * environment to /var/log/record.log and fake the files the real tools would leave (VDB entries,
 * /lib/modules/<version>, /boot/vmlinuz-<version>, the initramfs).
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StageContext } from "../../../src/drivers/driver.js";
import type { Event } from "../../../src/report/events.js";
import type { SpecValue, TargetKindName } from "../../../src/spec/types.js";

/** The stand-ins' shared recorder: `<tool>|ROOT=..|USE=..|...|<argv>`. */
const RECORD = `rec() {
  tool="$1"; shift
  repo=$(cat /var/db/repos/gentoo/profiles/repo_name 2>/dev/null || echo none)
  echo "$tool|ROOT=\${ROOT-}|USE=\${USE-}|INSTALL_MASK=\${INSTALL_MASK-}|repo=$repo|$*" >> /var/log/record.log
  echo "$tool|FEATURES=\${FEATURES-}|MAKEOPTS=\${MAKEOPTS-}|CONFIG_PROTECT=\${CONFIG_PROTECT-}|CATALYST_USE=$(grep -c '^CATALYST_USE' /etc/portage/make.conf)" >> /var/log/record-env.log
}
`;

const EMERGE = `#!/bin/sh
${RECORD}
rec emerge "$@"
r="\${ROOT:-/}"
unmerge=no
for a in "$@"; do
  case "$a" in
    --unmerge|-C) unmerge=yes ;;
    sys-kernel/gentoo-kernel)
      mkdir -p /lib/modules/6.6.58-gentoo-dist /boot
      : > /boot/vmlinuz-6.6.58-gentoo-dist; : > /boot/config-6.6.58-gentoo-dist ;;
  esac
done
for a in "$@"; do
  case "$a" in
    -*|@*|[0-9]*|y|n) continue ;;
    */*)
      atom=$(echo "$a" | sed -e 's/^[<>=~]*//' -e 's/:.*//' -e 's/-[0-9].*//')
      cat=\${atom%%/*}; name=\${atom#*/}
      if [ $unmerge = yes ]; then rm -rf "$r/var/db/pkg/$cat/$name"-[0-9]*; continue; fi
      # A new system (ROOT) gets the tools with its baselayout, so it can seed the next stage.
      if [ "$r" != / ] && [ "$name" = baselayout ]; then
        for d in bin usr/bin var/log; do mkdir -p "$r/$d"; cp -a "/$d/." "$r/$d/"; done
        rm -f "$r/var/log/record.log" "$r/var/log/record-env.log"
      fi
      case "$name" in firmware-blob) lic="linux-fw-redistributable no-source-code" ;; *) lic="GPL-2" ;; esac
      mkdir -p "$r/var/db/pkg/$cat/$name-1.0"
      echo "$lic" > "$r/var/db/pkg/$cat/$name-1.0/LICENSE"
      echo "$name-1.0" > "$r/var/db/pkg/$cat/$name-1.0/PF" ;;
  esac
done
`;

const GENKERNEL = `#!/bin/sh
${RECORD}
rec genkernel "$@"
mkdir -p /lib/modules/6.6.58-gentoo /boot
: > /boot/vmlinuz-6.6.58-gentoo
`;

const DRACUT = `#!/bin/sh
${RECORD}
rec dracut "$@"
for last in "$@"; do :; done
case "$last" in /*) : > "$last" ;; esac
`;

const SIMPLE = (tool: string, out = ""): string => `#!/bin/sh
${RECORD}
rec ${tool} "$@"
${out}
`;

/**
 * Builds the fake root at `root` (an empty folder). `busybox` is the static busybox to use (the
 * host's by default; an armhf one for foreign-arch tests, which have the same applets).
 */
export function makeFakeGentoo(root: string, busybox = "/bin/busybox"): void {
  for (const d of [
    "bin",
    "sbin",
    "usr/bin",
    "usr/sbin",
    "etc/portage",
    "var/log",
    "var/lib/portage",
    "tmp",
    "root",
    "lib",
    "var/tmp",
  ]) {
    mkdirSync(join(root, d), { recursive: true });
  }
  copyFileSync(busybox, join(root, "bin", "busybox"));
  execFileSync("chmod", ["0755", join(root, "bin", "busybox")]);
  const applets = execFileSync("/bin/busybox", ["--list"])
    .toString()
    .split("\n")
    .filter((a) => a !== "" && a !== "busybox");
  for (const a of applets) symlinkSync("busybox", join(root, "bin", a));
  const standIns: Record<string, string> = {
    emerge: EMERGE,
    genkernel: GENKERNEL,
    dracut: DRACUT,
    portageq: SIMPLE("portageq", 'echo "sys-kernel/gentoo-kernel-6.6.58"'),
    "etc-update": SIMPLE("etc-update"),
    "locale-gen": SIMPLE("locale-gen"),
  };
  for (const [name, text] of Object.entries(standIns))
    writeFileSync(join(root, "usr", "bin", name), text, { mode: 0o755 });
  writeFileSync(
    join(root, "etc", "portage", "make.conf"),
    'COMMON_FLAGS="-O2 -pipe -march=x86-64-v2"\nCFLAGS="${COMMON_FLAGS}"\nCHOST="x86_64-pc-linux-gnu"\nUSE="seed-use"\n',
  );
  writeFileSync(join(root, "var", "lib", "portage", "world"), "app-editors/vim\n");
  mkdirSync(join(root, "var", "db", "pkg", "sys-apps", "baselayout-2.15"), { recursive: true });
  writeFileSync(
    join(root, "var", "db", "pkg", "sys-apps", "baselayout-2.15", "LICENSE"),
    "GPL-2\n",
  );
  writeFileSync(
    join(root, "var", "db", "pkg", "sys-apps", "baselayout-2.15", "USE"),
    "amd64 split-usr\n",
  );
  writeFileSync(join(root, "etc", "os-release"), "NAME=Gentoo\n");
}

/** The recorded command lines (`tool|ROOT=..|USE=..|...|argv`). */
export function recorded(root: string, file = "record.log"): string[] {
  try {
    return readFileSync(join(root, "var", "log", file), "utf8")
      .split("\n")
      .filter((l) => l !== "");
  } catch {
    return [];
  }
}

/** A stage context that records events. */
export function makeContext(
  work: string,
  cacheDir: string,
  values: Readonly<Record<string, SpecValue>>,
): StageContext & { readonly events: Event[] } {
  const events: Event[] = [];
  return {
    stage: `amd64/test:${String(values["target"])}`,
    kind: values["target"] as TargetKindName,
    logFile: join(work, "stage.log"),
    signal: new AbortController().signal,
    emit: (e) => events.push(e),
    cacheDir,
    jobs: 4,
    values,
    sourceDateEpoch: 1700000000,
    events,
  };
}
