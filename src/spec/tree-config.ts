/**
 * The tree config, `substrate.toml` at a spec tree's root: parsing (smol-toml), validation of
 * every table and key (all problems at once, with did-you-mean hints), and source spans for
 * values, which smol-toml does not give, found by searching the TOML text (toml-locator.ts).
 */
import { existsSync } from "node:fs";
import { basename, isAbsolute, resolve } from "node:path";
import { parse, TomlError } from "smol-toml";
import type { Diagnostic, SourceSpan } from "../report/diagnostic.js";
import { TomlLocator } from "./toml-locator.js";
import type {
  AptSettings,
  ArchConfig,
  BuildEntry,
  DriverName,
  RemoteConfig,
  SecureBootSettings,
  TreeConfig,
} from "./types.js";
import { closest } from "./suggest.js";

/** The config file name at a tree's root. */
export const TREE_CONFIG_FILE = "substrate.toml";

/** Defaults for the apt driver's archive settings. */
export const APT_DEFAULTS: AptSettings = {
  suite: "bookworm",
  mirror: "http://deb.debian.org/debian",
  components: ["main"],
};

/** Default Gentoo mirror for seeds and snapshots. */
export const DEFAULT_MIRRORS: readonly string[] = ["https://distfiles.gentoo.org"];

/** Where to resolve things while reading a config. */
export interface TreeConfigContext {
  /** Absolute path of the config file. */
  readonly file: string;
  /** The file's path as shown in diagnostics. */
  readonly displayFile: string;
  /** The folder relative default store paths are resolved against (the working directory). */
  readonly cwd: string;
}

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}

const TOP_KEYS = [
  "name",
  "driver",
  "store",
  "tokens",
  "apt",
  "mirrors",
  "arch",
  "remote",
  "secureboot",
];
const REMOTE_KEYS = ["ref", "push", "sign_key", "trust"];
const SECUREBOOT_KEYS = ["keys"];
const STORE_KEYS = ["builds", "logs", "cache"];
const APT_KEYS = ["suite", "mirror", "components", "keyring", "variant"];
const ARCH_KEYS = ["subarch", "cflags", "interpreter", "builds"];
const RESERVED_TOKENS = ["REPO_DIR", "latest"];
const BUILD_PART = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/**
 * Parses and validates a tree config. Always returns a usable config (defaults fill what is
 * missing or wrong) together with every problem found.
 */
