/**
 * The one source of every command's help: commander's command table plus the examples each
 * command registers with {@link withExamples}. `--help`, the shell completion scripts
 * (`substrate completion`) and the man page (`substrate man`) are all made from
 * {@link commandTable}, so they cannot disagree.
 */
import { Argument, type Command } from "commander";

const EXAMPLES = new WeakMap<Command, readonly string[]>();

/**
 * Adds an `Examples:` section to the command's `--help` (and to the man page). Each example is
 * one command line, optionally followed by `  # what it does`.
 */
export function withExamples(command: Command, examples: readonly string[]): Command {
  EXAMPLES.set(command, examples);
  return command.addHelpText("after", `\nExamples:\n${examples.map((e) => `  ${e}`).join("\n")}`);
}

/** The examples a command registered (none: empty). */
export function examplesOf(command: Command): readonly string[] {
  return EXAMPLES.get(command) ?? [];
}

/** The `[tree]` argument every tree command takes, worded the same everywhere. */
export function treeArgument(): Argument {
  return new Argument("[tree]", "the spec tree folder").default(".", "the current folder");
}

/** Help wording shared by every command: set on the program before commands are added. */
export function helpWording(program: Command): Command {
  return program
    .helpOption("-h, --help", "show this help")
    .helpCommand("help [command]", "show the help of a command");
}

/** One option as the completion scripts and the man page need it. */
export interface OptionRow {
  readonly flags: string;
  readonly short?: string;
  readonly long?: string;
  readonly description: string;
  /** Takes a value (`--date <YYYYMMDD>`). */
  readonly takesValue: boolean;
}

/** One command (or the program itself, path `[]`). */
export interface CommandRow {
  /** Words after `substrate`: `[]`, `["build"]`, `["spec", "parse"]`. */
  readonly path: readonly string[];
  readonly description: string;
  /** `[options] [tree]`. */
  readonly usage: string;
  readonly arguments: readonly { readonly name: string; readonly description: string }[];
  readonly options: readonly OptionRow[];
  readonly examples: readonly string[];
  readonly subcommands: readonly CommandRow[];
}

const HELP_OPTION: OptionRow = {
  flags: "-h, --help",
  short: "-h",
  long: "--help",
  description: "show this help",
  takesValue: false,
};

/** The table of a program and every command under it (help commands left out). */
export function commandTable(command: Command, path: readonly string[] = []): CommandRow {
  const options: OptionRow[] = command.options
    .filter((o) => !o.hidden)
    .map((o) => ({
      flags: o.flags,
      ...(o.short === undefined ? {} : { short: o.short }),
      ...(o.long === undefined ? {} : { long: o.long }),
      description: o.description,
      takesValue: o.required || o.optional,
    }));
  return {
    path,
    description: command.description(),
    usage: command.usage(),
    arguments: command.registeredArguments.map((a) => ({
      name: a.name(),
      description: a.description,
    })),
    options: [...options, HELP_OPTION],
    examples: examplesOf(command),
    subcommands: command.commands.map((c) => commandTable(c, [...path, c.name()])),
  };
}

/** Every row of a table, the program first, then depth first in registration order. */
export function allRows(table: CommandRow): CommandRow[] {
  return [table, ...table.subcommands.flatMap(allRows)];
}
