/**
 * Getting a VM ready to boot an ISO: pick the firmware and the accelerator, read the ISO's boot
 * facts, make a private copy of the UEFI variable store in a temporary folder (removed by
 * `cleanup()`), extract kernel and initramfs for a direct kernel boot, and build QEMU's argv.
 * Shared by `substrate boot`, `substrate test` and `substrate virt-install`.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type AccelChoice, type AccelRequest, chooseAccel } from "./accel.js";
import { type BootArch, bootArchProfile, mayUseKvm } from "./arch.js";
import {
  type DescriptorDir,
  type FirmwareChoice,
  defaultDescriptorDirs,
  discoverFirmware,
  selectFirmware,
} from "./firmware.js";
import {
  type IsoBootInfo,
  type IsoKernel,
  defaultLiveCmdline,
  inspectIso,
} from "./iso-boot-info.js";
import { extractIsoFile, isoBootInfo } from "../image/iso-read.js";
import { checkIsoMedium } from "./medium.js";
import { kernelReleaseFromFile } from "./kernel-version.js";
import {
  type BootMedium,
  mediumWords,
  qemuArgv,
  shouldPreallocate,
  withSerialConsole,
} from "./qemu-args.js";
import { type Result, ok, err } from "../util/result.js";
import type { FailureOf } from "../report/failure.js";

/** How to boot. */
export interface VmOptions {
  readonly iso: string;
  /** Boot `boot/<label>` + `.igz` with QEMU's -kernel instead of the ISO's EFI loader. */
  readonly directKernel: boolean;
  /** How the ISO is attached (default `cd`); `usb` and `disk` boot the GPT's ESP. */
  readonly medium?: BootMedium;
  readonly network: boolean;
  readonly memoryMiB: number;
  readonly cpus?: number;
  readonly secureBoot: boolean;
  readonly accel: AccelRequest;
  /** Which kernel label to use (default: the first). */
  readonly kernelLabel?: string;
  /** Words appended to the kernel command line (direct kernel boot only). */
  readonly extraCmdline?: string;
  /** Descriptor directories (default: QEMU's three). */
  readonly firmwareDirs?: readonly DescriptorDir[];
  readonly qemu?: string;
  /** The guest architecture; default: what the ISO says (arch.ts), else x86_64. */
  readonly arch?: BootArch;
}

/** Why a VM could not be set up. */
export type VmFailure = FailureOf<"no-firmware" | "bad-input">;

/** A VM ready to start. */
export interface PreparedVm {
  readonly argv: readonly string[];
  readonly accel: AccelChoice;
  readonly firmware: FirmwareChoice;
  /** The guest architecture (from the ISO unless {@link VmOptions.arch} says). */
  readonly arch: BootArch;
  /**
   * `own-keys`: Secure Boot firmware in setup mode and a medium carrying enrolment files; the
   * first boot enrols them and resets, the next one runs with Secure Boot enforcing.
   */
  readonly secureBoot: "off" | "enrolled-keys" | "own-keys";
  readonly info: IsoBootInfo;
  readonly kernel?: IsoKernel;
  /** The payload kernel's `uname -r`, when known. */
  readonly kernelRelease?: string;
  /** The command line of a direct kernel boot. */
  readonly cmdline?: string;
  readonly workDir: string;
  /** Things the user should know (fallbacks). */
  readonly notes: readonly string[];
  /** Removes the temporary folder (VARS copy, extracted kernel). */
  cleanup(): void;
}

