// Fingerprint properties (fast-check): spec layout does not matter, every input does; diffRecords names the change.
import { strict as assert } from "node:assert";
import { test } from "node:test";
import fc from "fast-check";
import { parseSpec, specValues } from "../../../src/spec/parser.js";
import {
  canonicalJson,
  diffRecords,
  fingerprintOf,
  fingerprintRecord,
  type InputIdentity,
} from "../../../src/plan/fingerprint.js";
import type { EntryStat, StoreView } from "../../../src/plan/store-view.js";
import type { Fingerprint, InputRole } from "../../../src/plan/types.js";
import type { StageSpec } from "../../../src/spec/types.js";
import { makeTree } from "./tree-builder.js";

const ROOT = "/tree";
const OVERLAY = "/tree/root_overlays/livecd";

/** An in-memory file system: path -> file bytes (folders are implied by their files). */
function memoryView(files: ReadonlyMap<string, { data: Buffer; mode: number }>): StoreView {
  const isDir = (p: string): boolean => [...files.keys()].some((f) => f.startsWith(`${p}/`));
  const stat = (p: string): EntryStat | undefined => {
    const f = files.get(p);
    if (f !== undefined) return { type: "file", mode: f.mode, size: f.data.length, mtimeMs: 0 };
    return isDir(p) ? { type: "dir", mode: 0o755, size: 0, mtimeMs: 0 } : undefined;
  };
  return {
    stat,
    lstat: stat,
    readdir: (p) =>
      isDir(p)
        ? [
            ...new Set(
              [...files.keys()]
                .filter((f) => f.startsWith(`${p}/`))
                .map((f) => f.slice(p.length + 1).split("/")[0] ?? ""),
            ),
          ]
        : undefined,
    readFile: (p) => files.get(p)?.data,
    readlink: () => undefined,
  };
}

const token = fc.stringMatching(/^[a-z][a-z0-9._-]{0,11}$/);
const KEYS = [
  "stage4/packages",
  "stage4/use",
  "stage4/rm",
  "stage4/empty",
  "stage4/unmerge",
  "common_flags",
];
const specValuesArb = fc.dictionary(
  fc.constantFrom(...KEYS),
  fc.array(token, { minLength: 1, maxLength: 5 }),
  {
    minKeys: 1,
  },
);

/** Writes a spec text with the given key order, indentation, line splitting and comments. */
function render(
  values: Record<string, string[]>,
  order: string[],
  style: { indent: string; split: boolean; comments: boolean },
): string {
  const lines: string[] = [];
  for (const key of order) {
    const tokens = values[key] ?? [];
    if (style.comments) lines.push("# a comment", "");
    if (style.split && tokens.length > 1) {
      lines.push(`${style.indent}${key}:`);
      for (const t of tokens) lines.push(`${style.indent}\t${t}`);
    } else {
      lines.push(`${style.indent}${key}: ${tokens.join("  ")}   `);
    }
  }
  return lines.join("\n") + "\n";
}

function stageFrom(text: string, extraOverlay = true): StageSpec {
  const base = makeTree({ root: ROOT, stages: [{ flavour: "r", stage: "stage4" }] }).stages[0]!;
  const parsed = parseSpec(
    "stage4.spec",
    text + (extraOverlay ? `stage4/root_overlay: ${OVERLAY}\n` : ""),
  );
  return {
    ...base,
    parsed,
    values: {
      ...base.values,
      ...specValues(parsed),
      source_subpath: "amd64/r/stage3-amd64-r-latest",
    },
  };
}

const PARENT: Partial<Record<InputRole, InputIdentity>> = {
  source: { stage: "amd64/r:stage3", fingerprint: "a".repeat(64) as Fingerprint },
};

function fp(
  spec: StageSpec,
  view: StoreView,
  inputs = PARENT,
  tool = "tools 1",
): { fingerprint: string; record: ReturnType<typeof fingerprintRecord> } {
  const tree = makeTree({ root: ROOT, stages: [] });
  const record = fingerprintRecord(
    { spec, config: tree.config, date: "20260101", inputs, toolVersion: tool },
    view,
  );
  return { fingerprint: fingerprintOf(record), record };
}

const overlayFiles = fc.dictionary(
  fc.stringMatching(/^(etc|usr)\/[a-z]{1,6}$/),
  fc.uint8Array({ minLength: 0, maxLength: 16 }),
  { minKeys: 1, maxKeys: 5 },
);

function viewOf(files: Record<string, Uint8Array>, modes: Record<string, number> = {}): StoreView {
  return memoryView(
    new Map(
      Object.entries(files).map(([rel, data]) => [
        `${OVERLAY}/${rel}`,
        { data: Buffer.from(data), mode: modes[rel] ?? 0o644 },
      ]),
    ),
  );
}

