/**
 * Mermaid flowchart rendering of the stage picture (for Markdown pages and issue comments):
 * one subgraph per arch/flavour, seeds as parallelograms, payload edges dotted and labelled.
 */
import type { Picture } from "./picture.js";

/** Escapes text for a quoted mermaid label. */
function label(text: string): string {
  return text.replace(/"/g, "#quot;");
}

/** Renders the picture as a mermaid `flowchart LR` (deterministic). */
export function renderMermaid(picture: Picture): string {
  const ids = new Map(picture.nodes.map((n, i) => [n.id, `n${i}`]));
  const lines: string[] = [`---`, `title: ${picture.title}`, `---`, "flowchart LR"];
  picture.groups.forEach((group, i) => {
    lines.push(`  subgraph g${i}["${label(group.label)}"]`);
    for (const node of picture.nodes) {
      if (node.group !== group.id) continue;
      const text = `${label(node.label)}<br/><small>${label(node.detail)}</small>`;
      const id = ids.get(node.id) ?? "";
      lines.push(node.type === "seed" ? `    ${id}[/"${text}"/]` : `    ${id}["${text}"]`);
    }
    lines.push("  end");
  });
  for (const edge of picture.edges) {
    const from = ids.get(edge.from) ?? "";
    const to = ids.get(edge.to) ?? "";
    lines.push(edge.role === "payload" ? `  ${from} -. payload .-> ${to}` : `  ${from} --> ${to}`);
  }
  const decided = picture.nodes.filter((n) => n.decision !== undefined);
  if (decided.length > 0) {
    lines.push(
      "  classDef fresh fill:#d9f2d9,stroke:#4a7",
      "  classDef build fill:#dbe8ff,stroke:#47a",
      "  classDef blocked fill:#ffd9d9,stroke:#a44",
    );
    for (const n of decided) lines.push(`  class ${ids.get(n.id) ?? ""} ${n.decision ?? ""}`);
  }
  return lines.join("\n") + "\n";
}
