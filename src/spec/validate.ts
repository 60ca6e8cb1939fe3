/**
 * Spec validation: the target kind, unknown keys (with suggestions), missing required keys,
 * value shapes and enumerations, driver-specific keys (catalyst reference §3, the fork's
 * livecd-stage3, substrate's extensions). Reports every problem, never stops early.
 */
import type { Diagnostic, SourceSpan } from "../report/diagnostic.js";
import type { DriverName, SpecToken, SpecValue, TargetKindName } from "./types.js";
import { TARGET_KINDS } from "./types.js";
import { COMMON_KEYS, KERNEL_KEYS } from "./kinds/common.js";
import type { KeyRule } from "./kinds/define.js";
import { KINDS, isTargetKind } from "./kinds/registry.js";
import { kernelLabelSet, kernelLabels, keyRule, requiredKeys, validKeys } from "./keys.js";
import { closest } from "./suggest.js";

/** Keys that catalyst's own templates show but catalyst rejects, with what to do instead. */
const STALE_KEYS: Readonly<Record<string, string>> = {
  snapshot: "catalyst renamed it `snapshot_treeish`",
  compressor_arch: "catalyst's template shows it, but catalyst does not accept it",
  compressor_options: "catalyst's template shows it, but catalyst does not accept it",
  "netboot/builddate": "catalyst no longer accepts it",
  "netboot/rm": "catalyst's code reads it, but catalyst does not accept it",
  "netboot/empty": "catalyst's code reads it, but catalyst does not accept it",
  "stage4/motd": "catalyst's stage4 template shows it, but stage4 does not accept it",
  "stage4/modblacklist": "catalyst's stage4 template shows it, but stage4 does not accept it",
};

/** A spec ready for validation: final values plus where keys and tokens are in the source. */
export interface SpecUnderCheck {
  readonly file: string;
  /** The spec file's stem (`stage3` for `stage3.spec`). */
  readonly stem: string;
  readonly values: Readonly<Record<string, SpecValue>>;
  /** Source spans of keys read from the file (computed keys have none). */
  readonly keySpans: ReadonlyMap<string, SourceSpan>;
  /** Tokens of keys read from the file. */
  readonly tokens: ReadonlyMap<string, readonly SpecToken[]>;
  /** The first line of the file, where file-level problems point when there is no `target:`. */
  readonly firstLine: SourceSpan;
}

/** How to validate: for a tree's driver, or standalone (driver unknown, computed keys optional). */
export interface ValidateOptions {
  readonly driver?: DriverName;
  readonly standalone: boolean;
}

/** The outcome of validating one spec. */
export interface Validation {
  /** The target kind, when it could be determined. */
  readonly kind?: TargetKindName;
  readonly diagnostics: Diagnostic[];
}

/**
 * The target kind of a spec: its `target:` value, or (when absent) the file stem if that names a
 * kind. Returns a diagnostic instead when neither works.
 */
export function resolveKind(
  spec: SpecUnderCheck,
): { kind: TargetKindName } | { diagnostic: Diagnostic } {
  const target = spec.values["target"];
  const span =
    spec.tokens.get("target")?.[0]?.span ?? spec.keySpans.get("target") ?? spec.firstLine;
  if (target === undefined) {
    if (isTargetKind(spec.stem)) return { kind: spec.stem };
    const spaced = Object.keys(spec.values).find((k) => k !== "target" && k.trim() === "target");
    if (spaced !== undefined) {
      return {
        diagnostic: {
          severity: "error",
          code: "missing-target",
          message: `no "target" key: the key is written "${spaced}", with a space before ":"`,
          span: spec.keySpans.get(spaced) ?? spec.firstLine,
          hint: "catalyst keeps the space as part of the key; write `target:`",
        },
      };
    }
    return {
      diagnostic: {
        severity: "error",
        code: "missing-target",
        message: `no "target" key, and the file name "${spec.stem}.spec" is not a target kind`,
        span: spec.firstLine,
        hint: `add \`target: <kind>\` (one of ${TARGET_KINDS.join(", ")})`,
      },
    };
  }
  if (typeof target !== "string") {
    return {
      diagnostic: {
        severity: "error",
        code: "bad-value",
        message: `"target" takes one value, got ${target === null ? "none" : String(target.length)}`,
        span,
      },
    };
  }
  if (isTargetKind(target)) return { kind: target };
  const guess = closest(target, TARGET_KINDS);
  return {
    diagnostic: {
      severity: "error",
      code: "unknown-target",
      message:
        target === "snapshot"
          ? `target "snapshot" is not a stage: substrate fetches and verifies snapshots itself`
          : `unknown target "${target}"`,
      span,
      hint:
        guess !== undefined
          ? `did you mean \`${guess}\`?`
          : `target kinds: ${TARGET_KINDS.join(", ")}`,
    },
  };
}

