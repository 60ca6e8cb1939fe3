/**
 * SOURCE_DATE_EPOCH handling shared by the image tools: every tool substrate uses for images
 * (mksquashfs, mtools, xorriso) reads the time it stamps into its output from this variable.
 */

/** `{ SOURCE_DATE_EPOCH }` for a tool's environment, or `{}` when no epoch is given. */
export function epochEnv(sourceDateEpoch: number | undefined): Record<string, string> {
  if (sourceDateEpoch === undefined) return {};
  if (!Number.isInteger(sourceDateEpoch) || sourceDateEpoch < 0) {
    throw new Error(
      `Internal error: SOURCE_DATE_EPOCH ${sourceDateEpoch} is not a whole number >= 0`,
    );
  }
  return { SOURCE_DATE_EPOCH: String(sourceDateEpoch) };
}
