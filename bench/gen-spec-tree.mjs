// Writes a spec tree of N specs (default 1000) for `bench/check-1000.sh`: 10 arches, each with
// flavours of five stages (stage3, stage4, livecd-stage1/2/3), plus the files they reference.
// Usage: node bench/gen-spec-tree.mjs DIR [N]
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";

const [dir, nArg] = process.argv.slice(2);
if (!dir) {
  process.stderr.write("usage: node bench/gen-spec-tree.mjs DIR [N]\n");
  process.exit(2);
}
const total = Number(nArg ?? 1000);
const arches = Array.from({ length: 10 }, (_, i) => `arch${i}`);
const stages = ["stage3", "stage4", "livecd-stage1", "livecd-stage2", "livecd-stage3"];
const perArch = Math.ceil(total / arches.length / stages.length);

const write = (rel, text) => {
  const p = join(dir, rel);
  mkdirSync(join(p, ".."), { recursive: true });
  writeFileSync(p, text);
};
write("fsscripts/livecd", "#!/bin/sh\necho roflmaOS > /etc/hostname\n");
write("root_overlays/livecd/etc/issue", "roflmaOS\n");
write("kconfig/live.config", "CONFIG_SQUASHFS=y\n");

const specFor = (arch, flavour, stage) => {
  const seed = (s) => `${arch}/${flavour}/${s}-${arch}-${flavour}-latest`;
  switch (stage) {
    case "stage3":
      return "# base system\ncompression_mode: pixz\napt/variant: minbase\n";
    case "stage4":
      return [
        `source_subpath: ${seed("stage3")}`,
        "stage4/packages:",
        "\tsudo vim-tiny openssh-server",
        "\tsystemd-timesyncd  # time",
        "stage4/root_overlay: @REPO_DIR@/root_overlays/livecd",
        "stage4/users: roflmao=sudo,video",
        "",
      ].join("\n");
    case "livecd-stage1":
      return `source_subpath: ${seed("stage4")}\nlivecd/packages: dracut dracut-live squashfs-tools\nlivecd/rm: /etc/machine-id\n`;
    case "livecd-stage2":
      return [
        `source_subpath: ${seed("stage3")}`,
        "boot/kernel: linux",
        "boot/kernel/linux/package: linux-image-amd64",
        "boot/kernel/linux/config: @REPO_DIR@/kconfig/live.config",
        "livecd/bootargs: console=ttyS0,115200",
        "",
      ].join("\n");
    default:
      return [
        `source_subpath: ${seed("livecd-stage1")}`,
        `livecd/payload: ${seed("livecd-stage2")}`,
        "boot/kernel: linux",
        "livecd/fsscript: @REPO_DIR@/fsscripts/livecd",
        "livecd/root_overlay: @REPO_DIR@/root_overlays/livecd",
        `livecd/iso: roflmaOS-${flavour}-@latest@.iso`,
        `livecd/volid: roflmaOS_${flavour}_@latest@`,
        "livecd/bootloader: systemd-boot",
        "",
      ].join("\n");
  }
};

let count = 0;
const toml = ['name = "bench"', 'driver = "apt"', "", "[apt]", 'suite = "bookworm"', ""];
for (const arch of arches) {
  const builds = [];
  for (let f = 0; f < perArch && count < total; f++) {
    const flavour = `flavour${f}`;
    for (const stage of stages) {
      if (count >= total) break;
      write(`specs/${arch}/${flavour}/${stage}.spec`, specFor(arch, flavour, stage));
      builds.push(`"${flavour}:${stage}"`);
      count++;
    }
  }
  toml.push(
    `[arch.${arch}]`,
    `subarch = "amd64"`,
    `cflags = "-O2 -pipe"`,
    `builds = [${builds.join(", ")}]`,
    "",
  );
}
write("substrate.toml", toml.join("\n"));
process.stdout.write(`${count} specs in ${dir}\n`);
