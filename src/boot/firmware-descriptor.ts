/**
 * QEMU firmware descriptors (`docs/interop/firmware.json` in QEMU): the JSON files under
 * `/usr/share/qemu/firmware` and friends that say which firmware binary does what. This file holds
 * the typed form and a validator written from the documented schema; it reads no files.
 */
import { type Result, ok, err } from "../util/result.js";

/** Firmware-OS interfaces (`FirmwareOSInterface`). */
export const INTERFACE_TYPES = ["bios", "openfirmware", "uboot", "uefi"] as const;

/** Features and platform requirements (`FirmwareFeature`), including later additions. */
export const FIRMWARE_FEATURES = [
  "acpi-s3",
  "acpi-s4",
  "amd-sev",
  "amd-sev-es",
  "amd-sev-snp",
  "intel-tdx",
  "enrolled-keys",
  "requires-smm",
  "secure-boot",
  "verbose-dynamic",
  "verbose-static",
  "host-uefi-vars",
] as const;

/** Flash modes (`FirmwareFlashMode`, QEMU 7.0); absent means `split`. */
export const FLASH_MODES = ["split", "combined", "stateless"] as const;

/** Block formats a flash file may have (the subset of `BlockdevDriver` that makes sense). */
const FLASH_FORMATS = ["raw", "qcow2"] as const;

/** A file mapped into a pflash chip (`FirmwareFlashFile`). */
export interface FlashFile {
  readonly filename: string;
  readonly format: string;
}

/** How the firmware is loaded (`FirmwareMapping`, discriminated by `device`). */
export type FirmwareMapping =
  | {
      readonly device: "flash";
      readonly mode: (typeof FLASH_MODES)[number];
      readonly executable: FlashFile;
      /** Present (and required) in `split` mode. */
      readonly nvramTemplate?: FlashFile;
    }
  | { readonly device: "kernel"; readonly filename: string }
  | { readonly device: "memory"; readonly filename: string };

/** One emulator and its machine-type globs (`FirmwareTarget`). */
export interface FirmwareTarget {
  readonly architecture: string;
  readonly machines: readonly string[];
}

/** A parsed descriptor (`Firmware`). */
export interface FirmwareDescriptor {
  readonly description: string;
  readonly interfaceTypes: readonly string[];
  readonly mapping: FirmwareMapping;
  readonly targets: readonly FirmwareTarget[];
  readonly features: readonly string[];
  readonly tags: readonly string[];
}

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkKeys(
  obj: Record<string, Json>,
  path: string,
  required: readonly string[],
  optional: readonly string[],
  errors: string[],
): void {
  for (const k of required) {
    if (!(k in obj)) errors.push(`${path}: missing required member "${k}"`);
  }
  for (const k of Object.keys(obj)) {
    if (!required.includes(k) && !optional.includes(k)) {
      errors.push(`${path}: unknown member "${k}"`);
    }
  }
}

function stringList(
  v: Json,
  path: string,
  errors: string[],
  allowed?: readonly string[],
): string[] {
  if (!Array.isArray(v)) {
    errors.push(`${path}: expected an array of strings`);
    return [];
  }
  const out: string[] = [];
  v.forEach((item: Json, i) => {
    if (typeof item !== "string") errors.push(`${path}[${i}]: expected a string`);
    else if (allowed !== undefined && !allowed.includes(item)) {
      errors.push(`${path}[${i}]: "${item}" is not one of ${allowed.join(", ")}`);
    } else out.push(item);
  });
  return out;
}

function flashFile(v: Json, path: string, errors: string[]): FlashFile | undefined {
  if (!isObject(v)) {
    errors.push(`${path}: expected an object with "filename" and "format"`);
    return undefined;
  }
  checkKeys(v, path, ["filename", "format"], [], errors);
  const filename = v["filename"];
  const format = v["format"];
  if (typeof filename !== "string" || filename === "") {
    errors.push(`${path}.filename: expected a non-empty string`);
    return undefined;
  }
  if (typeof format !== "string" || !(FLASH_FORMATS as readonly string[]).includes(format)) {
    errors.push(`${path}.format: expected one of ${FLASH_FORMATS.join(", ")}`);
    return undefined;
  }
  return { filename, format };
}

function mapping(v: Json, errors: string[]): FirmwareMapping | undefined {
  if (!isObject(v)) {
    errors.push(`mapping: expected an object`);
    return undefined;
  }
  const device = v["device"];
  switch (device) {
    case "flash": {
      checkKeys(v, "mapping", ["device", "executable"], ["mode", "nvram-template"], errors);
      const modeValue = v["mode"] ?? "split";
      const mode = FLASH_MODES.find((m) => m === modeValue);
      if (mode === undefined)
        errors.push(`mapping.mode: expected one of ${FLASH_MODES.join(", ")}`);
      const executable = flashFile(v["executable"], "mapping.executable", errors);
      const hasTemplate = "nvram-template" in v;
      const nvramTemplate = hasTemplate
        ? flashFile(v["nvram-template"], "mapping.nvram-template", errors)
        : undefined;
      if (mode === "split" && !hasTemplate) {
        errors.push(`mapping: "nvram-template" is required in split mode`);
      }
      if (mode !== undefined && mode !== "split" && hasTemplate) {
        errors.push(`mapping: "nvram-template" must be absent in ${mode} mode`);
      }
      if (mode === undefined || executable === undefined) return undefined;
      return nvramTemplate === undefined
        ? { device, mode, executable }
        : { device, mode, executable, nvramTemplate };
    }
    case "kernel":
    case "memory": {
      checkKeys(v, "mapping", ["device", "filename"], [], errors);
      const filename = v["filename"];
      if (typeof filename !== "string" || filename === "") {
        errors.push(`mapping.filename: expected a non-empty string`);
        return undefined;
      }
      return { device, filename };
    }
    default:
      errors.push(`mapping.device: expected one of flash, kernel, memory`);
      return undefined;
  }
}

