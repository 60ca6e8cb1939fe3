/**
 * Debian's control-file format (deb822) as dpkg's status file and machine-readable copyright
 * files use it: paragraphs separated by blank lines, `Field: value` lines, continuation lines
 * starting with a space or tab. Pure.
 */

/** One field of a paragraph: the first line's value and the continuation lines (unindented once). */
export interface Deb822Field {
  readonly name: string;
  /** The text after `Name:` on the field's first line, trimmed. */
  readonly first: string;
  /** Continuation lines without their one leading space or tab (` .` kept as `.`). */
  readonly rest: readonly string[];
}

/** One paragraph: its fields in order. */
export interface Deb822Paragraph {
  readonly fields: readonly Deb822Field[];
}

/** The first field of `paragraph` named `name` (case-insensitive), or undefined. */
export function field(paragraph: Deb822Paragraph, name: string): Deb822Field | undefined {
  const lower = name.toLowerCase();
  return paragraph.fields.find((f) => f.name.toLowerCase() === lower);
}

/** The first line of field `name` in `paragraph`, or undefined. */
export function fieldValue(paragraph: Deb822Paragraph, name: string): string | undefined {
  return field(paragraph, name)?.first;
}

/**
 * Parses deb822 text. Comment lines (`#` in column 1) are skipped; a line that is neither a
 * field nor a continuation is ignored rather than failing, since status and copyright files in
 * the wild are not always strict.
 */
export function parseDeb822(text: string): Deb822Paragraph[] {
  const paragraphs: Deb822Paragraph[] = [];
  let fields: { name: string; first: string; rest: string[] }[] = [];
  const flush = (): void => {
    if (fields.length > 0) paragraphs.push({ fields });
    fields = [];
  };
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") {
      flush();
      continue;
    }
    if (line.startsWith("#")) continue;
    if (line.startsWith(" ") || line.startsWith("\t")) {
      const last = fields[fields.length - 1];
      if (last !== undefined) last.rest.push(line.slice(1));
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    fields.push({ name: line.slice(0, colon), first: line.slice(colon + 1).trim(), rest: [] });
  }
  flush();
  return paragraphs;
}
