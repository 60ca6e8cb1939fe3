/**
 * Choosing QEMU's accelerator. `/dev/kvm` existing does not mean KVM works: on some hosts
 * (nested virtualisation) QEMU starts but stops with "KVM internal error" at the first x87/SSE
 * instruction, and then hangs instead of exiting. So the probe boots a 512-byte sector that runs
 * an FPU instruction and writes to QEMU's debug-exit port; only that exit status counts as
 * working KVM. Anything else falls back to TCG with a note.
 */
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../sandbox/process.js";

/** What the user asked for. */
export type AccelRequest = "kvm" | "tcg" | "auto";

/** What will be used, and why. */
export interface AccelChoice {
  readonly accel: "kvm" | "tcg";
  /** Set when `auto` fell back to TCG or `kvm` was forced although the probe failed. */
  readonly note?: string;
}

/** The probe's boot sector: `finit; mov al,1; out 0xf4,al; hlt; jmp $`, then the 0x55AA mark. */
export function probeBootSector(): Buffer {
  const code = [0x9b, 0xdb, 0xe3, 0xb0, 0x01, 0xe6, 0xf4, 0xf4, 0xeb, 0xfe];
  const sector = Buffer.alloc(512);
  Buffer.from(code).copy(sector);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

/** isa-debug-exit turns the value 1 written by the probe into exit status (1 << 1) | 1. */
const PROBE_EXIT_STATUS = 3;
const PROBE_TIMEOUT_MS = 20_000;

let cached: Promise<{ ok: boolean; why: string }> | undefined;

/** Runs the KVM probe (once per process) and says whether KVM can run a guest. */
export function probeKvm(qemu = "qemu-system-x86_64"): Promise<{ ok: boolean; why: string }> {
  cached ??= (async () => {
    try {
      accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
    } catch {
      return { ok: false, why: "/dev/kvm is missing or not accessible" };
    }
    const dir = mkdtempSync(join(tmpdir(), "substrate-kvm-probe-"));
    try {
      const image = join(dir, "probe.img");
      writeFileSync(image, probeBootSector());
      const abort = new AbortController();
      const seen = { internalError: false };
      const r = await run({
        argv: [
          qemu,
          "-accel",
          "kvm",
          "-machine",
          "pc",
          "-nodefaults",
          "-display",
          "none",
          "-m",
          "16",
          "-no-reboot",
          "-device",
          "isa-debug-exit,iobase=0xf4,iosize=0x04",
          "-drive",
          `file=${image},format=raw,if=ide`,
        ],
        timeoutMs: PROBE_TIMEOUT_MS,
        signal: abort.signal,
        onLine: (line) => {
          if (/KVM internal error|failed to initialize kvm|Could not access KVM/i.test(line)) {
            seen.internalError = true;
            abort.abort();
          }
        },
      });
      if (!r.ok && r.error.reason === "exit-non-zero" && r.error.status === PROBE_EXIT_STATUS) {
        return { ok: true, why: "the KVM probe ran" };
      }
      if (seen.internalError)
        return { ok: false, why: "KVM fails to run guest code (KVM internal error)" };
      if (!r.ok && r.error.reason === "spawn-error") return { ok: false, why: r.error.message };
      if (!r.ok && r.error.reason === "timed-out") return { ok: false, why: "the KVM probe hung" };
      const tail = r.ok ? "" : "tail" in r.error ? r.error.tail.join(" ").slice(0, 200) : "";
      return { ok: false, why: `the KVM probe failed${tail === "" ? "" : `: ${tail}`}` };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return cached;
}

/** Resolves `kvm|tcg|auto` to the accelerator QEMU gets. */
export async function chooseAccel(request: AccelRequest, qemu?: string): Promise<AccelChoice> {
  if (request === "tcg") return { accel: "tcg" };
  const probe = await probeKvm(qemu);
  if (request === "kvm") {
    return probe.ok
      ? { accel: "kvm" }
      : { accel: "kvm", note: `KVM was requested but ${probe.why}` };
  }
  return probe.ok
    ? { accel: "kvm" }
    : { accel: "tcg", note: `using TCG (software emulation, slower): ${probe.why}` };
}