/**
 * Validates one spec: target kind, unknown keys (with suggestions), missing required keys, value
 * shapes and enumerations, driver-specific keys. Reports every problem, never stops early.
 */
export function validateSpec(spec: SpecUnderCheck, opts: ValidateOptions): Validation {
  const diagnostics: Diagnostic[] = [];
  const resolved = resolveKind(spec);
  if ("diagnostic" in resolved) {
    diagnostics.push(resolved.diagnostic);
    return { diagnostics };
  }
  const kind = resolved.kind;
  const schema = KINDS[kind];
  const anchor = spec.keySpans.get("target") ?? spec.firstLine;

  for (const key of Object.keys(spec.values)) {
    const rule = keyRule(kind, key, spec.values);
    const keySpan = spec.keySpans.get(key) ?? anchor;
    if (rule === undefined) {
      diagnostics.push(unknownKey(kind, key, keySpan, spec.values));
      continue;
    }
    const tokens = spec.tokens.get(key) ?? [];
    diagnostics.push(...checkValue(key, rule, spec.values[key] ?? null, tokens, keySpan, opts));
  }

  for (const req of requiredKeys(kind, opts.driver, opts.standalone)) {
    const names = [req.key, ...(req.alternatives ?? [])];
    const present = names.filter((n) => spec.values[n] !== undefined);
    if (present.length === 0) {
      const alt = req.alternatives?.length
        ? ` (or ${req.alternatives.map((a) => `"${a}"`).join(", ")})`
        : "";
      const rule = keyRule(kind, req.key, spec.values);
      diagnostics.push({
        severity: "error",
        code: "missing-required-key",
        message: `missing required key "${req.key}"${alt} for target ${kind}`,
        span: anchor,
        ...(rule ? { hint: `add \`${req.key}: ...\` (${rule.doc})` } : {}),
      });
    } else if (present.length > 1) {
      const [first, second] = present;
      const s = spec.keySpans.get(second ?? "") ?? anchor;
      diagnostics.push({
        severity: "error",
        code: "conflicting-keys",
        message: `"${first}" and "${second}" name the same input; set only one`,
        span: s,
        hint: `substrate reads "livecd/cdtar" as "livecd/payload"; keep \`${req.key}\``,
      });
    }
  }

  if (schema.bootKernel) diagnostics.push(...kernelLabelChecks(spec, opts));
  const volid = spec.values[`${schema.prefix}/volid`];
  if (opts.driver === "apt" && Array.isArray(volid)) {
    diagnostics.push({
      severity: "warning",
      code: "volid-spaces",
      message: `the volume id "${volid.join(" ")}" holds spaces, which root=live:CDLABEL= cannot carry`,
      span: spec.keySpans.get(`${schema.prefix}/volid`) ?? anchor,
      hint: `write it with \`_\`, e.g. \`${volid.join("_")}\``,
    });
  }
  return { kind, diagnostics };
}

function unknownKey(
  kind: TargetKindName,
  key: string,
  span: SourceSpan,
  values: Readonly<Record<string, SpecValue>>,
): Diagnostic {
  const message = `key "${key}" is not valid for target ${kind}`;
  // A key under a listed kernel label is compared with that label's keys only, not with every
  // label's (which made a spec with many labels quadratic).
  const under = /^boot\/kernel\/(.+)\/[^/]*$/.exec(key)?.[1];
  const valid =
    under !== undefined && KINDS[kind].bootKernel && kernelLabelSet(values).has(under)
      ? [
          ...Object.keys(COMMON_KEYS),
          ...Object.keys(KINDS[kind].keys),
          ...Object.keys(KERNEL_KEYS).map((sub) => `boot/kernel/${under}/${sub}`),
        ]
      : validKeys(kind, values);
  const base: Diagnostic = { severity: "error", code: "unknown-key", message, span };
  const trimmed = key.trim();
  if (trimmed !== key) {
    const guess = valid.includes(trimmed) ? trimmed : closest(trimmed, valid);
    return {
      ...base,
      hint:
        `catalyst keeps the space before \`:\` as part of the key` +
        (guess !== undefined ? `; did you mean \`${guess}\`?` : ""),
    };
  }
  const stale = STALE_KEYS[key];
  if (stale !== undefined) return { ...base, hint: stale };
  if (key.startsWith("boot/kernel/")) {
    const rest = key.slice("boot/kernel/".length);
    const slash = rest.lastIndexOf("/");
    const labels = kernelLabels(values);
    if (slash > 0) {
      const label = rest.slice(0, slash);
      if (!kernelLabelSet(values).has(label) && KINDS[kind].bootKernel) {
        return {
          ...base,
          hint:
            labels.length > 0
              ? `kernel "${label}" is not listed in boot/kernel (${labels.slice(0, 10).join(", ")}${labels.length > 10 ? `, and ${labels.length - 10} more` : ""})`
              : `add \`boot/kernel: ${label}\` to build a kernel named "${label}"`,
        };
      }
    }
  }
  // The same key under this kind's prefix (`stage4/fsscript` in a livecd spec).
  const slash = key.indexOf("/");
  if (slash > 0) {
    const moved = `${KINDS[kind].prefix}/${key.slice(slash + 1)}`;
    if (moved !== key && valid.includes(moved))
      return { ...base, hint: `did you mean \`${moved}\`?` };
  }
  const guess = closest(key, valid);
  if (guess !== undefined) return { ...base, hint: `did you mean \`${guess}\`?` };
  const elsewhere = TARGET_KINDS.filter((k) => k !== kind && KINDS[k].keys[key] !== undefined);
  if (elsewhere.length > 0) {
    return { ...base, hint: `"${key}" is valid for ${elsewhere.join(", ")}` };
  }
  return base;
}

