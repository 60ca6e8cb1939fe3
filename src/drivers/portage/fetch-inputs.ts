/**
 * `substrate fetch` for Portage trees (`Driver.fetchInputs`): the upstream stage3 seeds
 * that stages' `source_subpath` names and no stage builds (placed where `source_subpath`
 * expects them, `-latest` link included), and the `gentoo-<treeish>.sqfs` snapshots of the
 * stages that run Portage. Each is verified (seeds.ts, snapshot.ts); each outcome is an event.
 */
import { basename, dirname, relative } from "node:path";
import type { FetchInputsRequest, FetchInputsSummary } from "../fetch-request.js";
import type { PlannedStage } from "../../plan/types.js";
import { stringOf } from "../../spec/values.js";
import { fetchSeed, type FetchSettings, type SeedRequest } from "./seeds.js";
import { fetchSnapshot } from "./snapshot.js";

/** What a plan needs fetched. */
export interface FetchNeeds {
  readonly seeds: readonly SeedRequest[];
  /** Distinct `snapshot_treeish` values of the stages that run Portage. */
  readonly snapshots: readonly string[];
}

/**
 * The seeds (stage inputs found nowhere: not built by the tree, not in the store) and snapshots
 * the stages need. `buildsDir` is the store's builds folder. Pure.
 */
export function fetchNeeds(stages: readonly PlannedStage[], buildsDir: string): FetchNeeds {
  const seeds = new Map<string, SeedRequest>();
  const snapshots = new Set<string>();
  for (const s of stages) {
    if (s.kind !== "livecd-stage3") {
      const t = stringOf(s.spec.values["snapshot_treeish"]);
      if (t !== undefined) snapshots.add(t);
    }
    const src = s.inputs.source;
    if (src?.type !== "seed" || src.found) continue;
    const rel = relative(buildsDir, src.path).split("/");
    const flavour = rel.length >= 3 ? (rel[rel.length - 2] ?? s.spec.flavour) : s.spec.flavour;
    const arch = rel.length >= 3 ? (rel[0] ?? s.spec.arch) : s.spec.arch;
    seeds.set(src.path, {
      seedPath: src.path,
      arch,
      subarch: stringOf(s.spec.values["subarch"]) ?? arch,
      flavour,
    });
  }
  return { seeds: [...seeds.values()], snapshots: [...snapshots].sort() };
}

/** Fetches and verifies every seed and snapshot the request's stages need. */
export async function fetchInputs(req: FetchInputsRequest): Promise<FetchInputsSummary> {
  const { emit } = req;
  const settings: FetchSettings = {
    mirrors: req.mirrors,
    cacheDir: req.cacheDir,
    ...(req.keyring === undefined ? {} : { keyring: req.keyring }),
    ...(req.insecure === true ? { insecure: true } : {}),
    ...(req.signal === undefined ? {} : { signal: req.signal }),
    emit,
  };
  const needs = fetchNeeds(req.stages, req.buildsDir);
  let failed = 0;
  const report = (what: string, message: string, hint?: string): void => {
    failed += 1;
    emit({
      type: "error",
      message: `${what}: ${message}`,
      ...(hint === undefined ? {} : { hint }),
    });
  };
  if (req.seeds !== false) {
    for (const base of needs.seeds) {
      const seed: SeedRequest = {
        ...base,
        ...(req.variant === undefined ? {} : { variant: req.variant }),
        ...(req.seedDate === undefined ? {} : { date: req.seedDate }),
        ...(req.seedFile === undefined ? {} : { file: req.seedFile }),
      };
      const r = await fetchSeed(seed, settings);
      const name = `${basename(dirname(seed.seedPath))}/${basename(seed.seedPath)}`;
      if (!r.ok) report(`seed ${name}`, r.error.message, r.error.hint);
      else
        emit({
          type: "info",
          message: `seed ${name} -> ${basename(r.value.file)} (${r.value.verified.signature})`,
        });
    }
  }
  if (req.snapshots !== false) {
    for (const treeish of needs.snapshots) {
      const r = await fetchSnapshot(treeish, settings);
      if (!r.ok) report(`snapshot ${treeish}`, r.error.message, r.error.hint);
      else
        emit({
          type: "info",
          message: `snapshot ${basename(r.value.file)}${r.value.reused ? " (already verified)" : ""}`,
        });
    }
  }
  if (needs.seeds.length === 0 && needs.snapshots.length === 0)
    emit({ type: "info", message: "nothing to fetch" });
  return { failed };
}
