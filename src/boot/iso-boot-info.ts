/**
 * What a boot test needs to know about a live ISO, read from the ISO itself (layout in
 * docs/live-media.md): the kernels at `boot/<label>` + `boot/<label>.igz`, their command lines
 * (from `boot/payload.json`, the systemd-boot entries copied to `loader/entries/`, or the
 * entries inside the El Torito ESP), their versions, the volume id and the checksum manifest.
 */
import { type BootArch, isoBootArch } from "./arch.js";
import { join } from "node:path";
import {
  type IsoReadFailure,
  extractEsp,
  isoVolumeId,
  listFatDir,
  listIsoFiles,
  readFatText,
  readIsoText,
} from "../image/iso-read.js";
import { type Result, ok } from "../util/result.js";

/** A systemd-boot Type #1 entry (`loader/entries/*.conf`). */
export interface LoaderEntry {
  readonly file: string;
  readonly title?: string;
  readonly linux?: string;
  readonly initrd: readonly string[];
  /** `options` lines joined by spaces. */
  readonly options: string;
}

/** One bootable kernel on the ISO. */
export interface IsoKernel {
  readonly label: string;
  /** ISO path of the kernel, `/boot/<label>`. */
  readonly kernelPath: string;
  /** ISO path of the initramfs, `/boot/<label>.igz`. */
  readonly initrdPath: string;
  /** Kernel command line the ISO's own boot loader uses, when known. */
  readonly cmdline?: string;
  /** `uname -r` from the payload manifest, when present. */
  readonly version?: string;
}

/** A checksum list the live system can verify its medium with. */
export interface ChecksumManifest {
  /** ISO path, e.g. `/isoroot_b2sums`. */
  readonly path: string;
  /** The `*sum` tool that reads it. */
  readonly tool: "b2sum" | "sha256sum" | "sha512sum" | "md5sum";
}

/** Everything read from the ISO. */
export interface IsoBootInfo {
  readonly volumeId: string;
  readonly files: readonly string[];
  readonly kernels: readonly IsoKernel[];
  readonly entries: readonly LoaderEntry[];
  readonly checksums?: ChecksumManifest;
  /** Where the cmdline came from, for messages. */
  readonly cmdlineSource: string;
  /** The guest architecture the ISO boots (arch.ts), and where that was read. */
  readonly arch?: BootArch;
  readonly archSource?: string;
  /**
   * The medium carries Secure Boot enrolment files for systemd-boot (`loader/keys/auto/`
   * `PK.auth`, `KEK.auth`, `db.auth`; a signed substrate ISO, docs/secure-boot.md).
   */
  readonly enrolKeys: boolean;
}

/** The enrolment files a medium that enrols its own Secure Boot keys carries. */
export const ENROL_FILES: readonly string[] = ["PK", "KEK", "db"].map(
  (k) => `/loader/keys/auto/${k}.auth`,
);

/** Parses a systemd-boot entry file. */
export function parseLoaderEntry(file: string, text: string): LoaderEntry {
  let title: string | undefined;
  let linux: string | undefined;
  const initrd: string[] = [];
  const options: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (m === null) continue;
    const [, key, value = ""] = m;
    if (key === "title") title = value.trim();
    else if (key === "linux") linux = value.trim();
    else if (key === "initrd") initrd.push(value.trim());
    else if (key === "options") options.push(value.trim());
  }
  return {
    file,
    ...(title === undefined ? {} : { title }),
    ...(linux === undefined ? {} : { linux }),
    initrd,
    options: options.join(" "),
  };
}

interface ManifestKernel {
  readonly label: string;
  readonly version?: string;
}

function parseManifest(text: string):
  | {
      kernels: ManifestKernel[];
      cmdline: Record<string, string>;
      machine?: string;
      efiBinary?: string;
    }
  | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof json !== "object" || json === null) return undefined;
  const j = json as {
    kernels?: unknown;
    cmdline?: unknown;
    machine?: unknown;
    efiBinary?: unknown;
  };
  const kernels: ManifestKernel[] = [];
  if (Array.isArray(j.kernels)) {
    for (const k of j.kernels as unknown[]) {
      if (typeof k !== "object" || k === null) continue;
      const { label, version } = k as { label?: unknown; version?: unknown };
      if (typeof label !== "string") continue;
      kernels.push(typeof version === "string" ? { label, version } : { label });
    }
  }
  const cmdline: Record<string, string> = {};
  if (typeof j.cmdline === "object" && j.cmdline !== null) {
    for (const [k, v] of Object.entries(j.cmdline)) if (typeof v === "string") cmdline[k] = v;
  }
  return {
    kernels,
    cmdline,
    ...(typeof j.machine === "string" ? { machine: j.machine } : {}),
    ...(typeof j.efiBinary === "string" ? { efiBinary: j.efiBinary } : {}),
  };
}

