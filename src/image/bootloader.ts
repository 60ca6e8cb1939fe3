/**
 * Boot loader text for live media, and the live kernel command line: systemd-boot's
 * `loader/loader.conf` and `loader/entries/*.conf`, an optional GRUB `grub.cfg`, the dracut
 * `dmsquash-live` command line (`root=live:CDLABEL=<volid>`) and volume-id validation.
 * Everything here is pure text; nothing touches the disk.
 */
import type { Diagnostic, SourceSpan } from "../report/diagnostic.js";
import { type Result, ok, err } from "../util/result.js";
import type { VolidProblem } from "../report/failure.js";

/** ISO 9660 primary volume descriptors hold at most 32 characters of volume id. */
export const MAX_VOLID_LENGTH = 32;

/** Why a volume id cannot be used for a live ISO. */
export type { VolidProblem };

/**
 * Characters a live volume id may hold. dracut 059 looks the medium up as
 * `/dev/disk/by-label/<volid>` through shell code that drops backslashes, so a label udev
 * must escape (a space becomes `\x20`) is never found; booted and verified: the initramfs
 * gives up with "Failed to mount block device of live image". Catalyst's dist-kernel images
 * have the same limit.
 */
const LABEL_SAFE = /^[A-Za-z0-9_.+-]$/;

/**
 * Checks a volume id for a live ISO: 1 to 32 characters of `A-Z a-z 0-9 _ - . +`. Spaces and
 * other characters are refused because the kernel command line names the medium by this label
 * (`root=live:CDLABEL=<volid>`) and dracut cannot find labels that need escaping.
 */
export function checkVolid(volid: string): Result<string, VolidProblem> {
  if (volid.length === 0) return err({ reason: "empty" });
  for (let i = 0; i < volid.length; i++) {
    const code = volid.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) {
      return err({ reason: "not-printable-ascii", index: i, char: volid.charAt(i) });
    }
    if (!LABEL_SAFE.test(volid.charAt(i))) {
      return err({ reason: "not-label-safe", index: i, char: volid.charAt(i) });
    }
  }
  if (volid.length > MAX_VOLID_LENGTH) return err({ reason: "too-long", length: volid.length });
  return ok(volid);
}

/** One sentence about a volume id problem. */
export function describeVolidProblem(volid: string, problem: VolidProblem): string {
  switch (problem.reason) {
    case "empty":
      return "the volume id is empty";
    case "too-long":
      return `the volume id \`${volid}\` has ${problem.length} characters; ISO 9660 allows at most ${MAX_VOLID_LENGTH}`;
    case "not-printable-ascii":
      return `the volume id \`${volid}\` has a character that is not printable ASCII (${JSON.stringify(problem.char)} at position ${problem.index + 1})`;
    case "not-label-safe":
      return `the volume id \`${volid}\` has ${problem.char === " " ? "a space" : `\`${problem.char}\``} at position ${problem.index + 1}; dracut cannot find a live medium by such a label (root=live:CDLABEL=)`;
  }
}

/**
 * A diagnostic for a bad volume id (code `invalid-volid`), for the spec layer to attach to the
 * `livecd/volid` value's span.
 */
export function volidDiagnostic(
  volid: string,
  problem: VolidProblem,
  span?: SourceSpan,
): Diagnostic {
  const safe = volid.replace(/[^A-Za-z0-9_.+-]/g, "_").slice(0, MAX_VOLID_LENGTH);
  const hint =
    problem.reason === "empty"
      ? "use letters, digits, `_`, `-`, `.` and `+`, e.g. `roflmaOS_live`"
      : problem.reason === "too-long"
        ? `shorten it to ${MAX_VOLID_LENGTH} characters, e.g. \`${safe}\``
        : `use letters, digits, \`_\`, \`-\`, \`.\` and \`+\`, e.g. \`${safe}\``;
  return {
    severity: "error",
    code: "invalid-volid",
    message: describeVolidProblem(volid, problem),
    ...(span === undefined ? {} : { span }),
    hint,
  };
}

