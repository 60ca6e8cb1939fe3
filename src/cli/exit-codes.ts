/**
 * The exit codes of every substrate command, one meaning each: scripts can tell a failed build
 * from a mistyped command from a machine that cannot run the command at all.
 */

/** Everything asked for was done (warnings allowed). */
export const EXIT_OK = 0;
/** The input has errors, or a stage, boot or check failed. */
export const EXIT_FAILED = 1;
/** Bad usage: an unknown option, a malformed value, a missing argument, a medium that is not one. */
export const EXIT_USAGE = 2;
/** A fatal error of the environment, reported as an `error` event: e.g. not running as root. */
export const EXIT_FATAL = 3;
