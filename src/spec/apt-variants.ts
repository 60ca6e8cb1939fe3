/**
 * mmdebstrap's `--variant` names (mmdebstrap(1), VARIANTS): the one list that both `check`
 * (the `apt/variant` key) and the apt driver (which passes it to mmdebstrap) accept. `-` is
 * mmdebstrap's own name for the `important`/`debootstrap` set (required plus Priority:important),
 * so it is a valid variant. Pure.
 */
export const MMDEBSTRAP_VARIANTS = [
  "extract",
  "custom",
  "essential",
  "apt",
  "required",
  "minbase",
  "buildd",
  "important",
  "debootstrap",
  "-",
  "standard",
] as const;

/** One of mmdebstrap's variants. */
export type MmdebstrapVariant = (typeof MMDEBSTRAP_VARIANTS)[number];

/** True when `name` is one of mmdebstrap's variants. */
export function isMmdebstrapVariant(name: string): name is MmdebstrapVariant {
  return (MMDEBSTRAP_VARIANTS as readonly string[]).includes(name);
}
