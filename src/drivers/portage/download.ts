/**
 * Downloads for seeds and snapshots: HTTP(S) with resume (a `Range: bytes=N-` request continues a
 * `<dest>.part` left by an interrupted transfer), retries when a connection ends early, progress
 * callbacks, and `file://` URLs (a local mirror) copied the same way. The finished file is
 * renamed from `.part` to `dest` only once its length matches what the server announced (and the
 * expected size, when the caller knows it); the caller verifies digests and signatures.
 */
import { copyFileSync, createWriteStream, renameSync, rmSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Result, ok, err } from "../../util/result.js";
import type { FailureOf } from "../../report/failure.js";

/** Why a download failed. */
export type DownloadFailure = FailureOf<
  "not-found" | "http-error" | "incomplete" | "size-mismatch" | "cancelled"
>;

/** Options of {@link download}. */
export interface DownloadOptions {
  readonly url: string;
  readonly dest: string;
  /** The size the file must have (e.g. from a signed pointer), when known. */
  readonly expectedSize?: number;
  /** Called as bytes arrive; `total` is undefined when the server does not say. */
  readonly onProgress?: (received: number, total: number | undefined) => void;
  readonly signal?: AbortSignal;
  /** Attempts after an early end of the connection (default 3). */
  readonly retries?: number;
}

/** An error's message with its cause (fetch says "fetch failed" and puts ECONNREFUSED in the cause). */
function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${e.message}: ${cause.message}` : e.message;
}

/** Reads the signal's state afresh (TypeScript narrows `aborted` after an earlier check). */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Joins a mirror base URL and a path below it. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

/** Downloads `url` to `dest` (see the file header). */
export async function download(
  opts: DownloadOptions,
): Promise<Result<{ readonly bytes: number }, DownloadFailure>> {
  const { url, dest } = opts;
  const part = `${dest}.part`;
  if (url.startsWith("file:") || url.startsWith("/")) {
    const src = url.startsWith("/") ? url : fileURLToPath(url);
    try {
      copyFileSync(src, part);
    } catch {
      rmSync(part, { force: true });
      return err({ reason: "not-found", url, message: `${url} does not exist` });
    }
    return finish(opts, part, sizeOf(part));
  }
  const attempts = 1 + (opts.retries ?? 3);
  let lastError = "";
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (opts.signal?.aborted === true)
      return err({ reason: "cancelled", url, message: `download of ${url} cancelled` });
    const have = sizeOf(part);
    let response: Response;
    try {
      response = await fetch(url, {
        headers: have > 0 ? { Range: `bytes=${have}-` } : {},
        ...(opts.signal === undefined ? {} : { signal: opts.signal }),
        redirect: "follow",
      });
    } catch (e) {
      if (isAborted(opts.signal))
        return err({ reason: "cancelled", url, message: `download of ${url} cancelled` });
      lastError = errorText(e);
      if (sizeOf(part) === 0 && attempt === attempts - 1) {
        return err({ reason: "http-error", url, message: `cannot reach ${url}: ${lastError}` });
      }
      continue;
    }
    if (response.status === 404 || response.status === 410) {
      await response.body?.cancel();
      rmSync(part, { force: true });
      return err({
        reason: "not-found",
        url,
        message: `${url}: not found (HTTP ${response.status})`,
      });
    }
    if (response.status === 416 && have > 0) {
      // The part file is already complete (or longer than the file): let the checks decide.
      await response.body?.cancel();
      return finish(opts, part, have);
    }
    if (response.status !== 200 && response.status !== 206) {
      await response.body?.cancel();
      return err({
        reason: "http-error",
        url,
        message: `${url}: HTTP ${response.status} ${response.statusText}`,
      });
    }
    const resumed = response.status === 206;
    let total: number | undefined;
    if (resumed) {
      const m = /\/(\d+)\s*$/.exec(response.headers.get("content-range") ?? "");
      total = m?.[1] === undefined ? undefined : Number(m[1]);
    } else {
      const len = response.headers.get("content-length");
      total = len === null ? undefined : Number(len);
    }
    const start = resumed ? have : 0;
    let received = start;
    const out = createWriteStream(part, { flags: resumed ? "a" : "w" });
    let ended = false;
    try {
      if (response.body !== null) {
        for await (const chunk of response.body) {
          const buf = chunk as Uint8Array;
          if (!out.write(buf))
            await new Promise<void>((r) =>
              out.once("drain", () => {
                r();
              }),
            );
          received += buf.length;
          opts.onProgress?.(received, total);
        }
      }
      ended = true;
    } catch (e) {
      lastError = errorText(e);
    }
    await new Promise<void>((resolve) =>
      out.end(() => {
        resolve();
      }),
    );
    if (isAborted(opts.signal))
      return err({ reason: "cancelled", url, message: `download of ${url} cancelled` });
    if (ended && (total === undefined || received >= total)) return finish(opts, part, received);
    lastError =
      lastError === "" ? `connection ended after ${received} of ${total ?? "?"} bytes` : lastError;
  }
  return err({
    reason: "incomplete",
    url,
    message: `${url}: download incomplete (${lastError}); run again to resume`,
  });
}

function finish(
  opts: DownloadOptions,
  part: string,
  bytes: number,
): Result<{ readonly bytes: number }, DownloadFailure> {
  if (opts.expectedSize !== undefined && bytes !== opts.expectedSize) {
    rmSync(part, { force: true });
    return err({
      reason: "size-mismatch",
      url: opts.url,
      message: `${opts.url}: got ${bytes} bytes, the signed pointer says ${opts.expectedSize} (truncated or replaced)`,
    });
  }
  // The caller verifies digests and signatures before anything is published.
  renameSync(part, opts.dest);
  return ok({ bytes });
}
