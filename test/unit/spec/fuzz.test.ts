// Fuzzing (issue 11, "the suite that keeps it fixed"): the real specs of examples/ and their
// substrate.toml, mutated (byte flips, truncation, NUL bytes, long lines, repeated keys, random
// Unicode), go through the spec parser and `check` in-process (10,000+ inputs) and through the
// real CLI binary (50 inputs). Nothing may throw, the CLI exits 0, 1 or 2 without a stack
// trace, and every error diagnostic names its place as file:line:col.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import type { Diagnostic } from "../../../src/report/diagnostic.js";
import { cachedReader, formatDiagnostic } from "../../../src/report/diagnostic-printer.js";
import { checkFiles, checkTree } from "../../../src/spec/check.js";
import { loadTree } from "../../../src/spec/tree.js";
import { resolveGraph } from "../../../src/plan/graph.js";

const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
const BIN = fileURLToPath(new URL("../../../src/cli/bin.js", import.meta.url));
const EXAMPLES = ["roflmaos", "gentoo"].map((t) => join(REPO, "examples", t));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && (e.name.endsWith(".spec") || e.name === "substrate.toml"))
    .map((e) => join(e.parentPath, e.name));
}

/** Every spec and substrate.toml of the examples, relative to its tree, with its bytes. */
const SOURCES = EXAMPLES.flatMap((tree) =>
  filesUnder(tree).map((f) => ({ tree, rel: relative(tree, f), bytes: readFileSync(f) })),
);

type Mutation =
  | { op: "flip"; at: number; xor: number }
  | { op: "truncate"; at: number }
  | { op: "nul"; at: number; n: number }
  | { op: "long"; at: number; n: number }
  | { op: "repeat"; line: number; n: number }
  | { op: "unicode"; at: number; text: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    op: fc.constant("flip" as const),
    at: fc.nat(),
    xor: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("nul" as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    op: fc.constant("long" as const),
    at: fc.nat(),
    n: fc.integer({ min: 1000, max: 4000 }),
  }),
  fc.record({
    op: fc.constant("repeat" as const),
    line: fc.nat(),
    n: fc.integer({ min: 2, max: 40 }),
  }),
  fc.record({
    op: fc.constant("unicode" as const),
    at: fc.nat(),
    text: fc.string({ unit: "binary", maxLength: 20 }),
  }),
);

function apply(bytes: Buffer, ms: readonly Mutation[]): Buffer {
  let b = bytes;
  for (const m of ms) {
    const at = b.length === 0 ? 0 : ("at" in m ? m.at : 0) % (b.length + 1);
    switch (m.op) {
      case "flip":
        if (b.length > 0) {
          b = Buffer.from(b);
          const i = at % b.length;
          b[i] = (b[i] ?? 0) ^ m.xor;
        }
        break;
      case "truncate":
        b = b.subarray(0, at);
        break;
      case "nul":
        b = Buffer.concat([b.subarray(0, at), Buffer.alloc(m.n), b.subarray(at)]);
        break;
      case "long":
        b = Buffer.concat([b.subarray(0, at), Buffer.from("x".repeat(m.n)), b.subarray(at)]);
        break;
      case "repeat": {
        const lines = b.toString("latin1").split("\n");
        const i = m.line % lines.length;
        lines.splice(i, 0, ...Array<string>(m.n).fill(lines[i] ?? ""));
        b = Buffer.from(lines.join("\n"), "latin1");
        break;
      }
      case "unicode":
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.text, "utf8"), b.subarray(at)]);
        break;
    }
  }
  return b;
}

const input = fc.record({
  source: fc.nat({ max: SOURCES.length - 1 }),
  mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
});

/** Errors that name no place though they should: every error of a spec or config does. */
function placeless(ds: readonly Diagnostic[]): Diagnostic[] {
  return ds.filter(
    (d) =>
      d.severity === "error" &&
      (d.span === undefined ||
        !(d.span.line >= 1 && d.span.col >= 1 && Number.isInteger(d.span.line))),
  );
}

// One copy of each example tree, whose files each run overwrites.
const work = mkdtempSync(join(tmpdir(), "substrate-fuzz-"));
const copies = new Map(
  EXAMPLES.map((t, i) => {
    const dest = join(work, String(i));
    cpSync(t, dest, { recursive: true });
    return [t, dest];
  }),
);

function mutated(i: { source: number; mutations: Mutation[] }): {
  tree: string;
  file: string;
  restore: () => void;
} {
  const s = SOURCES[i.source];
  assert.ok(s !== undefined);
  const tree = copies.get(s.tree) ?? "";
  const file = join(tree, s.rel);
  writeFileSync(file, apply(s.bytes, i.mutations));
  return {
    tree,
    file,
    restore: () => {
      writeFileSync(file, s.bytes);
    },
  };
}

let fuzzed = 0;
// FUZZ_RUNS may raise it (or lower it while debugging); the suite runs 10,000.
const RUNS = Number(process.env["FUZZ_RUNS"] ?? 10000);

void describe("fuzzing the example specs and substrate.toml", () => {
  void it("10,000 mutated inputs through the parser, check and the graph: no throw, every error placed", () => {
    const read = cachedReader((f) => {
      try {
        return readFileSync(f, "utf8");
      } catch {
        return undefined;
      }
    });
    fc.assert(
      fc.property(input, (i) => {
        const { tree, file, restore } = mutated(i);
        try {
          const ds = file.endsWith(".spec") ? checkFiles([file], { date: "20261126" }) : [];
          // The whole tree for a mutated substrate.toml and for one spec input in four.
          if (!file.endsWith(".spec") || i.mutations.length === 4) {
            const t = loadTree(tree, { date: "20261126", cwd: tree });
            ds.push(...checkTree(t), ...resolveGraph(t).diagnostics);
          }
          const bad = placeless(ds);
          if (bad.length > 0) assert.fail(`error without a place: ${JSON.stringify(bad[0])}`);
          for (const d of ds) formatDiagnostic(d, read);
          fuzzed++;
        } finally {
          restore();
        }
      }),
      { numRuns: RUNS, seed: 11, endOnFailure: true },
    );
    assert.equal(fuzzed, RUNS);
  });

  void it("50 mutated inputs through the real CLI: exit 0, 1 or 2 and no stack trace", () => {
    fc.assert(
      fc.property(input, (i) => {
        const { tree, file, restore } = mutated(i);
        try {
          for (const args of [
            ["check", "--date", "20261126"],
            ["spec", "parse", relative(tree, file)],
          ]) {
            if (args[0] === "spec" && !file.endsWith(".spec")) continue;
            const r = spawnSync(process.execPath, [BIN, ...args], { cwd: tree, encoding: "utf8" });
            assert.ok([0, 1, 2].includes(r.status ?? -1), `exit ${String(r.status)}: ${r.stderr}`);
            assert.doesNotMatch(r.stderr + r.stdout, /\n\s+at .+:\d+:\d+\)?\n/);
            for (const line of r.stdout.split("\n")) {
              if (line.startsWith("error:")) assert.fail(`error without file:line:col: ${line}`);
            }
          }
        } finally {
          restore();
        }
      }),
      { numRuns: 50, seed: 12, endOnFailure: true },
    );
  });
});
