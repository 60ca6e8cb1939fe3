/**
 * Package-atom recognition for the parser's one repair: a continuation line whose first `:`
 * belongs to a package atom with a slot or repository (`dev-lang/python:3.12`, `foo/bar::repo`,
 * `>=cat/pkg-1:2`). Catalyst starts a new key at such a line; substrate keeps it in the list.
 */

/** Words that start spec keys (`livecd/...`, `boot/kernel/...`): never a package category here. */
export const KEY_PREFIXES: ReadonlySet<string> = new Set([
  "boot",
  "livecd",
  "diskimage",
  "netboot",
  "embedded",
  "stage1",
  "stage2",
  "stage3",
  "stage4",
  "apt",
]);

const NAME = "[A-Za-z0-9_][A-Za-z0-9+_.-]*";
const SLOT = `(?::(?:${NAME}(?:/${NAME})?=?|\\*|=))`;
const REPO = "(?:::[A-Za-z0-9_][A-Za-z0-9_-]*)";
const ATOM = new RegExp(
  `^(?:!!?)?(?:[<>]=?|=|~)?(${NAME})/${NAME}\\*?(?:${SLOT}${REPO}?|${REPO})(?:\\[[^\\]]*\\])?$`,
);

/**
 * True when `token` is a package atom carrying a slot and/or repository, i.e. an atom whose text
 * contains `:`. `category` words used by spec keys (`boot`, `livecd`, ...) are refused, so
 * `boot/kernel:gentoo` stays a key line.
 */
export function isSlotOrRepoAtom(token: string): boolean {
  const m = ATOM.exec(token);
  if (!m) return false;
  const category = m[1] ?? "";
  return !KEY_PREFIXES.has(category);
}
