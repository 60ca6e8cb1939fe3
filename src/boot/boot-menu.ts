/**
 * Recognises a boot menu waiting out its timeout on the console, so a test can press Enter and
 * boot the default entry at once (a person at the machine would; the ISO keeps its timeout).
 */

/** The menus substrate knows, with the countdown text each prints. */
const MENUS: readonly { readonly name: string; readonly countdown: RegExp }[] = [
  // systemd-boot: "Boot in 3 s."
  { name: "systemd-boot", countdown: /\bBoot in \d+ s\./ },
  // GRUB: "The highlighted entry will be executed automatically in 3s."
  { name: "GRUB", countdown: /executed automatically in \d+ ?s\b/ },
];

/** The menu whose countdown `text` (cleaned console output) shows, if any. */
export function bootMenuPrompt(text: string): string | undefined {
  return MENUS.find((m) => m.countdown.test(text))?.name;
}
