/**
 * livecd-stage2: in a build environment seeded from a stage3 (not kept), installs the kernels
 * named by `boot/kernel`, builds a dracut `dmsquash-live` initramfs for each, and writes the
 * payload folder (see payload.ts): `boot/<label>`, `boot/<label>.igz`, the kernel's modules as
 * a squashfs, the boot loader's EFI binary and `payload.json`. With `[secureboot] keys` in the
 * tree config the boot loader and kernels are signed with the db key and the public enrolment
 * files go into `secureboot/` (docs/secure-boot.md). Nothing in it names a volume id
 * or a root: livecd-stage3 adds those, so one payload serves any root.
 */
import {
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  writeFileSync,
} from "node:fs";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import type { InstalledKernel, InventoryPackage } from "../drivers/driver.js";
import { makeSquashfs } from "../image/squashfs.js";
import { mkdirInRoot, resolveInRoot, writeFileInRoot } from "../sandbox/root-path.js";
import { err, ok, type Result } from "../util/result.js";
import { installKernels, kernelRequests } from "./kernels.js";
import {
  LIVE_DRACUT_ARGS,
  OVERLAYFS_DIRS_HOOK_SH,
  MODULE_SETUP_SH,
  MODULES_DRACUT_MODULE,
  MODULES_HOOK_SH,
  PAYLOAD_MANIFEST,
  type PayloadKernel,
  type PayloadManifest,
  type PayloadSecureBoot,
} from "./payload.js";
import { KEY_NAMES, SIGNING_TOOLS, readKeyFolder, signEfiBinary } from "../image/secure-boot.js";
import { sequence, unpackSource } from "./steps.js";
import type { StageFailure, TargetContext, TargetKind } from "./target-kind.js";
import { listOf, stringOf } from "../spec/values.js";
import { type Machine, efiArchOf, efiBootFileName, machineOf } from "../spec/machine.js";

/**
 * The boot loader for the stage's machine: the driver's x86_64 systemd-boot binary
 * (`systemd-bootx64.efi`) becomes `systemd-boot<efi-arch>.efi` (`systemd-bootarm.efi` on armhf,
 * `systemd-bootaa64.efi` on arm64), installed on the ESP as `EFI/BOOT/BOOT<EFI-ARCH>.EFI`.
 */
export function bootLoaderFor(
  driverEfi: string,
  subarch: string | undefined,
): Result<{ efi: string; bootFile: string; machine?: Machine }, StageFailure> {
  const machine = subarch === undefined ? undefined : machineOf(subarch);
  if (machine === undefined) return ok({ efi: driverEfi, bootFile: "BOOTX64.EFI" });
  const efiArch = efiArchOf(machine);
  if (efiArch === undefined)
    return err({
      reason: "bad-input",
      message: `subarch ${subarch ?? ""} (${machine}) has no UEFI boot loader`,
    });
  return ok({
    efi: driverEfi.replace(/x64\.efi$/, `${efiArch}.efi`),
    bootFile: efiBootFileName(efiArch),
    machine,
  });
}

