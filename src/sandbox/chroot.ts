/**
 * Running commands inside a build root, isolated from the host. Every run gets its own mount,
 * PID, UTS and IPC namespaces (and a network namespace when it needs no network):
 *
 *   setpriv --pdeathsig KILL -- unshare --mount --pid --fork --kill-child --propagation private
 *     --uts --ipc [--net] -- /bin/sh -c <setup script> ...
 *
 * The setup script (generated here, passed as an argument, never written to disk) makes every
 * mount private, mounts /proc, /sys (read-only), a minimal /dev, /run and /tmp inside the root,
 * adds the caller's bind mounts (all `nodev`), then makes the root the namespace's root with
 * `pivot_root` and detaches the host's tree, and runs the command with a reduced capability
 * bounding set ({@link CHROOT_CAPABILITIES}) and a clean environment: nothing in the root can
 * reach the host through /proc/<pid>/root, a second chroot, mounts or device nodes.
 *
 * Nothing can outlive the run or leak to the host: mounts live only in the private namespace,
 * which the kernel tears down with its last process; the namespace's PID 1 is killed when
 * `unshare` dies (`--kill-child`), and `unshare` is killed when substrate dies, even by SIGKILL
 * (`setpriv --pdeathsig KILL`). See docs/isolation.md.
 */