const CHECKSUM_NAMES: readonly { re: RegExp; tool: ChecksumManifest["tool"] }[] = [
  { re: /^\/isoroot_b2sums$/, tool: "b2sum" },
  { re: /^\/(B2SUMS|b2sums(\.txt)?)$/, tool: "b2sum" },
  { re: /^\/(SHA512SUMS|sha512sums?(\.txt)?)$/, tool: "sha512sum" },
  { re: /^\/(SHA256SUMS|sha256sums?(\.txt)?)$/, tool: "sha256sum" },
  { re: /^\/md5sums?(\.txt)?$/, tool: "md5sum" },
];

/** The default command line when the ISO names none: dracut dmsquash-live on the volume. */
export function defaultLiveCmdline(volumeId: string): string {
  return `root=live:CDLABEL=${volumeId} rd.live.image rd.live.overlay.overlayfs=1`;
}

/** Reads the boot-relevant facts from an ISO. `workDir` receives temporary extracts. */
export async function inspectIso(
  iso: string,
  workDir: string,
): Promise<Result<IsoBootInfo, IsoReadFailure>> {
  const files = await listIsoFiles(iso);
  if (!files.ok) return files;
  const volid = await isoVolumeId(iso);
  if (!volid.ok) return volid;
  const fileSet = new Set(files.value);
  let manifest: ReturnType<typeof parseManifest>;
  if (fileSet.has("/boot/payload.json")) {
    const t = await readIsoText(iso, "/boot/payload.json", workDir);
    if (t.ok) manifest = parseManifest(t.value);
  }
  const entries: LoaderEntry[] = [];
  let entrySource = "";
  for (const f of files.value.filter((p) => /^\/loader\/entries\/[^/]+\.conf$/.test(p)).sort()) {
    const t = await readIsoText(iso, f, workDir);
    if (t.ok) entries.push(parseLoaderEntry(f, t.value));
    entrySource = "the ISO's loader/entries";
  }
  let espBootFiles: string[] | undefined;
  const needArch = manifest?.machine === undefined && manifest?.efiBinary === undefined;
  if (entries.length === 0 || needArch) {
    const esp = await extractEsp(iso, join(workDir, "boot-images"));
    if (esp.ok && esp.value !== undefined && needArch)
      espBootFiles = (await listFatDir(esp.value, "/EFI/BOOT")).filter((n) => /\.efi$/i.test(n));
    if (esp.ok && esp.value !== undefined && entries.length === 0) {
      for (const f of (await listFatDir(esp.value, "/loader/entries"))
        .filter((n) => n.endsWith(".conf"))
        .sort()) {
        const t = await readFatText(esp.value, f);
        if (t !== undefined) entries.push(parseLoaderEntry(`ESP:${f}`, t));
        entrySource = "the ESP's loader/entries";
      }
    }
  }
  const labels = manifest?.kernels.map((k) => k.label) ?? [];
  if (labels.length === 0) {
    for (const f of files.value) {
      const m = /^\/boot\/([^/]+)\.igz$/.exec(f);
      if (m?.[1] !== undefined && fileSet.has(`/boot/${m[1]}`)) labels.push(m[1]);
    }
  }
  let cmdlineSource = "";
  const kernels: IsoKernel[] = labels.map((label) => {
    const version = manifest?.kernels.find((k) => k.label === label)?.version;
    const entry =
      entries.find((e) => e.linux !== undefined && e.linux.endsWith(`/${label}`)) ?? entries[0];
    let cmdline = manifest?.cmdline[label];
    if (cmdline !== undefined) cmdlineSource = "boot/payload.json";
    else if (entry !== undefined && entry.options !== "") {
      cmdline = entry.options;
      cmdlineSource = `${entry.file} (${entrySource})`;
    }
    return {
      label,
      kernelPath: `/boot/${label}`,
      initrdPath: `/boot/${label}.igz`,
      ...(cmdline === undefined ? {} : { cmdline }),
      ...(version === undefined ? {} : { version }),
    };
  });
  const checksums = CHECKSUM_NAMES.flatMap(({ re, tool }) =>
    files.value.filter((f) => re.test(f)).map((path) => ({ path, tool })),
  )[0];
  const arch = isoBootArch({
    ...(manifest?.machine === undefined ? {} : { manifestMachine: manifest.machine }),
    ...(manifest?.efiBinary === undefined ? {} : { manifestEfiBinary: manifest.efiBinary }),
    ...(espBootFiles === undefined ? {} : { espBootFiles }),
  });
  return ok({
    volumeId: volid.value,
    files: files.value,
    kernels,
    entries,
    arch: arch.arch,
    archSource: arch.source,
    ...(checksums === undefined ? {} : { checksums }),
    cmdlineSource: cmdlineSource || "none (using the dmsquash-live default)",
    enrolKeys: ENROL_FILES.every((f) => fileSet.has(f)),
  });
}
