/**
 * Reading spec values the way catalyst normalises them (catalyst.md §1.1 "Normalisation"):
 * lists from strings, comma-split groups, the per-kind key prefix. Every module that reads a
 * spec value as a string or a list uses these (one set of rules, not a copy per module).
 */
import { KINDS } from "./kinds/registry.js";
import type { SpecValue, TargetKindName } from "./types.js";

/** The key prefix a kind uses for its own keys (`livecd/…`, `stage4/…`): its definition's. */
export function keyPrefix(kind: TargetKindName): string {
  return KINDS[kind].prefix;
}

/** A value as a list of tokens (a string is whitespace-split; null/absent is empty). */
export function listOf(value: SpecValue | undefined): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === "string") return value.split(/\s+/).filter((t) => t !== "");
  return [...value];
}

/** A value as one string (a list is joined with spaces); undefined when absent or null. */
export function stringOf(value: SpecValue | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === "string" ? value : value.join(" ");
}

/**
 * Every whitespace-separated word of a value, list items split too (`["a b", "c"]` is
 * `a b c`); null/absent is empty.
 */
export function wordsOf(value: SpecValue | undefined): string[] {
  const s = stringOf(value);
  return s === undefined ? [] : s.split(/\s+/).filter((w) => w !== "");
}

/** A value's items as written: a string is one item, a list its items; null/absent is empty. */
export function itemsOf(value: SpecValue | undefined): string[] {
  if (typeof value === "string") return [value];
  return value ? [...value] : [];
}

/** A value that is one string (or a list of exactly one); undefined otherwise. */
export function singleOf(value: SpecValue | undefined): string | undefined {
  if (typeof value === "string") return value;
  if (value !== null && value !== undefined && value.length === 1) return value[0];
  return undefined;
}

/** catalyst's groups/ssh_public_keys rule: one string splits on commas, a list stays. */
export function commaListOf(value: SpecValue | undefined): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === "string")
    return value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  return [...value];
}

/** `yes`/`true`/`1` (any case) as true. */
export function isYes(value: SpecValue | undefined): boolean {
  const s = stringOf(value)?.toLowerCase();
  return s === "yes" || s === "true" || s === "1";
}

/**
 * catalyst's `clst_*` environment (catalyst.md §2.7): every setting exported with `.`, `-`
 * and `/` turned into `_`, lists joined with spaces, trailing `/` dropped from keys containing
 * `path`, plus the extras the caller gives (e.g. `clst_root_path`).
 */
export function clstEnvironment(
  values: Readonly<Record<string, SpecValue>>,
  extra: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === null) continue;
    let text = typeof value === "string" ? value : value.join(" ");
    if (key.includes("path")) text = text.replace(/\/+$/, "");
    env[`clst_${key.replace(/[.\-/]/g, "_")}`] = text;
  }
  return { ...env, ...extra };
}
