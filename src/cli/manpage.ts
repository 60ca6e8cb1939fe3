/**
 * The man page, substrate(1), in roff (the `man` macros), written from the command table
 * `--help` is made from ({@link commandTable}): every command's usage, description,
 * arguments, options and examples.
 */
import { allRows, type CommandRow } from "./help.js";

/** Text safe in roff: backslashes escaped, no line starting with a control character. */
export function roffEscape(text: string): string {
  return text
    .replace(/\\/g, "\\e")
    .replace(/-/g, "\\-")
    .split("\n")
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join("\n");
}

function section(row: CommandRow): string[] {
  const name = ["substrate", ...row.path].join(" ");
  const out = [
    `.SS ${roffEscape(name)}`,
    `.B ${roffEscape(name)}`,
    roffEscape(row.usage),
    ".PP",
    roffEscape(row.description),
  ];
  for (const a of row.arguments)
    out.push(".TP", `.I ${roffEscape(a.name)}`, roffEscape(a.description));
  for (const o of row.options)
    out.push(".TP", `.B ${roffEscape(o.flags)}`, roffEscape(o.description));
  if (row.examples.length > 0) {
    out.push(".PP", "Examples:", ".PP", ".RS", ".nf");
    for (const e of row.examples) out.push(roffEscape(e));
    out.push(".fi", ".RE");
  }
  return out;
}

/** The page; `version` goes into its header. */
export function manPage(table: CommandRow, version: string): string {
  const commands = allRows(table).filter((r) => r.path.length > 0);
  const lines = [
    `.TH SUBSTRATE 1 "" ${JSON.stringify(`substrate ${version}`)} "User Commands"`,
    ".SH NAME",
    "substrate \\- build OS stages and UEFI\\-bootable live media from catalyst\\-style spec trees",
    ".SH SYNOPSIS",
    ".B substrate",
    "[\\fIoptions\\fR] \\fIcommand\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]",
    ".SH DESCRIPTION",
    roffEscape(table.description),
    ".SH OPTIONS",
  ];
  for (const o of table.options)
    lines.push(".TP", `.B ${roffEscape(o.flags)}`, roffEscape(o.description));
  lines.push(".SH COMMANDS");
  for (const row of commands) lines.push(...section(row));
  lines.push(
    ".SH EXIT STATUS",
    "0 success; 1 the tree, the plan or a stage failed; 2 a usage error; 3 a fatal error",
    "(for example, not run as root).",
    ".SH SEE ALSO",
    "README.md and docs/ in the substrate source.",
  );
  return lines.join("\n") + "\n";
}