import { lstatSync, readdirSync, readFileSync, rmdirSync, statSync, unlinkSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { type Result, ok, err } from "../util/result.js";
import {
  type InstalledInterpreters,
  installInterpreters,
  removeInterpreters,
} from "./interpreter.js";
import {
  type RunFailure,
  type RunOutput,
  cleanEnv,
  describeCommand,
  describeFailure,
  run,
} from "./process.js";
import { canonicalRoot, mkdirInRoot, namespacedPath, resolveInRoot } from "./root-path.js";
import { type Swap, recoverSwap, restoreSwap, swapIn } from "./swap.js";
import type { FailureOf } from "../report/failure.js";

/** A bind mount into the sandbox. */
export interface BindMount {
  /** Host path (file or directory), chosen by substrate; must exist. */
  readonly source: string;
  /**
   * For {@link runInChroot}: a path inside the root (resolved inside it, symlinks included;
   * created when missing). For {@link runInNamespace}: a host path that must exist.
   */
  readonly target: string;
  /** Mount read-only (default false). */
  readonly readonly?: boolean;
}

/** Options shared by both runners: how to run and where output goes. */
export interface SandboxRunOptions {
  /**
   * Extra environment for the command, merged over the defaults. In a chroot the defaults are
   * PATH=/usr/sbin:/usr/bin:/sbin:/bin, HOME=/root, LANG=C.UTF-8, DEBIAN_FRONTEND=noninteractive
   * (plus SOURCE_DATE_EPOCH when substrate has it); for a host tool, {@link cleanEnv}.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** Bind mounts, applied after the standard mounts, parents before children. */
  readonly binds?: readonly BindMount[];
  /** Data written to stdin, then closed. Without it stdin is /dev/null. */
  readonly stdin?: string | Buffer;
  /** Append stdout+stderr to this file (the stage log). */
  readonly logFile?: string;
  /** Keep stdout in memory and return it (for commands whose output is data). */
  readonly captureStdout?: boolean;
  /** Called with each complete output line. */
  readonly onLine?: (line: string) => void;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/** Options of {@link runInChroot} other than the command. */
export interface ChrootBaseOptions extends SandboxRunOptions {
  /** The build root: an existing host directory, never `/`. */
  readonly root: string;
  /**
   * Give the run the host's network (default false: a private network namespace with only a
   * loopback device). When true the host's /etc/resolv.conf is copied into the root for the run
   * and the root's own file put back afterwards (unless the run replaced it).
   */
  readonly network?: boolean;
  /** Working directory inside the root (default `/`). Needs /bin/sh in the root when set. */
  readonly cwd?: string;
  /**
   * `minimal` (default): a tmpfs /dev holding only null, zero, full, random, urandom, tty, a
   * private devpts at /dev/pts (ptmx via /dev/ptmx) and a tmpfs /dev/shm. `host`: a bind of the
   * host's /dev (for tools that need block or loop devices).
   */
  readonly dev?: "minimal" | "host";
  /** `tmpfs` (default): a fresh tmpfs on /tmp. `keep`: the root's own /tmp (stage1root, mergeroot). */
  readonly tmp?: "tmpfs" | "keep";
  /** qemu-user interpreters copied in for the run (catalyst's `interpreter`), host paths. */
  readonly interpreters?: readonly string[];
  /** Host name inside the UTS namespace (default `substrate`). */
  readonly hostname?: string;
}

/** The command: an argv (argv[0] looked up on PATH inside the root) or a shell script text. */
export type ChrootCommand =
  | { readonly argv: readonly string[]; readonly script?: never; readonly shell?: never }
  | {
      /** Run with `<shell> -e -c <script>` (errexit on). At most 100 KiB. */
      readonly script: string;
      /** Shell inside the root (default /bin/sh). */
      readonly shell?: string;
      readonly argv?: never;
    };

/** Everything {@link runInChroot} needs. */
export type ChrootOptions = ChrootBaseOptions & ChrootCommand;

/** Everything {@link runInNamespace} needs. */
export interface NamespaceOptions extends SandboxRunOptions {
  /** Host command; argv[0] looked up on PATH. */
  readonly argv: readonly string[];
  /** Host working directory. */
  readonly cwd?: string;
  /** Keep the host network (default true: host tools such as mmdebstrap download). */
  readonly network?: boolean;
}

/** Why a sandboxed run failed. */
export type SandboxFailure =
  RunFailure | FailureOf<"bad-root" | "bad-bind" | "bad-command" | "setup-failed">;

/** One line explaining a sandbox failure, for messages. */
export function describeSandboxFailure(f: SandboxFailure): string {
  return describeFailure(f);
}

/** PATH and the rest of the default environment inside a chroot. */
export const CHROOT_DEFAULT_ENV: Readonly<Record<string, string>> = {
  PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
  HOME: "/root",
  LANG: "C.UTF-8",
  DEBIAN_FRONTEND: "noninteractive",
};

/** Printed by the setup script (stderr) when a setup step fails, before the command runs. */
const SETUP_FAILED_MARK = "@@substrate-sandbox-setup-failed: ";
/** Exit status of the setup script on failure. */
const SETUP_FAILED_STATUS = 125;
/**
 * PID 1 of a namespace ignores signals it has no handler for, even from substrate; these traps
 * let a cancel (SIGTERM to the process group) end the setup shell promptly instead of waiting
 * for the SIGKILL grace period. Children get default dispositions back.
 */
const TRAPS = `trap 'exit 143' TERM; trap 'exit 130' INT; trap 'exit 129' HUP`;
/** Linux refuses single arguments above 128 KiB; keep a margin. */
const MAX_SCRIPT_BYTES = 100 * 1024;

/** Quotes a string for /bin/sh. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The namespace launcher argv, shared by both runners. */
export function namespaceLauncher(opts: {
  readonly network: boolean;
  readonly mountProc: boolean;
  /**
   * Start from this process's mount namespace instead of the host's (a root that exists only
   * there, e.g. an overlayfs held by overlay-root.ts); the new namespace is still private.
   */
  readonly enterMountsOf?: number | undefined;
}): string[] {
  return [
    "setpriv",
    "--pdeathsig",
    "KILL",
    "--",
    ...(opts.enterMountsOf === undefined
      ? []
      : ["nsenter", `--mount=/proc/${opts.enterMountsOf}/ns/mnt`, "--"]),
    "unshare",
    "--mount",
    "--pid",
    "--fork",
    "--kill-child",
    "--propagation",
    "private",
    "--uts",
    "--ipc",
    ...(opts.network ? [] : ["--net"]),
    ...(opts.mountProc ? ["--mount-proc"] : []),
    "--",
  ];
}

/** One planned mount inside the root, all paths already resolved on the host. */
interface PlannedBind {
  readonly source: string;
  /** Host path inside the root. */
  readonly target: string;
  readonly readonly: boolean;
  readonly isDir: boolean;
}

/** A resolved chroot plan: pure data, turned into a script by {@link chrootSetupScript}. */
export interface ChrootPlan {
  readonly root: string;
  readonly mountPoints: {
    readonly proc: string;
    readonly sys: string;
    readonly dev: string;
    readonly run: string;
    readonly tmp: string;
  };
  readonly dev: "minimal" | "host";
  readonly tmp: "tmpfs" | "keep";
  readonly hostname: string;
  readonly binds: readonly PlannedBind[];
  readonly env: Readonly<Record<string, string>>;
  /** The argv run by chroot inside the root. */
  readonly command: readonly string[];
}

const DEV_NODES = ["null", "zero", "full", "random", "urandom", "tty"] as const;

/**
 * The capabilities a command in a build root keeps (the bounding set; everything else is dropped
 * for the command and all it starts, setuid binaries included): what package managers and
 * maintainer scripts need to own, chmod and unpack files, switch users and bind low ports. Gone
 * are among others CAP_SYS_ADMIN (mount, pivot_root, setns), CAP_SYS_MODULE, CAP_SYS_RAWIO,
 * CAP_SYS_PTRACE, CAP_SYS_BOOT, CAP_SYS_TIME, CAP_NET_ADMIN, CAP_NET_RAW, CAP_DAC_READ_SEARCH
 * (open_by_handle_at, which can open any inode of a file system the root shares with the host),
 * CAP_MAC_*, CAP_SYSLOG, CAP_BPF and CAP_PERFMON. CAP_MKNOD stays so that unpacking a device node
 * works, but every mount in the sandbox except the /dev nodes substrate binds is `nodev`, so a
 * node made in the root opens nothing. See docs/isolation.md.
 */
export const CHROOT_CAPABILITIES: readonly string[] = [
  "chown",
  "dac_override",
  "fowner",
  "fsetid",
  "kill",
  "setgid",
  "setuid",
  "setpcap",
  "linux_immutable",
  "net_bind_service",
  "ipc_lock",
  "ipc_owner",
  "sys_chroot",
  "sys_nice",
  "sys_resource",
  "mknod",
  "lease",
  "audit_write",
  "setfcap",
];

/** /proc entries that change the host kernel (not its namespaces): bound read-only in the root. */
const PROC_READONLY = ["sys", "sysrq-trigger", "irq", "bus", "fs"] as const;

/**
 * Generates the setup script for a chroot run. Pure. The script runs as PID 1 of the new PID
 * namespace with the host's tools: it mounts everything under the root, then makes the root the
 * namespace's root with `pivot_root . .` and detaches the host's tree (`umount -l`), so neither
 * `/proc/<pid>/root` nor a second chroot leads out. Because no host tool can be run once the host
 * tree is gone, two helpers are started before the pivot and wait on FIFOs:
 *
 * - the command: `setpriv` (capabilities dropped), `env -i`, then a shell that says "ready",
 *   waits for "detached" and execs the command, now looked up in the root;
 * - the detacher: a shell chrooted into a copy of the host's tree (so the pivot leaves it where
 *   it is) that waits for "pivoted", unmounts the old root stacked on the new one (reached
 *   through `/proc/1/root`) and its own copy, and says "detached".
 */
export function chrootSetupScript(plan: ChrootPlan): string {
  const q = shellQuote;
  const { proc, sys, dev, run: runDir, tmp } = plan.mountPoints;
  const lines: string[] = [
    `fail() { echo "${SETUP_FAILED_MARK}$*" >&2; exit ${SETUP_FAILED_STATUS}; }`,
    TRAPS,
    // Belt and braces: unshare already made / private; nothing below may reach the host.
    `mount --make-rprivate / || fail "cannot make mounts private"`,
    `hostname ${q(plan.hostname)} 2>/dev/null || true`,
    // The root becomes a mount of its own (pivot_root needs one); nodev: nodes made in it are dead.
    `mount --bind ${q(plan.root)} ${q(plan.root)} && mount -o remount,bind,nodev ${q(plan.root)} || fail "cannot bind the root"`,
    `mount -t proc -o nosuid,nodev,noexec proc ${q(proc)} || fail "cannot mount /proc"`,
  ];
  for (const entry of PROC_READONLY) {
    const p = q(join(proc, entry));
    lines.push(
      `[ ! -e ${p} ] || { mount --bind ${p} ${p} && mount -o remount,bind,ro ${p}; } || fail "cannot make /proc/${entry} read-only"`,
    );
  }
  lines.push(
    `mount -t sysfs -o ro,nosuid,nodev,noexec sysfs ${q(sys)} || fail "cannot mount /sys"`,
  );
  if (plan.dev === "host") {
    lines.push(`mount --rbind /dev ${q(dev)} || fail "cannot bind /dev"`);
  } else {
    const d = (name: string): string => q(join(dev, name));
    lines.push(
      `mount -t tmpfs -o nosuid,nodev,noexec,mode=0755,size=1m tmpfs ${q(dev)} || fail "cannot mount /dev"`,
    );
    for (const node of DEV_NODES) {
      lines.push(
        `: > ${d(node)} && mount --bind /dev/${node} ${d(node)} || fail "cannot bind /dev/${node}"`,
      );
    }
    lines.push(
      `mkdir -m 0755 ${d("pts")} ${d("shm")} || fail "cannot create /dev/pts"`,
      `mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec devpts ${d("pts")} || fail "cannot mount /dev/pts"`,
      `ln -s pts/ptmx ${d("ptmx")} && ln -s /proc/self/fd ${d("fd")} || fail "cannot link /dev/ptmx"`,
      `ln -s /proc/self/fd/0 ${d("stdin")} && ln -s /proc/self/fd/1 ${d("stdout")} && ln -s /proc/self/fd/2 ${d("stderr")} || fail "cannot link /dev/std*"`,
      `mount -t tmpfs -o nosuid,nodev,noexec,mode=1777 tmpfs ${d("shm")} || fail "cannot mount /dev/shm"`,
    );
  }
  lines.push(
    `mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs ${q(runDir)} || fail "cannot mount /run"`,
  );
  if (plan.tmp === "tmpfs") {
    lines.push(
      `mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs ${q(tmp)} || fail "cannot mount /tmp"`,
    );
  }
  for (const b of plan.binds) {
    const t = q(b.target);
    const make = b.isDir
      ? `[ -d ${t} ] || mkdir -p ${t} || fail "cannot create ${b.target}"`
      : `[ -e ${t} ] || { mkdir -p ${q(dirname(b.target))} && : > ${t}; } || fail "cannot create ${b.target}"`;
    const flags = b.readonly ? "remount,bind,nodev,ro" : "remount,bind,nodev";
    lines.push(
      make,
      `mount --bind ${q(b.source)} ${t} || fail "cannot bind ${b.source}"`,
      `mount -o ${flags} ${t} || fail "cannot remount ${b.target}${b.readonly ? " read-only" : ""}"`,
    );
  }

  // ---- pivot into the root, detach the host's tree, run the command without the dropped caps
  const hostCopy = join(runDir, ".substrate-host"); // must match the detacher's relative name
  const fifo = (name: string): string => q(join(runDir, `.substrate-${name}`));
  const procOfInit = q(join(proc, "1/root"));
  const envArgs = Object.entries(plan.env).map(([k, v]) => q(`${k}=${v}`));
  const bounding = ["-all", ...CHROOT_CAPABILITIES.map((c) => `+${c}`)].join(",");
  // Runs in the helper that becomes the command: fds 5 (ready, write) and 7 (detached, read).
  const inner = [
    `echo ready >&5`,
    `read state <&7 || state=`,
    `exec 5>&- 7<&-`,
    `[ "$state" = detached ] || exit ${SETUP_FAILED_STATUS}`,
    // env -i gave a clean environment; the shell added PWD.
    `unset PWD OLDPWD state`,
    `exec "$@"`,
  ].join("; ");
  // Runs chrooted into the copy of the host's tree: fds 5 (ready, write), 6 (pivoted, read) and 7
  // (detached, write).
  const detacher = [
    `echo ready >&5`,
    `exec 5>&-`,
    `read state <&6`,
    // The copy's own /proc goes with the copy: enter the root's /run before unmounting it.
    `[ "$state" = pivoted ] && umount -l -c ${procOfInit} && cd ${q(join(proc, "1/root", runDir.slice(plan.root.length)))} && umount -l -c .substrate-host && rmdir .substrate-host` +
      ` && echo detached >&7 || { echo "${SETUP_FAILED_MARK}cannot detach the host's tree" >&2; echo failed >&7; }`,
  ].join("; ");
  lines.push(
    `mkdir -m 0700 ${q(hostCopy)} && mount --rbind / ${q(hostCopy)} || fail "cannot prepare the pivot"`,
    `mkfifo -m 0600 ${fifo("ready")} ${fifo("pivoted")} ${fifo("detached")} || fail "cannot prepare the pivot"`,
    `exec 3<&0 5<>${fifo("ready")} 6<>${fifo("pivoted")} 7<>${fifo("detached")}`,
    `rm -f ${fifo("ready")} ${fifo("pivoted")} ${fifo("detached")}`,
    `cd ${q(plan.root)} || fail "cannot enter the root"`,
    // "failed" on fd 5 if a helper could not start (otherwise read by nobody), so no wait hangs.
    `{ setpriv --inh-caps -all --bounding-set ${bounding} -- env -i ${envArgs.join(" ")} /bin/sh -c ${q(inner)} substrate-run ${plan.command.map(q).join(" ")}; status=$?; echo failed >&5; exit $status; } 0<&3 3<&- 6<&- &`,
    `command_pid=$!`,
    `read state <&5 && [ "$state" = ready ] || fail "cannot start the command"`,
    `{ chroot ${q(hostCopy)} /bin/sh -c ${q(detacher)} substrate-detach || echo failed >&5; } 3<&- </dev/null &`,
    `exec 3<&- 7<&-`,
    // Both helpers must run (their programs loaded from the host) before the host tree goes.
    `read state <&5 && [ "$state" = ready ] || fail "cannot start the sandbox's detacher"`,
    `exec 5>&-`,
    // Root and working directory of every process here move to the root; the host's tree is
    // stacked on top of it until the detacher unmounts it.
    `pivot_root . . || fail "cannot pivot into the root"`,
    `echo pivoted >&6`,
    `exec 6>&-`,
    // This shell stays PID 1 of the namespace, so the command is an ordinary process (signals,
    // \`kill $$\`, "am I init?" checks behave as on a normal system).
    `wait "$command_pid"`,
    `exit $?`,
  );
  return lines.join("\n") + "\n";
}

function filterMarks(lines: readonly string[]): string[] {
  return lines.filter((l) => !l.startsWith(SETUP_FAILED_MARK));
}

/** Runs the launcher + script and maps a setup failure to its own reason. */
async function runLaunched(
  argv: readonly string[],
  opts: SandboxRunOptions,
  shownCommand: string,
): Promise<Result<RunOutput, SandboxFailure>> {
  let setupFailure: string | undefined;
  const result = await run({
    argv,
    env: cleanEnv(),
    ...(opts.stdin === undefined ? {} : { stdin: opts.stdin }),
    ...(opts.logFile === undefined ? {} : { logFile: opts.logFile }),
    ...(opts.captureStdout === undefined ? {} : { captureStdout: opts.captureStdout }),
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
    onLine: (line) => {
      if (line.startsWith(SETUP_FAILED_MARK)) {
        setupFailure ??= line.slice(SETUP_FAILED_MARK.length);
        return;
      }
      opts.onLine?.(line);
    },
  });
  if (result.ok) return ok({ ...result.value, tail: filterMarks(result.value.tail) });
  const f = result.error;
  if (setupFailure !== undefined && f.reason === "exit-non-zero") {
    return err({
      reason: "setup-failed",
      command: shownCommand,
      message: setupFailure,
      tail: filterMarks(f.tail),
    });
  }
  // Report the user's command, not the launcher, in messages.
  switch (f.reason) {
    case "exit-non-zero":
      return err({ ...f, command: shownCommand, tail: filterMarks(f.tail) });
    case "killed-by-signal":
    case "timed-out":
    case "cancelled":
    case "log-failed":
      return err({ ...f, command: shownCommand, tail: filterMarks(f.tail ?? []) });
    case "spawn-error":
      return err({
        ...f,
        message: `${f.message} (are util-linux's setpriv and unshare installed?)`,
      });
  }
}

function badRoot(root: string, message: string): { ok: false; error: SandboxFailure } {
  return err({ reason: "bad-root", root, message });
}

/** Per-root count of runs in progress in this process, so swaps happen once per root. */
const activeRuns = new Map<string, number>();

/** Resolves a standard mount point inside the root, creating the directory when missing. */
function mountPoint(root: string, path: string): Result<string, SandboxFailure> {
  const made = mkdirInRoot(root, path);
  if (!made.ok) return badRoot(root, `${path}: ${made.error.message}`);
  return ok(made.value.path);
}

function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

/**
 * Runs a command inside `root` (see the file header for the isolation). Returns the command's
 * output, or why it failed: the command's own failure (`exit-non-zero`, `killed-by-signal`,
 * `timed-out`, `cancelled`, with the command as the user wrote it), or a sandbox problem
 * (`bad-root`, `bad-bind`, `bad-command`, `setup-failed`). The host is unchanged afterwards
 * whatever the outcome: no mounts, no processes, resolv.conf and interpreters put back.
 */
export async function runInChroot(opts: ChrootOptions): Promise<Result<RunOutput, SandboxFailure>> {
  // ---- validate the command
  let command: string[];
  let shown: string;
  if (opts.argv !== undefined) {
    if (opts.argv.length === 0) return err({ reason: "bad-command", message: "empty argv" });
    command = [...opts.argv];
    shown = describeCommand(opts.argv);
  } else {
    if (Buffer.byteLength(opts.script) > MAX_SCRIPT_BYTES) {
      return err({
        reason: "bad-command",
        message: `script is larger than ${MAX_SCRIPT_BYTES} bytes; copy it into the root and run it by path`,
      });
    }
    command = [opts.shell ?? "/bin/sh", "-e", "-c", opts.script, "substrate-script"];
    const firstLine = opts.script.trim().split("\n")[0] ?? "";
    shown = `${opts.shell ?? "/bin/sh"} -e -c '${firstLine}${opts.script.trim().includes("\n") ? " ..." : ""}'`;
  }
  if (opts.cwd !== undefined) {
    command = [
      "/bin/sh",
      "-c",
      'cd -- "$1" || exit 1; shift; exec "$@"',
      "sh",
      opts.cwd,
      ...command,
    ];
  }

  // ---- validate the root
  if (!isAbsolute(opts.root)) return badRoot(opts.root, "not an absolute path");
  let rootStat;
  try {
    rootStat = statSync(opts.root);
  } catch {
    return badRoot(opts.root, "does not exist");
  }
  if (!rootStat.isDirectory()) return badRoot(opts.root, "is not a directory");
  const root = canonicalRoot(opts.root);
  if (root === "/") return badRoot(opts.root, "the host's / cannot be a build root");

  const proc = mountPoint(root, "/proc");
  if (!proc.ok) return proc;
  const sys = mountPoint(root, "/sys");
  if (!sys.ok) return sys;
  const dev = mountPoint(root, "/dev");
  if (!dev.ok) return dev;
  const runDir = mountPoint(root, "/run");
  if (!runDir.ok) return runDir;
  const tmp = mountPoint(root, "/tmp");
  if (!tmp.ok) return tmp;
  const tmpMode = opts.tmp ?? "tmpfs";
  const devMode = opts.dev ?? "minimal";

  // ---- plan the binds: targets resolved inside the root; remember what we create on disk
  const planned: PlannedBind[] = [];
  const createdOnDisk: string[] = [];
  const covered = [dev.value, runDir.value, ...(tmpMode === "tmpfs" ? [tmp.value] : [])];
  for (const b of opts.binds ?? []) {
    let st;
    try {
      st = statSync(b.source);
    } catch {
      return err({ reason: "bad-bind", ...b, message: "the source does not exist on the host" });
    }
    const target = resolveInRoot(root, b.target);
    if (!target.ok) return err({ reason: "bad-bind", ...b, message: target.error.message });
    if (
      target.value === root ||
      isUnder(target.value, proc.value) ||
      isUnder(target.value, sys.value)
    ) {
      return err({ reason: "bad-bind", ...b, message: "cannot bind over /, /proc or /sys" });
    }
    // Components that the setup script will create on the root's disk (not on a tmpfs).
    if (!covered.some((c) => isUnder(target.value, c))) {
      let p = target.value;
      const missing: string[] = [];
      while (p !== root && !exists(p)) {
        missing.push(p);
        p = dirname(p);
      }
      createdOnDisk.push(...missing);
    }
    planned.push({
      source: b.source,
      target: target.value,
      readonly: b.readonly === true,
      isDir: st.isDirectory(),
    });
  }
  // Parents before children, otherwise the caller's order.
  const depth = (p: string): number => p.split("/").length;
  const binds = planned
    .map((b, i) => ({ b, i }))
    .sort((x, y) => depth(x.b.target) - depth(y.b.target) || x.i - y.i)
    .map((x) => x.b);

  // ---- environment
  const env: Record<string, string> = { ...CHROOT_DEFAULT_ENV };
  const sde = process.env["SOURCE_DATE_EPOCH"];
  if (sde !== undefined) env["SOURCE_DATE_EPOCH"] = sde;
  Object.assign(env, opts.env ?? {});

  // ---- swap in resolv.conf and interpreters (once per root, recovering a killed run's leftovers)
  const network = opts.network ?? false;
  const active = activeRuns.get(root) ?? 0;
  let resolvSwap: Swap | undefined;
  let interps: InstalledInterpreters | undefined;
  if (active === 0) {
    recoverRoot(root, opts.interpreters ?? []);
    if (network) {
      let hostResolv: Buffer | undefined;
      try {
        hostResolv = readFileSync("/etc/resolv.conf");
      } catch {
        hostResolv = undefined; // a host without resolv.conf: nothing to copy
      }
      if (hostResolv !== undefined) {
        const swapped = swapIn(root, "/etc/resolv.conf", hostResolv, 0o644);
        if (!swapped.ok)
          return badRoot(root, `cannot copy /etc/resolv.conf in: ${swapped.error.message}`);
        resolvSwap = swapped.value;
      }
    }
    if ((opts.interpreters ?? []).length > 0) {
      const installed = installInterpreters(root, opts.interpreters ?? []);
      if (!installed.ok) {
        if (resolvSwap !== undefined) restoreSwap(resolvSwap, false);
        return badRoot(root, installed.error.message);
      }
      interps = installed.value;
    }
  }
  activeRuns.set(root, active + 1);

  try {
    // A root seen through another mount namespace is mounted on as that namespace sees it.
    const ns = namespacedPath(root);
    const inNs = (p: string): string =>
      ns === undefined ? p : join(ns.inside, p.slice(root.length));
    const script = chrootSetupScript({
      root: inNs(root),
      mountPoints: {
        proc: inNs(proc.value),
        sys: inNs(sys.value),
        dev: inNs(dev.value),
        run: inNs(runDir.value),
        tmp: inNs(tmp.value),
      },
      dev: devMode,
      tmp: tmpMode,
      hostname: opts.hostname ?? "substrate",
      binds: binds.map((b) => ({ ...b, target: inNs(b.target) })),
      env,
      command,
    });
    const argv = [
      ...namespaceLauncher({ network, mountProc: false, enterMountsOf: ns?.pid }),
      "/bin/sh",
      "-c",
      script,
      "substrate-sandbox",
    ];
    return await runLaunched(argv, opts, shown);
  } finally {
    const left = (activeRuns.get(root) ?? 1) - 1;
    if (left === 0) activeRuns.delete(root);
    else activeRuns.set(root, left);
    if (resolvSwap !== undefined) restoreSwap(resolvSwap, true);
    if (interps !== undefined) removeInterpreters(interps);
    // Mount points created for binds: remove them again when still empty (deepest first).
    for (const p of createdOnDisk) removeIfEmpty(p);
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function removeIfEmpty(path: string): void {
  try {
    const st = lstatSync(path);
    if (st.isDirectory()) rmdirSync(path);
    else if (st.isFile() && st.size === 0) unlinkSync(path);
  } catch {
    // not empty or gone: leave it
  }
}

/** Folders where qemu-user interpreters usually live (scanned by {@link recoverRoot}). */
const INTERPRETER_DIRS = ["/usr/bin", "/bin", "/usr/local/bin", "/usr/libexec/qemu-binfmt"];

/**
 * Puts back what a killed run left swapped in a root: `/etc/resolv.conf`, the given interpreter
 * paths, and any `*.substrate-orig` / `*.substrate-none` in the usual interpreter folders. Every
 * {@link runInChroot} does this itself first; call it before capturing a root that may have been
 * used by a run that never finished. Returns the in-root paths restored.
 */
export function recoverRoot(root: string, interpreters: readonly string[] = []): string[] {
  const paths = new Set<string>(["/etc/resolv.conf", ...interpreters]);
  for (const dir of INTERPRETER_DIRS) {
    const resolved = resolveInRoot(root, dir);
    if (!resolved.ok) continue;
    let names: string[];
    try {
      names = readdirSync(resolved.value);
    } catch {
      continue;
    }
    for (const name of names) {
      const m = /^(.+)\.substrate-(?:orig|none)$/.exec(name);
      if (m?.[1] !== undefined) paths.add(`${dir}/${m[1]}`);
    }
  }
  const restored: string[] = [];
  for (const path of [...paths].sort()) {
    const r = recoverSwap(root, path);
    if (r.ok && r.value) restored.push(path);
  }
  return restored;
}

/** Generates the setup script for a host command in a private namespace. Pure. */
export function namespaceSetupScript(opts: {
  readonly binds: readonly BindMount[];
  readonly env: Readonly<Record<string, string>>;
  readonly argv: readonly string[];
  readonly cwd?: string;
}): string {
  const q = shellQuote;
  const lines: string[] = [
    `fail() { echo "${SETUP_FAILED_MARK}$*" >&2; exit ${SETUP_FAILED_STATUS}; }`,
    TRAPS,
    `mount --make-rprivate / || fail "cannot make mounts private"`,
  ];
  for (const b of opts.binds) {
    lines.push(`mount --bind ${q(b.source)} ${q(b.target)} || fail "cannot bind ${b.source}"`);
    if (b.readonly === true) {
      lines.push(
        `mount -o remount,bind,ro ${q(b.target)} || fail "cannot make ${b.target} read-only"`,
      );
    }
  }
  if (opts.cwd !== undefined) lines.push(`cd -- ${q(opts.cwd)} || fail "cannot enter ${opts.cwd}"`);
  const envArgs = Object.entries(opts.env).map(([k, v]) => q(`${k}=${v}`));
  lines.push(`env -i ${envArgs.join(" ")} ${opts.argv.map(q).join(" ")}`, `exit $?`);
  return lines.join("\n") + "\n";
}

/**
 * Runs a host command in its own private mount and PID namespace, without a chroot (mmdebstrap,
 * a loop mount of a squashfs to read it). Mounts it makes, and the binds given here, vanish with
 * it; its processes die with it and with substrate. /proc is remounted for the new PID namespace.
 */
export async function runInNamespace(
  opts: NamespaceOptions,
): Promise<Result<RunOutput, SandboxFailure>> {
  if (opts.argv.length === 0) return err({ reason: "bad-command", message: "empty argv" });
  for (const b of opts.binds ?? []) {
    if (!isAbsolute(b.source) || !isAbsolute(b.target)) {
      return err({ reason: "bad-bind", ...b, message: "paths must be absolute" });
    }
    if (!exists(b.source)) {
      return err({ reason: "bad-bind", ...b, message: "the source does not exist on the host" });
    }
    if (!exists(b.target)) {
      return err({ reason: "bad-bind", ...b, message: "the target does not exist on the host" });
    }
  }
  const script = namespaceSetupScript({
    binds: opts.binds ?? [],
    env: { ...cleanEnv(), ...(opts.env ?? {}) },
    argv: opts.argv,
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
  });
  const argv = [
    ...namespaceLauncher({ network: opts.network ?? true, mountProc: true }),
    "/bin/sh",
    "-c",
    script,
    "substrate-sandbox",
  ];
  return runLaunched(argv, opts, describeCommand(opts.argv));
}
