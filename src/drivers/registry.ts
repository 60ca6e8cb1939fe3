/**
 * Picks the driver a tree builds with. The apt driver takes the tree's `[apt]` settings; the
 * Portage driver takes the tree's `mirrors` (for snapshots fetched on demand).
 */
import type { DriverName, TreeConfig } from "../spec/types.js";
import { unreachable } from "../util/unreachable.js";
import { AptDriver } from "./apt/apt-driver.js";
import type { Driver } from "./driver.js";
import { PortageDriver, type PortageDriverOptions } from "./portage/portage-driver.js";

/** The driver named `name`, configured from the tree config (`[apt]` for apt, `mirrors` for Portage). */
export function driverFor(
  name: DriverName,
  config: Pick<TreeConfig, "apt"> & { readonly mirrors?: readonly string[] },
  options: PortageDriverOptions = {},
): Driver {
  switch (name) {
    case "apt":
      return config.apt === undefined ? new AptDriver() : new AptDriver(config.apt);
    case "portage":
      return new PortageDriver({ mirrors: config.mirrors ?? [] }, options);
    default:
      return unreachable(name);
  }
}
