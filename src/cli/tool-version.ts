/**
 * The tool-version string every fingerprint records: substrate's version and the driver's
 * identity (its host tools' versions). `plan` and `build` must record the same string, or a
 * plan made after a build would report "host tool versions changed".
 */
import { driverFor } from "../drivers/registry.js";
import type { SpecTree } from "../spec/types.js";
import { VERSION } from "../version.js";

/** The string for a tree. */
export async function toolVersionFor(tree: SpecTree): Promise<string> {
  const driver = driverFor(tree.config.driver, tree.config);
  return `substrate ${VERSION}; ${await driver.identity()}`;
}
