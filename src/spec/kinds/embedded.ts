/** embedded (catalyst `targets/embedded`): packages merged into an empty ROOT, no toolchain. */
import type { KindDefinition } from "./define.js";
import { many, one, prefixed, stageRequired } from "./define.js";

/** The embedded kind: its keys, inputs and output. */
export const embedded: KindDefinition<"embedded"> = {
  kind: "embedded",
  prefix: "embedded",
  summary: "packages merged into an empty root (/tmp/mergeroot): no compiler, maybe a kernel",
  bootKernel: true,
  inputs: ["source"],
  output: { form: "compressed" },
  required: stageRequired({}),
  keys: {
    "boot/kernel": many("kernel labels to build"),
    ...prefixed("embedded", {
      empty: many("folders emptied at the end"),
      fsscript: one("a script run in the build root with clst_root_path=/tmp/mergeroot (fork)", {
        path: "file",
        origin: "fork",
      }),
      "fs-finish": many("accepted by catalyst, unused"),
      "fs-ops": many("accepted by catalyst, unused"),
      "fs-prepare": many("accepted by catalyst, unused"),
      "fs-type": one("accepted by catalyst, unused"),
      keep_package_db: one("apt driver: keep a dpkg database in the merged root (`yes`)", {
        origin: "substrate",
        driver: "apt",
        values: ["yes", "no"],
      }),
      linuxrc: one("a custom linuxrc for genkernel", { path: "file" }),
      mergeroot: one("accepted by catalyst, unused"),
      packages: many("packages merged into the root"),
      rm: many("globs deleted at the end"),
      root_overlay: many("folders copied over the root", { path: "dir" }),
      runscript: one("accepted by catalyst, unused"),
      unmerge: many("packages to remove (no effect in catalyst's controller)"),
      use: many("USE for the packages"),
    }),
  },
};
