/**
 * The command line the user typed, kept by `main` so that hints can repeat it whole: a build
 * refused for want of root says `run it again as root: substrate build --date 20260101 tree`,
 * with every option the user gave, quoted the way a shell reads it back.
 */

let current: readonly string[] = [];

/** Records the arguments `main` was called with (without `node` and the script). */
export function setCommandLine(argv: readonly string[]): void {
  current = [...argv];
}

/** One argument as a POSIX shell reads it back: bare when safe, else in single quotes. */
export function shellQuote(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** `substrate <the user's arguments>`, quoted for a shell. */
export function commandLine(argv: readonly string[] = current): string {
  return ["substrate", ...argv.map(shellQuote)].join(" ");
}
