/**
 * `substrate virt-install`: the libvirt equivalent of `substrate boot`, as a command line to
 * copy (the seed's way of booting roflmaOS): UEFI, serial console, the ISO as a CD-ROM or, for a
 * direct kernel boot, `--location ISO,kernel=boot/<k>,initrd=boot/<k>.igz --extra-args ...`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { describeCommand } from "../sandbox/process.js";
import { type Result, ok, err } from "../util/result.js";
import { type IsoKernel, defaultLiveCmdline, inspectIso } from "./iso-boot-info.js";
import { type BootMedium, withSerialConsole } from "./qemu-args.js";
import { checkIsoMedium } from "./medium.js";
import { type BootArch, bootArchProfile } from "./arch.js";

/** What the command describes. */
export interface VirtInstallSpec {
  readonly iso: string;
  readonly memoryMiB: number;
  readonly cpus: number;
  readonly secureBoot: boolean;
  readonly network: boolean;
  /** How the ISO is attached (default `cd`); ignored by a direct kernel boot. */
  readonly medium?: BootMedium;
  /** Set for a direct kernel boot. */
  readonly kernel?: IsoKernel;
  /** The direct boot's command line (before `console=ttyS0` is ensured). */
  readonly cmdline?: string;
  readonly name?: string;
  /** The guest architecture (default x86_64): arm and aarch64 get `--arch` and `virt`. */
  readonly arch?: BootArch;
}

/** The argv of the equivalent `virt-install` call. */
export function virtInstallArgv(spec: VirtInstallSpec): string[] {
  const name =
    spec.name ??
    `substrate-${basename(spec.iso)
      .replace(/\.iso$/i, "")
      .replace(/[^\w.-]/g, "-")}`;
  const boot = spec.secureBoot
    ? "uefi,firmware.feature0.name=secure-boot,firmware.feature0.enabled=yes,firmware.feature1.name=enrolled-keys,firmware.feature1.enabled=yes"
    : "uefi,firmware.feature0.name=secure-boot,firmware.feature0.enabled=no";
  const profile = bootArchProfile(spec.arch);
  const argv = [
    "virt-install",
    "--transient",
    "--name",
    name,
    "--memory",
    String(spec.memoryMiB),
    "--vcpus",
    String(spec.cpus),
    "--osinfo",
    "detect=on,require=off",
    "--boot",
    boot,
    ...(profile.arch === "x86_64"
      ? []
      : ["--arch", profile.uname[0] ?? profile.arch, "--virt-type", "qemu"]),
    "--machine",
    profile.arch === "x86_64" ? "q35" : "virt",
    "--graphics",
    "none",
    "--console",
    "pty,target_type=serial",
    "--network",
    spec.network ? "user" : "none",
  ];
  const medium = spec.medium ?? "cd";
  if (spec.kernel !== undefined || medium === "cd") argv.push("--disk", "none");
  if (spec.kernel !== undefined) {
    const rel = (p: string): string => p.replace(/^\//, "");
    argv.push(
      "--location",
      `${spec.iso},kernel=${rel(spec.kernel.kernelPath)},initrd=${rel(spec.kernel.initrdPath)}`,
      "--extra-args",
      withSerialConsole(spec.cmdline ?? spec.kernel.cmdline ?? "", profile.console),
    );
  } else if (medium === "cd") {
    argv.push("--cdrom", spec.iso);
  } else {
    // The hybrid ISO as the first disk (a stick written with dd): the firmware boots its GPT ESP.
    const bus = medium === "usb" ? "usb" : "virtio";
    argv.push("--disk", `path=${spec.iso},device=disk,bus=${bus},readonly=on`, "--import");
  }
  return argv;
}

/** The command as one shell-quoted line. */
export function virtInstallCommand(spec: VirtInstallSpec): string {
  return describeCommand(virtInstallArgv(spec));
}

/** Reads the ISO (for a direct kernel boot) and builds the command. */
export async function describeVirtInstall(
  spec: Omit<VirtInstallSpec, "kernel" | "cmdline"> & {
    readonly directKernel: boolean;
    readonly kernelLabel?: string;
  },
): Promise<Result<string, { readonly reason: "bad-input"; readonly message: string }>> {
  const medium = checkIsoMedium(spec.iso);
  if (!medium.ok) return medium;
  const iso = resolve(spec.iso);
  const work = mkdtempSync(join(tmpdir(), "substrate-virt-install-"));
  try {
    const info = await inspectIso(iso, work);
    // The ISO's architecture (arch.ts) unless given; an unreadable ISO is x86_64 for a CD boot.
    const arch = spec.arch ?? (info.ok ? info.value.arch : undefined);
    const withArch = arch === undefined ? spec : { ...spec, arch };
    if (!spec.directKernel) return ok(virtInstallCommand({ ...withArch, iso }));
    if (!info.ok) return err({ reason: "bad-input", message: info.error.message });
    const kernel =
      spec.kernelLabel === undefined
        ? info.value.kernels[0]
        : info.value.kernels.find((k) => k.label === spec.kernelLabel);
    if (kernel === undefined) {
      return err({
        reason: "bad-input",
        message: `${spec.iso} has no kernel at boot/<label> with boot/<label>.igz`,
      });
    }
    const cmdline = kernel.cmdline ?? defaultLiveCmdline(info.value.volumeId);
    return ok(virtInstallCommand({ ...withArch, iso, kernel, cmdline }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
