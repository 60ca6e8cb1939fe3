/**
 * The catalyst-style fixture set: each `test/fixtures/specs/**\/x.spec` parses to exactly the
 * values in `x.json`, derived by hand from catalyst's parser rules (catalyst reference §1.1).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseSpec, specValues } from "../../../src/spec/parser.js";
import { fixturesDir } from "./helpers.js";

function specFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) return specFiles(p);
      return n.endsWith(".spec") ? [p] : [];
    });
}

void describe("catalyst-style fixtures", () => {
  const dir = fixturesDir();
  for (const file of specFiles(dir)) {
    void it(relative(dir, file), () => {
      const expected: unknown = JSON.parse(readFileSync(file.replace(/\.spec$/, ".json"), "utf8"));
      const parsed = parseSpec(file, readFileSync(file, "utf8"));
      // Compare as JSON, key order included (catalyst's dict order).
      assert.equal(JSON.stringify(specValues(parsed)), JSON.stringify(expected));
    });
  }
});
