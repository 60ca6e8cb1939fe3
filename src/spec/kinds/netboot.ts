/**
 * netboot (catalyst `targets/netboot`): kernels with an initramfs image for network boot;
 * `netboot/packages/<pkg>/files` keys are valid for each package in `netboot/packages`.
 */
import type { KindDefinition } from "./define.js";
import { many, one, prefixed, stageRequired } from "./define.js";

/** The netboot kind: its keys, inputs and output. */
export const netboot: KindDefinition<"netboot"> = {
  kind: "netboot",
  prefix: "netboot",
  summary: "network-boot kernels carrying an initramfs image",
  bootKernel: true,
  inputs: ["source"],
  output: { form: "directory" },
  required: [...stageRequired({}), { key: "boot/kernel" }],
  keys: {
    "boot/kernel": many("kernel labels to build"),
    ...prefixed("netboot", {
      busybox_config: one("a busybox .config", { path: "file" }),
      extra_files: many("files copied into the image"),
      linuxrc: one("a custom linuxrc", { path: "file" }),
      overlay: many("folders copied into the image", { path: "dir" }),
      packages: many("packages built into the image"),
      root_overlay: many("folders copied over the root", { path: "dir" }),
      use: many("USE for the packages"),
    }),
  },
};