/** True when the file starts with gzip's magic bytes. */
export function isGzip(file: string): boolean {
  const fd = openSync(file, "r");
  try {
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

function hostPath(root: string, path: string): Result<string, StageFailure> {
  const r = resolveInRoot(root, path);
  return r.ok ? ok(r.value) : err(r.error);
}

/** Where dracut is in a build environment (the owner of the initramfs generator). */
const DRACUT = "/usr/bin/dracut";

async function buildPayload(
  ctx: TargetContext,
  root: string,
  kernels: readonly InstalledKernel[],
  packages: readonly InventoryPackage[],
) {
  const payloadDir = join(ctx.stagingDir, ctx.outputName);
  mkdirSync(join(payloadDir, "boot"), { recursive: true });
  mkdirSync(join(payloadDir, "modules"), { recursive: true });
  mkdirSync(join(payloadDir, "efi"), { recursive: true });
  const bootargs = listOf(ctx.values["livecd/bootargs"]);
  const entries: PayloadKernel[] = [];
  for (const k of kernels) {
    const image = hostPath(root, k.image);
    if (!image.ok) return image;
    // Debian's arm64 vmlinuz is a gzip-compressed Image, which no UEFI loader can start: the
    // payload carries it decompressed (the Image itself is the EFI application).
    if (isGzip(image.value))
      writeFileSync(join(payloadDir, "boot", k.label), gunzipSync(readFileSync(image.value)));
    else copyFileSync(image.value, join(payloadDir, "boot", k.label));
    const initrd = hostPath(root, `/boot/${k.label}.igz`);
    if (!initrd.ok) return initrd;
    copyFileSync(initrd.value, join(payloadDir, "boot", `${k.label}.igz`));
    const modules = hostPath(root, k.modulesDir);
    if (!modules.ok) return modules;
    const sq = await ctx.step("modules", `${k.version} as a squashfs`, async () => {
      const r = await makeSquashfs({
        source: modules.value,
        output: join(payloadDir, "modules", `${k.version}.squashfs`),
        // Kernel modules: zstd level 9 is 8x faster than the default 15 for 6% more bytes.
        options: ["-Xcompression-level", "9"],
        sourceDateEpoch: ctx.sourceDateEpoch,
        logFile: ctx.logFile,
        signal: ctx.signal,
        processors: ctx.jobs,
      });
      return r.ok ? ok(undefined) : err(r.error);
    });
    if (!sq.ok) return sq;
    const console = listOf(ctx.values[`boot/kernel/${k.label}/console`]).map((c) => `console=${c}`);
    entries.push({
      label: k.label,
      version: k.version,
      kernel: `boot/${k.label}`,
      initrd: `boot/${k.label}.igz`,
      modules: `modules/${k.version}.squashfs`,
      bootargs: [...bootargs, ...console],
    });
  }
  const boot = bootLoaderFor(ctx.driver.bootLoader.efi, stringOf(ctx.values["subarch"]));
  if (!boot.ok) return boot;
  const efi = hostPath(root, boot.value.efi);
  if (!efi.ok) return efi;
  copyFileSync(efi.value, join(payloadDir, "efi", boot.value.bootFile));
  let secureBoot: PayloadSecureBoot | undefined;
  if (ctx.secureBootKeys !== undefined) {
    const s = await signPayload(
      ctx,
      payloadDir,
      ctx.secureBootKeys,
      entries,
      `efi/${boot.value.bootFile}`,
    );
    if (!s.ok) return s;
    secureBoot = s.value;
  }
  const manifest: PayloadManifest = {
    format: 1,
    stage: ctx.stage,
    arch: ctx.spec.arch,
    ...(boot.value.machine === undefined ? {} : { machine: boot.value.machine }),
    kernels: entries,
    bootloader: stringOf(ctx.values["livecd/bootloader"]) === "grub" ? "grub" : "systemd-boot",
    efiBinary: `efi/${boot.value.bootFile}`,
    packages,
    ...(secureBoot === undefined ? {} : { secureBoot }),
  };
  writeFileSync(join(payloadDir, PAYLOAD_MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
  return ok(undefined);
}

/**
 * Signs the boot loader and every kernel with the db key (earlier signatures, such as Debian's
 * on its kernel, are removed first) and copies the public enrolment files into the payload.
 */
async function signPayload(
  ctx: TargetContext,
  payloadDir: string,
  keysDir: string,
  kernels: readonly PayloadKernel[],
  /** The boot loader's path in the payload (`efi/BOOTX64.EFI`, `efi/BOOTARM.EFI`). */
  bootLoader: string,
): Promise<Result<PayloadSecureBoot, StageFailure>> {
  const folder = readKeyFolder(keysDir);
  if (!folder.ok)
    return err({
      reason: "bad-input",
      message: `[secureboot] keys: ${folder.error}`,
      hint: `make the keys with \`substrate genkey ${keysDir}\``,
    });
  const keys = folder.value;
  return ctx.step("sign", `db key ${keys.certificates.db.sha256.slice(0, 16)}`, async () => {
    const signed: { path: string; removedSignatures: number }[] = [];
    for (const path of [bootLoader, ...kernels.map((k) => k.kernel)]) {
      const r = await signEfiBinary(join(payloadDir, path), keys, {
        logFile: ctx.logFile,
        signal: ctx.signal,
      });
      if (!r.ok) return err(r.error);
      signed.push({ path, removedSignatures: r.value });
    }
    mkdirSync(join(payloadDir, "secureboot"), { recursive: true });
    const enrol = { PK: "", KEK: "", db: "" };
    for (const name of KEY_NAMES) {
      const to = `secureboot/${name}.auth`;
      copyFileSync(keys.auth[name], join(payloadDir, to));
      enrol[name] = to;
    }
    return ok({
      certificate: keys.certificates.db,
      signed,
      unchecked: kernels.flatMap((k) => [k.initrd, k.modules]),
      enrol,
      certificates: keys.certificates,
    });
  });
}

/** The livecd-stage2 kind. */
export const livecdStage2: TargetKind = {
  name: "livecd-stage2",
  hostTools: [
    { command: "mksquashfs", debianPackage: "squashfs-tools", why: "packs the kernel modules" },
    ...SIGNING_TOOLS,
  ],
  describe: (d) => [
    `${d.source} (build environment, not kept)`,
    ...d.driverSteps,
    ...d.kernels(),
    "live initramfs (dracut dmsquash-live)",
    "boot loader binaries",
    `payload ${d.stage.outputs.output}`,
  ],
  async run(ctx) {
    const root = join(ctx.workDir, "root");
    if (kernelRequests(ctx.values).length === 0) {
      return err({
        reason: "bad-input",
        message: "livecd-stage2 needs boot/kernel",
        hint: "add `boot/kernel: <label>`",
      });
    }
    if (stringOf(ctx.values["livecd/bootloader"]) === "grub") {
      return err({
        reason: "not-meaningful",
        message:
          "livecd/bootloader: grub is not built by this version; systemd-boot is the default",
        hint: "remove livecd/bootloader or set it to systemd-boot",
      });
    }
    let kernels: InstalledKernel[] = [];
    let packages: readonly InventoryPackage[] = [];
    const r = await sequence([
      () => unpackSource(ctx, root),
      async () => {
        const k = await installKernels(ctx, root, { skipDefaultInitramfs: true });
        if (!k.ok) return k;
        kernels = k.value;
        return ok(undefined);
      },
      () =>
        ctx.step("bootloader", ctx.driver.bootLoader.packages.join(" "), async () => {
          const i = await ctx.driver.install(ctx, root, ctx.driver.bootLoader.packages);
          return i.ok ? i : err(i.error);
        }),
      () =>
        ctx.step("initramfs", kernels.map((k) => k.version).join(" "), async () => {
          const dir = `/usr/lib/dracut/modules.d/${MODULES_DRACUT_MODULE}`;
          const d = mkdirInRoot(root, dir);
          if (!d.ok) return err(d.error);
          for (const [name, text] of [
            ["module-setup.sh", MODULE_SETUP_SH],
            ["substrate-live-modules.sh", MODULES_HOOK_SH],
            ["substrate-overlayfs-dirs.sh", OVERLAYFS_DIRS_HOOK_SH],
          ] as const) {
            const w = writeFileInRoot(root, `${dir}/${name}`, text, 0o755);
            if (!w.ok) return err(w.error);
          }
          for (const k of kernels) {
            const extra = listOf(ctx.values[`boot/kernel/${k.label}/dracut_args`]);
            const i = await ctx.driver.liveInitramfs(ctx, root, {
              kernel: k,
              output: `/boot/${k.label}.igz`,
              extraArgs: [
                "--add",
                MODULES_DRACUT_MODULE.replace(/^\d+/, ""),
                ...LIVE_DRACUT_ARGS,
                ...extra,
              ],
            });
            if (!i.ok) return err(i.error);
          }
          return ok(undefined);
        }),
      // The packages the payload's files come from: the kernels', the boot loader's and dracut's
      // (the initramfs also holds files dracut copied from other packages of this environment).
      () =>
        ctx.step("inventory", "kernel, boot loader, dracut", async () => {
          const owning = [
            ...kernels.flatMap((k) => [k.image, k.modulesDir]),
            ctx.driver.bootLoader.efi,
            DRACUT,
          ];
          const i = await ctx.driver.inventory(ctx, root, { owning });
          if (!i.ok) return err(i.error);
          packages = i.value;
          return ok(undefined);
        }),
      () => ctx.step("payload", ctx.outputName, () => buildPayload(ctx, root, kernels, packages)),
    ]);
    return r.ok ? ok([ctx.outputName]) : r;
  },
};
