/**
 * A build root made of a read-only lower folder (a kept root, see store/root-cache.ts) and a
 * writable upper folder, joined by overlayfs in a private mount namespace. Nothing is copied:
 * the stage's changes land in the upper folder and the lower one is never written.
 *
 * The mount exists only inside a small holder process's namespace (`unshare --mount`), never
 * on the host. substrate reaches it through `/proc/<holder>/root/<mount point>`: file
 * operations through that path see the holder's mounts, and `runInChroot` given such a root
 * starts its sandbox from the holder's namespace (`nsenter --mount`). Closing the root, or
 * substrate dying, ends the holder; the namespace and its mount go with it.
 */
import { spawn } from "node:child_process";
import { mkdirSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { type Result, ok, err } from "../util/result.js";
import { killOnExit } from "./process.js";
import type { FailureOf } from "../report/failure.js";

/** Where the root's parts live (all host paths; `upper`, `work` and `mountPoint` are created). */
export interface OverlayRootOptions {
  /** The read-only lower folder. */
  readonly lower: string;
  /** Receives every change; must be on the same file system as `work`. */
  readonly upper: string;
  /** overlayfs's scratch folder. */
  readonly work: string;
  /** An empty folder the overlay is mounted on inside the holder's namespace. */
  readonly mountPoint: string;
}

/** A mounted overlay root. */
export interface OverlayRoot {
  /** The merged root as substrate reaches it: `/proc/<holder>/root<mountPoint>`. */
  readonly path: string;
  /** The holder process (its mount namespace holds the overlay). */
  readonly pid: number;
  /** Ends the holder and waits for it; the mount disappears with its namespace. Idempotent. */
  close(): Promise<void>;
}

/** Why the overlay could not be mounted. */
export type OverlayRootFailure = FailureOf<"overlay-failed">;

/** overlayfs option values cannot contain its separators. */
const UNSAFE = /[,:\\\n]/;

/**
 * Mounts the overlay in a new holder process. `index=on` keeps hard links whole when one name
 * of a lower hard-linked file is changed, so the merged root behaves like a copy.
 */
export function openOverlayRoot(
  options: OverlayRootOptions,
): Promise<Result<OverlayRoot, OverlayRootFailure>> {
  let real: { lower: string; upper: string; work: string; mountPoint: string };
  try {
    for (const p of [options.upper, options.work, options.mountPoint])
      mkdirSync(p, { recursive: true });
    real = {
      lower: realpathSync(options.lower),
      upper: realpathSync(options.upper),
      work: realpathSync(options.work),
      mountPoint: realpathSync(options.mountPoint),
    };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return Promise.resolve(err({ reason: "overlay-failed", message }));
  }
  for (const p of Object.values(real)) {
    if (UNSAFE.test(p)) {
      return Promise.resolve(
        err({ reason: "overlay-failed", message: `${p}: overlayfs paths cannot hold , : or \\` }),
      );
    }
  }
  const mountOptions = `lowerdir=${real.lower},upperdir=${real.upper},workdir=${real.work},index=on`;
  const script = [
    'mount -t overlay -o "$1" substrate-root "$2" || exit 3',
    "echo ready",
    // Holds the namespace open until substrate closes stdin (or dies: pdeathsig).
    "exec cat >/dev/null",
  ].join("\n");
  const child = spawn(
    "setpriv",
    [
      "--pdeathsig",
      "KILL",
      "--",
      "unshare",
      "--mount",
      "--propagation",
      "private",
      "--",
      "/bin/sh",
      "-c",
      script,
      "substrate-overlay",
      mountOptions,
      real.mountPoint,
    ],
    { stdio: ["pipe", "pipe", "pipe"], detached: true },
  );
  const forget = child.pid === undefined ? () => undefined : killOnExit(child.pid);
  const exited = new Promise<void>((resolve) => {
    child.once("close", () => {
      forget();
      resolve();
    });
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => {
    let settled = false;
    child.stdout.on("data", (d: Buffer) => {
      if (settled || !d.toString().includes("ready")) return;
      settled = true;
      const pid = child.pid;
      if (pid === undefined) throw new Error("Internal error: a running holder has no pid");
      let closed = false;
      resolve(
        ok({
          path: join(`/proc/${pid}/root`, real.mountPoint),
          pid,
          async close() {
            if (!closed) {
              closed = true;
              child.stdin.end();
            }
            await exited;
          },
        }),
      );
    });
    child.once("error", (e) => {
      if (settled) return;
      settled = true;
      resolve(err({ reason: "overlay-failed", message: `cannot start the holder: ${e.message}` }));
    });
    void exited.then(() => {
      if (settled) return;
      settled = true;
      resolve(
        err({
          reason: "overlay-failed",
          message: `cannot mount the overlay root: ${stderr.trim() || `exit ${String(child.exitCode)}`}`,
        }),
      );
    });
  });
}
