/**
 * Console lines that mean a boot has failed for good, so a test can stop at once with a reason
 * instead of waiting for its timeout (the role of substrate's `failures.tcl`). Each pattern is
 * active only in the boot phases where it cannot be a false alarm.
 */
import type { DetectedFailure, KnownFailureKind } from "../report/failure.js";

/** The phases of a boot as the console shows them. */
export type BootStage = "firmware" | "kernel" | "userspace";

/** What went wrong, as a stable identifier. */
export type { KnownFailureKind };

/** One failure pattern. */
export interface FailurePattern {
  readonly kind: KnownFailureKind;
  readonly pattern: RegExp;
  /** Phases in which the pattern counts. */
  readonly stages: readonly BootStage[];
  /** What it means, for messages. */
  readonly meaning: string;
}

const ALL: readonly BootStage[] = ["firmware", "kernel", "userspace"];

/** The built-in patterns, checked against each cleaned console line. */
export const FAILURE_PATTERNS: readonly FailurePattern[] = [
  {
    kind: "secure-boot-rejected",
    pattern: /failed to load Boot\d+ .*: (Access Denied|Security Violation)/,
    stages: ["firmware"],
    meaning: "Secure Boot rejected the boot loader (not signed by an enrolled key)",
  },
  {
    // systemd-boot's words when the firmware's LoadImage refuses the kernel it was asked to start.
    kind: "secure-boot-rejected",
    pattern: /(Error loading|Failed to execute) .*: (Access Denied|Security Violation)/,
    stages: ["firmware"],
    meaning:
      "the firmware refused the kernel under Secure Boot (not signed by a key in db, or forbidden by dbx)",
  },
  {
    kind: "uefi-shell",
    pattern: /\bShell> ?$|starting Boot\d+ "EFI Internal Shell"|UEFI Interactive Shell v/,
    stages: ["firmware"],
    meaning: "the firmware found nothing to boot and started the UEFI shell",
  },
  {
    kind: "no-bootable-device",
    pattern: /No bootable device|No boot(able)? (option|media)|Boot failed: not a bootable disk/i,
    stages: ["firmware"],
    meaning: "the firmware found no bootable device",
  },
  {
    kind: "boot-loader-error",
    pattern:
      /Error loading \S|Error preparing initrd|Error registering initrd|Failed to execute \S|Failed to (load|start) image|No loader found\.|Error opening boot entry|error: (file|kernel|disk) .*not found/,
    stages: ["firmware"],
    meaning: "the boot loader could not load the kernel or initrd",
  },
  {
    kind: "kernel-panic",
    pattern: /Kernel panic - not syncing|\bKernel panic\b/,
    stages: ALL,
    meaning: "the kernel panicked",
  },
  {
    kind: "emergency-shell",
    pattern:
      /Entering emergency mode|You are in emergency mode|Give root password for maintenance|Cannot open access to console, the root account is locked|^:\/#\s*$|dracut:\/#|Dropping to debug shell|^\(initramfs\) ?$/,
    stages: ["kernel", "userspace"],
    meaning: "the initramfs or systemd dropped to an emergency shell",
  },
  {
    kind: "initrd-timeout",
    pattern:
      /dracut-initqueue(\[\d+\])?: Warning: dracut-initqueue: timeout|dracut-initqueue timeout|Could not boot\.$|Gave up waiting for root (file system )?device|ALERT! .* does not exist\. +Dropping to a shell/,
    stages: ["kernel", "userspace"],
    meaning: "the initramfs timed out waiting for the root device",
  },
  {
    kind: "kvm-error",
    pattern: /^KVM internal error\. Suberror/,
    stages: ALL,
    meaning: "KVM could not run the guest",
  },
];

/** A failure seen on the console. */
export type { DetectedFailure };

/** The first pattern that a line matches in the given stage, if any. */
export function detectFailure(
  line: string,
  stage: BootStage,
  patterns: readonly FailurePattern[] = FAILURE_PATTERNS,
): DetectedFailure | undefined {
  for (const p of patterns) {
    if (!p.stages.includes(stage)) continue;
    const m = p.pattern.exec(line);
    if (m !== null) {
      // A boot loader drawing its menu with cursor moves leaves the whole screen on one "line":
      // quote from the match on when it sits far into the line.
      const quoted = m.index > 80 ? line.slice(m.index) : line;
      return { kind: p.kind, line: quoted.trim(), meaning: p.meaning };
    }
  }
  return undefined;
}

/** Lines that mark the kernel taking over from the firmware/boot loader. */
const KERNEL_START =
  /Linux version \d|EFI stub: |^\[\s*\d+\.\d{3,}\] |Run \/init as init process|^Welcome to .*!$|systemd\[1\]: /;

/** True when a console line shows the kernel (or its early userspace) is running. */
export function isKernelStartLine(line: string): boolean {
  return KERNEL_START.test(line);
}
