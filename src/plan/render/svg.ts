/**
 * SVG rendering of the stage picture, laid out by substrate itself (no Graphviz): columns are
 * longest-path layers (every input left of the stages that take it), rows are bands, one per
 * arch/flavour group, and boxes inside a band are ordered by the barycentre of their neighbours
 * to keep arrows short. Boxes never overlap: each (band, column) cell stacks its boxes.
 */
import type { Picture, PictureNode } from "./picture.js";

const BOX_H = 44;
const GAP_X = 70;
const GAP_Y = 16;
const MARGIN = 20;
const TITLE_H = 40;
const BAND_HEAD = 24;
const BAND_PAD = 12;
const CHAR_W = 8;

/** Where one box sits. */
export interface BoxPlacement {
  readonly node: PictureNode;
  readonly layer: number;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** A point of an arrow's route. */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** A computed layout: boxes, bands, one route per edge (same order) and the canvas size. */
export interface SvgLayout {
  readonly boxes: ReadonlyMap<string, BoxPlacement>;
  readonly bands: readonly { readonly label: string; readonly y: number; readonly h: number }[];
  /** Each edge's route: exit point, the pass-through points of skipped columns, entry point. */
  readonly routes: readonly (readonly Point[])[];
  readonly width: number;
  readonly height: number;
}

function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/**
 * Lays the picture out (exported for tests that check boxes do not overlap). An edge that skips
 * columns gets an invisible placeholder in each skipped column (in its target's band), so it
 * runs through a free slot instead of across another stage's box.
 */
export function layoutPicture(picture: Picture): SvgLayout {
  const byId = new Map(picture.nodes.map((n) => [n.id, n]));
  const realParents = new Map<string, string[]>();
  for (const e of picture.edges) realParents.set(e.to, [...(realParents.get(e.to) ?? []), e.from]);
  // Longest-path layering; nodes are in build order, so parents are layered first.
  const layer = new Map<string, number>();
  for (const n of picture.nodes) {
    const ps = realParents.get(n.id) ?? [];
    layer.set(n.id, ps.length === 0 ? 0 : 1 + Math.max(...ps.map((p) => layer.get(p) ?? 0)));
  }
  const layers = Math.max(0, ...layer.values()) + 1;
  const maxChars = Math.max(
    10,
    ...picture.nodes.map((n) => Math.max(n.label.length, n.detail.length)),
  );
  const boxW = maxChars * CHAR_W + 24;

  // Chains: each edge becomes from -> placeholders... -> to; placeholders sit in the target's band.
  const group = new Map<string, string>(picture.nodes.map((n) => [n.id, n.group]));
  const chains: string[][] = picture.edges.map((e, i) => {
    const chain = [e.from];
    const from = layer.get(e.from) ?? 0;
    const to = layer.get(e.to) ?? 0;
    for (let l = from + 1; l < to; l++) {
      const id = `~${i}:${l}`;
      layer.set(id, l);
      group.set(id, byId.get(e.to)?.group ?? "");
      chain.push(id);
    }
    chain.push(e.to);
    return chain;
  });
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  for (const chain of chains) {
    for (let k = 1; k < chain.length; k++) {
      const a = chain[k - 1] ?? "";
      const b = chain[k] ?? "";
      parents.set(b, [...(parents.get(b) ?? []), a]);
      children.set(a, [...(children.get(a) ?? []), b]);
    }
  }

  // cells[group][layer] = ids, initially in build order (placeholders after the boxes).
  const cells = new Map<string, string[][]>();
  for (const g of picture.groups)
    cells.set(
      g.id,
      Array.from({ length: layers }, () => []),
    );
  for (const id of [...picture.nodes.map((n) => n.id), ...chains.flatMap((c) => c.slice(1, -1))]) {
    cells.get(group.get(id) ?? "")?.[layer.get(id) ?? 0]?.push(id);
  }
  const bandRows = new Map<string, number>();
  for (const g of picture.groups) {
    bandRows.set(g.id, Math.max(1, ...(cells.get(g.id) ?? []).map((c) => c.length)));
  }
  const bandTop = new Map<string, number>();
  let row = 0;
  for (const g of picture.groups) {
    bandTop.set(g.id, row);
    row += bandRows.get(g.id) ?? 1;
  }
  const globalRow = new Map<string, number>();
  const assignRows = (): void => {
    for (const g of picture.groups) {
      for (const cell of cells.get(g.id) ?? []) {
        cell.forEach((id, slot) => globalRow.set(id, (bandTop.get(g.id) ?? 0) + slot));
      }
    }
  };
  assignRows();
  const reorder = (neighbours: Map<string, string[]>, layerOrder: number[]): void => {
    for (const l of layerOrder) {
      for (const g of picture.groups) {
        const cell = cells.get(g.id)?.[l];
        if (cell === undefined || cell.length < 2) continue;
        const key = (id: string): number => {
          const ns = neighbours.get(id) ?? [];
          if (ns.length === 0) return globalRow.get(id) ?? 0;
          return ns.reduce((sum, n) => sum + (globalRow.get(n) ?? 0), 0) / ns.length;
        };
        const keyed = cell.map((id, i) => ({ id, k: key(id), i }));
        keyed.sort((a, b) => a.k - b.k || a.i - b.i);
        cell.splice(0, cell.length, ...keyed.map((x) => x.id));
      }
      assignRows();
    }
  };
  const forward = Array.from({ length: layers }, (_, i) => i);
  for (let pass = 0; pass < 2; pass++) {
    reorder(parents, forward.slice(1));
    reorder(children, [...forward].reverse().slice(1));
  }

  const slots = new Map<string, { x: number; y: number }>();
  const boxes = new Map<string, BoxPlacement>();
  const bands: { label: string; y: number; h: number }[] = [];
  let y = MARGIN + TITLE_H;
  for (const g of picture.groups) {
    const rows = bandRows.get(g.id) ?? 1;
    const h = BAND_HEAD + rows * (BOX_H + GAP_Y) - GAP_Y + BAND_PAD;
    bands.push({ label: g.label, y, h });
    (cells.get(g.id) ?? []).forEach((cell, l) => {
      cell.forEach((id, slot) => {
        const at = {
          x: MARGIN + BAND_PAD + l * (boxW + GAP_X),
          y: y + BAND_HEAD + slot * (BOX_H + GAP_Y),
        };
        slots.set(id, at);
        const node = byId.get(id);
        if (node !== undefined) boxes.set(id, { node, layer: l, ...at, w: boxW, h: BOX_H });
      });
    });
    y += h + BAND_PAD;
  }

  // Spread the arrows leaving (entering) a box over its right (left) side, ordered by where
  // they go (come from), so arrows do not start or end on top of each other.
  const centre = (id: string): number => (slots.get(id)?.y ?? 0) + BOX_H / 2;
  const exitY = new Map<number, number>();
  const entryY = new Map<number, number>();
  const spread = (
    ends: Map<string, { edge: number; towards: number }[]>,
    out: Map<number, number>,
  ): void => {
    for (const [id, list] of ends) {
      list.sort((a, b) => a.towards - b.towards || a.edge - b.edge);
      list.forEach((e, k) =>
        out.set(e.edge, (slots.get(id)?.y ?? 0) + (BOX_H * (k + 1)) / (list.length + 1)),
      );
    }
  };
  const outs = new Map<string, { edge: number; towards: number }[]>();
  const ins = new Map<string, { edge: number; towards: number }[]>();
  chains.forEach((chain, i) => {
    const from = chain[0] ?? "";
    const to = chain[chain.length - 1] ?? "";
    outs.set(from, [...(outs.get(from) ?? []), { edge: i, towards: centre(chain[1] ?? to) }]);
    ins.set(to, [
      ...(ins.get(to) ?? []),
      { edge: i, towards: centre(chain[chain.length - 2] ?? from) },
    ]);
  });
  spread(outs, exitY);
  spread(ins, entryY);
  const routes = chains.map((chain, i) => {
    const from = slots.get(chain[0] ?? "");
    const to = slots.get(chain[chain.length - 1] ?? "");
    const points: Point[] = [{ x: (from?.x ?? 0) + boxW, y: exitY.get(i) ?? 0 }];
    for (const id of chain.slice(1, -1)) {
      const at = slots.get(id);
      points.push({ x: at?.x ?? 0, y: centre(id) }, { x: (at?.x ?? 0) + boxW, y: centre(id) });
    }
    points.push({ x: to?.x ?? 0, y: entryY.get(i) ?? 0 });
    return points;
  });
  const width = MARGIN * 2 + BAND_PAD * 2 + layers * boxW + (layers - 1) * GAP_X;
  return { boxes, bands, routes, width, height: y + MARGIN - BAND_PAD };
}

/** An SVG path through the route: curves between columns, straight through skipped columns. */
function routePath(points: readonly Point[]): string {
  const first = points[0];
  if (first === undefined) return "";
  let d = `M ${first.x} ${first.y}`;
  for (let k = 1; k < points.length; k++) {
    const p = points[k - 1] ?? first;
    const q = points[k] ?? first;
    if (k % 2 === 0) {
      d += ` L ${q.x} ${q.y}`; // across a skipped column, through its free slot
    } else {
      const c = Math.max(20, (q.x - p.x) / 2);
      d += ` C ${p.x + c} ${p.y}, ${q.x - c} ${q.y}, ${q.x} ${q.y}`;
    }
  }
  return d;
}

const FILL = { fresh: "#d9f2d9", build: "#dbe8ff", blocked: "#ffd9d9" } as const;

/** What the report's copy of the picture adds (`graph --format svg` draws it too). */
export interface SvgOptions {
  /** The heading instead of the picture's own title (e.g. naming the tree and the date). */
  readonly title?: string;
  /** A `<title>` tooltip per node id (a stage's decision, reason and output). */
  readonly tooltips?: ReadonlyMap<string, string>;
  /** Draw a key of the colours and arrows under the picture. */
  readonly legend?: boolean;
}

const LEGEND_H = 34;
const LEGEND_W = 500;

/** The key: one swatch per box colour, then the two kinds of arrow. */
function legend(y: number): string[] {
  const out = [`<g class="legend" font-size="11" fill="#334">`];
  let x = MARGIN;
  const swatch = (fill: string, label: string, rx: number): void => {
    out.push(
      `<rect x="${x}" y="${y}" width="18" height="12" rx="${rx}" fill="${fill}" stroke="#445"/>`,
      `<text x="${x + 24}" y="${y + 10}">${escapeXml(label)}</text>`,
    );
    x += 30 + label.length * 6.5;
  };
  swatch(FILL.fresh, "fresh", 3);
  swatch(FILL.build, "to build", 3);
  swatch(FILL.blocked, "blocked", 3);
  swatch("#fff4d6", "seed", 1);
  for (const [label, dash] of [
    ["source", ""],
    ["payload", ` stroke-dasharray="6 4"`],
  ] as const) {
    out.push(
      `<path d="M ${x} ${y + 6} L ${x + 30} ${y + 6}" stroke="#445" stroke-width="1.4"${dash} marker-end="url(#arrow)"/>`,
      `<text x="${x + 36}" y="${y + 10}">${label}</text>`,
    );
    x += 46 + label.length * 6.5;
  }
  out.push("</g>");
  return out;
}

/** Renders the picture as a standalone SVG document. */
export function renderSvg(picture: Picture, options: SvgOptions = {}): string {
  const layout = layoutPicture(picture);
  const title = options.title ?? picture.title;
  const height = layout.height + (options.legend === true ? LEGEND_H : 0);
  const width = Math.max(layout.width, options.legend === true ? LEGEND_W : 0);
  const out: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<title>${escapeXml(title)}</title>`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#445"/></marker></defs>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${MARGIN}" y="${MARGIN + 18}" font-size="18" font-weight="bold" fill="#223">${escapeXml(title)}</text>`,
  ];
  for (const band of layout.bands) {
    out.push(
      `<g class="group"><rect x="${MARGIN}" y="${band.y}" width="${layout.width - 2 * MARGIN}" height="${band.h}" rx="8" fill="#f6f8fb" stroke="#9aa5b1"/>`,
      `<text x="${MARGIN + 10}" y="${band.y + 16}" font-size="12" fill="#556">${escapeXml(band.label)}</text></g>`,
    );
  }
  picture.edges.forEach((edge, i) => {
    const route = layout.routes[i] ?? [];
    const dash = edge.role === "payload" ? ` stroke-dasharray="6 4"` : "";
    out.push(
      `<path class="edge" d="${routePath(route)}" fill="none" stroke="#445" stroke-width="1.4"${dash} marker-end="url(#arrow)"/>`,
    );
    const last = route[route.length - 1];
    const before = route[route.length - 2];
    if (edge.role === "payload" && last !== undefined && before !== undefined) {
      // On the last stretch, with a halo so it stays readable where arrows cross.
      out.push(
        `<text x="${(last.x + before.x) / 2}" y="${(last.y + before.y) / 2 - 4}" font-size="10" text-anchor="middle" fill="#445" stroke="#f6f8fb" stroke-width="3" paint-order="stroke">payload</text>`,
      );
    }
  });
  for (const box of layout.boxes.values()) {
    const n = box.node;
    const fill =
      n.type === "seed" ? "#fff4d6" : n.decision !== undefined ? FILL[n.decision] : "#eef2f8";
    const rx = n.type === "seed" ? 2 : 8;
    const cx = box.x + box.w / 2;
    const tip = options.tooltips?.get(n.id);
    out.push(
      `<g class="node ${n.type}" data-id="${escapeXml(n.id)}">${tip === undefined ? "" : `<title>${escapeXml(tip)}</title>`}<rect x="${box.x}" y="${box.y}" width="${box.w}" height="${box.h}" rx="${rx}" fill="${fill}" stroke="#445"/>`,
      `<text x="${cx}" y="${box.y + 18}" font-size="13" font-weight="bold" text-anchor="middle" fill="#112">${escapeXml(n.label)}</text>`,
      `<text x="${cx}" y="${box.y + 34}" font-size="11" text-anchor="middle" fill="#556">${escapeXml(n.detail)}</text></g>`,
    );
  }
  if (options.legend === true) out.push(...legend(layout.height + 6));
  out.push("</svg>");
  return out.join("\n") + "\n";
}
