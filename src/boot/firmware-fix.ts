/**
 * `substrate firmware fix`: repairs the host's OVMF setup the way the roflmaOS notes do by hand.
 * Broken descriptors (pointing at files that do not exist) get a corrected copy, of the same
 * name, in `/etc/qemu/firmware` (or the user's directory), and libvirt's `nvram = [...]` list in
 * `qemu.conf` names every CODE:VARS pair that exists. Changes are idempotent and every file that
 * is changed keeps a `.bak-substrate` copy of its first version.
 */
import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { makeDirs } from "../util/make-dirs.js";
import { type FirmwareDescriptor, formatDescriptor } from "./firmware-descriptor.js";
import {
  type DescriptorEntry,
  type FirmwareInventory,
  defaultDescriptorDirs,
  discoverFirmware,
  installedKnownPairs,
  userConfigHome,
} from "./firmware.js";
import {
  type KnownFirmwarePair,
  KNOWN_ARM_FIRMWARE_PAIRS,
  KNOWN_FIRMWARE_PAIRS,
} from "./known-firmware.js";

/** Where the fix writes and what it may use. */
export interface FirmwareFixOptions {
  /** Write per-user files (`~/.config/qemu/firmware`, `~/.config/libvirt/qemu.conf`). */
  readonly user: boolean;
  /** Root for every descriptor directory and config file read or written ("" = the host). */
  readonly prefix: string;
  /** Firmware pairs to draw from (default: the well-known paths that exist). */
  readonly candidates?: readonly KnownFirmwarePair[];
  /** AAVMF pairs for arm and aarch64 descriptors (default: the well-known paths). */
  readonly armCandidates?: Partial<Record<"arm" | "aarch64", readonly KnownFirmwarePair[]>>;
  readonly env?: NodeJS.ProcessEnv;
}

/** One file the fix writes (or would write). */
export interface FixChange {
  readonly path: string;
  /** `create`: new file; `update`: changed (backup kept); `unchanged`: already right. */
  readonly action: "create" | "update" | "unchanged";
  /** Human words for what changes. */
  readonly summary: string;
  /** The new content. */
  readonly content: string;
  /** Where the previous content is kept (for `update`). */
  readonly backup?: string;
}

/** The whole fix: file changes plus notes about what could not be done. */
export interface FixPlan {
  readonly changes: readonly FixChange[];
  readonly notes: readonly string[];
}

/** Backup suffix for files the fix changes. */
export const BACKUP_SUFFIX = ".bak-substrate";

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function change(path: string, content: string, summary: string): FixChange {
  const current = readText(path);
  if (current === content) return { path, action: "unchanged", summary, content };
  if (current === undefined) return { path, action: "create", summary, content };
  return { path, action: "update", summary, content, backup: path + BACKUP_SUFFIX };
}

function matchingPair(
  e: DescriptorEntry,
  pairs: readonly KnownFirmwarePair[],
): KnownFirmwarePair | undefined {
  return pairs.find((p) => p.secureBoot === e.secureBoot && p.enrolledKeys === e.enrolledKeys);
}

function withFiles(d: FirmwareDescriptor, p: KnownFirmwarePair): FirmwareDescriptor {
  if (d.mapping.device !== "flash") return d;
  return {
    ...d,
    mapping: {
      device: "flash",
      mode: "split",
      executable: { filename: p.code, format: "raw" },
      nvramTemplate: { filename: p.vars, format: "raw" },
    },
  };
}

function newDescriptor(p: KnownFirmwarePair): FirmwareDescriptor {
  return {
    description: `UEFI firmware for x86_64${p.secureBoot ? ", with Secure Boot and SMM" : ", without Secure Boot"} (written by substrate firmware fix)`,
    interfaceTypes: ["uefi"],
    mapping: {
      device: "flash",
      mode: "split",
      executable: { filename: p.code, format: "raw" },
      nvramTemplate: { filename: p.vars, format: "raw" },
    },
    targets: [{ architecture: "x86_64", machines: ["pc-i440fx-*", "pc-q35-*"] }],
    features: [
      "acpi-s3",
      ...(p.enrolledKeys ? ["enrolled-keys"] : []),
      ...(p.requiresSmm ? ["requires-smm"] : []),
      ...(p.secureBoot ? ["secure-boot"] : []),
    ],
    tags: [],
  };
}

/** The libvirt `nvram = [ ... ]` setting for these pairs (one `CODE:VARS` string per line). */
export function formatNvramSetting(pairs: readonly string[]): string {
  return ["nvram = [", ...pairs.map((p) => `    "${p}",`), "]"].join("\n");
}

/**
 * Replaces the first uncommented `nvram = [ ... ]` setting in a libvirt `qemu.conf` text, or
 * appends one. Returns the new text.
 */
export function setLibvirtNvram(conf: string, pairs: readonly string[]): string {
  const setting = formatNvramSetting(pairs);
  const lines = conf.split("\n");
  const start = lines.findIndex((l) => /^\s*nvram\s*=/.test(l));
  if (start >= 0) {
    let end = start;
    // The list may span lines; it ends at the line holding the closing bracket.
    while (end < lines.length && !(lines[end] ?? "").includes("]")) end++;
    if (end >= lines.length) end = start;
    return [...lines.slice(0, start), setting, ...lines.slice(end + 1)].join("\n");
  }
  const base = conf === "" || conf.endsWith("\n") ? conf : conf + "\n";
  return `${base}${base === "" ? "" : "\n"}# UEFI firmware CODE:VARS pairs (substrate firmware fix)\n${setting}\n`;
}

