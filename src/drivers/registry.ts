/**
 * Picks the driver a tree builds with. The apt driver takes the tree's `[apt]` settings; the
 * Portage driver is not written yet, so its entry is a placeholder whose every step fails with
 * `not-meaningful`.
 */
import type { DriverName, TreeConfig } from "../spec/types.js";
import { unreachable } from "../util/unreachable.js";
import { AptDriver } from "./apt/apt-driver.js";
import type { Driver, DriverResult } from "./driver.js";

function notYet<T>(): Promise<DriverResult<T>> {
  return Promise.resolve({
    ok: false,
    error: {
      reason: "not-meaningful",
      message: "the Portage driver is not available yet",
      hint: 'build this tree with `driver = "apt"` for now',
    },
  });
}

/** A stand-in for the Portage driver until it exists: every step fails, nothing runs. */
export const portagePlaceholder: Driver = {
  name: "portage",
  identity: () => Promise.resolve("portage:unavailable"),
  hostTools: () => [],
  bootstrap: () => notYet(),
  install: () => notYet(),
  remove: () => notYet(),
  depclean: () => notYet(),
  mergeRoot: () => notYet(),
  installKernel: () => notYet(),
  liveInitramfs: () => notYet(),
  listPackages: () => notYet(),
  cleanRoot: () => notYet(),
};

/** The driver named `name`, configured from the tree config (`[apt]` for apt). */
export function driverFor(name: DriverName, config: Pick<TreeConfig, "apt">): Driver {
  switch (name) {
    case "apt":
      return config.apt === undefined ? new AptDriver() : new AptDriver(config.apt);
    case "portage":
      return portagePlaceholder;
    default:
      return unreachable(name);
  }
}