function joinValue(value: SpecValue): string {
  if (value === null) return "none";
  return typeof value === "string" ? value : value.join(" ");
}

function spanOfTokens(tokens: readonly SpecToken[], fallback: SourceSpan): SourceSpan {
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  if (!first || !last) return fallback;
  if (first.span.line === last.span.line && first.span.file === last.span.file) {
    return { ...first.span, endCol: Math.max(first.span.endCol, last.span.endCol) };
  }
  return first.span;
}

function checkValue(
  key: string,
  rule: KeyRule,
  value: SpecValue,
  tokens: readonly SpecToken[],
  keySpan: SourceSpan,
  opts: ValidateOptions,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (rule.driver !== undefined && opts.driver !== undefined && opts.driver !== rule.driver) {
    out.push({
      severity: "warning",
      code: "driver-key-ignored",
      message: `key "${key}" is only used by the ${rule.driver} driver; this tree builds with ${opts.driver}`,
      span: keySpan,
    });
  }
  if (value === null) return out;
  const span = spanOfTokens(tokens, keySpan);
  if (rule.shape === "single" && typeof value !== "string") {
    const extra = tokens[1];
    out.push({
      severity: "error",
      code: "bad-value",
      message: `key "${key}" takes one value, got ${value.length}`,
      span: extra && extra.span.line !== tokens[0]?.span.line ? extra.span : span,
      hint: "catalyst needs a single word here; remove the extra words",
    });
    return out;
  }
  if (rule.values !== undefined) {
    const allowed = rule.values;
    const items = typeof value === "string" ? [value] : value;
    items.forEach((item, i) => {
      if (allowed.includes(item)) return;
      const guess = closest(item, allowed);
      out.push({
        severity: rule.valuesSeverity ?? "error",
        code: "bad-value",
        message: `"${item}" is not a valid value for "${key}"`,
        span: tokens[i]?.span ?? span,
        hint:
          (guess !== undefined ? `did you mean \`${guess}\`? ` : "") +
          `expected one of: ${allowed.join(", ")}`,
      });
    });
  }
  if (rule.maxLength !== undefined) {
    const joined = joinValue(value);
    if (joined.length > rule.maxLength) {
      out.push({
        severity: "error",
        code: "bad-value",
        message: `"${key}" is ${joined.length} characters long; at most ${rule.maxLength} are allowed`,
        span,
        hint: "ISO 9660 volume ids hold at most 32 characters",
      });
    }
  }
  return out;
}

/** Warnings about kernel labels catalyst would mangle (`sanitize_name`: `.`, `-`, `/` become `_`). */
function kernelLabelChecks(spec: SpecUnderCheck, opts: ValidateOptions): Diagnostic[] {
  if (opts.driver === "apt") return [];
  const out: Diagnostic[] = [];
  const tokens = spec.tokens.get("boot/kernel") ?? [];
  const withSubKeys = new Set<string>();
  for (const k of Object.keys(spec.values)) {
    if (!k.startsWith("boot/kernel/")) continue;
    // Every prefix `boot/kernel/<label>/` of the key (a label may hold `/`).
    for (let at = k.indexOf("/", "boot/kernel/".length); at !== -1; at = k.indexOf("/", at + 1)) {
      withSubKeys.add(k.slice("boot/kernel/".length, at));
    }
  }
  kernelLabels(spec.values).forEach((label, i) => {
    if (!/[.\-/]/.test(label)) return;
    const hasSubKeys = withSubKeys.has(label);
    if (!hasSubKeys) return;
    out.push({
      severity: "warning",
      code: "kernel-label-sanitized",
      message: `catalyst renames kernel "${label}" to "${label.replace(/[.\-/]/g, "_")}" and would not find its boot/kernel/${label}/* keys`,
      span: tokens[i]?.span ?? spec.keySpans.get("boot/kernel") ?? spec.firstLine,
      hint: "use a label made of letters, digits and `_`",
    });
  });
  return out;
}
