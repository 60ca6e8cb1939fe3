// Renderers: DOT and mermaid goldens for the example trees; SVG is well-formed, complete and overlap-free.
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { test } from "node:test";
import { loadTree } from "../../../src/spec/tree.js";
import { resolveGraph } from "../../../src/plan/graph.js";
import { pictureOf, type Picture } from "../../../src/plan/render/picture.js";
import { renderDot } from "../../../src/plan/render/dot.js";
import { renderMermaid } from "../../../src/plan/render/mermaid.js";
import { layoutPicture, renderSvg } from "../../../src/plan/render/svg.js";
import { assertGolden, repoRoot } from "./golden.js";
import { tempRoot } from "./tree-builder.js";

function picture(name: string): Picture {
  const tree = loadTree(join(repoRoot(), "examples", name), { date: "20260101", cwd: tempRoot() });
  return pictureOf(tree, resolveGraph(tree));
}

/** A small XML well-formedness check: balanced tags, quoted attributes, no stray `<` or `&`. */
function assertWellFormedXml(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, "");
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = re.exec(body)) !== null) {
    pos = re.lastIndex;
    const [, close, name, , selfClose, text] = m;
    if (text !== undefined) {
      assert.doesNotMatch(text, /&(?!(amp|lt|gt|quot|apos);)/, "unescaped & in text");
      continue;
    }
    if (close === "/") assert.equal(stack.pop(), name, `closing </${name}> does not match`);
    else if (selfClose !== "/") stack.push(name ?? "");
  }
  assert.equal(pos, body.length, `not XML at offset ${pos}: ${body.slice(pos, pos + 60)}`);
  assert.deepEqual(stack, [], "unclosed elements");
}

for (const name of ["roflmaos", "gentoo"]) {
  void test(`${name}: DOT and mermaid match the golden files`, () => {
    const p = picture(name);
    assertGolden(`${name}.dot`, renderDot(p));
    assertGolden(`${name}.mmd`, renderMermaid(p));
  });

  void test(`${name}: SVG is well-formed XML naming every stage, with no overlapping boxes`, () => {
    const p = picture(name);
    const svg = renderSvg(p);
    assertWellFormedXml(svg);
    for (const node of p.nodes)
      assert.ok(svg.includes(`data-id="${node.id}"`), `missing ${node.id}`);
    assert.equal((svg.match(/class="edge"/g) ?? []).length, p.edges.length);
    const boxes = [...layoutPicture(p).boxes.values()];
    for (const a of boxes) {
      for (const b of boxes) {
        if (a === b) continue;
        const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
        assert.ok(apart, `${a.node.id} overlaps ${b.node.id}`);
      }
    }
    // Every arrow points right: inputs sit in earlier columns than the stages taking them.
    const layout = layoutPicture(p);
    for (const e of p.edges) {
      assert.ok((layout.boxes.get(e.from)?.layer ?? 0) < (layout.boxes.get(e.to)?.layer ?? 0));
    }
  });
}

void test("the roflmaOS picture: seeds grouped with their folder, payload edges dashed", () => {
  const dot = renderDot(picture("roflmaos"));
  assert.match(
    dot,
    /"amd64\/roflmaos:livecd-stage2" -> "amd64\/roflmaos:livecd-stage3" \[label="payload", style=dashed\];/,
  );
  assert.match(
    dot,
    /"amd64\/roflmaos:livecd-stage2" -> "amd64\/minimal:livecd-stage3" \[label="payload", style=dashed\];/,
  );
  const gentoo = picture("gentoo");
  const seed = gentoo.nodes.find((n) => n.type === "seed" && n.group === "amd64/systemd");
  assert.equal(seed?.label, "stage3-amd64-systemd-latest");
  assert.equal(seed.detail, "seed (missing)");
});

void test("SVG with the report's options: title, a tooltip per node (escaped), a legend", () => {
  const p = picture("roflmaos");
  const stage = p.nodes.find((n) => n.type === "stage");
  assert.ok(stage);
  const tips = new Map([[stage.id, `${stage.id}\nbuild: <spec> & "tokens" changed`]]);
  const svg = renderSvg(p, { title: "Paths: roflmaos, 20260101", tooltips: tips, legend: true });
  assertWellFormedXml(svg);
  assert.ok(svg.includes("<title>Paths: roflmaos, 20260101</title>"));
  assert.ok(svg.includes(`&lt;spec&gt; &amp; &quot;tokens&quot; changed</title>`));
  assert.equal((svg.match(/<title>/g) ?? []).length, 2);
  assert.match(
    svg,
    /<g class="legend"[^]*fresh[^]*to build[^]*blocked[^]*seed[^]*source[^]*payload/,
  );
  const plain = renderSvg(p);
  assert.doesNotMatch(plain, /class="legend"/);
  const height = (s: string): number => Number(/height="(\d+)"/.exec(s)?.[1]);
  assert.ok(height(svg) > height(plain));
});
