/**
 * Test helper: builds `SpecTree` objects by hand (the planner's input) so plan tests do not
 * depend on the spec parser. Each spec gets a synthetic text where key N sits on line N.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type {
  DriverName,
  SpecEntry,
  SpecTree,
  SpecValue,
  StageSpec,
  TargetKindName,
  TreeConfig,
} from "../../../src/spec/types.js";

/** One stage as a test writes it. */
export interface StageInputSpec {
  readonly arch?: string;
  readonly flavour: string;
  readonly stage: string;
  readonly kind?: TargetKindName;
  /** Spec values in file order (values are split on spaces into lists). */
  readonly values?: Readonly<Record<string, string>>;
}

/** A fresh temp folder that holds a tree root and its store. */
export function tempRoot(prefix = "substrate-plan-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Turns one value string into a catalyst value (one token: string, several: list). */
function toValue(text: string): SpecValue {
  const tokens = text.split(/\s+/).filter((t) => t !== "");
  return tokens.length === 1 ? (tokens[0] ?? "") : tokens;
}

/** Builds a StageSpec with a synthetic parsed spec (key N on line N). */
export function makeStage(root: string, date: string, s: StageInputSpec): StageSpec {
  const arch = s.arch ?? "amd64";
  const kind = s.kind ?? (s.stage as TargetKindName);
  const file = join(root, "specs", arch, s.flavour, `${s.stage}.spec`);
  const entries = new Map<string, SpecEntry>();
  const values: Record<string, SpecValue> = {};
  const lines: string[] = [];
  Object.entries(s.values ?? {}).forEach(([key, text], i) => {
    const line = i + 1;
    const lineText = `${key}: ${text}`;
    lines.push(lineText);
    let col = key.length + 3;
    const tokens = text
      .split(/\s+/)
      .filter((t) => t !== "")
      .map((t) => {
        const start = lineText.indexOf(t, col - 1) + 1;
        col = start + t.length;
        return { text: t, span: { file, line, col: start, endCol: start + t.length } };
      });
    entries.set(key, {
      key,
      keySpan: { file, line, col: 1, endCol: key.length + 1 },
      value: toValue(text),
      tokens,
    });
    values[key] = toValue(text);
  });
  const computed = new Set<string>();
  const add = (k: string, v: string): void => {
    if (values[k] === undefined) {
      values[k] = v;
      computed.add(k);
    }
  };
  add("target", kind);
  add("version_stamp", `${s.flavour}-${date}`);
  add("rel_type", `${arch}/${s.flavour}/${date}`);
  add("subarch", arch);
  return {
    id: `${arch}/${s.flavour}:${s.stage}`,
    arch,
    flavour: s.flavour,
    stage: s.stage,
    kind,
    file,
    parsed: { file, text: lines.join("\n") + "\n", entries, diagnostics: [] },
    values,
    computed,
  };
}

/** Builds a whole tree rooted at `root` with its store under `root/builds`. */
export function makeTree(opts: {
  readonly root: string;
  readonly date?: string;
  readonly driver?: DriverName;
  readonly stages: readonly StageInputSpec[];
}): SpecTree {
  const date = opts.date ?? "20260101";
  const driver = opts.driver ?? "apt";
  const config: TreeConfig = {
    file: join(opts.root, "substrate.toml"),
    root: opts.root,
    name: "test",
    driver,
    store: {
      builds: join(opts.root, "builds"),
      logs: join(opts.root, "logs"),
      cache: join(opts.root, "cache"),
    },
    tokens: {},
    arches: [],
    ...(driver === "apt"
      ? {
          apt: {
            suite: "bookworm",
            mirror: "http://deb.debian.org/debian",
            components: ["main"],
          },
        }
      : {}),
    mirrors: [],
  };
  return {
    config,
    date,
    stages: opts.stages.map((s) => makeStage(opts.root, date, s)),
    diagnostics: [],
  };
}

/** The roflmaOS chain used by many tests (apt driver, amd64/roflmaos). */
export function roflmaosStages(date = "20260101"): StageInputSpec[] {
  const src = (stage: string): string => `amd64/roflmaos/${stage}-amd64-roflmaos-latest`;
  return [
    { flavour: "roflmaos", stage: "stage3", values: { "apt/variant": "minbase" } },
    {
      flavour: "roflmaos",
      stage: "stage4",
      values: { source_subpath: src("stage3"), "stage4/packages": "less" },
    },
    {
      flavour: "roflmaos",
      stage: "livecd-stage1",
      values: { source_subpath: src("stage4"), "livecd/packages": "systemd-sysv udev" },
    },
    {
      flavour: "roflmaos",
      stage: "livecd-stage2",
      values: {
        source_subpath: src("stage3"),
        "boot/kernel": "roflmaos",
        "livecd/volid": "roflmaOS",
      },
    },
    {
      flavour: "roflmaos",
      stage: "livecd-stage3",
      values: {
        source_subpath: src("livecd-stage1"),
        "livecd/payload": src("livecd-stage2"),
        "boot/kernel": "roflmaos",
        "livecd/iso": `roflmaOS-${date}.iso`,
      },
    },
  ];
}
