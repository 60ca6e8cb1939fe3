/**
 * The key reference of docs/spec-language.md (§6), rendered from the schemas so the document
 * cannot drift from the code (a unit test compares them). To regenerate the section, print
 * `renderKeyReference()` of the compiled module (dist/src/spec/key-reference.js) and paste it.
 */
import { COMMON_KEYS, KERNEL_KEYS } from "./kinds/common.js";
import type { KeyRule } from "./kinds/define.js";
import { KINDS } from "./kinds/registry.js";
import { TARGET_KINDS } from "./types.js";

function cell(s: string): string {
  return s.replace(/\|/g, "\\|");
}

function row(key: string, r: KeyRule): string {
  const extra: string[] = [];
  if (r.shape === "single") extra.push("one word");
  if (r.values) {
    extra.push(
      "one of " +
        r.values.map((v) => `\`${v}\``).join(", ") +
        (r.valuesSeverity === "warning" ? " (else a warning)" : ""),
    );
  }
  if (r.maxLength !== undefined) extra.push(`at most ${r.maxLength} characters`);
  if (r.path) {
    extra.push(
      `tree ${r.path === "dir" ? "folder" : r.path === "file" ? "file" : "file or folder"}`,
    );
  }
  if (r.storeRef === true) extra.push("store subpath");
  if (r.driver) extra.push(`${r.driver} driver only`);
  return `| \`${key}\` | ${r.origin} | ${cell(r.doc)} | ${cell(extra.join("; "))} |`;
}

const HEAD = ["| key | from | meaning | value |", "|---|---|---|---|"];

/** The markdown of the key reference: common keys, kernel keys, then each kind's keys. */
export function renderKeyReference(): string {
  const out: string[] = ["### Keys every stage accepts", "", ...HEAD];
  for (const [k, r] of Object.entries(COMMON_KEYS)) out.push(row(k, r));
  out.push(
    "",
    "### Per-kernel keys `boot/kernel/<label>/*`",
    "",
    "Valid for every label listed in `boot/kernel` (in kinds that accept `boot/kernel`).",
    "",
    ...HEAD,
  );
  for (const [k, r] of Object.entries(KERNEL_KEYS)) out.push(row(`boot/kernel/<label>/${k}`, r));
  for (const kind of TARGET_KINDS) {
    const s = KINDS[kind];
    out.push("", `### ${kind}`, "", `${s.summary}. Prefix \`${s.prefix}\`.`, "");
    const req = s.required.map(
      (r) =>
        `\`${r.key}\`` +
        (r.alternatives ? ` (or ${r.alternatives.map((a) => `\`${a}\``).join(", ")})` : "") +
        (r.drivers ? ` (${r.drivers.join(", ")} only)` : ""),
    );
    out.push(`Required: ${req.join(", ")}.`, "");
    const keys = Object.entries(s.keys);
    if (keys.length === 0) {
      out.push("No keys beyond the common ones.");
      continue;
    }
    out.push(...HEAD);
    for (const [k, r] of keys) out.push(row(k, r));
    if (kind === "netboot") {
      out.push(
        "| `netboot/packages/<pkg>/files` | catalyst | files of a listed package copied into the image | |",
      );
    }
  }
  return out.join("\n") + "\n";
}
