/**
 * Expected outcomes are returned, not thrown. A `Result` is either `{ ok: true, value }` or
 * `{ ok: false, error }`; `throw` is kept for bugs ("Internal error: ...").
 */
export type Result<T, E> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

/** Wraps a value as a successful result. */
export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

/** Wraps an error as a failed result. */
export function err<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}
