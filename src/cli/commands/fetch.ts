/**
 * `substrate fetch [TREE] [--only SEL ...] [--date D] [--keyring FILE] [--insecure] ...`: for a
 * Portage tree, downloads and verifies what its plan needs from Gentoo's mirrors: the upstream
 * stage3 seeds that `source_subpath` names and no stage of the tree builds (placed where
 * `source_subpath` expects them, `-latest` link included), and the `gentoo-<treeish>.sqfs`
 * snapshots. Everything is checked with gpgv and the published digests; unverified input is
 * refused unless `--insecure`. `--json` prints NDJSON events. Exit 1 when anything is missing
 * or refused, 2 for usage errors.
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { driverFor } from "../../drivers/registry.js";
import { hasErrors } from "../../report/diagnostic.js";
import { createReporter } from "../../report/reporter.js";
import { loadAndPlan } from "./plan.js";
import { collectSelectors } from "../only.js";
import { usageError } from "../usage.js";

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
      // Without --date, a Portage tree's date is yesterday's (the day of the snapshot).
      const loaded = await loadAndPlan("fetch", treeArg, opts);
      if (loaded === undefined) return;
      const { tree, plan, diagnostics } = loaded;
      const driver = driverFor(tree.config.driver, tree.config);
      if (driver.fetchInputs === undefined) {
        usageError(
          "fetch",
          `${tree.config.file} uses the ${tree.config.driver} driver; fetch is for Portage trees`,
        );
        return;
      }
      const reporter = createReporter({
        json: opts.json === true,
        text: { diagnostics: "stderr", color: opts.color === true },
      });
      try {
        const fatal = diagnostics.filter(
          (d) => d.severity === "error" && d.code !== "missing-seed",
        );
        if (hasErrors(fatal)) {
          for (const diagnostic of fatal) reporter.emit({ type: "diagnostic", diagnostic });
          process.exitCode = 1;
          return;
        }
        const summary = await driver.fetchInputs({
          stages: plan.stages,
          buildsDir: tree.config.store.builds,
          cacheDir: tree.config.store.cache,
          mirrors: opts.mirror ?? tree.config.mirrors,
          ...(opts.keyring === undefined ? {} : { keyring: resolve(opts.keyring) }),
          ...(opts.insecure === true ? { insecure: true } : {}),
          seeds: opts.seeds !== false,
          snapshots: opts.snapshot !== false,
          ...(opts.seedDate === undefined ? {} : { seedDate: opts.seedDate }),
          ...(opts.seedFile === undefined ? {} : { seedFile: resolve(opts.seedFile) }),
          ...(opts.variant === undefined ? {} : { variant: opts.variant }),
          emit: (event) => {
            reporter.emit(event);
          },
        });
        process.exitCode = summary.failed > 0 ? 1 : 0;
      } finally {
        reporter.close();
      }
    });
}