void test("reordering keys, indentation, line splits and comments keep the fingerprint", () => {
  fc.assert(
    fc.property(
      specValuesArb,
      fc.boolean(),
      fc.boolean(),
      fc.constantFrom("", "  ", "\t"),
      fc.infiniteStream(fc.nat()),
      overlayFiles,
      (values, split, comments, indent, rand, files) => {
        const keys = Object.keys(values);
        const shuffled = [...keys];
        for (let x = shuffled.length - 1; x > 0; x--) {
          const y = (rand.next().value as number) % (x + 1);
          [shuffled[x], shuffled[y]] = [shuffled[y]!, shuffled[x]!];
        }
        const view = viewOf(files);
        const a = fp(
          stageFrom(render(values, keys, { indent: "", split: false, comments: false })),
          view,
        );
        const b = fp(stageFrom(render(values, shuffled, { indent, split, comments })), view);
        assert.equal(a.fingerprint, b.fingerprint);
        assert.equal(diffRecords(a.record, b.record), "no input changed");
      },
    ),
    { numRuns: 150 },
  );
});

void test("changing any single spec value changes the fingerprint and diffRecords names the key", () => {
  fc.assert(
    fc.property(
      specValuesArb,
      fc.nat(),
      fc.nat(),
      token,
      overlayFiles,
      (values, k, t, replacement, files) => {
        const keys = Object.keys(values);
        const key = keys[k % keys.length]!;
        const tokens = values[key]!;
        const i = t % tokens.length;
        fc.pre(tokens[i] !== replacement);
        const changed = { ...values, [key]: tokens.map((x, j) => (j === i ? replacement : x)) };
        const order = Object.keys(values);
        const view = viewOf(files);
        const a = fp(
          stageFrom(render(values, order, { indent: "", split: false, comments: false })),
          view,
        );
        const b = fp(
          stageFrom(render(changed, order, { indent: "", split: false, comments: false })),
          view,
        );
        assert.notEqual(a.fingerprint, b.fingerprint);
        assert.equal(diffRecords(a.record, b.record), `spec value ${key} changed`);
      },
    ),
    { numRuns: 150 },
  );
});

void test("changing one byte or the mode of one overlay file changes the fingerprint, naming the file", () => {
  fc.assert(
    fc.property(overlayFiles, fc.nat(), fc.nat(), fc.boolean(), (files, f, byte, modeOnly) => {
      const names = Object.keys(files).sort();
      const name = names[f % names.length]!;
      const spec = stageFrom("stage4/packages: less\n");
      const before = fp(spec, viewOf(files));
      let after;
      if (modeOnly) {
        after = fp(spec, viewOf(files, { [name]: 0o755 }));
      } else {
        const data = Uint8Array.from(files[name]!);
        if (data.length === 0) after = fp(spec, viewOf({ ...files, [name]: Uint8Array.of(1) }));
        else {
          const at = byte % data.length;
          data[at] = (data[at]! + 1) % 256;
          after = fp(spec, viewOf({ ...files, [name]: data }));
        }
      }
      assert.notEqual(before.fingerprint, after.fingerprint);
      assert.equal(
        diffRecords(before.record, after.record),
        `input stage4/root_overlay changed (${name})`,
      );
    }),
    { numRuns: 150 },
  );
});

void test("a different parent fingerprint, seed, tool version or date changes the fingerprint", () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[0-9a-f]{64}$/), (other) => {
      fc.pre(other !== "a".repeat(64));
      const view = viewOf({ "etc/hostname": Uint8Array.of(1) });
      const spec = stageFrom("stage4/packages: less\n");
      const base = fp(spec, view);
      const parent = fp(spec, view, {
        source: { stage: "amd64/r:stage3", fingerprint: other as Fingerprint },
      });
      assert.notEqual(base.fingerprint, parent.fingerprint);
      assert.equal(diffRecords(base.record, parent.record), "parent amd64/r:stage3 changed");
    }),
  );
  const view = viewOf({ "etc/hostname": Uint8Array.of(1) });
  const spec = stageFrom("stage4/packages: less\n");
  const base = fp(spec, view);
  const seeded = fp(spec, view, {
    source: { seed: "@BUILDS@/amd64/r/seed.tar.xz", identity: { digests: "1" } },
  });
  const reseeded = fp(spec, view, {
    source: { seed: "@BUILDS@/amd64/r/seed.tar.xz", identity: { digests: "2" } },
  });
  assert.equal(
    diffRecords(base.record, seeded.record),
    "source input changed from stage amd64/r:stage3 to seed @BUILDS@/amd64/r/seed.tar.xz",
  );
  assert.equal(
    diffRecords(seeded.record, reseeded.record),
    "seed @BUILDS@/amd64/r/seed.tar.xz changed",
  );
  assert.equal(
    diffRecords(base.record, fp(spec, view, PARENT, "tools 2").record),
    "host tool versions changed",
  );
});

void test("bookkeeping keys and tree location do not change the fingerprint", () => {
  const view = viewOf({ "etc/hostname": Uint8Array.of(1) });
  const a = stageFrom("stage4/packages: less\n");
  const b = {
    ...a,
    values: { ...a.values, pkgcache_path: "/elsewhere/packages", kerncache_path: "/x" },
  };
  assert.equal(fp(a, view).fingerprint, fp(b, view).fingerprint);
  // The record is plain canonical data: what a stamp stores reads back equal.
  const { record } = fp(a, view);
  assert.equal(canonicalJson(JSON.parse(JSON.stringify(record))), canonicalJson(record));
  const values = record["values"] as Record<string, unknown>;
  assert.equal(values["stage4/root_overlay"], "@REPO_DIR@/root_overlays/livecd");
});
