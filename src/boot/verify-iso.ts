/**
 * `testIso()`: boots a live ISO headless under QEMU + OVMF, drives its serial console (log in
 * as root, run the checks, power off) and reports phase timings and check results. Known
 * failure lines end the test at once with their reason; an overall timeout bounds the rest.
 * The CLI's `substrate test` and the build engine's `build --test` both call this.
 */
import { createWriteStream, mkdirSync, readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { Event } from "../report/events.js";
import type { Diagnostic } from "../report/diagnostic.js";
import { spawnInteractive } from "../sandbox/interactive.js";
import { type Result, ok, err } from "../util/result.js";
import { parseCheckScript, scriptChecks, type ScriptStep } from "./check-script.js";
import { type CheckResult, runChecks, standardChecks } from "./checks.js";
import { type Unreported, bootFailureFromConsole } from "./console-failure.js";
import { type ConsoleFailure, ConsoleEngine, type ConsoleTransport } from "./console.js";
import { watchLiveConsole } from "./live-console.js";
import { type VmOptions, prepareVm } from "./vm.js";
import { bootArchProfile } from "./arch.js";
import { type BootMedium, mediumWords } from "./qemu-args.js";
import { runEnrolmentBoot } from "./enrol-boot.js";
import type { FailureOf } from "../report/failure.js";
import { type BootPhase, BootPhaseClock, type EndedPhase } from "./boot-phases.js";
import {
  type GuestBootAnalysis,
  GUEST_ANALYSIS_COMMAND,
  parseGuestAnalysis,
} from "./guest-analysis.js";

/** Default overall limit of a boot test (TCG on a small machine needs minutes). */
export const DEFAULT_TEST_TIMEOUT_MS = 900_000;

/** Default guest memory. */
export const DEFAULT_MEMORY_MIB = 2048;

/**
 * Everything `testIso` needs. VM settings default to: EFI boot loader, no network, 2048 MiB,
 * no Secure Boot, `--accel auto`.
 */
export interface TestIsoOptions extends Partial<Omit<VmOptions, "iso">> {
  readonly iso: string;
  /** Overall limit for the whole test, boot to power-off (default 900 s). */
  readonly timeoutMs?: number;
  /** Where the full console output is written. */
  readonly consoleLog: string;
  /** Extra checks: a checks file to parse, or steps already parsed. */
  readonly checksFile?: string;
  readonly extraSteps?: readonly ScriptStep[];
  /** Text os-release NAME/PRETTY_NAME must contain. */
  readonly osName?: string;
  /** The module the module-load check loads (default `dummy`). */
  readonly module?: string;
  /** Per-command limit in the guest (default 120 s). */
  readonly commandTimeoutMs?: number;
  /**
   * Let the boot menu wait out its timeout (default: press Enter at its countdown, which boots
   * the default entry at once; boot-menu.ts knows systemd-boot's and GRUB's).
   */
  readonly waitForMenu?: boolean;
  /** Receives boot-phase, boot-check, boot-finished and info/warning events. */
  readonly emit?: (event: Event) => void;
  readonly signal?: AbortSignal;
}

/** A measured phase (boot-phases.ts says where each one ends). */
export interface PhaseTiming {
  readonly phase: BootPhase;
  readonly durationMs: number;
  /** Later phases this one also covers, because the console never showed their marks. */
  readonly merged?: readonly BootPhase[];
}

/** What a boot test found (complete on success, partial inside a failure). */
export interface BootReport {
  readonly iso: string;
  readonly mode: "efi-loader" | "direct-kernel";
  /** How the ISO was attached. */
  readonly medium: BootMedium;
  readonly accel: "kvm" | "tcg" | "none";
  readonly firmware: string;
  /** Secure Boot: off, firmware with enrolled keys, or the medium's own keys enrolled first. */
  readonly secureBoot: "off" | "enrolled-keys" | "own-keys";
  readonly kernelRelease?: string;
  readonly phases: readonly PhaseTiming[];
  readonly checks: readonly CheckResult[];
  readonly consoleLog: string;
  readonly durationMs: number;
  readonly notes: readonly string[];
  /** What the guest's systemd says about its boot (`systemd-analyze`), when it could tell. */
  readonly guest?: GuestBootAnalysis;
}

/** Why a boot test failed. */
export type BootFailure = FailureOf<
  | "bad-input"
  | "no-firmware"
  | "qemu-failed"
  | "known-failure"
  | "timeout"
  | "login-failed"
  | "checks-failed"
  | "shutdown-failed"
  | "cancelled"
  | "enrolment-failed"
> & {
  /** Every boot failure says what went wrong in words. */
  readonly message: string;
  readonly diagnostics?: readonly Diagnostic[];
  readonly report: BootReport;
};

const SHUTDOWN_TIMEOUT_MS = 120_000;

/** What is typed to power the guest off. */
export const POWEROFF_COMMAND =
  "systemctl --no-block start poweroff.target --job-mode=replace-irreversibly || poweroff -ff";

/** Boots and checks an ISO. Never throws for the guest's or the host tools' failures. */
export async function testIso(options: TestIsoOptions): Promise<Result<BootReport, BootFailure>> {
  const started = Date.now();
  // The default limit depends on the guest's architecture, known once the ISO is read.
  let timeoutMs = options.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS;
  const vmOptions: VmOptions = {
    ...options,
    directKernel: options.directKernel ?? false,
    network: options.network ?? false,
    memoryMiB: options.memoryMiB ?? DEFAULT_MEMORY_MIB,
    secureBoot: options.secureBoot ?? false,
    accel: options.accel ?? "auto",
  };
  const emit = options.emit ?? ((): void => undefined);
  const iso = resolve(options.iso);
  const consoleLog = resolve(options.consoleLog);
  const phases: PhaseTiming[] = [];
  const checks: CheckResult[] = [];
  const notes: string[] = [];
  // Filled in as the test goes; `report()` snapshots it at any point.
  const state: {
    accel: BootReport["accel"];
    firmware: string;
    secureBoot: BootReport["secureBoot"];
    kernelRelease?: string;
    guest?: GuestBootAnalysis;
    timedOut: boolean;
    exited: boolean;
  } = { accel: "none", firmware: "", secureBoot: "off", timedOut: false, exited: false };
  const report = (): BootReport => ({
    iso,
    mode: vmOptions.directKernel ? "direct-kernel" : "efi-loader",
    medium: vmOptions.medium ?? "cd",
    accel: state.accel,
    firmware: state.firmware,
    secureBoot: state.secureBoot,
    ...(state.kernelRelease === undefined ? {} : { kernelRelease: state.kernelRelease }),
    phases: [...phases],
    checks: [...checks],
    consoleLog,
    durationMs: Date.now() - started,
    notes: [...notes],
    ...(state.guest === undefined ? {} : { guest: state.guest }),
  });
  const finish = (
    failure: Unreported<BootFailure> | undefined,
  ): Result<BootReport, BootFailure> => {
    const r = report();
    emit({
      type: "boot-finished",
      ok: failure === undefined,
      reason: failure === undefined ? "all checks passed" : failure.message,
      consoleLog,
      durationMs: r.durationMs,
    });
    return failure === undefined ? ok(r) : err({ ...failure, report: r });
  };

  // Extra checks are parsed before anything boots: a typo should not cost a boot.
  let steps: readonly ScriptStep[] = options.extraSteps ?? [];
  if (options.checksFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.checksFile, "utf8");
    } catch (e) {
      return finish({
        reason: "bad-input",
        message: `cannot read checks file ${options.checksFile}: ${(e as Error).message}`,
      });
    }
    const parsed = parseCheckScript(options.checksFile, text);
    if (!parsed.ok) {
      return finish({
        reason: "bad-input",
        message: `${options.checksFile} has ${parsed.error.length} error(s)`,
        diagnostics: parsed.error,
      });
    }
    steps = [...steps, ...parsed.value];
  }

  const vm = await prepareVm(vmOptions, "headless", true);
  if (!vm.ok) {
    return finish(vm.error);
  }
  const prepared = vm.value;
  const profile = bootArchProfile(prepared.arch);
  if (options.timeoutMs === undefined) timeoutMs = profile.defaultTimeoutMs;
  state.accel = prepared.accel.accel;
  state.firmware = prepared.firmware.code;
  state.secureBoot = prepared.secureBoot;
  if (prepared.kernelRelease !== undefined) state.kernelRelease = prepared.kernelRelease;
  const kernelRelease = prepared.kernelRelease;
  for (const n of prepared.notes) {
    notes.push(n);
    emit({ type: "warning", message: n });
  }
  emit({
    type: "info",
    message:
      `booting ${basename(iso)} ${mediumWords(vmOptions.medium ?? "cd")} (${vmOptions.directKernel ? `direct kernel ${prepared.kernel?.label ?? ""}` : "EFI boot loader"}, ` +
      `${state.accel}, ${prepared.firmware.code}${prepared.arch === "x86_64" ? "" : `, ${prepared.arch} on ${profile.qemu} -machine ${profile.machine}`})`,
  });

  if (prepared.secureBoot === "own-keys" && vmOptions.directKernel) {
    prepared.cleanup();
    return finish({
      reason: "bad-input",
      message:
        "--secure-boot with a medium's own keys needs its boot loader: systemd-boot enrols the keys, which a direct kernel boot skips",
      hint: "drop --direct-kernel",
    });
  }
  mkdirSync(dirname(consoleLog), { recursive: true });
  const log = createWriteStream(consoleLog, { flags: "w" });
  log.write(`# substrate test ${iso}\n# ${prepared.argv.join(" ")}\n`);
  const ownKeys = prepared.secureBoot === "own-keys";
  if (ownKeys || (prepared.info.enrolKeys && !vmOptions.directKernel)) {
    // The first boot enrols the medium's keys into the fresh variable store and resets; the
    // test boot below runs on the same store, with Secure Boot enforcing. Without
    // --secure-boot, firmware that supports Secure Boot in setup mode enrols them too.
    emit({ type: "info", message: "enrolling the medium's Secure Boot keys (setup mode)" });
    const e = await runEnrolmentBoot({
      argv: prepared.argv,
      log,
      timeoutMs,
      signal: options.signal,
      optional: !ownKeys,
    });
    if (!e.ok) {
      await new Promise<void>((r) => log.end(r));
      prepared.cleanup();
      return finish(
        e.error.reason === "enrolment-failed"
          ? {
              ...e.error,
              hint: "see the console log; the ISO must carry loader/keys/auto/{PK,KEK,db}.auth and `secure-boot-enroll force` in loader.conf (a tree with [secureboot] keys builds it so)",
            }
          : e.error,
      );
    }
    phases.push({ phase: "enrol", durationMs: e.value.durationMs });
    emit({ type: "boot-phase", phase: "enrol", durationMs: e.value.durationMs });
    if (!ownKeys) {
      const n =
        e.value.directory === undefined
          ? "the firmware has no Secure Boot setup mode: the medium's keys were not enrolled"
          : "the firmware supports Secure Boot in setup mode: the boot loader enrolled the medium's keys (use --secure-boot to check Secure Boot in the guest)";
      notes.push(n);
      emit({ type: "warning", message: n });
    }
    log.write(`# test boot${ownKeys ? " (Secure Boot enforcing)" : ""}\n`);
  }
  const abort = new AbortController();
  const onUserAbort = (): void => {
    abort.abort();
  };
  options.signal?.addEventListener("abort", onUserAbort, { once: true });
  const deadline = setTimeout(() => {
    state.timedOut = true;
    abort.abort();
  }, timeoutMs);

  const spawned = await spawnInteractive({ argv: prepared.argv, signal: abort.signal });
  if (!spawned.ok) {
    clearTimeout(deadline);
    log.end();
    prepared.cleanup();
    return finish({
      reason: "qemu-failed",
      message: `could not start QEMU: ${spawned.error.message}`,
      hint: `install ${profile.qemuPackage} (Debian: apt-get install ${profile.qemuPackage}; scripts/install-deps.sh)`,
    });
  }
  const child = spawned.value;
  const closeListeners: (() => void)[] = [];
  const transport: ConsoleTransport = {
    write: (text) => {
      child.write(text);
    },
    onData: (listener) => {
      child.onOutput((chunk) => {
        log.write(chunk);
        listener(chunk.toString("utf8"));
      });
    },
    onClose: (listener) => {
      closeListeners.push(listener);
    },
  };
  void child.exited.then(() => {
    state.exited = true;
    for (const l of closeListeners) l();
  });

  // Phases end on console marks (boot-phases.ts), then on the test's own steps.
  const clock = new BootPhaseClock();
  const record = (p: EndedPhase | undefined): void => {
    if (p === undefined) return;
    phases.push(p);
    emit({
      type: "boot-phase",
      phase: p.phase,
      durationMs: p.durationMs,
      ...(p.merged === undefined ? {} : { merged: p.merged }),
    });
  };
  const phase = (name: BootPhase): void => {
    record(clock.end(name));
  };

  // The console's latest line on a terminal, and Enter at the boot menu, until the login prompt.
  const live = watchLiveConsole(child, clock, log, emit, options.waitForMenu !== true);

  const engine = new ConsoleEngine(transport, {
    signal: abort.signal,
    onLine: (line) => {
      record(clock.line(line));
    },
  });

  const stop = async (): Promise<void> => {
    clearTimeout(deadline);
    options.signal?.removeEventListener("abort", onUserAbort);
    child.kill();
    await child.exited;
    await new Promise<void>((r) => log.end(r));
    prepared.cleanup();
  };
  const consoleFailure = async (
    f: ConsoleFailure,
    during: string,
  ): Promise<Result<BootReport, BootFailure>> => {
    await stop();
    return finish(
      bootFailureFromConsole(f, {
        during,
        timedOut: state.timedOut,
        timeoutMs,
        secureBoot: prepared.secureBoot,
      }),
    );
  };

  const login = await engine.login("root", "", timeoutMs, () => {
    record(clock.loginPrompt());
  });
  live.stop();
  if (!login.ok) return consoleFailure(login.error, `the ${clock.current} phase`);
  phase("login");
  engine.setStage("userspace");
  const commandTimeoutMs = options.commandTimeoutMs ?? 120_000;
  // A quiet, plain shell: no echo, no colours or pagers, no kernel or systemd status chatter.
  await engine.run(
    "stty -echo 2>/dev/null; export TERM=dumb SYSTEMD_COLORS=0 SYSTEMD_PAGER=cat PAGER=cat LC_ALL=C.UTF-8; dmesg -n 1 2>/dev/null; kill -s RTMIN+21 1 2>/dev/null; true",
    commandTimeoutMs,
  );
  // What the guest's own systemd measured (a diagnosis, never a failure; timed as `login`).
  const analysed = await engine.run(GUEST_ANALYSIS_COMMAND, Math.min(commandTimeoutMs, 60_000));
  if (analysed.ok) {
    const guest = parseGuestAnalysis(analysed.value.output);
    if (guest !== undefined) {
      state.guest = guest;
      emit({ type: "boot-guest-analysis", ...guest });
    }
  }
  const all = [
    ...standardChecks({
      ...(kernelRelease === undefined ? {} : { kernelRelease }),
      ...(options.osName === undefined ? {} : { osName: options.osName }),
      ...(options.module === undefined ? {} : { module: options.module }),
      ...(prepared.info.checksums === undefined ? {} : { checksums: prepared.info.checksums }),
      machine: profile.uname,
      ...(prepared.secureBoot === "off" ? {} : { secureBoot: true }),
      commandTimeoutMs,
    }),
    ...scriptChecks(steps, engine, commandTimeoutMs),
  ];
  const ran = await runChecks(all, engine, (r) => {
    checks.push(r);
    emit({ type: "boot-check", check: r.name, ok: r.ok, detail: r.detail });
  });
  if (ran.fatal !== undefined) return consoleFailure(ran.fatal, "the checks");
  phase("checks");

  // Without D-Bus in the image `systemctl poweroff` cannot ask logind; starting the target talks to
  // systemd directly. `poweroff -ff` is the last resort (no clean unmount, fine for a live system).
  engine.sendLine(POWEROFF_COMMAND);
  const down = await Promise.race([
    child.exited.then(() => true),
    new Promise<boolean>((r) => {
      setTimeout(() => {
        r(false);
      }, SHUTDOWN_TIMEOUT_MS).unref();
    }),
  ]);
  const wasTimeout = state.timedOut;
  await stop();
  if (!down) {
    return finish({
      reason: wasTimeout ? "timeout" : "shutdown-failed",
      message: `the VM did not power off within ${SHUTDOWN_TIMEOUT_MS / 1000} s`,
    });
  }
  phase("shutdown");
  const failed = checks.filter((c) => !c.ok);
  if (failed.length > 0) {
    return finish({
      reason: "checks-failed",
      message: `${failed.length} of ${checks.length} checks failed: ${failed.map((c) => c.name).join(", ")}`,
    });
  }
  return finish(undefined);
}
