/**
 * The checks a booted live system must pass, run through the serial console once logged in:
 * systemd reached `running`, the kernel is the payload's, `/` is an overlay over the squashfs,
 * os-release names the image, a kernel module loads, Secure Boot is enforcing (when asked), and
 * the medium matches its checksum list.
 * The judging of each command's output is kept in pure functions (unit-tested).
 */
import type { CommandOutput, ConsoleFailure } from "./console.js";
import type { ChecksumManifest } from "./iso-boot-info.js";
import type { Result } from "../util/result.js";
import { describeFailure } from "../report/failure-text.js";

/** Runs a command in the guest. */
export interface GuestShell {
  run(command: string, timeoutMs: number): Promise<Result<CommandOutput, ConsoleFailure>>;
}

/** The outcome of one check. */
export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly durationMs: number;
}

/** A verdict; `fatal` when the console itself failed, so no later check can run. */
export interface Verdict {
  readonly ok: boolean;
  readonly detail: string;
  readonly fatal?: ConsoleFailure;
}

/** One check. */
export interface BootCheck {
  readonly name: string;
  run(shell: GuestShell): Promise<Verdict>;
}

/** What the standard checks compare against. */
export interface CheckExpectations {
  /** `uname -r` the payload's kernel reports; unknown skips the comparison (noted). */
  readonly kernelRelease?: string;
  /** Text the os-release NAME or PRETTY_NAME must contain (case-insensitive). */
  readonly osName?: string;
  /** A loadable module (default `dummy`). */
  readonly module?: string;
  /** `uname -m` values the guest may report (x86_64, armv7l, aarch64); absent: no check. */
  readonly machine?: readonly string[];
  /** The checksum list on the medium, if the ISO carries one. */
  readonly checksums?: ChecksumManifest;
  /** Secure Boot must be enforcing (`substrate test --secure-boot`): adds the secure-boot check. */
  readonly secureBoot?: boolean;
  /** Per-command timeout. */
  readonly commandTimeoutMs: number;
}

/** The `SecureBoot` EFI variable (EFI global variable GUID) as efivarfs shows it. */
export const SECURE_BOOT_EFIVAR =
  "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";

/** Where dracut's dmsquash-live mounts the boot medium in the live system. */
export const LIVE_MEDIUM_MOUNT = "/run/initramfs/live";

/** `command`, or where it is missing (a root without coreutils or util-linux), `fallback`. */
function orBuiltins(command: string, fallback: string): string {
  return `${command} 2>/dev/null || { ${fallback}; }`;
}

/**
 * The standard checks' guest commands. Each runs the usual tool (coreutils, util-linux, kmod) in
 * a form busybox's applets accept too (no `--quiet`), and falls back to the shell's builtins
 * (`read`, `echo`, `printf`, `[`) where the tool is missing: an embedded root may have neither
 * coreutils nor busybox, and busybox has no `findmnt`.
 */
