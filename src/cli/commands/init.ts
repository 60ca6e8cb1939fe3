/**
 * `substrate init DIR [--template apt|portage] [--name NAME]`: writes a new spec tree from a
 * template (a small roflmaOS-like live ISO for apt, catalyst's stage1 -> stage3 chain for
 * Portage) into DIR, which must be missing or empty: init never overwrites a file.
 */
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { usageError } from "../usage.js";
import {
  TEMPLATE_NAMES,
  templateFiles,
  treeNameFor,
  type TemplateName,
} from "../init-templates.js";
import { createReporter } from "../../report/reporter.js";
import { EXIT_FAILED } from "../exit-codes.js";

interface InitOptions {
  template?: string;
  name?: string;
}

function isTemplate(t: string): t is TemplateName {
  return (TEMPLATE_NAMES as readonly string[]).includes(t);
}

/** Registers `substrate init`. */
export function registerInit(program: Command): void {
  program
    .command("init")
    .description("Write a new spec tree from a template into an empty (or new) folder")
    .argument("<dir>", "the folder to create the tree in (missing or empty)")
    .option("--template <name>", `the template: ${TEMPLATE_NAMES.join(" or ")}`, "apt")
    .option("--name <name>", "the tree's name and flavour (default: from the folder's name)")
    .action((dir: string, opts: InitOptions) => {
      const template = opts.template ?? "apt";
      if (!isTemplate(template)) {
        usageError("init", `--template takes ${TEMPLATE_NAMES.join(" or ")}, not "${template}"`);
        return;
      }
      const name = opts.name ?? treeNameFor(basename(resolve(dir)));
      if (!/^[a-z][a-z0-9_-]*$/.test(name)) {
        usageError("init", `--name takes lower-case letters, digits, _ and -, not "${name}"`);
        return;
      }
      const reporter = createReporter({ text: {} });
      const root = resolve(dir);
      let existing: string[] = [];
      try {
        existing = readdirSync(root);
      } catch {
        // missing: created below
      }
      if (existing.length > 0) {
        reporter.emit({
          type: "error",
          message: `${dir} is not empty (${existing.length} entr${existing.length === 1 ? "y" : "ies"}); init writes only into a new or empty folder`,
          hint: "pick another folder, or empty this one",
        });
        reporter.close();
        process.exitCode = EXIT_FAILED;
        return;
      }
      if (/\s/.test(root)) {
        // Spec values are split on white space (as catalyst does), so @REPO_DIR@/... of such a
        // tree would name two paths: the tree could never pass `check`.
        reporter.emit({
          type: "error",
          message: `${root} has white space in its path, and spec values (@REPO_DIR@/...) are split on white space`,
          hint: "pick a folder whose path has no spaces",
        });
        reporter.close();
        process.exitCode = EXIT_FAILED;
        return;
      }
      const files = templateFiles(template, name);
      for (const [rel, file] of files) {
        const path = join(root, rel);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, file.text, { flag: "wx" });
        if (file.executable === true) chmodSync(path, 0o755);
      }
      const shown = relative(process.cwd(), root) || ".";
      reporter.emit({
        type: "info",
        message:
          `wrote the ${template} template as tree ${name} in ${shown} (${files.size} files)\n` +
          `  next: substrate check ${shown} && substrate plan ${shown}`,
      });
      reporter.close();
    });
}
