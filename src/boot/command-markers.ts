/**
 * The markers that frame a command typed on a guest console: {@link wrapCommand} builds the
 * typed line, {@link beginMarker} and {@link endMarker} find its output and exit status in what
 * the guest prints. The typed text spells the markers differently from the printed ones, so the
 * terminal's echo of the command never matches. Pure; console.ts's `run` uses them.
 */

/** Marker text; the command line spells it with an empty quote pair inside, so its echo differs. */
const MARK = "@@SUBSTRATE";
const MARK_TYPED = '"@@SUB""STRATE';

/**
 * Builds the line typed for a command: a begin marker, the command (stdin from /dev/null,
 * stderr folded into stdout), an end marker carrying the exit status. The markers in the typed
 * text are split by `""` so the terminal's echo never matches them.
 */
export function wrapCommand(tag: string, command: string): string {
  const cmd = command.trim().replace(/[;\s]+$/, "");
  return `echo ${MARK_TYPED}:B:${tag}@@"; { ${cmd} ; } </dev/null 2>&1; echo ${MARK_TYPED}:E:${tag}:$?@@"`;
}

/** The begin marker of a command's output, as the guest prints it. */
export function beginMarker(tag: string): string {
  return `${MARK}:B:${tag}@@`;
}

/** A RegExp for the end marker of a command's output; group 1 is the exit status. */
export function endMarker(tag: string): RegExp {
  return new RegExp(`${MARK}:E:${escapeRegExp(tag)}:(\\d+)@@`);
}

/** Escapes text for use inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
