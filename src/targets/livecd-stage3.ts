/**
 * livecd-stage3: joins a live root (a livecd-stage1 squashfs, or any stage tarball, squashed
 * here) with a livecd-stage2 payload into a UEFI-bootable ISO. No package manager runs here.
 * ISO layout (see docs/live-media.md):
 *   LiveOS/squashfs.img                 the root (dracut dmsquash-live's default place)
 *   LiveOS/modules-<kver>.img           the payload's kernel modules, mounted by the initramfs
 *   boot/<label>, boot/<label>.igz      kernel and initramfs (virt-install --location works)
 *   boot/payload.json                   the payload manifest plus the final kernel command line
 *   loader/entries/<label>.conf         a copy of the ESP's boot entries, for tools
 *   loader/keys/auto/{PK,KEK,db}.auth   signed payloads only: the public enrolment files
 *   isoroot_b2sums                      with `livecd/verify`: `b2sum -c` manifest of the medium
 * and an El Torito EFI image (a FAT ESP made without loop mounts, also appended as a GPT
 * partition) holding systemd-boot, the entries, the kernel and the initramfs.
 */
import {
  copyFileSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { basename, join, relative } from "node:path";
import { machineOf } from "../spec/machine.js";
import {
  bootEntry,
  checkVolid,
  describeVolidProblem,
  liveKernelCmdline,
  loaderConf,
} from "../image/bootloader.js";
import { makeEspImage, type EspFile } from "../image/esp.js";
import { makeIso } from "../image/iso.js";
import { sbomName, sbomPackages, type SpdxDocument } from "../image/sbom.js";
import { unsquashTo } from "../image/unsquash.js";
import { openOverlayRoot, type OverlayRoot } from "../sandbox/overlay-root.js";
import type { KeptRoot } from "../store/root-cache.js";
import { err, ok, type Result } from "../util/result.js";
import { describeImageStage, sbomStep } from "./describe-steps.js";
import { liveSetup } from "./live-setup.js";
import { squashRoot } from "./livecd-stage1.js";
import { ENROL_DIR, isoModulesPath, readPayload, type PayloadManifest } from "./payload.js";
import {
  emptyPaths,
  fsscript,
  removePaths,
  rootOverlay,
  sequence,
  unpackSource,
  type StepResult,
} from "./steps.js";
import { type Inventory, newInventory, takeInventory, writeSbom } from "./sbom-steps.js";
import type { StageFailure, TargetContext, TargetKind } from "./target-kind.js";
import { isYes, stringOf } from "../spec/values.js";

/** Hard-links `src` to `dest`, copying when they are on different file systems. */
function place(src: string, dest: string): void {
  mkdirSync(join(dest, ".."), { recursive: true });
  try {
    linkSync(src, dest);
  } catch {
    copyFileSync(src, dest);
  }
}

function walkFiles(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) visit(p);
      else out.push(p);
    }
  };
  visit(dir);
  return out;
}

