/**
 * Firmware discovery: reads the QEMU firmware descriptors from their three directories with
 * QEMU's precedence rules, checks what each one points at, and picks the UEFI build a boot test
 * runs (plain x86_64 UEFI by default, Secure Boot with enrolled keys on request, or Secure Boot in
 * setup mode for a medium that enrols its own keys). When no
 * descriptor works, well-known OVMF locations of the common distributions (known-firmware.ts)
 * are tried.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import { type FirmwareDescriptor, parseDescriptor, supportsQ35 } from "./firmware-descriptor.js";
import {
  type KnownFirmwarePair,
  KNOWN_ARM_FIRMWARE_PAIRS,
  KNOWN_FIRMWARE_PAIRS,
} from "./known-firmware.js";
import { type BootArch, bootArchProfile, targetMatches } from "./arch.js";
import { type Result, ok, err } from "../util/result.js";
import type { FailureOf } from "../report/failure.js";

/** Which of the three descriptor directories a file comes from, lowest priority first. */
export type DescriptorScope = "distro" | "system" | "user";

/** One descriptor directory. */
export interface DescriptorDir {
  readonly scope: DescriptorScope;
  readonly path: string;
}

/**
 * The directories QEMU documents, lowest priority first: `/usr/share/qemu/firmware`,
 * `/etc/qemu/firmware`, `$XDG_CONFIG_HOME/qemu/firmware` (default `~/.config`). `root` prefixes
 * every path (tests, `--prefix`).
 */
export function defaultDescriptorDirs(
  root = "",
  env: NodeJS.ProcessEnv = process.env,
): DescriptorDir[] {
  return [
    { scope: "distro", path: join(root || "/", "usr/share/qemu/firmware") },
    { scope: "system", path: join(root || "/", "etc/qemu/firmware") },
    { scope: "user", path: join(root || "/", userConfigHome(env), "qemu/firmware") },
  ];
}

/** `$XDG_CONFIG_HOME`, or `~/.config`. */
export function userConfigHome(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env["XDG_CONFIG_HOME"];
  if (xdg !== undefined && xdg.startsWith("/")) return xdg;
  return join(env["HOME"] ?? homedir(), ".config");
}

/** What QEMU's rules make of one descriptor file. */
export type DescriptorStatus =
  /** Takes effect. */
  | "active"
  /** A file of the same name in a more specific directory replaces it. */
  | "overridden"
  /** An empty file of the same name in a more specific directory hides it. */
  | "hidden"
  /** This file is empty: it hides less specific ones (or nothing). */
  | "empty"
  /** Not readable, not JSON, or not matching the schema. */
  | "invalid";

/** One descriptor file and everything known about it. */
export interface DescriptorEntry {
  readonly name: string;
  readonly path: string;
  readonly scope: DescriptorScope;
  readonly status: DescriptorStatus;
  /** The file that overrides or hides this one. */
  readonly shadowedBy?: string;
  readonly descriptor?: FirmwareDescriptor;
  /** Schema or read errors (status `invalid`). */
  readonly errors: readonly string[];
  /** Why an active descriptor cannot boot a q35 x86_64 UEFI guest (missing files etc.). */
  readonly problems: readonly string[];
  /** {@link problems} less the x86_64/q35 target ones: what stops it for any architecture. */
  readonly fileProblems?: readonly string[];
  /** The code (executable) file, when the descriptor has a flash mapping. */
  readonly executable?: string;
  readonly executableExists?: boolean;
  readonly nvramTemplate?: string;
  readonly nvramTemplateExists?: boolean;
  readonly secureBoot: boolean;
  readonly enrolledKeys: boolean;
  readonly requiresSmm: boolean;
  /** Active, UEFI, pflash split mode, x86_64 + q35, and both files exist. */
  readonly usable: boolean;
}

/** Every descriptor found, sorted by file name (QEMU's priority order). */
export interface FirmwareInventory {
  readonly dirs: readonly DescriptorDir[];
  readonly entries: readonly DescriptorEntry[];
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The known pairs whose two files exist on this host. */
export function installedKnownPairs(
  candidates: readonly KnownFirmwarePair[] = KNOWN_FIRMWARE_PAIRS,
): KnownFirmwarePair[] {
  return candidates.filter((p) => isFile(p.code) && isFile(p.vars));
}

function listJson(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.endsWith(".json"));
  } catch {
    return [];
  }
}

