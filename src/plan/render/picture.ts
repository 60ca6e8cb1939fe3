/**
 * The "Substrate Stage Paths" picture as data: nodes (stages and the seeds they start from),
 * edges (source and payload inputs) and groups (arch/flavour). The DOT, mermaid and SVG
 * renderers all draw this one model, so they always agree.
 */
import { posix, relative } from "node:path";
import type { DecisionKind, StageId } from "../../report/events.js";
import type { SpecTree } from "../../spec/types.js";
import type { StageGraph } from "../graph.js";
import { INPUT_ROLES, type InputRole, type OutputForm } from "../types.js";

/** A box in the picture. */
export interface PictureNode {
  /** Stable identifier: the stage id, or `seed:<store subpath>`. */
  readonly id: string;
  readonly type: "stage" | "seed";
  /** Main text: the stage name (spec stem) or the seed's file name. */
  readonly label: string;
  /** Second line: what the stage makes, or whether the seed is present. */
  readonly detail: string;
  /** The group id (`<arch>/<flavour>`, or `seeds` for seeds outside the tree's folders). */
  readonly group: string;
  readonly decision?: DecisionKind;
}

/** An arrow from an input to the stage that takes it. */
export interface PictureEdge {
  readonly from: string;
  readonly to: string;
  readonly role: InputRole;
}

/** A group of boxes (one arch/flavour folder). */
export interface PictureGroup {
  readonly id: string;
  readonly label: string;
}

/** The whole picture; nodes are in build order (every node after its inputs). */
export interface Picture {
  readonly title: string;
  readonly groups: readonly PictureGroup[];
  readonly nodes: readonly PictureNode[];
  readonly edges: readonly PictureEdge[];
}

const FORM_WORDS: Readonly<Record<OutputForm, string>> = {
  tarball: "root tarball",
  squashfs: "root squashfs",
  directory: "boot payload",
  iso: "ISO image",
  qcow2: "disk image",
};

/** Builds the picture of a resolved graph; `decisions` (from a plan) colours the stages. */
export function pictureOf(
  tree: SpecTree,
  graph: StageGraph,
  decisions?: ReadonlyMap<StageId, DecisionKind>,
): Picture {
  const nodes: PictureNode[] = [];
  const edges: PictureEdge[] = [];
  const seen = new Set<string>();
  const groupIds: string[] = [];
  const addGroup = (g: string): void => {
    if (!groupIds.includes(g)) groupIds.push(g);
  };
  const builds = tree.config.store.builds;
  const treeGroups = new Set(
    [...graph.nodes.values()].map((n) => `${n.spec.arch}/${n.spec.flavour}`),
  );

  for (const id of graph.order) {
    const node = graph.nodes.get(id);
    if (node === undefined) continue;
    const group = `${node.spec.arch}/${node.spec.flavour}`;
    for (const role of INPUT_ROLES) {
      const input = graph.inputs.get(id)?.[role];
      if (input === undefined || input.type === "bootstrap") continue;
      if (input.type === "stage") {
        edges.push({ from: input.stage, to: id, role });
        continue;
      }
      const rel = relative(builds, input.path).split("\\").join("/");
      const inside = !rel.startsWith("..");
      const seedId = `seed:${inside ? rel : input.path}`;
      if (!seen.has(seedId)) {
        seen.add(seedId);
        const parts = rel.split("/");
        const seedGroup =
          inside && parts.length > 2 && treeGroups.has(`${parts[0] ?? ""}/${parts[1] ?? ""}`)
            ? `${parts[0] ?? ""}/${parts[1] ?? ""}`
            : "seeds";
        addGroup(seedGroup);
        nodes.push({
          id: seedId,
          type: "seed",
          label: posix.basename(input.value),
          detail: input.found ? "seed" : "seed (missing)",
          group: seedGroup,
        });
      }
      edges.push({ from: seedId, to: id, role });
    }
    addGroup(group);
    const decision = decisions?.get(id);
    nodes.push({
      id,
      type: "stage",
      label: node.spec.stage,
      detail:
        node.spec.kind === node.spec.stage
          ? FORM_WORDS[node.outputs.form]
          : `${node.spec.kind}: ${FORM_WORDS[node.outputs.form]}`,
      group,
      ...(decision !== undefined ? { decision } : {}),
    });
  }
  const groups = groupIds.map((id) => ({
    id,
    label: id === "seeds" ? "seeds in the store" : id,
  }));
  return { title: "Substrate Stage Paths", groups, nodes, edges };
}