export const CHECK_COMMANDS = {
  machine: orBuiltins("uname -m", 'read -r m </proc/sys/kernel/arch && echo "$m"'),
  kernelRelease: orBuiltins("uname -r", 'read -r r </proc/sys/kernel/osrelease && echo "$r"'),
  rootMount: orBuiltins(
    "findmnt -n -o FSTYPE,OPTIONS /",
    'f=; while read -r _ m t o _; do [ "$m" != / ] || f="$t $o"; done </proc/self/mounts; echo "$f"',
  ),
  squashfsMounts: orBuiltins(
    "findmnt -n -l -t squashfs -o TARGET",
    'while read -r _ m t _; do [ "$t" != squashfs ] || echo "$m"; done </proc/self/mounts',
  ),
  osRelease: orBuiltins(
    "cat /etc/os-release",
    `while IFS= read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; done </etc/os-release`,
  ),
  /** Finds the module's file, loads it and prints `loaded` once /proc/modules lists it. */
  moduleLoad: (module: string): string =>
    `f=$(modinfo -F filename ${module}) && echo "file=$f" && modprobe ${module} && ` +
    `{ ${orBuiltins(
      `grep -q '^${module} ' /proc/modules`,
      `n=; while read -r n _; do [ "$n" != ${module} ] || break; done </proc/modules; [ "$n" = ${module} ]`,
    )}; } && echo loaded`,
  /**
   * Prints the SecureBoot variable's bytes (4 attribute bytes, then the value) after `efivar:`
   * and the kernel's Secure Boot lines after `kernel:`; mounts efivarfs first if nothing did.
   */
  secureBoot:
    `v=${SECURE_BOOT_EFIVAR}; [ -e "$v" ] || { modprobe efivarfs 2>/dev/null; ` +
    `mount -t efivarfs efivarfs /sys/firmware/efi/efivars 2>/dev/null; }; ` +
    `echo "efivar: $(od -An -tu1 "$v" 2>&1)"; ` +
    `dmesg 2>/dev/null | grep -iE 'secure ?boot|lockdown' | sed 's/^/kernel: /'; true`,
  /** Checks the medium against its list, printing only the lines that are not `OK`. */
  mediumChecksums: (tool: string, path: string): string =>
    `cd ${LIVE_MEDIUM_MOUNT} && o=$(${tool} -c .${path} 2>&1); s=$?; cd /; ` +
    `printf '%s\\n' "$o" | while IFS= read -r l; do case "$l" in *": OK") ;; *) printf '%s\\n' "$l" ;; esac; done; ` +
    `test $s -eq 0`,
} as const;

/** Describes a console failure in a check's detail. */
export function describeConsoleFailure(f: ConsoleFailure): string {
  return describeFailure(f);
}

async function sh(
  shell: GuestShell,
  cmd: string,
  timeoutMs: number,
): Promise<CommandOutput | Verdict> {
  const r = await shell.run(cmd, timeoutMs);
  if (r.ok) return r.value;
  // A timed-out command has been interrupted; the console is still usable.
  return r.error.reason === "timeout"
    ? { ok: false, detail: describeConsoleFailure(r.error) }
    : { ok: false, detail: describeConsoleFailure(r.error), fatal: r.error };
}

function isVerdict(x: CommandOutput | Verdict): x is Verdict {
  return "ok" in x;
}

/** Judges `systemctl is-system-running` output; `failedUnits` is `systemctl --failed` output. */
export function judgeSystemState(state: string, failedUnits?: string): Verdict {
  const s = state.trim().split("\n").pop()?.trim() ?? "";
  if (s === "running") return { ok: true, detail: "running" };
  const units = (failedUnits ?? "")
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0] ?? "")
    .filter((u) => u !== "" && !u.startsWith("●"));
  const list = units.length > 0 ? `; failed units: ${units.join(", ")}` : "";
  return { ok: false, detail: `system state is "${s || "(no output)"}"${list}` };
}

/** Judges `uname -m` against the architectures the ISO was built for. */
export function judgeMachine(uname: string, expected: readonly string[]): Verdict {
  const running = uname.trim().split("\n").pop()?.trim() ?? "";
  if (expected.includes(running)) return { ok: true, detail: running };
  return {
    ok: false,
    detail: `the guest runs ${running || "(no output)"}, the ISO is for ${expected.join(" or ")}`,
  };
}

/** Judges the running kernel against the expected release. */
export function judgeKernel(uname: string, expected: string | undefined): Verdict {
  const running = uname.trim().split("\n").pop()?.trim() ?? "";
  if (expected === undefined)
    return { ok: running !== "", detail: `running ${running} (expected release unknown)` };
  return running === expected
    ? { ok: true, detail: running }
    : { ok: false, detail: `running ${running}, the payload's kernel is ${expected}` };
}

/**
 * Judges the root mount: `findmnt -n -o FSTYPE,OPTIONS /` and `findmnt -n -l -t squashfs -o
 * TARGET` output. `/` must be an overlay one of whose lower layers is a squashfs mount (or lies
 * on one, such as dracut's `/run/rootfsbase`).
 */
