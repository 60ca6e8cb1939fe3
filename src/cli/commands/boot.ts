/**
 * `substrate boot ISO`, `substrate test ISO` and `substrate virt-install ISO`: boot a live ISO
 * under QEMU + OVMF on the terminal, boot it headless and check the running system, or print
 * the equivalent virt-install command. Exit codes: 0 success, 1 a failed boot or test, 2 bad
 * usage or input.
 */
import { writeFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import type { Command } from "commander";
import { createReporter } from "../../report/reporter.js";
import type { Reporter } from "../../report/events.js";
import type { AccelRequest } from "../../boot/accel.js";
import { bootInteractive } from "../../boot/interactive-boot.js";
import { type BootFailure, type BootReport, testIso } from "../../boot/verify-iso.js";
import { type JunitCase, junitXml } from "../../boot/junit.js";
import { describeVirtInstall } from "../../boot/virt-install.js";
import type { VmOptions } from "../../boot/vm.js";
import { BOOT_MEDIA, type BootMedium } from "../../boot/qemu-args.js";
import type { Result } from "../../util/result.js";
import { checkIsoMedium } from "../../boot/medium.js";
import { BOOT_ARCHES, parseBootArch } from "../../boot/arch.js";
import { writeOutput } from "../../report/output.js";
import { EXIT_USAGE } from "../exit-codes.js";
import { usageError } from "../usage.js";

interface VmFlags {
  directKernel?: boolean;
  medium: string;
  network?: boolean;
  memory: string;
  cpus: string;
  secureBoot?: boolean;
  accel: string;
  kernel?: string;
  append?: string;
  arch?: string;
}

interface TestFlags extends VmFlags {
  timeout?: string;
  checks?: string;
  junit?: string;
  json?: boolean;
  log?: string;
  osName?: string;
  module?: string;
  waitForMenu?: boolean;
}

/** Errors of `boot` and `virt-install` on stderr, their hint on a line of its own. */
function textReporter(): Reporter {
  return createReporter({ text: { flushHints: true } });
}

function positiveInt(text: string): number | undefined {
  return /^\d+$/.test(text) && Number(text) > 0 ? Number(text) : undefined;
}

function vmOptions(command: string, iso: string, f: VmFlags): VmOptions | undefined {
  const memoryMiB = positiveInt(f.memory);
  const cpus = positiveInt(f.cpus);
  if (memoryMiB === undefined) {
    usageError(command, `--memory takes MiB as a whole number, got "${f.memory}"`);
    return undefined;
  }
  if (cpus === undefined) {
    usageError(command, `--cpus takes a whole number, got "${f.cpus}"`);
    return undefined;
  }
  if (!(ACCELERATORS as readonly string[]).includes(f.accel)) {
    usageError(command, `--accel is kvm, tcg or auto, got "${f.accel}"`);
    return undefined;
  }
  if (!(BOOT_MEDIA as readonly string[]).includes(f.medium)) {
    usageError(command, `--medium is ${BOOT_MEDIA.join(", ")}, got "${f.medium}"`);
    return undefined;
  }
  const arch = f.arch === undefined ? undefined : parseBootArch(f.arch);
  if (f.arch !== undefined && arch === undefined) {
    usageError(command, `--arch is ${BOOT_ARCHES.join(", ")}, got "${f.arch}"`);
    return undefined;
  }
  return {
    iso,
    ...(arch === undefined ? {} : { arch }),
    directKernel: f.directKernel === true,
    medium: f.medium as BootMedium,
    network: f.network === true,
    memoryMiB,
    cpus,
    secureBoot: f.secureBoot === true,
    accel: f.accel as AccelRequest,
    ...(f.kernel === undefined ? {} : { kernelLabel: f.kernel }),
    ...(f.append === undefined ? {} : { extraCmdline: f.append }),
  };
}

function vmFlags(cmd: Command): Command {
  return cmd
    .option(
      "--direct-kernel",
      "boot boot/<label> + boot/<label>.igz with QEMU's -kernel instead of the ISO's EFI loader",
    )
    .option(
      "--medium <cd|usb|disk>",
      "attach the ISO as a CD (El Torito), a USB stick or a virtio disk (both: the GPT's ESP)",
      "cd",
    )
    .option("--kernel <label>", "which payload kernel to boot directly (default: the first)")
    .option("--append <args>", "extra kernel arguments (direct kernel boot)")
    .option("--network", "give the VM user-mode networking (default: none)")
    .option("--memory <MiB>", "guest memory", "2048")
    .option("--cpus <n>", "guest CPUs", "2")
    .option(
      "--secure-boot",
      "Secure Boot firmware (SMM on): a medium with its own keys (loader/keys/auto) enrols them first and must boot enforcing; others get firmware with enrolled keys",
    )
    .option("--accel <kvm|tcg|auto>", "accelerator; auto probes KVM and falls back to TCG", "auto")
    .option(
      "--arch <x86_64|arm|aarch64>",
      "guest architecture (default: the ISO's, from its payload manifest or EFI/BOOT/BOOT*.EFI)",
    );
}

/** Turns a report into JUnit cases: each phase, then each check, then the overall outcome. */
export function junitCases(report: BootReport, failure?: BootFailure): JunitCase[] {
  const cls = `boot.${basename(report.iso)}`;
  const cases: JunitCase[] = report.phases.map((p) => ({
    name: `phase: ${p.phase}`,
    className: cls,
    durationMs: p.durationMs,
  }));
  for (const c of report.checks) {
    cases.push({
      name: `check: ${c.name}`,
      className: cls,
      durationMs: c.durationMs,
      ...(c.ok ? { output: c.detail } : { failure: c.detail }),
    });
  }
  cases.push({
    name: "boot test",
    className: cls,
    durationMs: report.durationMs,
    ...(failure === undefined ? {} : { failure: `${failure.reason}: ${failure.message}` }),
  });
  return cases;
}

function reportFailure(reporter: Reporter, f: BootFailure): void {
  for (const d of f.diagnostics ?? []) reporter.emit({ type: "diagnostic", diagnostic: d });
  if (f.hint !== undefined) reporter.emit({ type: "error", message: f.message, hint: f.hint });
}

/** The accelerators `--accel` takes. */
export const ACCELERATORS = ["kvm", "tcg", "auto"] as const;

/** Registers `boot`, `test` and `virt-install`. */
export function registerBootCommands(program: Command): void {
  vmFlags(
    program
      .command("boot")
      .description(
        "Boot a live ISO under QEMU + UEFI firmware with its serial console on this terminal (Ctrl-A X quits)",
      )
      .argument("<iso>", "the ISO to boot"),
  ).action(async (iso: string, flags: VmFlags) => {
    const options = vmOptions("boot", iso, flags);
    if (options === undefined) return;
    const reporter = textReporter();
    const r = await bootInteractive(options, (vm) => {
      for (const n of vm.notes) reporter.emit({ type: "note", message: n });
      reporter.emit({
        type: "boot-interactive",
        iso,
        loader: options.directKernel ? "direct kernel" : "EFI boot loader",
        accel: vm.accel.accel,
      });
    });
    if (!r.ok) {
      const { message, hint } = r.error;
      reporter.emit({ type: "error", message, ...(hint === undefined ? {} : { hint }) });
      reporter.close();
      process.exitCode = r.error.reason === "qemu-failed" ? 1 : 2;
      return;
    }
    reporter.close();
    process.exitCode = r.value.status === 0 ? 0 : 1;
  });

  vmFlags(
    program
      .command("test")
      .description(
        "Boot a live ISO headless, log in on the serial console, check the running system, power off",
      )
      .argument("<iso>", "the ISO to test")
      .option(
        "--timeout <seconds>",
        "limit for the whole test (default 900; 1800 for an emulated ARM guest)",
      )
      .option("--checks <file>", "extra checks (run/send/expect steps, see docs/boot-testing.md)")
      .option("--junit <file>", "write a JUnit XML report")
      .option("--json", "print NDJSON events instead of text")
      .option("--log <file>", "console log (default: logs/boot-<iso>.log)")
      .option("--os-name <text>", "text /etc/os-release NAME or PRETTY_NAME must contain")
      .option("--module <name>", "kernel module the module check loads", "dummy")
      .option(
        "--wait-for-menu",
        "let the boot menu time out as at an untouched machine (default: press Enter at its countdown)",
      ),
  ).action(async (iso: string, flags: TestFlags) => {
    const options = vmOptions("test", iso, flags);
    if (options === undefined) return;
    const timeout = flags.timeout === undefined ? undefined : positiveInt(flags.timeout);
    if (flags.timeout !== undefined && timeout === undefined) {
      usageError("test", `--timeout takes seconds as a whole number, got "${flags.timeout}"`);
      return;
    }
    const reporter = createReporter({ json: flags.json === true });
    // Junk or a missing file fails here, before any console log is named or QEMU starts.
    const medium = checkIsoMedium(iso);
    if (!medium.ok) {
      const { message, hint } = medium.error;
      reporter.emit({ type: "error", message, ...(hint === undefined ? {} : { hint }) });
      reporter.close();
      process.exitCode = EXIT_USAGE;
      return;
    }
    const consoleLog =
      flags.log ?? resolve("logs", `boot-${basename(iso).replace(/\.iso$/i, "")}.log`);
    const abort = new AbortController();
    const onSignal = (): void => {
      abort.abort();
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    let r: Result<BootReport, BootFailure>;
    try {
      r = await testIso({
        ...options,
        ...(timeout === undefined ? {} : { timeoutMs: timeout * 1000 }),
        consoleLog,
        ...(flags.checks === undefined ? {} : { checksFile: flags.checks }),
        ...(flags.osName === undefined ? {} : { osName: flags.osName }),
        ...(flags.module === undefined ? {} : { module: flags.module }),
        ...(flags.waitForMenu === true ? { waitForMenu: true } : {}),
        emit: (e) => {
          reporter.emit(e);
        },
        signal: abort.signal,
      });
    } finally {
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
    }
    if (!r.ok) reportFailure(reporter, r.error);
    if (flags.junit !== undefined) {
      const report = r.ok ? r.value : r.error.report;
      writeFileSync(
        flags.junit,
        junitXml(
          basename(iso),
          junitCases(report, r.ok ? undefined : r.error),
          report.durationMs,
          `console log: ${report.consoleLog}`,
        ),
      );
    }
    reporter.close();
    process.exitCode = r.ok ? 0 : r.error.reason === "bad-input" ? 2 : 1;
  });

  program
    .command("virt-install")
    .description("Print the virt-install command that boots the ISO the way `substrate boot` does")
    .argument("<iso>", "the ISO")
    .option("--direct-kernel", "boot boot/<label> + .igz via --location ... --extra-args")
    .option("--kernel <label>", "which payload kernel (default: the first)")
    .option("--medium <cd|usb|disk>", "attach the ISO as a CD, a USB stick or a virtio disk", "cd")
    .option("--network", "attach user-mode networking")
    .option("--memory <MiB>", "guest memory", "2048")
    .option("--cpus <n>", "guest CPUs", "2")
    .option("--secure-boot", "request Secure Boot firmware with enrolled keys")
    .action(async (iso: string, flags: Omit<VmFlags, "accel" | "append">) => {
      if (!(BOOT_MEDIA as readonly string[]).includes(flags.medium)) {
        usageError("virt-install", `--medium is ${BOOT_MEDIA.join(", ")}, got "${flags.medium}"`);
        return;
      }
      const memoryMiB = positiveInt(flags.memory);
      const cpus = positiveInt(flags.cpus);
      if (memoryMiB === undefined || cpus === undefined) {
        usageError("virt-install", "--memory and --cpus take whole numbers");
        return;
      }
      const r = await describeVirtInstall({
        iso,
        memoryMiB,
        cpus,
        secureBoot: flags.secureBoot === true,
        network: flags.network === true,
        medium: flags.medium as BootMedium,
        directKernel: flags.directKernel === true,
        ...(flags.kernel === undefined ? {} : { kernelLabel: flags.kernel }),
      });
      if (!r.ok) {
        const hint =
          "hint" in r.error && typeof r.error.hint === "string" ? r.error.hint : undefined;
        const reporter = textReporter();
        reporter.emit({
          type: "error",
          message: r.error.message,
          ...(hint === undefined ? {} : { hint }),
        });
        reporter.close();
        process.exitCode = EXIT_USAGE;
        return;
      }
      writeOutput(r.value + "\n");
    });
}