export function parseTreeConfig(
  text: string,
  ctx: TreeConfigContext,
): { config: TreeConfig; diagnostics: Diagnostic[] } {
  const root = resolve(ctx.file, "..");
  const diagnostics: Diagnostic[] = [];
  const loc = new TomlLocator(text, ctx.displayFile);
  const fallback: TreeConfig = {
    file: ctx.file,
    root,
    name: basename(root),
    driver: "portage",
    store: {
      builds: resolve(ctx.cwd, "builds"),
      logs: resolve(ctx.cwd, "logs"),
      cache: resolve(ctx.cwd, "cache"),
    },
    tokens: {},
    arches: [],
    mirrors: DEFAULT_MIRRORS,
  };
  let doc: Table;
  try {
    doc = parse(text);
  } catch (e) {
    if (e instanceof TomlError) {
      const first = (e.message.split("\n")[0] ?? e.message).replace(/^Invalid TOML document: /, "");
      diagnostics.push({
        severity: "error",
        code: "toml-syntax",
        message: `invalid TOML: ${first}`,
        span: { file: ctx.displayFile, line: e.line, col: e.column, endCol: e.column + 1 },
      });
      return { config: fallback, diagnostics };
    }
    throw e;
  }

  const err = (span: SourceSpan, code: string, message: string, hint?: string): void => {
    diagnostics.push({ severity: "error", code, message, span, ...(hint ? { hint } : {}) });
  };
  const unknownKeys = (table: Table, path: readonly string[], allowed: readonly string[]): void => {
    for (const k of Object.keys(table)) {
      if (allowed.includes(k)) continue;
      const guess = closest(k, allowed);
      const where = path.length ? `[${path.join(".")}]` : "the top level";
      err(
        loc.key(path, k),
        "unknown-config-key",
        `unknown key "${k}" in ${where} of ${ctx.displayFile}`,
        guess !== undefined ? `did you mean \`${guess}\`?` : `known keys: ${allowed.join(", ")}`,
      );
    }
  };
  const str = (table: Table, path: readonly string[], key: string): string | undefined => {
    const v = table[key];
    if (v === undefined) return undefined;
    if (typeof v === "string") return v;
    err(loc.key(path, key), "bad-config-value", `"${key}" must be a string`);
    return undefined;
  };
  const strList = (table: Table, path: readonly string[], key: string): string[] | undefined => {
    const v = table[key];
    if (v === undefined) return undefined;
    if (isStringArray(v)) return v;
    err(loc.key(path, key), "bad-config-value", `"${key}" must be an array of strings`);
    return undefined;
  };
  const subTable = (table: Table, path: readonly string[], key: string): Table | undefined => {
    const v = table[key];
    if (v === undefined) return undefined;
    if (isTable(v)) return v;
    err(
      loc.key(path, key),
      "bad-config-value",
      `"${key}" must be a table ([${[...path, key].join(".")}])`,
    );
    return undefined;
  };

  unknownKeys(doc, [], TOP_KEYS);
  const name = str(doc, [], "name") ?? fallback.name;
  let driver: DriverName = "portage";
  const driverRaw = str(doc, [], "driver");
  if (driverRaw !== undefined) {
    if (driverRaw === "apt" || driverRaw === "portage") driver = driverRaw;
    else
      err(
        loc.string([], "driver", driverRaw),
        "bad-config-value",
        `unknown driver "${driverRaw}"`,
        'drivers: "apt" (Debian, mmdebstrap) or "portage" (Gentoo, catalyst-compatible)',
      );
  }

  const storeT = subTable(doc, [], "store") ?? {};
  unknownKeys(storeT, ["store"], STORE_KEYS);
  const storePath = (key: "builds" | "logs" | "cache"): string => {
    const v = str(storeT, ["store"], key);
    // Written paths are relative to the tree root; the defaults live in the working directory.
    if (v === undefined) return fallback.store[key];
    return isAbsolute(v) ? v : resolve(root, v);
  };
  const store = { builds: storePath("builds"), logs: storePath("logs"), cache: storePath("cache") };
  for (const key of STORE_KEYS) {
    const v = storeT[key];
    if (typeof v === "string" && (v.trim() === "" || resolve(root, v) === "/")) {
      err(
        loc.key(["store"], key),
        "bad-config-value",
        `[store] ${key} = "${v}" would put the store ${v.trim() === "" ? "nowhere" : "at the file system's root"}`,
        `name a folder of its own, e.g. ${key} = "${key}" (relative to the tree)`,
      );
    }
  }

  const tokens: Record<string, string> = {};
  const tokT = subTable(doc, [], "tokens") ?? {};
  for (const [k, v] of Object.entries(tokT)) {
    if (typeof v !== "string") {
      err(loc.key(["tokens"], k), "bad-config-value", `token "${k}" must be a string`);
    } else if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) {
      err(
        loc.key(["tokens"], k),
        "bad-config-value",
        `token name "${k}" is not usable as @${k}@`,
        "token names are letters, digits and `_`, not starting with a digit",
      );
    } else if (RESERVED_TOKENS.includes(k)) {
      err(
        loc.key(["tokens"], k),
        "bad-config-value",
        `token "${k}" is built in and cannot be redefined`,
        "@REPO_DIR@ is the tree folder and @latest@ the build date",
      );
    } else tokens[k] = v;
  }

  let apt: AptSettings | undefined;
  const aptT = subTable(doc, [], "apt");
  if (aptT !== undefined) unknownKeys(aptT, ["apt"], APT_KEYS);
  if (aptT !== undefined || driver === "apt") {
    const t = aptT ?? {};
    const keyring = str(t, ["apt"], "keyring");
    const variant = str(t, ["apt"], "variant");
    for (const key of ["suite", "mirror"] as const) {
      const v = t[key];
      if (typeof v === "string" && v.trim() === "")
        err(
          loc.key(["apt"], key),
          "bad-config-value",
          `[apt] ${key} is empty`,
          `default: "${APT_DEFAULTS[key]}"`,
        );
    }
    const comps = t["components"];
    if (Array.isArray(comps) && comps.length === 0)
      err(
        loc.key(["apt"], "components"),
        "bad-config-value",
        "[apt] components is empty: nothing would be installable",
        'e.g. components = ["main"]',
      );
    if (
      keyring !== undefined &&
      !existsSync(isAbsolute(keyring) ? keyring : resolve(root, keyring))
    )
      err(
        loc.key(["apt"], "keyring"),
        "bad-config-value",
        `[apt] keyring ${keyring} does not exist`,
        "keyring paths are relative to the tree root",
      );
    apt = {
      suite: str(t, ["apt"], "suite") ?? APT_DEFAULTS.suite,
      mirror: str(t, ["apt"], "mirror") ?? APT_DEFAULTS.mirror,
      components: strList(t, ["apt"], "components") ?? APT_DEFAULTS.components,
      ...(keyring !== undefined
        ? { keyring: isAbsolute(keyring) ? keyring : resolve(root, keyring) }
        : {}),
      ...(variant !== undefined ? { variant } : {}),
    };
  }
  const mirrors = strList(doc, [], "mirrors") ?? DEFAULT_MIRRORS;

  let remote: RemoteConfig | undefined;
  const remoteT = subTable(doc, [], "remote");
  if (remoteT !== undefined) {
    unknownKeys(remoteT, ["remote"], REMOTE_KEYS);
    const ref = str(remoteT, ["remote"], "ref");
    if (ref !== undefined && !/^(https?:\/\/)?[A-Za-z0-9.[\]:-]+(\/[a-z0-9._/-]*)?$/.test(ref))
      err(
        loc.key(["remote"], "ref"),
        "bad-config-value",
        `[remote] ref "${ref}" is not a registry reference`,
        'write host[:port]/prefix, e.g. ref = "registry.example.org/team/roflmaos"',
      );
    const pushRaw = remoteT["push"];
    if (pushRaw !== undefined && typeof pushRaw !== "boolean")
      err(loc.key(["remote"], "push"), "bad-config-value", '"push" must be true or false');
    const keyPath = (v: string, key: string): string => {
      const abs = isAbsolute(v) ? v : resolve(root, v);
      if (!existsSync(abs))
        err(
          loc.key(["remote"], key),
          "bad-config-value",
          `[remote] ${key}: ${v} does not exist`,
          "key paths are relative to the tree root; docs/remote.md says how to make an Ed25519 key pair",
        );
      return abs;
    };
    const signKey = str(remoteT, ["remote"], "sign_key");
    const trust = strList(remoteT, ["remote"], "trust") ?? [];
    remote = {
      ...(ref === undefined ? {} : { ref }),
      push: typeof pushRaw === "boolean" ? pushRaw : true,
      ...(signKey === undefined ? {} : { signKey: keyPath(signKey, "sign_key") }),
      trust: trust.map((t) => keyPath(t, "trust")),
    };
  }

  let secureBoot: SecureBootSettings | undefined;
  const sbT = subTable(doc, [], "secureboot");
  if (sbT !== undefined) {
    unknownKeys(sbT, ["secureboot"], SECUREBOOT_KEYS);
    const keys = str(sbT, ["secureboot"], "keys");
    if (keys === undefined || keys.trim() === "") {
      if (sbT["keys"] === undefined || typeof sbT["keys"] === "string")
        err(
          sbT["keys"] === undefined ? loc.table(["secureboot"]) : loc.key(["secureboot"], "keys"),
          "bad-config-value",
          '[secureboot] needs keys = "<folder>": the folder `substrate genkey` made',
          'e.g. keys = "../secureboot-keys" (relative to the tree; run `substrate genkey ../secureboot-keys`)',
        );
    } else {
      const path = isAbsolute(keys) ? resolve(keys) : resolve(root, keys);
      const problem = keyFolderProblem(path, store);
      if (problem !== undefined)
        err(
          loc.key(["secureboot"], "keys"),
          "bad-config-value",
          `[secureboot] keys = "${keys}" ${problem}`,
          "keep private keys outside the store (builds, logs, cache): outputs are published and shared",
        );
      else secureBoot = { keys: path };
    }
  }

  const arches: ArchConfig[] = [];
  const archT = subTable(doc, [], "arch") ?? {};
  for (const [archName, raw] of Object.entries(archT)) {
    const path = ["arch", archName];
    if (!isTable(raw)) {
      err(loc.key(["arch"], archName), "bad-config-value", `[arch.${archName}] must be a table`);
      continue;
    }
    unknownKeys(raw, path, ARCH_KEYS);
    const interpRaw = raw["interpreter"];
    let interpreter: string[] | undefined;
    if (typeof interpRaw === "string") interpreter = interpRaw.split(/\s+/).filter(Boolean);
    else if (interpRaw !== undefined) interpreter = strList(raw, path, "interpreter");
    const builds: BuildEntry[] = [];
    for (const b of strList(raw, path, "builds") ?? []) {
      const span = loc.string(path, "builds", b);
      const parts = b.split(":");
      const [flavour, stage, buildhost] = parts;
      if (
        parts.length < 2 ||
        parts.length > 3 ||
        !parts.every((p) => BUILD_PART.test(p)) ||
        flavour === undefined ||
        stage === undefined
      ) {
        err(
          span,
          "bad-build-entry",
          `"${b}" is not a build entry`,
          'write "flavour:stage" or "flavour:stage:buildhost", e.g. "roflmaos:stage3"',
        );
        continue;
      }
      builds.push({ flavour, stage, ...(buildhost !== undefined ? { buildhost } : {}), span });
    }
    const cflags = str(raw, path, "cflags");
    arches.push({
      name: archName,
      subarch: str(raw, path, "subarch") ?? archName,
      ...(cflags !== undefined ? { cflags } : {}),
      ...(interpreter !== undefined ? { interpreter } : {}),
      builds,
      span: loc.table(path),
    });
  }
  if (arches.length === 0) {
    diagnostics.push({
      severity: "warning",
      code: "no-arches",
      message: `${ctx.displayFile} lists no [arch.<name>] tables, so the tree builds nothing`,
      span: loc.table([]),
      hint: '[arch.amd64]\nbuilds = ["roflmaos:stage3"]',
    });
  }
  const config: TreeConfig = {
    file: ctx.file,
    root,
    name,
    driver,
    store,
    tokens,
    arches,
    mirrors,
    ...(apt !== undefined ? { apt } : {}),
    ...(remote !== undefined ? { remote } : {}),
    ...(secureBoot !== undefined ? { secureBoot } : {}),
  };
  return { config, diagnostics };
}

function within(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith("/") ? folder : `${folder}/`);
}

/**
 * Why a Secure Boot key folder may not be used, if it may not: it must not lie in the store's
 * builds, logs or cache folders (their content is published, shared and cleaned), nor hold one.
 */
export function keyFolderProblem(
  path: string,
  store: { readonly builds: string; readonly logs: string; readonly cache: string },
): string | undefined {
  if (path === "/") return "is the file system's root";
  for (const [name, folder] of Object.entries(store)) {
    if (within(path, folder)) return `lies in the store's ${name} folder (${folder})`;
    if (within(folder, path)) return `holds the store's ${name} folder (${folder})`;
  }
  return undefined;
}