/**
 * Checks a parsed JSON value against the descriptor schema and returns the typed form, or every
 * problem found (as `path: message` strings).
 */
export function parseDescriptor(value: unknown): Result<FirmwareDescriptor, readonly string[]> {
  const errors: string[] = [];
  if (!isObject(value)) return err(["expected a JSON object at the top level"]);
  checkKeys(
    value,
    "descriptor",
    ["description", "interface-types", "mapping", "targets", "features", "tags"],
    [],
    errors,
  );
  const description = value["description"];
  if (typeof description !== "string") errors.push(`description: expected a string`);
  const interfaceTypes = stringList(
    value["interface-types"],
    "interface-types",
    errors,
    INTERFACE_TYPES,
  );
  if (Array.isArray(value["interface-types"]) && value["interface-types"].length === 0) {
    errors.push(`interface-types: must not be empty`);
  }
  const map = mapping(value["mapping"], errors);
  const targets: FirmwareTarget[] = [];
  const rawTargets = value["targets"];
  if (!Array.isArray(rawTargets)) errors.push(`targets: expected an array`);
  else {
    rawTargets.forEach((t: Json, i) => {
      const path = `targets[${i}]`;
      if (!isObject(t)) {
        errors.push(`${path}: expected an object`);
        return;
      }
      checkKeys(t, path, ["architecture", "machines"], [], errors);
      const architecture = t["architecture"];
      if (typeof architecture !== "string" || architecture === "") {
        errors.push(`${path}.architecture: expected a non-empty string`);
        return;
      }
      targets.push({
        architecture,
        machines: stringList(t["machines"], `${path}.machines`, errors),
      });
    });
  }
  const features = stringList(value["features"], "features", errors, FIRMWARE_FEATURES);
  const tags = stringList(value["tags"], "tags", errors);
  if (errors.length > 0 || map === undefined || typeof description !== "string") {
    return err(errors.length > 0 ? errors : ["invalid descriptor"]);
  }
  return ok({ description, interfaceTypes, mapping: map, targets, features, tags });
}

/** The JSON form of a descriptor (member names as QEMU spells them), for writing. */
export function descriptorToJson(d: FirmwareDescriptor): Record<string, unknown> {
  const m = d.mapping;
  let mappingJson: Record<string, unknown>;
  switch (m.device) {
    case "flash":
      mappingJson = {
        device: "flash",
        ...(m.mode === "split" ? {} : { mode: m.mode }),
        executable: { filename: m.executable.filename, format: m.executable.format },
        ...(m.nvramTemplate === undefined
          ? {}
          : {
              "nvram-template": {
                filename: m.nvramTemplate.filename,
                format: m.nvramTemplate.format,
              },
            }),
      };
      break;
    case "kernel":
    case "memory":
      mappingJson = { device: m.device, filename: m.filename };
      break;
  }
  return {
    description: d.description,
    "interface-types": [...d.interfaceTypes],
    mapping: mappingJson,
    targets: d.targets.map((t) => ({ architecture: t.architecture, machines: [...t.machines] })),
    features: [...d.features],
    tags: [...d.tags],
  };
}

/** Serialises a descriptor the way distributions ship them (4-space indent, final newline). */
export function formatDescriptor(d: FirmwareDescriptor): string {
  return JSON.stringify(descriptorToJson(d), null, 4) + "\n";
}

/** True when a machine-type glob (`pc-q35-*`) accepts the machine type `name`. */
export function machineGlobMatches(glob: string, name: string): boolean {
  const re = new RegExp(
    "^" +
      glob
        .split("")
        .map((ch) => {
          if (ch === "*") return ".*";
          if (ch === "?") return ".";
          return ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
        })
        .join("") +
      "$",
  );
  return re.test(name);
}

/**
 * True when the descriptor can run on `qemu-system-<arch> -machine q35`. `q35` is an alias for
 * the newest `pc-q35-X.Y`, so a glob counts when it accepts some versioned q35 name.
 */
export function supportsQ35(d: FirmwareDescriptor, arch = "x86_64"): boolean {
  return d.targets.some(
    (t) =>
      t.architecture === arch &&
      t.machines.some(
        (g) =>
          g === "q35" ||
          machineGlobMatches(g, "pc-q35-9.2") ||
          machineGlobMatches(g, "pc-q35-2.12"),
      ),
  );
}
