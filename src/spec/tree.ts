/**
 * Loading a spec tree: `substrate.toml`, then every `flavour:stage[:buildhost]` of every arch's
 * build list as `<tree>/specs/<arch>/<flavour>/<stage>.spec`, parsed, tokens substituted, the
 * keys substrate computes added (substrate.md §2 step 6), validated against the tree's driver,
 * and every referenced tree path checked. Reads files; writes nothing.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import type { Diagnostic, SourceSpan } from "../report/diagnostic.js";
import type {
  ArchConfig,
  BuildEntry,
  SpecToken,
  SpecTree,
  SpecValue,
  StageSpec,
  TreeConfig,
} from "./types.js";
import { parseSpec, tokensToValue } from "./parser.js";
import { substituteTokens } from "./tokens.js";
import { referencedPaths } from "./keys.js";
import type { PathReference } from "./keys.js";
import { isTargetKind } from "./kinds/registry.js";
import { validateSpec } from "./validate.js";
import { relSuffix } from "./naming.js";
import { parseTreeConfig, TREE_CONFIG_FILE } from "./tree-config.js";
import { pySplit } from "./text.js";
import { closest } from "./suggest.js";

/** Options for `loadTree`. */
export interface LoadTreeOptions {
  /** The build date `YYYYMMDD` (`@latest@`); default: today (UTC), yesterday for Portage trees. */
  readonly date?: string;
  /**
   * Load only the stages matching one of these selectors: a stage id `amd64/roflmaos:stage3`,
   * `roflmaos:stage3`, `amd64/roflmaos`, a flavour `roflmaos` or an arch `amd64`.
   */
  readonly only?: readonly string[];
  /** Working directory: default store paths and displayed file names are relative to it. */
  readonly cwd?: string;
}

/** Today's date in UTC as `YYYYMMDD`. */
export function todayStamp(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10).replace(/-/g, "");
}

/** True when `date` is a real calendar date written `YYYYMMDD`. */
export function isDateStamp(date: string): boolean {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(date);
  if (!m) return false;
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && todayStamp(d) === date;
}

/** A path for diagnostics: relative to `cwd` when inside it, else absolute. */
export function displayPath(abs: string, cwd: string): string {
  const rel = relative(cwd, abs);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? abs : rel;
}

/** The span of a file's first line (its content), where file-level problems point. */
export function firstLineSpan(file: string, text: string): SourceSpan {
  const nl = text.search(/\r|\n/);
  const line = nl === -1 ? text : text.slice(0, nl);
  const lead = line.length - line.trimStart().length;
  const content = line.trim();
  return { file, line: 1, col: lead + 1, endCol: lead + 1 + content.length };
}

/** Whether a selector of `only` matches a stage. */
function matches(selector: string, arch: string, flavour: string, stage: string): boolean {
  return (
    selector === `${arch}/${flavour}:${stage}` ||
    selector === `${flavour}:${stage}` ||
    selector === `${arch}/${flavour}` ||
    selector === flavour ||
    selector === arch
  );
}

/**
 * Loads the tree at `path` (its folder, or its `substrate.toml`). Never throws for bad input:
 * when the config is missing or unreadable, `config` holds defaults, `stages` is empty and
 * `diagnostics` says why. Stages whose target kind cannot be determined are left out (with an
 * error); stages with other errors are included, so callers must check `hasErrors(diagnostics)`.
 */
