/**
 * `substrate fetch [TREE] [--only SEL ...] [--date D] [--keyring FILE] [--insecure] ...`: for a
 * Portage tree, downloads and verifies what its plan needs from Gentoo's mirrors: the upstream
 * stage3 seeds that `source_subpath` names and no stage of the tree builds (placed where
 * `source_subpath` expects them, `-latest` link included), and the `gentoo-<treeish>.sqfs`
 * snapshots. Everything is checked with gpgv and the published digests; unverified input is
 * refused unless `--insecure`. `--json` prints NDJSON events. Exit 1 when anything is missing
 * or refused, 2 for usage errors.
 */
import { basename, dirname, relative, resolve } from "node:path";
import type { Command } from "commander";
import { fetchSeed, type FetchSettings, type SeedRequest } from "../../drivers/portage/seeds.js";
import { defaultSnapshotDate, fetchSnapshot } from "../../drivers/portage/snapshot.js";
import type { Plan } from "../../plan/plan.js";
import { hasErrors } from "../../report/diagnostic.js";
import type { Event } from "../../report/events.js";
import type { SpecTree } from "../../spec/types.js";
import { loadAndPlan, printDiagnostics, usageError, writeEvent } from "./plan.js";
import { collectSelectors } from "../only.js";

/** Options of `substrate fetch`. */
interface FetchOptions {
  date?: string;
  only?: string[];
  json?: boolean;
  color?: boolean;
  keyring?: string;
  insecure?: boolean;
  mirror?: string[];
  seedDate?: string;
  seedFile?: string;
  variant?: string;
  snapshot?: boolean;
  seeds?: boolean;
}

/** What a plan needs fetched. */
export interface FetchNeeds {
  readonly seeds: readonly SeedRequest[];
  /** Distinct `snapshot_treeish` values of the stages that run Portage. */
  readonly snapshots: readonly string[];
}

function str(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.join(" ");
  return undefined;
}

/**
 * The seeds (stage inputs found nowhere: not built by the tree, not in the store) and snapshots
 * a plan's stages need. Pure.
 */
export function fetchNeeds(tree: SpecTree, plan: Plan): FetchNeeds {
  const seeds = new Map<string, SeedRequest>();
  const snapshots = new Set<string>();
  const builds = tree.config.store.builds;
  for (const s of plan.stages) {
    if (s.kind !== "livecd-stage3") {
      const t = str(s.spec.values["snapshot_treeish"]);
      if (t !== undefined) snapshots.add(t);
    }
    const src = s.inputs.source;
    if (src?.type !== "seed" || src.found) continue;
    const rel = relative(builds, src.path).split("/");
    const flavour = rel.length >= 3 ? (rel[rel.length - 2] ?? s.spec.flavour) : s.spec.flavour;
    const arch = rel.length >= 3 ? (rel[0] ?? s.spec.arch) : s.spec.arch;
    seeds.set(src.path, {
      seedPath: src.path,
      arch,
      subarch: str(s.spec.values["subarch"]) ?? arch,
      flavour,
    });
  }
  return { seeds: [...seeds.values()], snapshots: [...snapshots].sort() };
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Registers `substrate fetch`. */
export function registerFetch(program: Command): void {
  program
    .command("fetch")
    .description(
      "Download and verify the Gentoo seeds (upstream stage3s) and Portage snapshots a Portage tree's plan needs",
    )
    .argument("[tree]", "the spec tree folder (default: the current folder)")
    .option("--date <YYYYMMDD>", "build date, which names the snapshot (default: yesterday, UTC)")
    .option(
      "--only <selector>",
      "fetch only for this stage and what it needs; repeatable or comma-separated",
      collectSelectors,
    )
    .option("--keyring <file>", "OpenPGP keyring (armored or binary) with Gentoo's release key")
    .option("--insecure", "accept input no signature covers (digests are still checked)")
    .option(
      "--mirror <url>",
      "Gentoo mirror base URL instead of the tree's `mirrors`; repeatable",
      collect,
    )
    .option(
      "--seed-date <stamp>",
      "pin seeds to this autobuild (e.g. 20250105T170325Z) instead of the latest",
    )
    .option("--seed-file <file>", "use this local stage3 (its .DIGESTS beside it) as the seed")
    .option(
      "--variant <name>",
      "upstream stage3 variant (openrc, systemd, nomultilib-systemd, ...)",
    )
    .option("--no-snapshot", "do not fetch snapshots")
    .option("--no-seeds", "do not fetch seeds")
    .option("--json", "print NDJSON events instead of text")
    .option("--color", "colour the diagnostics")
    .action(async (treeArg: string | undefined, opts: FetchOptions) => {
      const date = opts.date ?? defaultSnapshotDate();
      const loaded = await loadAndPlan("fetch", treeArg, { ...opts, date });
      if (loaded === undefined) return;
      const { tree, plan, diagnostics } = loaded;
      const emit = (event: Event): void => {
        if (opts.json === true) {
          writeEvent(event);
          return;
        }
        if (event.type === "info") process.stdout.write(`${event.message}\n`);
        else if (event.type === "warning") process.stderr.write(`warning: ${event.message}\n`);
        else if (event.type === "stage-progress" && process.stdout.isTTY) {
          process.stdout.write(`\r${event.message}\u001b[K`);
          if (event.fraction === 1) process.stdout.write("\n");
        }
      };
      const fatal = diagnostics.filter((d) => d.severity === "error" && d.code !== "missing-seed");
      if (tree.config.driver !== "portage") {
        usageError(
          "fetch",
          `${tree.config.file} uses the ${tree.config.driver} driver; fetch is for Portage trees`,
        );
        return;
      }
      if (hasErrors(fatal)) {
        if (opts.json === true)
          for (const diagnostic of fatal) writeEvent({ type: "diagnostic", diagnostic });
        else printDiagnostics(fatal, opts.color === true, process.stderr);
        process.exitCode = 1;
        return;
      }
      const mirrors = opts.mirror ?? tree.config.mirrors;
      const settings: FetchSettings = {
        mirrors,
        cacheDir: tree.config.store.cache,
        ...(opts.keyring === undefined ? {} : { keyring: resolve(opts.keyring) }),
        ...(opts.insecure === true ? { insecure: true } : {}),
        emit,
      };
      const needs = fetchNeeds(tree, plan);
      let failed = 0;
      const report = (what: string, message: string, hint?: string): void => {
        failed += 1;
        if (opts.json === true)
          writeEvent({
            type: "error",
            message: `${what}: ${message}`,
            ...(hint === undefined ? {} : { hint }),
          });
        else
          process.stderr.write(
            `error: ${what}: ${message}\n${hint === undefined ? "" : `  hint: ${hint}\n`}`,
          );
      };
      if (opts.seeds !== false) {
        for (const base of needs.seeds) {
          const req: SeedRequest = {
            ...base,
            ...(opts.variant === undefined ? {} : { variant: opts.variant }),
            ...(opts.seedDate === undefined ? {} : { date: opts.seedDate }),
            ...(opts.seedFile === undefined ? {} : { file: resolve(opts.seedFile) }),
          };
          const r = await fetchSeed(req, settings);
          const name = `${basename(dirname(req.seedPath))}/${basename(req.seedPath)}`;
          if (!r.ok) report(`seed ${name}`, r.error.message, r.error.hint);
          else
            emit({
              type: "info",
              message: `seed ${name} -> ${basename(r.value.file)} (${r.value.verified.signature})`,
            });
        }
      }
      if (opts.snapshot !== false) {
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
      process.exitCode = failed > 0 ? 1 : 0;
    });
}
