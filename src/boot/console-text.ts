/**
 * Console text: turning raw serial-console bytes into plain lines ({@link ConsoleCleaner},
 * {@link cleanConsoleText}: escape sequences and control characters out, CR LF to LF) and
 * dropping the kernel and systemd lines that interleave with a command's output
 * ({@link removeConsoleNoise}). Pure; the console engine (console.ts) reads through it.
 */

/** A complete escape sequence at the start of a string. */
const COMPLETE_ESCAPE =
  // eslint-disable-next-line no-control-regex -- escape sequences are control characters
  /^\x1b(\[[0-9;?=<>]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|[=>78cDEHMNOZ])/;

/**
 * Turns raw console bytes into plain text incrementally: removes ANSI/VT escape sequences and
 * control characters, turns CR LF and lone CR into LF. Holds back an incomplete escape sequence
 * or a trailing CR until the next chunk.
 */
export class ConsoleCleaner {
  #pending = "";

  /** Cleans the next chunk; returns the text that is complete so far. */
  push(chunk: string): string {
    let text = this.#pending + chunk;
    this.#pending = "";
    // Keep an unfinished escape sequence (ESC near the end with no final byte yet).
    const esc = text.lastIndexOf("\x1b");
    if (esc >= 0 && esc > text.length - 32 && !COMPLETE_ESCAPE.test(text.slice(esc))) {
      this.#pending = text.slice(esc);
      text = text.slice(0, esc);
    }
    if (text.endsWith("\r")) {
      this.#pending = "\r" + this.#pending;
      text = text.slice(0, -1);
    }
    return cleanConsoleText(text);
  }

  /** Flushes whatever is held back. */
  flush(): string {
    const rest = this.#pending;
    this.#pending = "";
    return cleanConsoleText(rest);
  }
}

/** Removes escape sequences and control characters from complete console text. */
export function cleanConsoleText(text: string): string {
  /* eslint-disable no-control-regex -- terminal escape sequences are control characters */
  return (
    text
      // CSI sequences (colours, cursor moves, screen clears)
      .replace(/\x1b\[[0-9;?=<>]*[ -/]*[@-~]/g, "")
      // OSC sequences (titles)
      .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, "")
      // charset selection and single-character escapes
      .replace(/\x1b[()][0-9A-Za-z]/g, "")
      .replace(/\x1b[=>78cDEHMNOZ]/g, "")
      .replace(/\x1b/g, "")
      .replace(/\r\n/g, "\n")
      .replace(/\r/g, "\n")
      // other control characters except tab and newline
      .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "")
  );
  /* eslint-enable no-control-regex */
}

/** Console lines printed by the kernel or systemd that are not a command's output. */
const NOISE = [
  /^\[\s*\d+\.\d+\]/, // printk with timestamp
  /^\[\s*(OK|FAILED|DEPEND|TIME|\*+)\s*\]/, // systemd status
  /^\s*(Starting|Stopping|Started|Stopped|Finished|Reached target|Mounting|Mounted|Unmounting)\b.*\.\.\.?$/,
];

/** Drops console-noise lines from a command's output and trims the result. */
export function removeConsoleNoise(text: string): string {
  return text
    .split("\n")
    .filter((l) => !NOISE.some((re) => re.test(l)))
    .join("\n")
    .trim();
}
