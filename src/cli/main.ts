/**
 * The `substrate` command line: wires each subcommand (one module under `commands/`) into
 * commander and returns the exit code. Commands print only through `report/`: a `Reporter`
 * for events, `report/output.ts` for their product and usage errors.
 */
import { Command, CommanderError } from "commander";
import { registerSpecCommands } from "./commands/spec.js";
import { registerCheck } from "./commands/check.js";
import { registerPlan } from "./commands/plan.js";
import { registerGraph } from "./commands/graph.js";
import { registerBuild } from "./commands/build.js";
import { registerDoctor } from "./commands/doctor.js";
import { registerBootCommands } from "./commands/boot.js";
import { registerFetch } from "./commands/fetch.js";
import { registerFirmware } from "./commands/firmware.js";
import { registerGenkey } from "./commands/genkey.js";
import { registerStatus } from "./commands/status.js";
import { registerClean } from "./commands/clean.js";
import { registerInit } from "./commands/init.js";
import { registerSummary } from "./commands/summary.js";
import { registerHelpCommands } from "./commands/help-commands.js";
import { versionText } from "./build-info.js";
import { helpWording } from "./help.js";
import { addExamples } from "./examples.js";
import { setCommandLine } from "./command-line.js";

/** The whole command table: every command registered, with its examples. */
export function buildProgram(): Command {
  const program = helpWording(new Command("substrate"))
    .description(
      "Build OS stages and UEFI-bootable live media from catalyst-style spec trees.\n" +
        "Docs: README.md and docs/ in the substrate source.",
    )
    .version(versionText(), "-V, --version", "print the version and the commit it was built from")
    .exitOverride()
    .showHelpAfterError("(run `substrate --help` for usage)");
  registerInit(program);
  registerSpecCommands(program);
  registerCheck(program);
  registerPlan(program);
  registerSummary(program);
  registerGraph(program);
  registerFetch(program);
  registerBuild(program);
  registerStatus(program);
  registerClean(program);
  registerDoctor(program);
  registerBootCommands(program);
  registerFirmware(program);
  registerGenkey(program);
  registerHelpCommands(program);
  addExamples(program);
  return program;
}

/** Runs the CLI with the given arguments (without `node` and the script) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  setCommandLine(argv);
  const program = buildProgram();
  process.exitCode = 0;
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  const code = process.exitCode;
  return typeof code === "number" ? code : 0;
}
