/**
 * `check` and the apt driver agree on `apt/variant`: every value the spec check accepts is one the
 * build accepts, and every value it refuses the build refuses too (mmdebstrap's `-` among them).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_APT_SETTINGS, resolveAptOptions } from "../../../src/drivers/apt/apt-options.js";
import { MMDEBSTRAP_VARIANTS } from "../../../src/spec/apt-variants.js";
import { parseSpec } from "../../../src/spec/parser.js";
import { substituteTokens } from "../../../src/spec/tokens.js";
import { validateSpec } from "../../../src/spec/validate.js";
import type { SourceSpan } from "../../../src/report/diagnostic.js";

function checkAccepts(variant: string): boolean {
  const text = [
    "target: stage3",
    "subarch: amd64",
    "version_stamp: v",
    "rel_type: r",
    "source_subpath: amd64/seed",
    "apt/suite: bookworm",
    `apt/variant: ${variant}`,
  ].join("\n");
  const parsed = parseSpec("x.spec", `${text}\n`);
  const sub = substituteTokens(parsed, { date: "20261126", mode: "standalone" });
  const keySpans = new Map<string, SourceSpan>();
  for (const [k, e] of parsed.entries) keySpans.set(k, e.keySpan);
  const v = validateSpec(
    {
      file: "x.spec",
      stem: "x",
      values: sub.values,
      keySpans,
      tokens: sub.tokens,
      firstLine: { file: "x.spec", line: 1, col: 1, endCol: 2 },
    },
    { driver: "apt", standalone: false },
  );
  return !v.diagnostics.some((d) => d.severity === "error");
}

function buildAccepts(variant: string): boolean {
  return resolveAptOptions(DEFAULT_APT_SETTINGS, { "apt/variant": variant }).ok;
}

void test("check and the build accept the same mmdebstrap variants", () => {
  for (const variant of [...MMDEBSTRAP_VARIANTS, "tiny", "Minbase", "--"]) {
    assert.equal(checkAccepts(variant), buildAccepts(variant), `apt/variant: ${variant}`);
  }
  assert.ok(checkAccepts("-") && buildAccepts("-"), "`-` is mmdebstrap's important set");
  assert.ok(!checkAccepts("tiny") && !buildAccepts("tiny"));
});