/** Computes the fix without writing anything. */
export function planFirmwareFix(options: FirmwareFixOptions): FixPlan {
  const env = options.env ?? process.env;
  const dirs = defaultDescriptorDirs(options.prefix, env);
  const inventory: FirmwareInventory = discoverFirmware(dirs);
  const pairs = installedKnownPairs(options.candidates ?? KNOWN_FIRMWARE_PAIRS);
  const targetScope = options.user ? "user" : "system";
  const targetDir = dirs.find((d) => d.scope === targetScope)?.path;
  if (targetDir === undefined) throw new Error("Internal error: no target descriptor directory");
  const changes: FixChange[] = [];
  const notes: string[] = [];
  let workingPlain = inventory.entries.some((e) => e.usable && !e.secureBoot);
  const nvram: string[] = [];
  const addPair = (code: string, vars: string): void => {
    const s = `${code}:${vars}`;
    if (!nvram.includes(s)) nvram.push(s);
  };
  for (const e of inventory.entries) {
    if (e.status !== "active" || e.descriptor === undefined) continue;
    if (e.usable && e.executable !== undefined && e.nvramTemplate !== undefined) {
      addPair(e.executable, e.nvramTemplate);
      continue;
    }
    const missing = e.executableExists === false || e.nvramTemplateExists === false;
    if (!missing || e.descriptor.mapping.device !== "flash") continue;
    if (e.scope === "user" && !options.user) {
      notes.push(`${e.path} is broken but per-user: run \`substrate firmware fix --user\``);
      continue;
    }
    // A descriptor is repaired with firmware of its own architecture: OVMF for x86_64, AAVMF
    // for arm and aarch64 (Debian's qemu-efi-aarch64 names a Secure Boot build it does not
    // ship; with no such build installed that descriptor is disabled). Others are left alone.
    const archs = e.descriptor.targets.map((t) => t.architecture);
    const candidates = archs.includes("x86_64")
      ? pairs
      : archs.includes("arm") || archs.includes("aarch64")
        ? installedKnownPairs(
            options.armCandidates?.[archs.includes("arm") ? "arm" : "aarch64"] ??
              KNOWN_ARM_FIRMWARE_PAIRS[archs.includes("arm") ? "arm" : "aarch64"],
          )
        : undefined;
    if (candidates === undefined) {
      notes.push(
        `${e.path} points at missing files; substrate repairs x86_64, arm and aarch64 descriptors only`,
      );
      continue;
    }
    const replacement = matchingPair(e, candidates);
    const target = join(targetDir, e.name);
    if (replacement === undefined) {
      changes.push(
        change(
          target,
          "",
          `disable ${e.name}: it points at missing files and no installed firmware of its kind exists`,
        ),
      );
      continue;
    }
    const fixed = withFiles(e.descriptor, replacement);
    changes.push(
      change(
        target,
        formatDescriptor(fixed),
        `${e.name}: ${e.executable ?? "?"} -> ${replacement.code}, ${e.nvramTemplate ?? "?"} -> ${replacement.vars}`,
      ),
    );
    addPair(replacement.code, replacement.vars);
    const otherProblems = e.problems.filter((p) => !p.endsWith("does not exist"));
    if (!e.secureBoot && otherProblems.length === 0) workingPlain = true;
  }
  if (!workingPlain) {
    const plain = pairs.find((p) => !p.secureBoot);
    if (plain === undefined) {
      notes.push(
        "no x86_64 UEFI firmware without Secure Boot is installed (Debian: apt-get install ovmf)",
      );
    } else {
      const name = "60-substrate-edk2-x86_64.json";
      changes.push(
        change(
          join(targetDir, name),
          formatDescriptor(newDescriptor(plain)),
          `${name}: new descriptor for ${plain.code}`,
        ),
      );
      addPair(plain.code, plain.vars);
    }
  }
  for (const p of pairs) addPair(p.code, p.vars);
  const root = options.prefix || "/";
  const confPath = options.user
    ? join(root, userConfigHome(env), "libvirt/qemu.conf")
    : join(root, "etc/libvirt/qemu.conf");
  if (nvram.length === 0) {
    notes.push("no firmware pairs exist, so libvirt's nvram list is left alone");
  } else if (options.prefix === "" && !options.user && !existsSync(dirname(confPath))) {
    notes.push(
      `libvirt is not installed (${dirname(confPath)} does not exist): its nvram list is not written`,
    );
  } else {
    const current = readText(confPath) ?? "";
    changes.push(
      change(
        confPath,
        setLibvirtNvram(current, nvram),
        `libvirt nvram list: ${nvram.length} CODE:VARS pair(s)`,
      ),
    );
  }
  return { changes, notes };
}

/**
 * Writes a plan's changes: each file is written under a temporary name and renamed into place;
 * a changed file's first version is kept as `<file>.bak-substrate`.
 */
export function applyFirmwareFix(plan: FixPlan): void {
  for (const c of plan.changes) {
    if (c.action === "unchanged") continue;
    // Not mkdirSync({ recursive }), which spins forever under a prefix such as /proc/<missing>.
    makeDirs(dirname(c.path));
    if (c.backup !== undefined && !existsSync(c.backup)) copyFileSync(c.path, c.backup);
    const tmp = `${c.path}.tmp-substrate`;
    writeFileSync(tmp, c.content);
    renameSync(tmp, c.path);
  }
}