/**
 * Encodes a file system label the way udev names `/dev/disk/by-label/` links: every byte
 * outside `[0-9A-Za-z#+.:=@_-]` becomes `\xNN` (lower-case hex). For volids that pass
 * {@link checkVolid} this changes nothing; it keeps a space from splitting the command line
 * for other labels (but dracut 059 still cannot use such a label, see `LABEL_SAFE`).
 */
export function encodeLabel(label: string): string {
  let out = "";
  for (const ch of label) {
    if (/^[0-9A-Za-z#+.:=@_-]$/.test(ch)) out += ch;
    else out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`;
  }
  return out;
}

/** What goes on a live ISO's kernel command line. */
export interface LiveCmdlineOptions {
  /** The ISO's volume id; dracut finds the medium by it. Must pass {@link checkVolid}. */
  readonly volid: string;
  /**
   * Consoles, in order; the last one becomes `/dev/console`, where systemd and the serial getty
   * talk. Default `["tty0", "ttyS0,115200"]`; pass `[]` when `extra` carries `console=`.
   */
  readonly consoles?: readonly string[] | undefined;
  /**
   * Writable root as an overlayfs over the squashfs (default true; without it dracut sets up a
   * device-mapper snapshot, which cannot make a squashfs writable).
   */
  readonly overlayfs?: boolean | undefined;
  /** Keep systemd-firstboot from prompting on the console (default true). */
  readonly noFirstboot?: boolean | undefined;
  /** Further arguments (`livecd/bootargs`), appended as given. */
  readonly extra?: readonly string[] | undefined;
}

/**
 * The dracut `dmsquash-live` arguments for a live ISO whose root is `LiveOS/squashfs.img`:
 * `root=live:CDLABEL=<volid> rd.live.image rd.live.overlay.overlayfs=1 systemd.firstboot=off
 * console=tty0 console=ttyS0,115200 <extra>`.
 */
export function liveKernelArgs(options: LiveCmdlineOptions): string[] {
  const args = [`root=live:CDLABEL=${encodeLabel(options.volid)}`, "rd.live.image"];
  if (options.overlayfs ?? true) args.push("rd.live.overlay.overlayfs=1");
  if (options.noFirstboot ?? true) args.push("systemd.firstboot=off");
  for (const c of options.consoles ?? ["tty0", "ttyS0,115200"]) args.push(`console=${c}`);
  args.push(...(options.extra ?? []));
  return args;
}

/** {@link liveKernelArgs} joined with spaces, as systemd-boot's `options` line wants it. */
export function liveKernelCmdline(options: LiveCmdlineOptions): string {
  return liveKernelArgs(options).join(" ");
}

/** systemd-boot's global settings (`loader/loader.conf`). */
export interface LoaderConf {
  /** Seconds the menu waits; 0 boots the default at once (a key still shows the menu). */
  readonly timeoutSec: number;
  /** File name of the default entry, e.g. `roflmaos.conf` (a glob is allowed). */
  readonly defaultEntry: string;
  /** Allow editing the command line from the menu (default true: it is a live medium). */
  readonly editor?: boolean | undefined;
  /** `console-mode` (default `keep`). */
  readonly consoleMode?: "keep" | "auto" | "max" | "0" | "1" | "2" | undefined;
  /**
   * `secure-boot-enroll` (systemd-boot 252+): `force` enrols the keys in `loader/keys/auto`
   * without asking when the firmware is in setup mode. Absent: the line is left out (systemd-boot's
   * default, `manual` in 252: a menu entry per key folder).
   */
  readonly secureBootEnroll?: "off" | "manual" | "force" | undefined;
}

/** The text of `loader/loader.conf`. */
export function loaderConf(conf: LoaderConf): string {
  if (!Number.isInteger(conf.timeoutSec) || conf.timeoutSec < 0) {
    throw new Error(`Internal error: loader timeout ${conf.timeoutSec} is not a whole number >= 0`);
  }
  assertOneLine("default entry", conf.defaultEntry);
  return [
    `timeout ${conf.timeoutSec}`,
    `default ${conf.defaultEntry}`,
    `console-mode ${conf.consoleMode ?? "keep"}`,
    `editor ${(conf.editor ?? true) ? "yes" : "no"}`,
    ...(conf.secureBootEnroll === undefined ? [] : [`secure-boot-enroll ${conf.secureBootEnroll}`]),
    "",
  ].join("\n");
}

/** One systemd-boot Boot Loader Specification type #1 entry. */
export interface BootEntry {
  readonly title: string;
  /** Path of the kernel inside the ESP, absolute with `/`, e.g. `/boot/debian`. */
  readonly linux: string;
  /** Path(s) of initramfs images inside the ESP, loaded in order. */
  readonly initrd: string | readonly string[];
  /** The kernel command line. */
  readonly options: string;
  /** Optional `version` (shown in the menu, used for sorting). */
  readonly version?: string | undefined;
  /** Optional `sort-key`. */
  readonly sortKey?: string | undefined;
}

/** The text of a `loader/entries/<name>.conf` file. */
export function bootEntry(entry: BootEntry): string {
  const lines = [`title ${oneLine("title", entry.title)}`];
  if (entry.version !== undefined) lines.push(`version ${oneLine("version", entry.version)}`);
  if (entry.sortKey !== undefined) lines.push(`sort-key ${oneLine("sort-key", entry.sortKey)}`);
  lines.push(`linux ${espPath(entry.linux)}`);
  const initrds = typeof entry.initrd === "string" ? [entry.initrd] : entry.initrd;
  for (const i of initrds) lines.push(`initrd ${espPath(i)}`);
  lines.push(`options ${oneLine("options", entry.options)}`);
  lines.push("");
  return lines.join("\n");
}

/** A GRUB menu entry: kernel and initrds are paths on the ISO 9660 file system. */
export interface GrubEntry {
  readonly title: string;
  readonly linux: string;
  readonly initrd: readonly string[];
  /** Kernel arguments, one per element (each is quoted for GRUB as needed). */
  readonly args: readonly string[];
}

/** What goes into a GRUB `grub.cfg` for a live ISO. */
export interface GrubConfig {
  /** The ISO's volume id: `search --no-floppy --set=root --label <volid>`. */
  readonly volid: string;
  readonly timeoutSec: number;
  readonly entries: readonly GrubEntry[];
  /** Also talk on the first serial port (115200 8N1; default true). */
  readonly serial?: boolean | undefined;
}

/** The text of `boot/grub/grub.cfg` (optional; systemd-boot is the default loader). */
export function grubCfg(config: GrubConfig): string {
  const out: string[] = [];
  if (config.serial ?? true) {
    out.push("serial --unit=0 --speed=115200", "terminal_input console serial");
    out.push("terminal_output console serial");
  }
  out.push(`search --no-floppy --set=root --label ${grubQuote(config.volid)}`);
  out.push(`set timeout=${config.timeoutSec}`, "set default=0", "");
  for (const e of config.entries) {
    out.push(`menuentry ${grubQuote(e.title)} {`);
    out.push(`\tlinux ${[e.linux, ...e.args].map(grubQuote).join(" ")}`);
    if (e.initrd.length > 0) out.push(`\tinitrd ${e.initrd.map(grubQuote).join(" ")}`);
    out.push("}", "");
  }
  return out.join("\n");
}

/** Quotes a word for grub.cfg: single quotes when it holds anything but plain characters. */
export function grubQuote(word: string): string {
  assertOneLine("GRUB word", word);
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function espPath(path: string): string {
  assertOneLine("path", path);
  if (!path.startsWith("/") || path.includes(" ")) {
    throw new Error(`Internal error: ESP path \`${path}\` must be absolute and free of spaces`);
  }
  return path;
}

function oneLine(what: string, text: string): string {
  assertOneLine(what, text);
  return text;
}

function assertOneLine(what: string, text: string): void {
  if (/[\r\n]/.test(text)) throw new Error(`Internal error: ${what} holds a line break`);
}
