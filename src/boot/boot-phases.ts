/**
 * The phases of a boot as the serial console shows them, and the console lines that end each one.
 * Pure: `BootPhaseClock` is fed console lines and a clock, and says when a phase ended.
 *
 *   firmware   QEMU start -> the firmware starts a boot option (`BdsDxe: starting Boot…`)
 *   loader     -> the kernel's first line (`EFI stub:`, `Linux version …`, a timestamped line)
 *   kernel     -> the kernel runs the initramfs's /init (`Run /init as init process`)
 *   initramfs  -> the initramfs switches to the live root (`Switching root`)
 *   userspace  -> the login prompt (`login:`)
 *   login      -> a root shell answers
 *   checks     -> every check has run
 *   shutdown   -> QEMU has exited after the power-off
 *
 * A mark that never shows (a `quiet` kernel hides `Run /init`; firmware without BdsDxe's
 * messages) merges its phase into the next one: the phase that was running when a later mark
 * arrives ends there, and `merged` names what it also covers. `enrol` is the separate
 * key-enrolment boot of a Secure Boot test.
 */

/** Every phase a boot report can hold, in order. */
export const BOOT_PHASES = [
  "enrol",
  "firmware",
  "loader",
  "kernel",
  "initramfs",
  "userspace",
  "login",
  "checks",
  "shutdown",
] as const;
export type BootPhase = (typeof BOOT_PHASES)[number];

/** Words for a phase in reports. */
export const BOOT_PHASE_WORDS: Record<BootPhase, string> = {
  enrol: "Secure Boot key enrolment (a boot of its own)",
  firmware: "firmware (power-on to starting the boot loader)",
  loader: "boot loader (menu, loading kernel and initramfs)",
  kernel: "kernel (to running the initramfs)",
  initramfs: "initramfs (finding the medium, mounting the live root)",
  userspace: "userspace (the live root's services, to the login prompt)",
  login: "login (to a root shell)",
  checks: "checks",
  shutdown: "power-off",
};

/** The console phases, in order: QEMU start to the login prompt. */
const CONSOLE_PHASES: readonly BootPhase[] = [
  "firmware",
  "loader",
  "kernel",
  "initramfs",
  "userspace",
];

/** The line that ends each console phase but the last (the login prompt ends `userspace`). */
const ENDS: readonly RegExp[] = [
  // firmware: OVMF/AAVMF's boot manager hands over to the boot loader.
  /BdsDxe: starting Boot/,
  // loader: the kernel's EFI stub or its first printk (timestamped when printk.time is on).
  /EFI stub: |Linux version \d|^\[\s*\d+\.\d{3,}\] /,
  // kernel: it starts the initramfs's init (dracut's messages or systemd's "Running in initrd"
  // when a `quiet` kernel hides that line).
  /Run \/init as init process|Running in initrd|\bdracut(-[a-z-]+)?(\[\d+\])?: /,
  // initramfs: dracut or systemd leave it for the live root (or a kernel without one starts
  // the root's init).
  /Switching root|Run \/(sbin\/init|usr\/lib\/systemd\/systemd|lib\/systemd\/systemd) as init process/,
];

/** A phase that ended, with how long it took. */
export interface EndedPhase {
  readonly phase: BootPhase;
  readonly durationMs: number;
  /** Later phases this one also covers because their marks never showed. */
  readonly merged?: readonly BootPhase[];
}

/** Tracks the phases of one boot from its console lines, then from the test's own steps. */
export class BootPhaseClock {
  /** Index into CONSOLE_PHASES of the running phase; past the end once the prompt showed. */
  #current = 0;
  #mark: number;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
    this.#mark = now();
  }

  /** The console phase the boot is in (`login` once the prompt showed). */
  get current(): BootPhase {
    return CONSOLE_PHASES[this.#current] ?? "login";
  }

  /** Feeds one complete console line; returns the phase it ended, if any. */
  line(text: string): EndedPhase | undefined {
    for (let i = ENDS.length - 1; i >= this.#current; i--) {
      if (ENDS[i]?.test(text) === true) return this.#endThrough(i);
    }
    return undefined;
  }

  /** The login prompt showed: ends the running console phase (normally `userspace`). */
  loginPrompt(): EndedPhase | undefined {
    return this.#endThrough(CONSOLE_PHASES.length - 1);
  }

  /** Ends a phase of the test's own (`login`, `checks`, `shutdown`) at this moment. */
  end(name: BootPhase): EndedPhase {
    const now = this.#now();
    const ended = { phase: name, durationMs: now - this.#mark };
    this.#mark = now;
    return ended;
  }

  /** Ends the running phase, which also covers every later one up to `last`. */
  #endThrough(last: number): EndedPhase | undefined {
    const phase = CONSOLE_PHASES[this.#current];
    if (phase === undefined || last < this.#current) return undefined;
    const merged = CONSOLE_PHASES.slice(this.#current + 1, last + 1);
    this.#current = last + 1;
    const now = this.#now();
    const ended: EndedPhase = {
      phase,
      durationMs: now - this.#mark,
      ...(merged.length > 0 ? { merged } : {}),
    };
    this.#mark = now;
    return ended;
  }
}
