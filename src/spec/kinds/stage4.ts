/** stage4 (catalyst `targets/stage4`): a stage3 plus packages, kernels, users and overlays. */
import type { KindDefinition } from "./define.js";
import { many, one, prefixed, stageRequired } from "./define.js";

/** The stage4 kind: its keys, inputs and output. */
export const stage4: KindDefinition<"stage4"> = {
  kind: "stage4",
  prefix: "stage4",
  summary: "a stage3 plus packages, optional kernels, users, overlays and a script",
  bootKernel: true,
  inputs: ["source"],
  output: { form: "compressed" },
  required: [...stageRequired({}), { key: "stage4/packages" }],
  keys: {
    "boot/kernel": many("kernel labels to build"),
    ...prefixed("stage4", {
      packages: many("packages to install"),
      use: many("extra USE for the packages"),
      empty: many("folders emptied at the end"),
      fsscript: one("a script run in the chroot after the kernels", { path: "file" }),
      gk_mainargs: many("genkernel arguments for every kernel"),
      groups: many("groups to create (one string is split on commas)"),
      linuxrc: one("a custom linuxrc for genkernel", { path: "file" }),
      rcadd: many("`service|runlevel` entries to add"),
      rcdel: many("`service|runlevel` entries to remove"),
      rm: many("globs deleted at the end"),
      root_overlay: many("folders copied over the root", { path: "dir" }),
      ssh_public_keys: many("`user=/path/key.pub` entries (one string is split on commas)", {
        path: "file",
        pathForm: "user=path",
      }),
      unmerge: many("packages removed at the end"),
      users: many("users to create, `name` or `name=grp1,grp2`"),
      depclean: one("run depclean (`yes`, `no` or `keepbdeps`; the fork's key)", {
        values: ["yes", "no", "keepbdeps"],
        valuesSeverity: "warning",
        origin: "fork",
      }),
    }),
  },
};
