/**
 * The version of a Linux kernel image, read from its x86 boot header (the same string `file`
 * prints): `kernel_version` at 0x20E points 0x200 bytes before a NUL-terminated string that
 * starts with the release (`uname -r`).
 */
import { closeSync, openSync, readSync } from "node:fs";

/** Reads the release of a bzImage in memory, or undefined when it is not one. */
export function kernelReleaseFromImage(head: Buffer): string | undefined {
  if (head.length < 0x210 || head.toString("latin1", 0x202, 0x206) !== "HdrS") return undefined;
  const pointer = head.readUInt16LE(0x20e);
  if (pointer === 0) return undefined;
  const start = pointer + 0x200;
  if (start >= head.length) return undefined;
  const end = head.indexOf(0, start);
  const text = head.toString("latin1", start, end < 0 ? Math.min(head.length, start + 256) : end);
  const release = text.split(" ")[0];
  return release !== undefined && /^\d+\.\d+/.test(release) ? release : undefined;
}

/** Reads the release of a bzImage file, or undefined. */
export function kernelReleaseFromFile(path: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const head = Buffer.alloc(0x10000);
    const n = readSync(fd, head, 0, head.length, 0);
    return kernelReleaseFromImage(head.subarray(0, n));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
