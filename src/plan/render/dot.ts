/**
 * Graphviz DOT rendering of the stage picture: one cluster per arch/flavour, stages as rounded
 * boxes, seeds as notes, payload edges dashed and labelled.
 */
import type { Picture } from "./picture.js";

/** Quotes a DOT identifier or label. */
function q(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

const FILL = { fresh: "#d9f2d9", build: "#dbe8ff", blocked: "#ffd9d9" } as const;

/** Renders the picture as a DOT digraph (deterministic: same picture, same text). */
export function renderDot(picture: Picture): string {
  const lines: string[] = [
    `digraph ${q(picture.title)} {`,
    `  graph [rankdir=LR, label=${q(picture.title)}, labelloc=t, fontname="Helvetica", nodesep=0.3, ranksep=0.6];`,
    `  node [shape=box, style="rounded,filled", fillcolor="#eef2f8", fontname="Helvetica", fontsize=11];`,
    `  edge [fontname="Helvetica", fontsize=9];`,
  ];
  picture.groups.forEach((group, i) => {
    lines.push(
      `  subgraph cluster_${i} {`,
      `    label=${q(group.label)};`,
      `    style=rounded; color="#9aa5b1";`,
    );
    for (const node of picture.nodes) {
      if (node.group !== group.id) continue;
      const label = `${node.label}\\n${node.detail}`;
      const attrs =
        node.type === "seed"
          ? `shape=note, style=filled, fillcolor="#fff4d6", label="${label.replace(/"/g, '\\"')}"`
          : `label="${label.replace(/"/g, '\\"')}"` +
            (node.decision !== undefined ? `, fillcolor="${FILL[node.decision]}"` : "");
      lines.push(`    ${q(node.id)} [${attrs}];`);
    }
    lines.push("  }");
  });
  for (const edge of picture.edges) {
    const attrs = edge.role === "payload" ? ` [label="payload", style=dashed]` : "";
    lines.push(`  ${q(edge.from)} -> ${q(edge.to)}${attrs};`);
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}
