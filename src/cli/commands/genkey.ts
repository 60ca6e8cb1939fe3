/**
 * `substrate genkey DIR [--owner NAME] [--bits 2048|4096] [--days N]`: makes the Secure Boot keys
 * of a tree (PK, KEK, db: private keys, certificates, signature lists and enrolment files) in a
 * new folder (mode 0700, private keys 0600) and prints the `[secureboot]` table that names it.
 * Never overwrites a key. See docs/secure-boot.md.
 */
import { relative, resolve } from "node:path";
import type { Command } from "commander";
import { generateKeys, KEY_NAMES, KEYGEN_TOOLS } from "../../image/secure-boot.js";
import { onPath } from "../../sandbox/process.js";
import { createReporter } from "../../report/reporter.js";
import { EXIT_FAILED } from "../exit-codes.js";
import { usageError } from "../usage.js";

interface GenkeyOptions {
  owner?: string;
  bits: string;
  days: string;
}

/** Registers `substrate genkey`. */
export function registerGenkey(program: Command): void {
  program
    .command("genkey")
    .description(
      "Make Secure Boot keys (PK, KEK, db) and their enrolment files in a new folder, for a tree's [secureboot] keys",
    )
    .argument("<dir>", "the folder to create (missing or without keys); keep it out of the store")
    .option("--owner <name>", "who the keys belong to, for the certificates' names", "substrate")
    .option("--bits <n>", "RSA key size: 2048 or 4096", "2048")
    .option("--days <n>", "certificate lifetime in days", "3650")
    .action(async (dir: string, opts: GenkeyOptions) => {
      if (opts.bits !== "2048" && opts.bits !== "4096") {
        usageError("genkey", `--bits takes 2048 or 4096, not "${opts.bits}"`);
        return;
      }
      if (!/^\d+$/.test(opts.days) || Number(opts.days) < 1) {
        usageError("genkey", `--days takes a whole number of days, not "${opts.days}"`);
        return;
      }
      const reporter = createReporter({ text: {} });
      const missing = KEYGEN_TOOLS.filter((t) => !onPath(t.command));
      if (missing.length > 0) {
        reporter.emit({
          type: "error",
          message: `genkey needs ${missing.map((t) => t.command).join(", ")}`,
          hint: `install ${[...new Set(missing.map((t) => t.debianPackage))].join(" ")} (scripts/install-deps.sh)`,
        });
        reporter.close();
        process.exitCode = EXIT_FAILED;
        return;
      }
      const r = await generateKeys({
        dir: resolve(dir),
        bits: opts.bits === "4096" ? 4096 : 2048,
        days: Number(opts.days),
        ...(opts.owner === undefined ? {} : { owner: opts.owner }),
      });
      if (!r.ok) {
        const hint = "hint" in r.error ? r.error.hint : undefined;
        reporter.emit({
          type: "error",
          message: r.error.message,
          ...(hint === undefined ? {} : { hint }),
        });
        reporter.close();
        process.exitCode = EXIT_FAILED;
        return;
      }
      const f = r.value.folder;
      const shown = relative(process.cwd(), f.dir) || ".";
      reporter.emit({
        type: "info",
        message: [
          `made Secure Boot keys in ${shown} (owner GUID ${f.ownerGuid}; private keys *.key, mode 0600)`,
          ...KEY_NAMES.map(
            (k) => `  ${k.padEnd(3)} ${f.certificates[k].sha256}  ${f.certificates[k].subject}`,
          ),
          "  name the folder in the tree's substrate.toml (a relative path is relative to the tree):",
          "    [secureboot]",
          `    keys = "${f.dir}"`,
        ].join("\n"),
      });
      reporter.close();
    });
}
