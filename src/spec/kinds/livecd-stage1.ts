/**
 * livecd-stage1 (prefix `livecd`): the live system's root, packages installed on a stage; the
 * fork adds stage4-like clean-up keys (unmerge, depclean, rm, empty, fsscript, root_overlay).
 */
import type { KindDefinition } from "./define.js";
import { many, one, prefixed, stageRequired } from "./define.js";

/** The livecd-stage1 kind: its keys, inputs and output. */
export const livecdStage1: KindDefinition<"livecd-stage1"> = {
  kind: "livecd-stage1",
  prefix: "livecd",
  summary: "the live system's root filesystem: packages installed on top of a stage",
  bootKernel: false,
  inputs: ["source"],
  output: { form: "squashfs" },
  required: [...stageRequired({}), { key: "livecd/packages" }],
  keys: prefixed("livecd", {
    packages: many("packages for the live system"),
    use: many("USE for the live system's packages"),
    unmerge: many("packages removed at the end (fork)", { origin: "fork" }),
    depclean: one("run depclean (`yes`, `no`, `keepbdeps`; fork)", {
      values: ["yes", "no", "keepbdeps"],
      valuesSeverity: "warning",
      origin: "fork",
    }),
    rm: many("globs deleted at the end (fork)", { origin: "fork" }),
    empty: many("folders emptied at the end (fork)", { origin: "fork" }),
    fsscript: one("a script run in the chroot (fork)", { path: "file", origin: "fork" }),
    root_overlay: many("folders copied over the root (fork)", { path: "dir", origin: "fork" }),
    users: many("users to create (`name` or `name=grp1,grp2`)", { origin: "substrate" }),
    groups: many("groups to create", { origin: "substrate" }),
    ssh_public_keys: many("files installed as the users' authorized_keys", {
      path: "file",
      origin: "substrate",
    }),
    hostname: one("the live system's hostname (default `livecd`, as catalyst)", {
      origin: "substrate",
    }),
    fsops: many("options for the root's mksquashfs (`-comp zstd -Xcompression-level 3`)", {
      origin: "substrate",
    }),
  }),
};
