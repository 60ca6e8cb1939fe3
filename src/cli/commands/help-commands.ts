/**
 * `substrate completion bash|zsh|fish` and `substrate man`: the shell completion scripts and
 * the man page, printed on stdout, both written from the command table `--help` shows.
 */
import type { Command } from "commander";
import { writeOutput } from "../../report/output.js";
import { versionText } from "../build-info.js";
import { completionScript, SHELLS, type Shell } from "../completion.js";
import { commandTable } from "../help.js";
import { manPage } from "../manpage.js";
import { usageError } from "../usage.js";

/** Registers `completion` and `man`; `program` is the whole command line they describe. */
export function registerHelpCommands(program: Command): void {
  program
    .command("completion")
    .description("Print the shell completion script for bash, zsh or fish")
    .argument("<shell>", "bash, zsh or fish")
    .action((shell: string) => {
      if (!(SHELLS as readonly string[]).includes(shell)) {
        usageError("completion", `the shell is one of ${SHELLS.join(", ")}, not "${shell}"`);
        return;
      }
      writeOutput(completionScript(shell as Shell, commandTable(program)));
    });
  program
    .command("man")
    .description("Print the substrate(1) man page (roff), made from the same table as --help")
    .action(() => {
      writeOutput(manPage(commandTable(program), versionText()));
    });
}