export function loadTree(path: string, opts: LoadTreeOptions = {}): SpecTree {
  const cwd = opts.cwd ?? process.cwd();
  const abs = resolve(cwd, path);
  const configFile = abs.endsWith(".toml") ? abs : join(abs, TREE_CONFIG_FILE);
  const displayConfig = displayPath(configFile, cwd);
  let date = opts.date ?? todayStamp();
  const diagnostics: Diagnostic[] = [];
  if (!isDateStamp(date)) {
    diagnostics.push({
      severity: "error",
      code: "bad-date",
      message: `"${date}" is not a date written YYYYMMDD`,
      hint: "pass --date like 20261126",
    });
  }
  let text: string;
  try {
    text = readFileSync(configFile, "utf8");
  } catch {
    const { config } = parseTreeConfig("", { file: configFile, displayFile: displayConfig, cwd });
    diagnostics.push({
      severity: "error",
      code: "no-tree-config",
      message: `no ${TREE_CONFIG_FILE} in ${displayPath(resolve(configFile, ".."), cwd) || "."}`,
      hint: "run inside a spec tree (a folder with substrate.toml and specs/), or pass .spec files to check them on their own",
    });
    return { config, date, stages: [], diagnostics };
  }
  const { config, diagnostics: configDiags } = parseTreeConfig(text, {
    file: configFile,
    displayFile: displayConfig,
    cwd,
  });
  diagnostics.push(...configDiags);
  // Portage trees build against the snapshot of the day before, as substrate always did (the
  // day's snapshot may not be published yet); apt trees default to today.
  if (opts.date === undefined && config.driver === "portage") {
    date = todayStamp(new Date(Date.now() - 86_400_000));
  }
  if (configDiags.some((d) => d.code === "toml-syntax")) {
    return { config, date, stages: [], diagnostics };
  }

  const archByName = new Map(config.arches.map((a) => [a.name, a]));
  const seen = new Map<string, SourceSpan>();
  const stages: StageSpec[] = [];
  const statCache = new Map<string, "file" | "dir" | "missing">();
  const used = new Set<string>();
  for (const arch of config.arches) {
    for (const entry of arch.builds) {
      let host: ArchConfig = arch;
      if (entry.buildhost !== undefined) {
        const other = archByName.get(entry.buildhost);
        if (other === undefined) {
          const guess = closest(entry.buildhost, archByName.keys());
          diagnostics.push({
            severity: "error",
            code: "unknown-buildhost",
            message: `build "${entry.flavour}:${entry.stage}:${entry.buildhost}" names arch "${entry.buildhost}", which has no [arch.${entry.buildhost}] table`,
            span: entry.span,
            hint:
              guess !== undefined
                ? `did you mean \`${guess}\`?`
                : `add an [arch.${entry.buildhost}] table with its subarch (and interpreter for qemu-user)`,
          });
          continue;
        }
        host = other;
      }
      const archName = host.name;
      if (opts.only && !opts.only.some((s) => matches(s, archName, entry.flavour, entry.stage))) {
        continue;
      }
      for (const s of opts.only ?? []) {
        if (matches(s, archName, entry.flavour, entry.stage)) used.add(s);
      }
      const id = `${archName}/${entry.flavour}:${entry.stage}`;
      const earlier = seen.get(id);
      if (earlier !== undefined) {
        diagnostics.push({
          severity: "warning",
          code: "duplicate-build",
          message: `${id} is listed more than once; it is built once`,
          span: entry.span,
          related: [{ message: "first listed here", span: earlier }],
        });
        continue;
      }
      seen.set(id, entry.span);
      const stage = loadStage(config, arch, host, entry, date, cwd, diagnostics, statCache);
      if (stage !== undefined) stages.push(stage);
    }
  }
  for (const s of opts.only ?? []) {
    if (!used.has(s)) {
      diagnostics.push({
        severity: "error",
        code: "unknown-selector",
        message: `"${s}" matches no build of the tree`,
        hint: "select with arch/flavour:stage, flavour:stage, arch/flavour, flavour or arch",
      });
    }
  }
  return { config, date, stages, diagnostics };
}

