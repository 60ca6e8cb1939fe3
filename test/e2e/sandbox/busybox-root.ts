/**
 * Test support: a tiny build root made of busybox-static (no network, no mmdebstrap), and probes
 * of host state (mount table, processes) that the sandbox tests compare before and after a run.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Applets linked into the test root. */
const APPLETS = [
  "sh",
  "ls",
  "cat",
  "sleep",
  "mount",
  "id",
  "echo",
  "ps",
  "hostname",
  "env",
  "ip",
  "touch",
  "mkdir",
  "rm",
  "test",
  "readlink",
  "kill",
  "true",
  "false",
  "grep",
  "wc",
  "stat",
];

/** Creates a fresh root under a new temp folder; returns its path. */
export function makeBusyboxRoot(prefix = "substrate-sbx-"): string {
  const base = mkdtempSync(join(tmpdir(), prefix));
  const root = join(base, "root");
  for (const d of ["bin", "etc", "root"]) mkdirSync(join(root, d), { recursive: true });
  copyFileSync("/bin/busybox", join(root, "bin/busybox"));
  for (const a of APPLETS) symlinkSync("busybox", join(root, "bin", a));
  return root;
}

/** The host's mount table without the per-mount ids (which a new mount would change anyway). */
export function hostMounts(): string {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ").slice(3).join(" "))
    .sort()
    .join("\n");
}

/** PIDs whose command line contains `marker` (not counting the pgrep itself). */
export function pidsMatching(marker: string): number[] {
  try {
    return execFileSync("pgrep", ["-f", marker], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l !== "")
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** Waits until `check()` is true or `ms` passes; returns the last value. */
export async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}
