/**
 * Diagnostics: what substrate says about a user's input. Every diagnostic names where it comes
 * from (file, line, column) so the printer can show the source line with an underline.
 */

/** A range inside one line of one file. Lines and columns are 1-based; `endCol` is exclusive. */
export interface SourceSpan {
  /** Path of the file as the user named it (or as found in a tree). */
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  /** 1-based column of the first character. */
  readonly col: number;
  /** 1-based column just past the last character (equal to `col` for an empty span). */
  readonly endCol: number;
}

/** How bad a diagnostic is: errors make `check`/`plan`/`build` exit non-zero. */
export type Severity = "error" | "warning" | "note";

/** One message about a user's input. */
export interface Diagnostic {
  readonly severity: Severity;
  /** Stable kebab-case identifier, e.g. `unknown-key`, `missing-required-key`, `cycle`. */
  readonly code: string;
  /** One sentence, no trailing period needed. */
  readonly message: string;
  /** Where the problem is; absent only for problems with no file (e.g. a missing tree). */
  readonly span?: SourceSpan;
  /** What to do about it, e.g. "did you mean `livecd/fsscript`?". */
  readonly hint?: string;
  /** Further places worth showing (e.g. every hop of a cycle, the earlier definition). */
  readonly related?: readonly { readonly message: string; readonly span: SourceSpan }[];
}

/** True when any diagnostic in the list is an error. */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}