function loadStage(
  config: TreeConfig,
  listing: ArchConfig,
  host: ArchConfig,
  entry: BuildEntry,
  date: string,
  cwd: string,
  diagnostics: Diagnostic[],
  statCache: Map<string, "file" | "dir" | "missing">,
): StageSpec | undefined {
  const arch = host.name;
  const file = join(config.root, "specs", arch, entry.flavour, `${entry.stage}.spec`);
  const display = displayPath(file, cwd);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    diagnostics.push({
      severity: "error",
      code: "missing-spec",
      message: `no spec for "${entry.flavour}:${entry.stage}": ${display} does not exist`,
      span: entry.span,
      ...missingSpecHint(config.root, arch, entry),
    });
    return undefined;
  }
  const parsed = parseSpec(display, text);
  diagnostics.push(...parsed.diagnostics);
  // A file that is not text gets its one diagnostic, not one per missing key.
  if (parsed.diagnostics.some((d) => d.code === "not-text")) return undefined;
  const sub = substituteTokens(parsed, {
    repoDir: config.root,
    date,
    tokens: config.tokens,
    mode: "tree",
  });
  diagnostics.push(...sub.diagnostics);

  const values: Record<string, SpecValue> = { ...sub.values };
  const computed = new Set<string>();
  const add = (key: string, value: SpecValue): void => {
    if (values[key] !== undefined || parsed.entries.has(key)) return;
    values[key] = value;
    computed.add(key);
  };
  const ownTarget = values["target"] !== undefined;
  const nameBase = ownTarget ? entry.stage : entry.flavour;
  add("pkgcache_path", join(config.store.cache, "packages", arch));
  add("kerncache_path", join(config.store.cache, "kerncache"));
  add("subarch", host.subarch);
  if (isTargetKind(entry.stage)) add("target", entry.stage);
  add("version_stamp", `${nameBase}-${date}`);
  add("rel_type", `${arch}/${entry.flavour}/${date}`);
  add("snapshot_treeish", config.driver === "portage" ? `${date}.lzo` : date);
  if (host.cflags !== undefined) {
    const flags = pySplit(host.cflags).map((p) => ({ text: p.text }));
    if (flags.length > 0) add("common_flags", tokensToValue(flags));
  }
  if (host !== listing && host.interpreter !== undefined && host.interpreter.length > 0) {
    add("interpreter", tokensToValue(host.interpreter.map((t) => ({ text: t }))));
  }

  const keySpans = new Map<string, SourceSpan>();
  for (const [k, e] of parsed.entries) keySpans.set(k, e.keySpan);
  const validation = validateSpec(
    {
      file: display,
      stem: entry.stage,
      values,
      keySpans,
      tokens: sub.tokens,
      firstLine: firstLineSpan(display, text),
    },
    { driver: config.driver, standalone: false },
  );
  diagnostics.push(...validation.diagnostics);
  if (validation.kind === undefined) return undefined;
  diagnostics.push(
    ...checkReferencedPaths(
      referencedPaths(validation.kind, values, sub.tokens),
      config.root,
      keySpans,
      statCache,
    ),
  );
  const tokens: ReadonlyMap<string, readonly SpecToken[]> = sub.tokens;
  return {
    id: `${arch}/${entry.flavour}:${entry.stage}`,
    arch,
    flavour: entry.flavour,
    stage: entry.stage,
    kind: validation.kind,
    file,
    parsed,
    values,
    computed,
    tokens,
    rel: relSuffix(arch, nameBase),
  };
}

function missingSpecHint(root: string, arch: string, entry: BuildEntry): { hint?: string } {
  const list = (dir: string, ext: string): string[] => {
    try {
      return readdirSync(dir)
        .filter((n) => n.endsWith(ext))
        .map((n) => n.slice(0, n.length - ext.length))
        .sort();
    } catch {
      return [];
    }
  };
  const stages = list(join(root, "specs", arch, entry.flavour), ".spec");
  if (stages.length > 0) {
    const guess = closest(entry.stage, stages);
    return {
      hint:
        (guess !== undefined ? `did you mean \`${entry.flavour}:${guess}\`? ` : "") +
        `specs of flavour "${entry.flavour}": ${stages.join(", ")}`,
    };
  }
  const flavours = list(join(root, "specs", arch), "");
  if (flavours.length > 0) {
    const guess = closest(entry.flavour, flavours);
    return {
      hint:
        (guess !== undefined ? `did you mean flavour \`${guess}\`? ` : "") +
        `flavours of ${arch}: ${flavours.join(", ")}`,
    };
  }
  return { hint: `create specs${sep}${arch}${sep}${entry.flavour}${sep}${entry.stage}.spec` };
}

function checkReferencedPaths(
  refs: readonly PathReference[],
  root: string,
  keySpans: ReadonlyMap<string, SourceSpan>,
  cache: Map<string, "file" | "dir" | "missing">,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const ref of refs) {
    if (ref.path.includes("@")) continue; // an unknown token, already reported
    const abs = isAbsolute(ref.path) ? ref.path : resolve(root, ref.path);
    let kind = cache.get(abs);
    if (kind === undefined) {
      try {
        kind = statSync(abs).isDirectory() ? "dir" : "file";
      } catch {
        kind = "missing";
      }
      cache.set(abs, kind);
    }
    const span = ref.span ?? keySpans.get(ref.key);
    const at = span ? { span } : {};
    if (kind === "missing") {
      out.push({
        severity: "error",
        code: "missing-path",
        message: `"${ref.key}" refers to ${abs}, which does not exist`,
        ...at,
        hint: "paths are relative to the tree root; @REPO_DIR@ is the tree root too",
      });
    } else if (ref.type !== "file-or-dir" && kind !== ref.type) {
      out.push({
        severity: "error",
        code: "wrong-path-type",
        message: `"${ref.key}" needs a ${ref.type === "dir" ? "folder" : "file"}, but ${abs} is a ${kind === "dir" ? "folder" : "file"}`,
        ...at,
      });
    }
  }
  return out;
}
