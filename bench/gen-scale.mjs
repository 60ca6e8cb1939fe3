// Writes the inputs of `bench/check-scale.sh`, each a case that was once quadratic in `check`:
//   repeated DIR N   one spec file with N repeated keys (a diagnostic and an excerpt per key)
//   kernels DIR N    a tree whose livecd-stage2 lists N kernel labels, each with its own keys
//                    and one mistyped key per label (a did-you-mean over a growing key list)
//   builds DIR N     a tree whose substrate.toml lists N build entries
// Usage: node bench/gen-scale.mjs CASE DIR N
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";

const [kind, dir, nArg] = process.argv.slice(2);
const n = Number(nArg);
if (!kind || !dir || !Number.isInteger(n) || n < 1) {
  process.stderr.write("usage: node bench/gen-scale.mjs repeated|kernels|builds DIR N\n");
  process.exit(2);
}
const write = (rel, text) => {
  const p = join(dir, rel);
  mkdirSync(join(p, ".."), { recursive: true });
  writeFileSync(p, text);
};
const toml = (builds) =>
  [
    'name = "scale"',
    'driver = "portage"',
    "[arch.amd64]",
    'subarch = "amd64"',
    "builds = [",
    ...builds.map((b) => `  "${b}",`),
    "]",
    "",
  ].join("\n");

switch (kind) {
  case "repeated": {
    const lines = ["target: stage3", "subarch: amd64", "version_stamp: x", "rel_type: amd64"];
    for (let i = 0; i < n; i++) lines.push(`profile: default/linux/amd64/23.0/systemd`);
    write("repeated.spec", lines.join("\n") + "\n");
    break;
  }
  case "kernels": {
    const labels = Array.from({ length: n }, (_, i) => `k-${i}`);
    const lines = [
      "source_subpath: amd64/systemd/stage3-amd64-systemd-latest",
      "profile: default/linux/amd64/23.0/systemd",
      "snapshot_treeish: 20261126",
      "boot/kernel:",
      ...labels.map((l) => `\t${l}`),
    ];
    for (const l of labels) {
      lines.push(`boot/kernel/${l}/sources: gentoo-kernel`);
      lines.push(`boot/kernel/${l}/gk_kernargs: --all-ramdisk-modules`);
      lines.push(`boot/kernel/${l}/sourcse: gentoo-sources`);
    }
    write("specs/amd64/systemd/livecd-stage2.spec", lines.join("\n") + "\n");
    write("substrate.toml", toml(["systemd:livecd-stage2"]));
    break;
  }
  case "builds": {
    const builds = Array.from({ length: n }, (_, i) => `f${i}:stage3`);
    write("substrate.toml", toml(builds));
    break;
  }
  default:
    process.stderr.write(`unknown case ${kind}\n`);
    process.exit(2);
}
