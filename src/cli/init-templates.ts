/**
 * The trees `substrate init` writes: small versions of `examples/roflmaos` (apt: a Debian live
 * ISO in four stages) and `examples/gentoo` (Portage: catalyst's stage1 -> stage3 chain from an
 * upstream seed). Each is a map of relative path to file text; `{{name}}` is the tree's name
 * (also its flavour). Every template passes `substrate check` and `substrate plan` as written
 * (tested).
 */

/** The templates `init --template` offers. */
export const TEMPLATE_NAMES = ["apt", "portage"] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** One file of a template. */
export interface TemplateFile {
  readonly text: string;
  /** Executable (fsscripts). */
  readonly executable?: boolean;
}

const APT: Record<string, TemplateFile> = {
  "substrate.toml": {
    text: `# {{name}}: a Debian live ISO built with substrate's apt driver (made by \`substrate init\`).
#
#   substrate check .      every problem in every spec
#   substrate plan .       what a build would do, and why
#   substrate build .      as root: build what is not fresh (outputs in ./builds of the
#                          working directory, logs in ./logs, caches in ./cache)
#   substrate status .     what the store holds;  substrate clean . --yes  to delete it
name = "{{name}}"
driver = "apt"

[apt]
suite = "bookworm"
mirror = "http://deb.debian.org/debian"
components = ["main"]
variant = "minbase"

# "flavour:stage": the spec at specs/<arch>/<flavour>/<stage>.spec.
[arch.amd64]
subarch = "amd64"
builds = [
  "{{name}}:stage3",
  "{{name}}:livecd-stage1",
  "{{name}}:livecd-stage2",
  "{{name}}:livecd-stage3",
]
`,
  },
  "specs/amd64/{{name}}/stage3.spec": {
    text: `# The Debian base system, bootstrapped by mmdebstrap from [apt] in substrate.toml.
# No source_subpath: an apt stage3 without one is bootstrapped instead of unpacked from a seed.
`,
  },
  "specs/amd64/{{name}}/livecd-stage1.spec": {
    text: `# The live root: the base system plus what a live system needs (squashed into the ISO).
source_subpath: amd64/{{name}}/stage3-amd64-{{name}}-latest
livecd/packages:
	systemd-sysv
	udev
	kmod
livecd/hostname: {{name}}
`,
  },
  "specs/amd64/{{name}}/livecd-stage2.spec": {
    text: `# The kernel and boot payload (kernel, live initramfs, modules, systemd-boot).
source_subpath: amd64/{{name}}/stage3-amd64-{{name}}-latest
boot/kernel: {{name}}
boot/kernel/{{name}}/package: linux-image-amd64
livecd/bootargs: console=ttyS0,115200
`,
  },
  "specs/amd64/{{name}}/livecd-stage3.spec": {
    text: `# The ISO: the live root from livecd-stage1 with the payload from livecd-stage2.
source_subpath: amd64/{{name}}/livecd-stage1-amd64-{{name}}-latest
livecd/payload: amd64/{{name}}/livecd-stage2-amd64-{{name}}-latest
boot/kernel: {{name}}
livecd/volid: {{name}}
livecd/iso: {{name}}-@latest@.iso
livecd/root_overlay: @REPO_DIR@/root_overlays/livecd
livecd/fsscript: @REPO_DIR@/fsscripts/livecd
`,
  },
  "root_overlays/livecd/etc/issue": {
    text: "{{name}} live system (\\l)\n\n",
  },
  "fsscripts/livecd": {
    executable: true,
    text: `#!/bin/sh
# The live root's last changes, run inside the root by livecd-stage3.
set -eu
# Root logs in without a password (live media only).
if [ -f /etc/shadow ]; then
	sed -i -e '/^root:/s/^root:[^:]*:/root::/' /etc/shadow
fi
# Every boot is a first boot: a new machine id.
: > /etc/machine-id
`,
  },
};

const PORTAGE: Record<string, TemplateFile> = {
  "substrate.toml": {
    text: `# {{name}}: catalyst's stage1 -> stage2 -> stage3 chain with substrate's Portage driver
# (made by \`substrate init --template portage\`).
#
#   substrate check .      every problem in every spec
#   substrate plan .       what a build would do, and why (blocked until the seed is there)
#   substrate fetch .      download and verify the seed and the snapshot the plan needs
#   substrate build .      as root: build what is not fresh
#
# stage1 starts from builds/amd64/{{name}}/stage3-amd64-{{name}}-latest.* : an upstream
# autobuild stage3 the first time (substrate fetch), this tree's own stage3 afterwards.
name = "{{name}}"
driver = "portage"
mirrors = ["https://distfiles.gentoo.org"]

[arch.amd64]
subarch = "amd64"
cflags = "-O2 -pipe -march=x86-64 -mtune=generic"
builds = ["{{name}}:stage1", "{{name}}:stage2", "{{name}}:stage3"]
`,
  },
  "specs/amd64/{{name}}/stage1.spec": {
    text: `source_subpath: amd64/{{name}}/stage3-amd64-{{name}}-latest
profile: default/linux/amd64/23.0/systemd
portage_confdir: @REPO_DIR@/confdirs/stages
update_seed: yes
update_seed_command: --update --deep --newuse @world
compression_mode: pixz
`,
  },
  "specs/amd64/{{name}}/stage2.spec": {
    text: `source_subpath: amd64/{{name}}/stage1-amd64-{{name}}-latest
profile: default/linux/amd64/23.0/systemd
portage_confdir: @REPO_DIR@/confdirs/stages
compression_mode: pixz
`,
  },
  "specs/amd64/{{name}}/stage3.spec": {
    text: `source_subpath: amd64/{{name}}/stage2-amd64-{{name}}-latest
profile: default/linux/amd64/23.0/systemd
portage_confdir: @REPO_DIR@/confdirs/stages
compression_mode: pixz
`,
  },
  "confdirs/stages/package.use/stages": {
    text: "# USE for every stage build (copied into /etc/portage by portage_confdir).\n*/* -doc\n",
  },
};

/** The files of a template for a tree named `name`. */
export function templateFiles(template: TemplateName, name: string): Map<string, TemplateFile> {
  const files = template === "apt" ? APT : PORTAGE;
  const out = new Map<string, TemplateFile>();
  for (const [path, file] of Object.entries(files)) {
    out.set(path.replaceAll("{{name}}", name), {
      ...file,
      text: file.text.replaceAll("{{name}}", name),
    });
  }
  return out;
}

/** A flavour name made from a folder name: lower case letters, digits, `_` and `-`. */
export function treeNameFor(folder: string): string {
  const name = folder
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[-_]+|[-_]+$/g, "");
  return /^[a-z]/.test(name) ? name : `tree${name === "" ? "" : `-${name}`}`;
}