export function judgeOverlayRoot(rootLine: string, squashfsTargets: string): Verdict {
  const [fstype = "", options = ""] = rootLine.trim().split(/\s+/);
  const targets = squashfsTargets
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("/"));
  if (fstype !== "overlay")
    return { ok: false, detail: `/ is ${fstype || "unknown"}, not overlay` };
  if (targets.length === 0)
    return { ok: false, detail: "/ is an overlay but no squashfs is mounted" };
  const lower = /(?:^|,)lowerdir=([^,]*)/.exec(options)?.[1]?.split(":") ?? [];
  const onSquash = lower.filter((l) =>
    targets.some((t) => l === t || l.startsWith(t.endsWith("/") ? t : t + "/")),
  );
  if (lower.length > 0 && onSquash.length === 0) {
    return {
      ok: false,
      detail: `/ is an overlay over ${lower.join(":")}, which is not a squashfs (squashfs at ${targets.join(", ")})`,
    };
  }
  return {
    ok: true,
    detail: `overlay over ${onSquash.join(":") || targets.join(", ")} (squashfs)`,
  };
}

/** Parses os-release text into its variables. */
export function parseOsRelease(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] === undefined) continue;
    let v = m[2] ?? "";
    if (/^".*"$/.test(v) || /^'.*'$/.test(v)) v = v.slice(1, -1);
    vars[m[1]] = v.replace(/\\(["\\$`])/g, "$1");
  }
  return vars;
}

/** Judges os-release against the expected name. */
export function judgeOsRelease(text: string, expected: string | undefined): Verdict {
  const vars = parseOsRelease(text);
  const name = vars["NAME"];
  const pretty = vars["PRETTY_NAME"];
  if (name === undefined && pretty === undefined)
    return { ok: false, detail: "/etc/os-release has no NAME or PRETTY_NAME" };
  const shown = `NAME="${name ?? ""}" PRETTY_NAME="${pretty ?? ""}"`;
  if (expected === undefined) return { ok: true, detail: shown };
  const want = expected.toLowerCase();
  const found = [name, pretty].some((v) => v?.toLowerCase().includes(want) === true);
  return found
    ? { ok: true, detail: shown }
    : { ok: false, detail: `${shown} does not name ${expected}` };
}

/**
 * Judges the secure-boot check's output ({@link CHECK_COMMANDS}.secureBoot): the `SecureBoot`
 * variable's last byte must be 1 and the kernel must say Secure Boot is enabled.
 */
export function judgeSecureBoot(output: string): Verdict {
  const efivar = /^efivar:(.*)$/m.exec(output)?.[1]?.trim() ?? "";
  const bytes = efivar.split(/\s+/).filter((b) => /^\d+$/.test(b));
  const kernel = output
    .split("\n")
    .filter((l) => l.startsWith("kernel: "))
    .map((l) =>
      l
        .slice(8)
        .replace(/^\[\s*[\d.]+\]\s*/, "")
        .trim(),
    );
  const value = bytes.length >= 5 ? bytes[bytes.length - 1] : undefined;
  const enabled = kernel.find((l) => /secure ?boot enabled/i.test(l));
  const disabled = kernel.find((l) => /secure ?boot (disabled|could not be determined)/i.test(l));
  if (value === undefined)
    return {
      ok: false,
      detail: `cannot read the SecureBoot EFI variable (${efivar || "no output"})`,
    };
  if (value !== "1")
    return {
      ok: false,
      detail: `the SecureBoot EFI variable is ${value}, not 1: Secure Boot is off${disabled === undefined ? "" : ` (kernel: ${disabled})`}`,
    };
  if (enabled === undefined)
    return {
      ok: false,
      detail: `the SecureBoot EFI variable is 1 but the kernel does not report Secure Boot enabled${disabled === undefined ? "" : ` (kernel: ${disabled})`}`,
    };
  return { ok: true, detail: `SecureBoot EFI variable 1; kernel: ${enabled}` };
}

/** The standard checks, in order. */
export function standardChecks(x: CheckExpectations): BootCheck[] {
  const t = x.commandTimeoutMs;
  const module = x.module ?? "dummy";
  const checks: BootCheck[] = [
    {
      name: "system-running",
      async run(shell) {
        const state = await sh(shell, "systemctl is-system-running --wait", Math.max(t, 300_000));
        if (isVerdict(state)) return state;
        const verdict = judgeSystemState(state.output);
        if (verdict.ok) return verdict;
        const failed = await sh(shell, "systemctl --failed --no-legend --plain --no-pager", t);
        return judgeSystemState(state.output, isVerdict(failed) ? "" : failed.output);
      },
    },
    {
      name: "kernel-version",
      async run(shell) {
        const r = await sh(shell, CHECK_COMMANDS.kernelRelease, t);
        return isVerdict(r) ? r : judgeKernel(r.output, x.kernelRelease);
      },
    },
    ...(x.machine === undefined
      ? []
      : [
          {
            name: "architecture",
            async run(shell: GuestShell): Promise<Verdict> {
              const r = await sh(shell, CHECK_COMMANDS.machine, t);
              return isVerdict(r) ? r : judgeMachine(r.output, x.machine ?? []);
            },
          },
        ]),
    {
      name: "overlay-root",
      async run(shell) {
        const root = await sh(shell, CHECK_COMMANDS.rootMount, t);
        if (isVerdict(root)) return root;
        const sq = await sh(shell, CHECK_COMMANDS.squashfsMounts, t);
        if (isVerdict(sq)) return sq;
        return judgeOverlayRoot(root.output, sq.output);
      },
    },
    {
      name: "os-release",
      async run(shell) {
        const r = await sh(shell, CHECK_COMMANDS.osRelease, t);
        if (isVerdict(r)) return r;
        if (r.status !== 0)
          return { ok: false, detail: `cannot read /etc/os-release: ${r.output}` };
        return judgeOsRelease(r.output, x.osName);
      },
    },
    {
      name: "module-load",
      async run(shell) {
        const r = await sh(shell, CHECK_COMMANDS.moduleLoad(module), t);
        if (isVerdict(r)) return r;
        if (/file=\(builtin\)/.test(r.output))
          return { ok: false, detail: `${module} is built into the kernel, not a module` };
        if (r.status === 0 && /^loaded$/m.test(r.output))
          return { ok: true, detail: `modprobe ${module} loaded it` };
        return {
          ok: false,
          detail: `modprobe ${module} failed (status ${r.status}): ${r.output.split("\n").slice(-3).join(" | ")}`,
        };
      },
    },
  ];
  if (x.secureBoot === true) {
    checks.push({
      name: "secure-boot",
      async run(shell) {
        const r = await sh(shell, CHECK_COMMANDS.secureBoot, t);
        return isVerdict(r) ? r : judgeSecureBoot(r.output);
      },
    });
  }
  const sums = x.checksums;
  if (sums !== undefined) {
    checks.push({
      name: "medium-checksums",
      async run(shell) {
        const r = await sh(
          shell,
          CHECK_COMMANDS.mediumChecksums(sums.tool, sums.path),
          Math.max(t, 600_000),
        );
        if (isVerdict(r)) return r;
        if (r.status === 0)
          return { ok: true, detail: `${sums.path} matches the medium (${sums.tool} -c)` };
        const bad = r.output.split("\n").filter((l) => /FAILED|No such file/.test(l));
        return {
          ok: false,
          detail: `${sums.tool} -c ${sums.path} failed: ${bad.slice(0, 5).join(" | ") || r.output.slice(0, 300)}`,
        };
      },
    });
  }
  return checks;
}

/** Runs checks in order; stops after a fatal console failure. */
export async function runChecks(
  checks: readonly BootCheck[],
  shell: GuestShell,
  onResult: (r: CheckResult) => void,
): Promise<{ results: CheckResult[]; fatal?: ConsoleFailure }> {
  const results: CheckResult[] = [];
  for (const c of checks) {
    const started = Date.now();
    const v = await c.run(shell);
    const r = { name: c.name, ok: v.ok, detail: v.detail, durationMs: Date.now() - started };
    results.push(r);
    onResult(r);
    if (v.fatal !== undefined) return { results, fatal: v.fatal };
  }
  return { results };
}