/** Sets up a VM for an ISO. */
export async function prepareVm(
  options: VmOptions,
  consoleMode: "interactive" | "headless",
  needKernelRelease: boolean,
): Promise<Result<PreparedVm, VmFailure>> {
  const iso = resolve(options.iso);
  const isIso = checkIsoMedium(options.iso);
  if (!isIso.ok) return isIso;
  const workDir = mkdtempSync(join(tmpdir(), "substrate-boot-"));
  const cleanup = (): void => {
    rmSync(workDir, { recursive: true, force: true });
  };
  const failed = (message: string, hint?: string): { ok: false; error: VmFailure } => {
    cleanup();
    return err({ reason: "bad-input", message, ...(hint === undefined ? {} : { hint }) });
  };
  const info = await inspectIso(iso, workDir);
  if (!info.ok)
    return failed(info.error.message, "is it an ISO 9660 image? (xorriso must be installed)");
  // The ISO says what it boots (payload manifest, ESP boot file): QEMU, machine, firmware.
  const arch = options.arch ?? info.value.arch ?? "x86_64";
  const profile = bootArchProfile(arch);
  // A medium with its own Secure Boot keys gets a Secure Boot firmware in setup mode, so its
  // boot loader can enrol them (testIso's enrolment boot); others keep the enrolled-keys build.
  const ownKeys = options.secureBoot && info.value.enrolKeys;
  const inventory = discoverFirmware(options.firmwareDirs ?? defaultDescriptorDirs());
  const firmware = selectFirmware(inventory, { secureBoot: options.secureBoot, ownKeys, arch });
  if (!firmware.ok) {
    cleanup();
    return firmware;
  }
  const medium = options.medium ?? "cd";
  if (medium !== "cd" && !options.directKernel) {
    // As a stick or a disk the firmware looks for a GPT EFI System partition, not El Torito.
    const boot = await isoBootInfo(iso);
    if (!boot.ok) return failed(boot.error.message);
    if (!boot.value.gpt || boot.value.efiPartitions.length === 0) {
      return failed(
        `${options.iso} cannot boot ${mediumWords(medium)}: it has no GPT with an EFI System partition, only ${boot.value.efiImageOffset === undefined ? "no EFI boot record at all" : "an El Torito EFI image (a CD boot)"}`,
        "boot it with --medium cd, or rebuild it with livecd-stage3 (which appends the ESP as a GPT partition)",
      );
    }
  }
  const kernel =
    options.kernelLabel === undefined
      ? info.value.kernels[0]
      : info.value.kernels.find((k) => k.label === options.kernelLabel);
  if (options.directKernel && kernel === undefined) {
    return failed(
      options.kernelLabel === undefined
        ? `${options.iso} has no kernel at boot/<label> with an initramfs at boot/<label>.igz`
        : `${options.iso} has no kernel labelled ${options.kernelLabel} (has: ${info.value.kernels.map((k) => k.label).join(", ") || "none"})`,
    );
  }
  const varsFile = join(workDir, "OVMF_VARS.fd");
  copyFileSync(firmware.value.varsTemplate, varsFile);
  let kernelRelease = kernel?.version;
  let direct: { kernel: string; initrd: string; cmdline: string } | undefined;
  let kernelFile: string | undefined;
  if (
    kernel !== undefined &&
    (options.directKernel || (needKernelRelease && kernelRelease === undefined))
  ) {
    kernelFile = join(workDir, "kernel");
    const k = await extractIsoFile(iso, kernel.kernelPath, kernelFile);
    if (!k.ok) return failed(k.error.message);
    kernelRelease ??= kernelReleaseFromFile(kernelFile);
  }
  if (options.directKernel && kernel !== undefined && kernelFile !== undefined) {
    const initrd = join(workDir, "initrd");
    const i = await extractIsoFile(iso, kernel.initrdPath, initrd);
    if (!i.ok) return failed(i.error.message);
    let cmdline = withSerialConsole(
      kernel.cmdline ?? defaultLiveCmdline(info.value.volumeId),
      profile.console,
    );
    if (options.extraCmdline !== undefined && options.extraCmdline !== "")
      cmdline += ` ${options.extraCmdline}`;
    direct = { kernel: kernelFile, initrd, cmdline };
  }
  // A foreign guest has no KVM on this host: TCG without probing (a probe would only fail).
  const accel: AccelChoice =
    arch !== "x86_64" && !mayUseKvm(profile)
      ? {
          accel: "tcg",
          ...(options.accel === "tcg"
            ? {}
            : { note: `using TCG: the ${arch} guest cannot use KVM on this ${process.arch} host` }),
        }
      : await chooseAccel(options.accel, options.qemu ?? profile.qemu);
  const argv = qemuArgv({
    ...(options.qemu === undefined ? {} : { qemu: options.qemu }),
    arch,
    accel: accel.accel,
    memoryMiB: options.memoryMiB,
    preallocate: shouldPreallocate(accel.accel, options.memoryMiB, hostAvailableMiB()),
    cpus: options.cpus ?? 2,
    firmware: firmware.value,
    varsFile,
    iso,
    medium,
    ...(direct === undefined ? {} : { direct }),
    network: options.network,
    console: consoleMode,
  });
  const notes = [...firmware.value.notes, ...(accel.note === undefined ? [] : [accel.note])];
  if (options.secureBoot && !ownKeys)
    notes.push(
      `${options.iso} carries no Secure Boot enrolment files (loader/keys/auto); using firmware with the distribution's keys enrolled`,
    );
  if (!existsSync(varsFile)) throw new Error("Internal error: VARS copy vanished");
  return ok({
    argv,
    accel,
    firmware: firmware.value,
    arch,
    secureBoot: !options.secureBoot ? "off" : ownKeys ? "own-keys" : "enrolled-keys",
    info: info.value,
    ...(kernel === undefined ? {} : { kernel }),
    ...(kernelRelease === undefined ? {} : { kernelRelease }),
    ...(direct === undefined ? {} : { cmdline: direct.cmdline }),
    workDir,
    notes,
    cleanup,
  });
}

/** The host's MemAvailable in MiB (/proc/meminfo), or undefined where it cannot be read. */
export function hostAvailableMiB(): number | undefined {
  try {
    const m = /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync("/proc/meminfo", "utf8"));
    return m?.[1] === undefined ? undefined : Math.floor(Number(m[1]) / 1024);
  } catch {
    return undefined;
  }
}
