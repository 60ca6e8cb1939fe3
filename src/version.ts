/** substrate's version, reported by `--version` and recorded in every fingerprint. */
export const VERSION = "0.1.0";