function examine(
  name: string,
  path: string,
  scope: DescriptorScope,
  status: DescriptorStatus,
  shadowedBy: string | undefined,
): DescriptorEntry {
  const base = {
    name,
    path,
    scope,
    ...(shadowedBy === undefined ? {} : { shadowedBy }),
    secureBoot: false,
    enrolledKeys: false,
    requiresSmm: false,
    usable: false,
  };
  if (status === "empty") return { ...base, status, errors: [], problems: [] };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return { ...base, status: "invalid", errors: [`cannot read: ${String(e)}`], problems: [] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return {
      ...base,
      status: "invalid",
      errors: [`not JSON: ${(e as Error).message}`],
      problems: [],
    };
  }
  const parsed = parseDescriptor(json);
  if (!parsed.ok) return { ...base, status: "invalid", errors: parsed.error, problems: [] };
  const d = parsed.value;
  const problems: string[] = [];
  const features = new Set(d.features);
  let executable: string | undefined;
  let executableExists: boolean | undefined;
  let nvramTemplate: string | undefined;
  let nvramTemplateExists: boolean | undefined;
  if (!d.interfaceTypes.includes("uefi")) problems.push("not a UEFI firmware");
  if (d.mapping.device !== "flash") {
    problems.push(`mapped as ${d.mapping.device}, not pflash`);
  } else {
    executable = d.mapping.executable.filename;
    executableExists = isFile(executable);
    if (!executableExists) problems.push(`executable ${executable} does not exist`);
    if (d.mapping.mode !== "split")
      problems.push(`flash mode ${d.mapping.mode} (only split is used)`);
    if (d.mapping.nvramTemplate !== undefined) {
      nvramTemplate = d.mapping.nvramTemplate.filename;
      nvramTemplateExists = isFile(nvramTemplate);
      if (!nvramTemplateExists) problems.push(`nvram-template ${nvramTemplate} does not exist`);
    }
    if (d.mapping.executable.format !== "raw") {
      problems.push(`executable format ${d.mapping.executable.format} (only raw is used)`);
    }
  }
  const fileProblems = [...problems];
  if (!d.targets.some((t) => t.architecture === "x86_64")) problems.push("no x86_64 target");
  else if (!supportsQ35(d)) problems.push("x86_64 target does not list a q35 machine");
  const effective = status === "active";
  return {
    ...base,
    status,
    descriptor: d,
    errors: [],
    problems,
    fileProblems,
    ...(executable === undefined ? {} : { executable }),
    ...(executableExists === undefined ? {} : { executableExists }),
    ...(nvramTemplate === undefined ? {} : { nvramTemplate }),
    ...(nvramTemplateExists === undefined ? {} : { nvramTemplateExists }),
    secureBoot: features.has("secure-boot"),
    enrolledKeys: features.has("enrolled-keys"),
    requiresSmm: features.has("requires-smm"),
    usable: effective && problems.length === 0,
  };
}

/**
 * Reads every `*.json` in the descriptor directories. Files are ordered by file name; for a name
 * present in several directories the most specific one is active (or, when empty, hides the
 * others).
 */
export function discoverFirmware(
  dirs: readonly DescriptorDir[] = defaultDescriptorDirs(),
): FirmwareInventory {
  const byName = new Map<string, { dir: DescriptorDir; path: string; empty: boolean }[]>();
  for (const dir of dirs) {
    for (const name of listJson(dir.path)) {
      const path = join(dir.path, name);
      let size: number;
      try {
        const st = statSync(path);
        if (!st.isFile()) continue;
        size = st.size;
      } catch {
        continue;
      }
      const list = byName.get(name) ?? [];
      list.push({ dir, path, empty: size === 0 });
      byName.set(name, list);
    }
  }
  const entries: DescriptorEntry[] = [];
  for (const name of [...byName.keys()].sort()) {
    const files = byName.get(name) ?? [];
    const winner = files[files.length - 1];
    if (winner === undefined) continue;
    // Most specific first, the way a user reads "which one wins".
    for (const f of [...files].reverse()) {
      if (f === winner) {
        entries.push(examine(name, f.path, f.dir.scope, f.empty ? "empty" : "active", undefined));
      } else {
        const status: DescriptorStatus = winner.empty ? "hidden" : "overridden";
        entries.push(examine(name, f.path, f.dir.scope, status, winner.path));
      }
    }
  }
  return { dirs, entries };
}

/** The firmware a VM will run. */
export interface FirmwareChoice {
  /** Descriptor file it came from; absent for a well-known-path fallback. */
  readonly descriptor?: string;
  readonly description: string;
  readonly code: string;
  readonly varsTemplate: string;
  readonly secureBoot: boolean;
  readonly enrolledKeys: boolean;
  readonly requiresSmm: boolean;
  /** Notes for the user (fallbacks, compromises). */
  readonly notes: readonly string[];
}

/** Why no firmware could be chosen. */
export type FirmwareFailure = FailureOf<"no-firmware">;

