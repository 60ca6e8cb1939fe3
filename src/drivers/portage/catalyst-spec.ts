/**
 * `--engine catalyst` support: a stage's complete spec (every key after token substitution and
 * substrate's computed keys) rendered in catalyst's syntax for an installed catalyst, and the
 * matching catalyst.conf (TOML, catalyst.md §1.2). Values are written one token per line after
 * the key, so slot atoms (`dev-lang/python:3.12`) never start a new key the way they do on a
 * continuation line read by catalyst's parser. Pure.
 */
import type { SpecValue } from "../../spec/types.js";
import { wordsOf } from "../../spec/values.js";

/** Keys written first, in catalyst's template order. */
const LEADING_KEYS = [
  "target",
  "subarch",
  "version_stamp",
  "rel_type",
  "profile",
  "snapshot_treeish",
  "source_subpath",
] as const;

/** The spec text catalyst reads for these values (`null` values are left out). */
export function renderCatalystSpec(values: Readonly<Record<string, SpecValue>>): string {
  const keys = [
    ...LEADING_KEYS.filter((k) => k in values),
    ...Object.keys(values)
      .filter((k) => !(LEADING_KEYS as readonly string[]).includes(k))
      .sort(),
  ];
  const lines: string[] = [
    "# Rendered by substrate for catalyst (substrate build --engine catalyst).",
  ];
  for (const key of keys) {
    const tokens = wordsOf(values[key]);
    if (tokens.length === 0) continue;
    if (tokens.some((t) => t.includes("#"))) {
      throw new Error(`Internal error: ${key} holds "#", which catalyst reads as a comment`);
    }
    lines.push(`${key}: ${tokens.join(" ")}`);
  }
  return lines.join("\n") + "\n";
}

/** The catalyst.conf for a substrate store. */
export function renderCatalystConf(opts: {
  readonly storedir: string;
  readonly distdir: string;
  readonly jobs: number;
  readonly loadAverage: number;
  readonly options: readonly string[];
  readonly compressionMode?: string;
}): string {
  const q = (s: string): string => JSON.stringify(s);
  return [
    "# Rendered by substrate for catalyst (substrate build --engine catalyst).",
    `storedir = ${q(opts.storedir)}`,
    `distdir = ${q(opts.distdir)}`,
    `jobs = ${opts.jobs}`,
    `load-average = ${opts.loadAverage}`,
    `options = [${opts.options.map(q).join(", ")}]`,
    `digests = ["blake2b", "sha512"]`,
    ...(opts.compressionMode === undefined
      ? []
      : [`compression_mode = ${q(opts.compressionMode)}`]),
    "",
  ].join("\n");
}
