/**
 * livecd-stage3 (the 0xdc fork's target, prefix `livecd`): wraps any root (livecd-stage1,
 * embedded, stage4) and a livecd-stage2 payload into a bootable ISO, without a package manager.
 * substrate names the payload with `livecd/payload`; `livecd/cdtar` (the fork's key) means the
 * same.
 */
import type { KindDefinition } from "./define.js";
import { many, one, prefixed, stageRequired } from "./define.js";
import { LIVECD_IMAGE_KEYS } from "./livecd-stage2.js";

/** The livecd-stage3 kind: its keys, inputs and output. */
export const livecdStage3: KindDefinition<"livecd-stage3"> = {
  kind: "livecd-stage3",
  prefix: "livecd",
  summary: "the ISO: a root filesystem squashed and joined with a livecd-stage2 payload",
  bootKernel: true,
  inputs: ["source", "payload"],
  output: { form: "iso", nameKey: "livecd/iso" },
  required: [
    ...stageRequired({ noPackageManager: true }),
    { key: "boot/kernel" },
    { key: "livecd/payload", alternatives: ["livecd/cdtar"] },
  ],
  keys: {
    "boot/kernel": many("the payload's kernel label(s)"),
    ...LIVECD_IMAGE_KEYS,
    ...prefixed("livecd", {
      payload: one("substrate: store subpath of the livecd-stage2 output (the boot payload)", {
        storeRef: true,
        origin: "substrate",
      }),
      cdtar: one("fork: the livecd-stage2 output; substrate reads it as `livecd/payload`", {
        storeRef: true,
        origin: "fork",
      }),
      hostname: one(
        "the live system's hostname when a stage tarball is wrapped (default `livecd`)",
        {
          origin: "substrate",
        },
      ),
      large_esp: one(
        "substrate: `yes` makes the ISO even with an ESP over 32 MiB; it then boots as a USB stick or disk (the GPT ESP), not from a CD",
        { values: ["yes", "no"], origin: "substrate" },
      ),
      packages: many("inherited from livecd-stage1 (fork); unused", { origin: "fork" }),
      use: many("inherited from livecd-stage1 (fork); unused", { origin: "fork" }),
      unmerge: many("inherited from livecd-stage1 (fork)", { origin: "fork" }),
      depclean: one("inherited from livecd-stage1 (fork)", {
        values: ["yes", "no", "keepbdeps"],
        valuesSeverity: "warning",
        origin: "fork",
      }),
    }),
  },
};
