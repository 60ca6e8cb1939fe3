/**
 * The shell the sandbox runs before a command: the namespace launcher argv ({@link
 * namespaceLauncher}) and the setup scripts it hands to `/bin/sh -c`, one for a run inside a
 * build root ({@link chrootSetupScript}: mounts, pivot_root, capability bounding set) and one for
 * a host tool in a private namespace ({@link namespaceSetupScript}). Everything here is pure:
 * plans in, argv and script text out. chroot.ts and namespace.ts resolve the paths and run them;
 * see chroot.ts's header and docs/isolation.md for what the scripts guarantee.
 */
import { dirname, join } from "node:path";

/** Printed by the setup script (stderr) when a setup step fails, before the command runs. */
export const SETUP_FAILED_MARK = "@@substrate-sandbox-setup-failed: ";
/** Exit status of the setup script on failure. */
const SETUP_FAILED_STATUS = 125;
/**
 * PID 1 of a namespace ignores signals it has no handler for, even from substrate; these traps
 * let a cancel (SIGTERM to the process group) end the setup shell promptly instead of waiting
 * for the SIGKILL grace period. Children get default dispositions back.
 */
const TRAPS = `trap 'exit 143' TERM; trap 'exit 130' INT; trap 'exit 129' HUP`;

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
export interface PlannedBind {
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

/** Generates the setup script for a host command in a private namespace. Pure. */
export function namespaceSetupScript(opts: {
  /** Host paths, both existing (a `BindMount` of runInNamespace). */
  readonly binds: readonly {
    readonly source: string;
    readonly target: string;
    readonly readonly?: boolean;
  }[];
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
