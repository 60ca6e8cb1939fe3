/**
 * The Portage driver's root session: the generic {@link RootSession} plus what the driver keeps
 * across a stage's operations (the prepared roots, the tree's mirrors, the driver options), and
 * the runner of a prepared root (`exec`, `emerge`) with emerge's progress lines.
 */
import { statSync } from "node:fs";
import type { BindMount } from "../../sandbox/chroot.js";
import type { TargetKindName, TreeConfig } from "../../spec/types.js";
import { ok } from "../../util/result.js";
import type { DriverResult, StageContext } from "../driver.js";
import { RootSession, refuse } from "../session.js";
import type { ArchEntry } from "./arch-table.js";
import { type EmergeSettings, type StageCommand, emergeEnv, emergeOptions } from "./emerge.js";
import type { RepoMount } from "./repos.js";

/** Settings of the Portage driver beyond the tree config. */
export interface PortageDriverOptions {
  /** OpenPGP keyring for snapshots fetched on demand (default: Gentoo's release key). */
  readonly keyring?: string;
  /** Accept unsigned snapshots fetched on demand. */
  readonly insecure?: boolean;
  /** Fetch a missing snapshot from the tree's mirrors (default true). */
  readonly fetchMissing?: boolean;
  /** CPU count used for --load-average (default: the host's). */
  readonly cores?: number;
}

/** Everything a prepared root's runs share. */
export interface Prepared {
  readonly kind: TargetKindName;
  readonly arch: ArchEntry;
  readonly repos: readonly RepoMount[];
  readonly binds: readonly BindMount[];
  readonly interpreters: readonly string[];
  readonly emerge: EmergeSettings;
  /** The ROOT (not /) this root builds into, when there is one. */
  readonly subRoot?: string;
  /** The session whose runs get the binds and interpreters above. */
  readonly run: RootSession;
}

/** What the driver keeps across sessions: its settings and the roots it has prepared. */
export interface PortageState {
  readonly config: Pick<TreeConfig, "mirrors">;
  readonly options: PortageDriverOptions;
  /** Prepared roots by {@link preparedKey}. */
  readonly prepared: Map<string, Prepared>;
}

/** A Portage stage's session on one root. */
export class PortageSession extends RootSession {
  /**
   * @param ctx the running stage.
   * @param root the build root.
   * @param state the driver's settings and prepared roots.
   */
  constructor(
    ctx: StageContext,
    root: string,
    readonly state: PortageState,
  ) {
    super(ctx, root);
  }

  /** The prepared state of this root (without a sub-root), when it was prepared. */
  preparedState(): Prepared | undefined {
    return this.state.prepared.get(preparedKey(this.root));
  }

  /** Forgets every prepared state of this root (after clean, or when the root was replaced). */
  forget(): void {
    for (const k of [...this.state.prepared.keys()])
      if (k.startsWith(`${this.root}\0`)) this.state.prepared.delete(k);
  }
}

/** The key of a prepared root: path, sub-root and inode (a retried stage's new folder differs). */
export function preparedKey(root: string, subRoot?: string): string {
  return `${root}\0${subRoot ?? ""}\0${inode(root)}`;
}

const ATOM = /^[\w@<>=~!*.:/+\-[\],]+$/;

/** `bad-atom` when a package list holds something that is not an atom. */
export function checkAtoms(packages: readonly string[], key: string): DriverResult {
  const badOne = packages.find((p) => !ATOM.test(p) || p.startsWith("-"));
  if (badOne === undefined) return ok(undefined);
  return refuse(
    "bad-atom",
    `${key}: "${badOne}" is not a package atom`,
    "list atoms such as app-editors/nano or >=sys-apps/systemd-256",
  );
}

/** Emerge's "(3 of 120)" lines as progress. */
export function emergeProgress(s: RootSession, what: string): (line: string) => void {
  return (line) => {
    const m = /^>>> Emerging (?:binary )?\((\d+) of (\d+)\) (\S+)/.exec(line);
    if (m === null) return;
    const done = Number(m[1]);
    const total = Number(m[2]);
    s.ctx.emit({
      type: "stage-progress",
      stage: s.ctx.stage,
      message: `${what}: ${m[3] ?? ""}`,
      ...(total > 0 ? { fraction: Math.min(1, (done - 1) / total) } : {}),
    });
  };
}

/** Runs one command in the prepared root. */
export function exec(
  p: Prepared,
  cmd: StageCommand,
  extraBinds: readonly BindMount[] = [],
  captureStdout = false,
): Promise<DriverResult<string>> {
  return p.run.run(cmd.step, cmd, {
    binds: extraBinds,
    ...(cmd.env === undefined ? {} : { env: cmd.env }),
    ...(captureStdout ? { captureStdout: true } : {}),
  });
}

/** `emerge <the stage's options> <args>` in the prepared root. */
export async function emerge(
  p: Prepared,
  step: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  extraBinds: readonly BindMount[] = [],
): Promise<DriverResult> {
  const r = await exec(
    p,
    {
      step,
      argv: ["emerge", ...emergeOptions(p.emerge), ...args],
      env: { ...emergeEnv(p.emerge), ...env },
    },
    extraBinds,
  );
  return r.ok ? ok(undefined) : r;
}

function inode(path: string): number {
  try {
    return statSync(path).ino;
  } catch {
    return 0;
  }
}

/** Whether `path` is a folder on the host. */
export function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
