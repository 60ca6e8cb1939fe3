/**
 * Ends an exhaustive switch: the compiler proves `value` is `never`, and at run time reaching
 * this is a bug in substrate, not a user mistake.
 */
export function unreachable(value: never): never {
  throw new Error(`Internal error: unexpected value ${JSON.stringify(value)}`);
}