/** What kind of firmware to pick. */
export interface FirmwareRequest {
  /** Secure Boot with enrolled keys (else a build without Secure Boot). */
  readonly secureBoot: boolean;
  /**
   * With `secureBoot`: a Secure Boot build whose variable store has no keys (setup mode), so the
   * medium's own keys can be enrolled (docs/secure-boot.md), instead of one with keys enrolled.
   */
  readonly ownKeys?: boolean;
  /** Fallback candidates (default: the well-known paths of the architecture). */
  readonly candidates?: readonly KnownFirmwarePair[];
  /** The guest's architecture (default x86_64 on q35; arm and aarch64 on virt, arch.ts). */
  readonly arch?: BootArch;
}

/**
 * The descriptors that can boot a guest of `arch` on its machine (arch.ts): active, UEFI,
 * split pflash, both files present, and a target of that architecture and machine.
 */
export function usableFor(entry: DescriptorEntry, arch: BootArch = "x86_64"): boolean {
  if (arch === "x86_64") return entry.usable;
  return (
    entry.status === "active" &&
    entry.descriptor !== undefined &&
    (entry.fileProblems ?? entry.problems).length === 0 &&
    targetMatches(entry.descriptor.targets, bootArchProfile(arch))
  );
}

/**
 * Picks the firmware: the first usable descriptor (by file name) of the requested kind; for a
 * plain boot a Secure Boot build without enrolled keys is the second choice (it boots unsigned
 * loaders but needs SMM, which is slow under TCG). Falls back to well-known paths.
 */
export function selectFirmware(
  inventory: FirmwareInventory,
  request: FirmwareRequest,
): Result<FirmwareChoice, FirmwareFailure> {
  const arch = request.arch ?? "x86_64";
  const usable = inventory.entries.filter((e) => usableFor(e, arch));
  const own = request.secureBoot && request.ownKeys === true;
  const wanted = own
    ? [usable.filter((e) => e.secureBoot && !e.enrolledKeys && e.requiresSmm)]
    : request.secureBoot
      ? [usable.filter((e) => e.secureBoot && e.enrolledKeys && e.requiresSmm)]
      : [
          usable.filter((e) => !e.secureBoot),
          usable.filter((e) => e.secureBoot && !e.enrolledKeys),
        ];
  for (const [rank, list] of wanted.entries()) {
    const e = list[0];
    if (e?.executable === undefined || e.nvramTemplate === undefined) continue;
    const notes =
      rank > 0 && !request.secureBoot
        ? [
            `no descriptor without Secure Boot works; using ${e.name} (Secure Boot, no keys enrolled)`,
          ]
        : [];
    return ok({
      descriptor: e.path,
      description: e.descriptor?.description ?? e.name,
      code: e.executable,
      varsTemplate: e.nvramTemplate,
      secureBoot: e.secureBoot,
      enrolledKeys: e.enrolledKeys,
      requiresSmm: e.requiresSmm,
      notes,
    });
  }
  const installed = installedKnownPairs(
    request.candidates ?? (arch === "x86_64" ? undefined : KNOWN_ARM_FIRMWARE_PAIRS[arch]),
  );
  const fallback = installed.find((p) =>
    own
      ? p.secureBoot && !p.enrolledKeys
      : request.secureBoot
        ? p.secureBoot && p.enrolledKeys
        : !p.secureBoot,
  );
  const broken = inventory.entries.filter(
    (e) =>
      e.status === "active" &&
      !usableFor(e, arch) &&
      e.descriptor?.targets.some((t) => t.architecture === arch) === true,
  );
  if (fallback !== undefined) {
    const why =
      broken.length > 0
        ? `the firmware descriptors do not work (${broken.map((e) => e.name).join(", ")}; see \`substrate firmware show\`)`
        : "no firmware descriptor matches";
    return ok({
      description: `${basename(fallback.code)} (${fallback.origin} location)`,
      code: fallback.code,
      varsTemplate: fallback.vars,
      secureBoot: fallback.secureBoot,
      enrolledKeys: fallback.enrolledKeys,
      requiresSmm: fallback.requiresSmm,
      notes: [`${why}: using ${fallback.code} found at a well-known path`],
    });
  }
  const kind = own
    ? `Secure Boot ${arch} UEFI firmware without enrolled keys (setup mode)`
    : request.secureBoot
      ? `Secure Boot ${arch} UEFI firmware with enrolled keys`
      : `${arch} UEFI firmware`;
  const pkg = bootArchProfile(arch).firmwarePackage;
  return err({
    reason: "no-firmware",
    message: `no usable ${kind} found (descriptors in ${inventory.dirs.map((d) => d.path).join(", ")})`,
    hint:
      arch !== "x86_64"
        ? `install ${pkg} (Debian: apt-get install ${pkg}; scripts/install-deps.sh), then see \`substrate firmware show\``
        : existsSync("/usr/share/qemu/firmware")
          ? "run `substrate firmware show` to see what is broken, and `substrate firmware fix` to repair it"
          : "install OVMF (Debian: apt-get install ovmf)",
  });
}
