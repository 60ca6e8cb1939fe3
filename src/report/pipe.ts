/**
 * A closed pipe (`substrate check | head -1`) is not an error: once the reader of stdout or
 * stderr has gone, further output is dropped and the command finishes with its usual exit
 * code, with no `write EPIPE` stack trace.
 */

/**
 * Makes `stream` drop its output quietly after EPIPE (any other write error is rethrown as
 * before). Installed once for stdout and stderr by the CLI entry.
 */
export function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    const drop = (_chunk: unknown, ...rest: unknown[]): boolean => {
      const cb = rest.find((r): r is () => void => typeof r === "function");
      cb?.();
      return true;
    };
    stream.write = drop;
  });
}
