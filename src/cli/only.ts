/**
 * The one grammar of `--only` for every tree command (`plan`, `graph`, `fetch`, `build`): the
 * option takes one value each time it is given and may be repeated; a value may also list
 * several selectors separated by commas (`--only a:b,c:d`). It never takes the tree argument.
 */
/** Adds one `--only` value (split on commas, blanks dropped) to the ones seen before. */
export function collectSelectors(value: string, previous: string[] | undefined): string[] {
  const more = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  return [...(previous ?? []), ...more];
}