async function b2sum(path: string): Promise<string> {
  const h = createHash("blake2b512");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/**
 * Keys that change the root: a squashfs input is then changed (on its kept root, else
 * unsquashed) and squashed again.
 */
const ROOT_KEYS = ["livecd/root_overlay", "livecd/fsscript", "livecd/rm", "livecd/empty"];

/**
 * The packages of a squashfs input put in the ISO unchanged: from the SBOM published beside it
 * (livecd-stage1 writes one). An input without one (a squashfs from elsewhere) lists none.
 */
function inputSbomPackages(
  ctx: TargetContext,
  image: string,
  into: Inventory,
): Promise<StepResult> {
  return ctx.step("inventory", `${sbomName(image.split("/").pop() ?? image)} of the input`, () => {
    try {
      const doc = JSON.parse(readFileSync(sbomName(image), "utf8")) as SpdxDocument;
      into.packages = sbomPackages(doc);
    } catch {
      ctx.emit({
        type: "stage-progress",
        stage: ctx.stage,
        message: `${sbomName(image)} is missing or unreadable: the ISO's SBOM lists only the payload's packages`,
      });
    }
    return Promise.resolve(ok(undefined));
  });
}

async function liveRoot(
  ctx: TargetContext,
  isoTree: string,
  inventory: Inventory,
): Promise<StepResult> {
  const source = ctx.inputs.source;
  if (source === undefined)
    return err({ reason: "bad-input", message: "livecd-stage3 needs source_subpath" });
  const target = join(isoTree, "LiveOS", "squashfs.img");
  const changes = ROOT_KEYS.some((k) => ctx.values[k] !== undefined);
  if (source.kind === "squashfs" && !changes) {
    const placed = await ctx.step("root", `${source.from} (squashfs, used as is)`, () => {
      place(source.path, target);
      return Promise.resolve(ok(undefined));
    });
    return placed.ok ? inputSbomPackages(ctx, source.path, inventory) : placed;
  }
  if (source.kind === "payload") {
    return err({
      reason: "bad-input",
      message: `source_subpath names ${source.from}, a payload; it must name a root`,
    });
  }
  const squashName = "LiveOS-squashfs.img";
  // A squashfs whose unpacked root is kept (livecd-stage1 keeps it): mount that root read-only
  // under an overlay instead of unsquashing it. Same bytes either way (tested), less work.
  const kept = source.kind === "squashfs" ? ctx.keptRootOf(source) : undefined;
  let overlay: OverlayRoot | undefined;
  let root = join(ctx.workDir, "root");
  const unsquash = (): Promise<StepResult> =>
    ctx.step("unsquash", source.from, async () => {
      const u = await unsquashTo({
        image: source.path,
        dest: root,
        logFile: ctx.logFile,
        signal: ctx.signal,
        processors: ctx.jobs,
      });
      return u.ok ? ok(undefined) : err(u.error);
    });
  const overlayOnKept = async (k: KeptRoot): Promise<StepResult> => {
    const o = await ctx.step("root", `${source.from} (kept root, overlay)`, async () => {
      const opened = await openOverlayRoot({
        lower: k.root,
        upper: join(ctx.workDir, "upper"),
        work: join(ctx.workDir, "overlay-work"),
        mountPoint: root,
      });
      return ok(opened);
    });
    if (!o.ok) return o;
    if (!o.value.ok) {
      ctx.emit({
        type: "stage-progress",
        stage: ctx.stage,
        message: `${o.value.error.message}; unsquashing instead`,
      });
      return unsquash();
    }
    overlay = o.value.value;
    root = overlay.path;
    return ok(undefined);
  };
  try {
    const r = await sequence([
      () => {
        if (source.kind === "tarball") return unpackSource(ctx, root);
        return kept === undefined ? unsquash() : overlayOnKept(kept);
      },
      async () => (source.kind === "tarball" ? liveSetup(ctx, root) : ok(undefined)),
      () => rootOverlay(ctx, root),
      () => fsscript(ctx, root),
      () => takeInventory(ctx, root, inventory),
      () => removePaths(ctx, root),
      () => emptyPaths(ctx, root),
      () => squashRoot(ctx, root, squashName),
    ]);
    if (!r.ok) return r;
  } finally {
    await overlay?.close();
    kept?.release();
  }
  place(join(ctx.stagingDir, squashName), target);
  return ok(undefined);
}

/**
 * The kernel command line for one kernel: dracut's live arguments for this volume id, the
 * payload's boot arguments, and the default consoles unless the payload names its own.
 */
export function cmdlineFor(volid: string, bootargs: readonly string[]): string {
  const hasConsole = bootargs.some((a) => a.startsWith("console="));
  return liveKernelCmdline({ volid, extra: bootargs, ...(hasConsole ? { consoles: [] } : {}) });
}

function buildTrees(
  ctx: TargetContext,
  payloadDir: string,
  payload: PayloadManifest,
  volid: string,
  isoTree: string,
  espFiles: EspFile[],
): Result<void, StageFailure> {
  // The payload names its binary after the removable-media path (BOOTX64.EFI, BOOTARM.EFI, ...).
  const bootFile = /^BOOT[A-Z0-9]+\.EFI$/i.test(basename(payload.efiBinary))
    ? basename(payload.efiBinary).toUpperCase()
    : "BOOTX64.EFI";
  espFiles.push({ path: `EFI/BOOT/${bootFile}`, source: join(payloadDir, payload.efiBinary) });
  const entries: { name: string; text: string }[] = [];
  const cmdlines: Record<string, string> = {};
  for (const k of payload.kernels) {
    for (const [from, to] of [
      [k.kernel, `boot/${k.label}`],
      [k.initrd, `boot/${k.label}.igz`],
    ] as const) {
      place(join(payloadDir, from), join(isoTree, to));
      espFiles.push({ path: to, source: join(payloadDir, from) });
    }
    place(join(payloadDir, k.modules), join(isoTree, isoModulesPath(k.version)));
    const cmdline = cmdlineFor(volid, k.bootargs);
    cmdlines[k.label] = cmdline;
    entries.push({
      name: `${k.label}.conf`,
      text: bootEntry({
        title: `${volid} (${k.label}, ${k.version})`,
        version: k.version,
        linux: `/boot/${k.label}`,
        initrd: [`/boot/${k.label}.igz`],
        options: cmdline,
      }),
    });
  }
  const first = payload.kernels[0];
  if (first === undefined)
    return err({ reason: "bad-input", message: "the payload has no kernel" });
  const sb = payload.secureBoot;
  const conf = loaderConf({
    defaultEntry: `${first.label}.conf`,
    timeoutSec: 3,
    // Signed media enrol their own keys on a machine in setup mode (docs/secure-boot.md).
    ...(sb === undefined ? {} : { secureBootEnroll: "force" as const }),
  });
  if (sb !== undefined) {
    for (const [name, from] of Object.entries(sb.enrol)) {
      const to = `${ENROL_DIR}/${name}.auth`;
      place(join(payloadDir, from), join(isoTree, to));
      espFiles.push({ path: to, source: join(payloadDir, from) });
    }
  }
  mkdirSync(join(isoTree, "loader", "entries"), { recursive: true });
  writeFileSync(join(isoTree, "loader", "loader.conf"), conf);
  espFiles.push({ path: "loader/loader.conf", content: conf });
  for (const e of entries) {
    writeFileSync(join(isoTree, "loader", "entries", e.name), e.text);
    espFiles.push({ path: `loader/entries/${e.name}`, content: e.text });
  }
  writeFileSync(
    join(isoTree, "boot", "payload.json"),
    JSON.stringify({ ...payload, volid, cmdline: cmdlines }, null, 2) + "\n",
  );
  return ok(undefined);
}

/** The livecd-stage3 kind. */
export const livecdStage3: TargetKind = {
  name: "livecd-stage3",
  hostTools: [
    { command: "xorriso", debianPackage: "xorriso", why: "writes the ISO" },
    { command: "mkfs.vfat", debianPackage: "dosfstools", why: "formats the ESP image" },
    { command: "mcopy", debianPackage: "mtools", why: "fills the ESP image without loop mounts" },
    { command: "mksquashfs", debianPackage: "squashfs-tools", why: "squashes a tarball root" },
  ],
  describe: (d) => [...describeImageStage(d), sbomStep(d)],
  async run(ctx) {
    const payloadInput = ctx.inputs.payload;
    if (payloadInput?.kind !== "payload") {
      return err({
        reason: "bad-input",
        message: "livecd-stage3 needs a livecd-stage2 payload (livecd/payload or livecd/cdtar)",
        hint: "set livecd/payload: <arch>/<flavour>/livecd-stage2-<arch><rel>-latest",
      });
    }
    const payload = readPayload(payloadInput.path);
    if (!payload.ok) return err({ reason: "bad-input", message: payload.error });
    // The planner refuses two stages of different machines; a payload from a seed or an
    // earlier run is checked here, before any work, from the machine its manifest records.
    const rootMachine = machineOf(stringOf(ctx.values["subarch"]) ?? "");
    if (
      payload.value.machine !== undefined &&
      rootMachine !== undefined &&
      payload.value.machine !== rootMachine
    ) {
      return err({
        reason: "bad-input",
        message: `livecd-stage3 joins a root for ${rootMachine} with a boot payload for ${payload.value.machine} (${payloadInput.path}): the ISO could not boot`,
        hint: "take the root and the payload from stages of the same architecture",
      });
    }
    const volid = stringOf(ctx.values["livecd/volid"]) ?? "substrate";
    const v = checkVolid(volid);
    if (!v.ok)
      return err({
        reason: "bad-input",
        message: `livecd/volid: ${describeVolidProblem(volid, v.error)}`,
      });
    const isoTree = join(ctx.workDir, "iso");
    const espFiles: EspFile[] = [];
    mkdirSync(join(isoTree, "LiveOS"), { recursive: true });
    const inventory = newInventory();
    const r = await sequence([
      () => liveRoot(ctx, isoTree, inventory),
      () =>
        ctx.step("trees", "ISO and ESP contents", () =>
          Promise.resolve(
            buildTrees(ctx, payloadInput.path, payload.value, volid, isoTree, espFiles),
          ),
        ),
      async () =>
        !isYes(ctx.values["livecd/verify"]) && stringOf(ctx.values["livecd/verify"]) !== "blake2"
          ? ok(undefined)
          : ctx.step("verify", "isoroot_b2sums", async () => {
              const lines: string[] = [];
              for (const f of walkFiles(isoTree))
                lines.push(`${await b2sum(f)}  ${relative(isoTree, f)}`);
              writeFileSync(join(isoTree, "isoroot_b2sums"), lines.join("\n") + "\n");
              return ok(undefined);
            }),
      () =>
        ctx.step("esp", "FAT image (mtools)", async () => {
          const e = await makeEspImage({
            files: espFiles,
            output: join(ctx.workDir, "esp.img"),
            label: "ESP",
            sourceDateEpoch: ctx.sourceDateEpoch,
            logFile: ctx.logFile,
            signal: ctx.signal,
          });
          return e.ok ? ok(undefined) : err(e.error);
        }),
      () =>
        ctx.step("iso", ctx.outputName, async () => {
          const i = await makeIso({
            tree: isoTree,
            espImage: join(ctx.workDir, "esp.img"),
            volid,
            output: join(ctx.stagingDir, ctx.outputName),
            sourceDateEpoch: ctx.sourceDateEpoch,
            logFile: ctx.logFile,
            signal: ctx.signal,
            allowLargeEsp: isYes(ctx.values["livecd/large_esp"]),
          });
          return i.ok ? ok(undefined) : err(i.error);
        }),
      async () => {
        const s = await writeSbom(ctx, inventory, "iso", [
          {
            packages: payload.value.packages ?? [],
            comment:
              "in the boot payload (kernel, initramfs, boot loader), from livecd-stage2's build environment",
          },
        ]);
        return s.ok ? ok(undefined) : s;
      },
    ]);
    return r.ok ? ok([ctx.outputName, sbomName(ctx.outputName)]) : r;
  },
};
