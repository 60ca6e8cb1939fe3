/**
 * The arm half of the real-Portage tier's ebuild repository (issue 13, item 6): a profile chain
 * shaped like Gentoo's `default/linux/arm/23.0/armv7a` (base, default/linux, arch/base,
 * arch/arm, default/linux/arm/23.0, arch/arm/armv7a), with `ARCH=arm`, `ACCEPT_KEYWORDS=arm`
 * and the armv7a hard-float `CHOST`. `writeEbuildRepo` (portage-repo.ts) calls
 * {@link writeArmProfiles}; the ebuilds keyword `arm` there. The armhf seed's `make.profile`
 * (`SEED_ARCH=armhf scripts/portage-tier/seed.sh`) points at {@link ARM_PROFILE}.
 */
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { writeFile } from "./apt-tree.js";

/** The profile of the armv7a chain (examples/gentoo/specs/armv7a/hardfp/*.spec). */
export const ARM_PROFILE = "default/linux/arm/23.0/armv7a";

/** The CHOST of armv7a hard-float (catalyst's arm.toml, the driver's arch table). */
export const ARM_CHOST = "armv7a-unknown-linux-gnueabihf";

/** The arm profile nodes: path under profiles/ → file name → text. */
const ARM_PROFILE_NODES: Record<string, Record<string, string>> = {
  "arch/arm": {
    eapi: "5\n",
    parent: "../base\n",
    "make.defaults": `ARCH="arm"
ACCEPT_KEYWORDS="arm"
CFLAGS="-O2 -pipe"
CXXFLAGS="\${CFLAGS}"
LDFLAGS="-Wl,-O1 -Wl,--as-needed"
ABI="arm"
DEFAULT_ABI="arm"
MULTILIB_ABIS="arm"
LIBDIR_arm="lib"
`,
    "use.mask": "-arm\n",
  },
  "arch/arm/armv7a": {
    eapi: "5\n",
    parent: "..\n",
    "make.defaults": `CHOST="${ARM_CHOST}"
CHOST_arm="${ARM_CHOST}"
CFLAGS="-O2 -pipe -march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=hard"
CXXFLAGS="\${CFLAGS}"
`,
  },
  "default/linux/arm/23.0": {
    eapi: "5\n",
    parent: "../..\n../../../../arch/arm\n",
  },
  [ARM_PROFILE]: {
    eapi: "5\n",
    parent: "..\n../../../../../arch/arm/armv7a\n",
  },
};

/**
 * Writes the arm profile nodes into the repository at `dir` (its `profiles/` written already)
 * and lists {@link ARM_PROFILE} in `profiles.desc`.
 */
export function writeArmProfiles(dir: string): void {
  for (const [node, files] of Object.entries(ARM_PROFILE_NODES)) {
    for (const [name, text] of Object.entries(files))
      writeFile(join(dir, "profiles", node, name), text);
  }
  appendFileSync(join(dir, "profiles/profiles.desc"), `arm\t${ARM_PROFILE}\tstable\n`);
}
