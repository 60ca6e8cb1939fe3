/**
 * The apt driver's options for one stage: the tree's `[apt]` settings, overridden by the stage's
 * `apt/*` spec keys, validated. Pure: no disk, no processes.
 *
 * Keys a spec may set (each optional):
 * - `apt/suite`: the Debian suite or codename (`bookworm`, `stable`, `trixie`).
 * - `apt/mirror`: the archive URL (`http://deb.debian.org/debian`).
 * - `apt/components`: one or more components (`main contrib non-free-firmware`).
 * - `apt/keyring`: an OpenPGP keyring file on the host that signs the archive.
 * - `apt/variant`: mmdebstrap's `--variant` (default: the tree's `[apt] variant`, else `minbase`).
 * - `apt/recommends`: `yes` installs Recommends too (default `no`).
 * - `embedded/keep_package_db`: `yes` keeps a dpkg database in an embedded merge root.
 *
 * The dpkg architecture comes from the stage's `subarch` (computed by the tree from
 * `[arch.<name>] subarch`): `armv7a`/`armhf` bootstrap `armhf`, `arm64` bootstraps `arm64`
 * (spec/machine.ts). A foreign one runs under qemu-user through binfmt_misc (`substrate doctor`).
 */
import {
  MMDEBSTRAP_VARIANTS,
  type MmdebstrapVariant,
  isMmdebstrapVariant,
} from "../../spec/apt-variants.js";
import { debianArchOf } from "../../spec/machine.js";
import type { AptSettings, SpecValue } from "../../spec/types.js";
import { type Result, ok, err } from "../../util/result.js";
import type { DriverFailure } from "../driver.js";

/** Debian's own archive keyring on a Debian host (package `debian-archive-keyring`). */
export const DEBIAN_ARCHIVE_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";

/** What a tree without an `[apt]` table builds from: Debian 12 from Debian's CDN. */
export const DEFAULT_APT_SETTINGS: AptSettings = {
  suite: "bookworm",
  mirror: "http://deb.debian.org/debian",
  components: ["main"],
  keyring: DEBIAN_ARCHIVE_KEYRING,
};

/** The resolved options of one stage. */
export interface AptOptions {
  readonly suite: string;
  readonly mirror: string;
  readonly components: readonly string[];
  /** Host keyring file; absent means apt's and mmdebstrap's defaults (the host's trusted keys). */
  readonly keyring?: string;
  readonly variant: MmdebstrapVariant;
  /** Install Recommends (default false). */
  readonly recommends: boolean;
  /** Keep /var/lib/dpkg in an embedded merge root (default false). */
  readonly keepPackageDb: boolean;
  /** dpkg architecture of the root (`amd64`, `armhf`, `arm64`), from `subarch`; absent: native. */
  readonly architecture?: string;
}

/** The spec keys the apt driver reads. */
export const APT_KEYS = {
  suite: "apt/suite",
  mirror: "apt/mirror",
  components: "apt/components",
  keyring: "apt/keyring",
  variant: "apt/variant",
  recommends: "apt/recommends",
  keepPackageDb: "embedded/keep_package_db",
} as const;

function words(value: SpecValue | undefined): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = typeof value === "string" ? [value] : value;
  return list.flatMap((v) => v.split(/[\s,]+/)).filter((w) => w !== "");
}

function single(
  values: Readonly<Record<string, SpecValue>>,
  key: string,
): Result<string | undefined, DriverFailure> {
  const w = words(values[key]);
  if (w === undefined || w.length === 0) return ok(undefined);
  if (w.length > 1) {
    return err({
      reason: "bad-input",
      message: `\`${key}\` takes one value, got ${w.length}: ${w.join(" ")}`,
    });
  }
  return ok(w[0]);
}

/** Parses a catalyst-style boolean (`yes`/`no`, also `true`/`false`, `1`/`0`). */
export function specBoolean(
  values: Readonly<Record<string, SpecValue>>,
  key: string,
  fallback: boolean,
): Result<boolean, DriverFailure> {
  const v = single(values, key);
  if (!v.ok) return v;
  if (v.value === undefined) return ok(fallback);
  const lower = v.value.toLowerCase();
  if (["yes", "true", "1"].includes(lower)) return ok(true);
  if (["no", "false", "0"].includes(lower)) return ok(false);
  return err({
    reason: "bad-input",
    message: `\`${key}\` must be yes or no, not \`${v.value}\``,
    hint: `write \`${key}: yes\` or \`${key}: no\``,
  });
}

const SUITE_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const COMPONENT_RE = /^[A-Za-z0-9][A-Za-z0-9._+/-]*$/;
const MIRROR_RE = /^(https?|file|copy|mirror\+https?|tor\+https?):\/\/\S+$/;

/**
 * Resolves the options of one stage from the tree settings and the stage's spec values.
 * A malformed value is a `bad-input` failure naming the key.
 */
export function resolveAptOptions(
  settings: AptSettings,
  values: Readonly<Record<string, SpecValue>>,
): Result<AptOptions, DriverFailure> {
  const suite = single(values, APT_KEYS.suite);
  if (!suite.ok) return suite;
  const mirror = single(values, APT_KEYS.mirror);
  if (!mirror.ok) return mirror;
  const keyring = single(values, APT_KEYS.keyring);
  if (!keyring.ok) return keyring;
  const variant = single(values, APT_KEYS.variant);
  if (!variant.ok) return variant;
  const recommends = specBoolean(values, APT_KEYS.recommends, false);
  if (!recommends.ok) return recommends;
  const keepDb = specBoolean(values, APT_KEYS.keepPackageDb, false);
  if (!keepDb.ok) return keepDb;

  const s = suite.value ?? settings.suite;
  if (!SUITE_RE.test(s)) {
    return err({
      reason: "bad-input",
      message: `\`${APT_KEYS.suite}\`: \`${s}\` is not a suite or codename`,
      hint: "use a name such as bookworm, trixie or stable",
    });
  }
  const m = mirror.value ?? settings.mirror;
  if (!MIRROR_RE.test(m)) {
    return err({
      reason: "bad-input",
      message: `\`${APT_KEYS.mirror}\`: \`${m}\` is not an archive URL`,
      hint: "use a URL such as http://deb.debian.org/debian",
    });
  }
  const components = words(values[APT_KEYS.components]) ?? [...settings.components];
  if (components.length === 0) components.push("main");
  const badComponent = components.find((c) => !COMPONENT_RE.test(c));
  if (badComponent !== undefined) {
    return err({
      reason: "bad-input",
      message: `\`${APT_KEYS.components}\`: \`${badComponent}\` is not a component name`,
      hint: "use names such as main, contrib, non-free-firmware",
    });
  }
  const k = keyring.value ?? settings.keyring;
  if (k !== undefined && !k.startsWith("/")) {
    return err({
      reason: "bad-input",
      message: `\`${APT_KEYS.keyring}\`: \`${k}\` is not an absolute path`,
      hint: `give the keyring file's absolute path, e.g. ${DEBIAN_ARCHIVE_KEYRING}`,
    });
  }
  const v = variant.value ?? settings.variant ?? "minbase";
  if (!isMmdebstrapVariant(v)) {
    return err({
      reason: "bad-input",
      message: `\`${APT_KEYS.variant}\`: \`${v}\` is not an mmdebstrap variant`,
      hint: `use one of ${MMDEBSTRAP_VARIANTS.join(", ")}`,
    });
  }
  const subarch = single(values, "subarch");
  if (!subarch.ok) return subarch;
  const architecture = subarch.value === undefined ? undefined : debianArchOf(subarch.value);
  if (subarch.value !== undefined && architecture === undefined) {
    return err({
      reason: "bad-input",
      message: `subarch \`${subarch.value}\` has no Debian architecture the apt driver can bootstrap`,
      hint: "use a subarch such as amd64, armv7a (armhf) or arm64 in the tree's [arch.<name>] table",
    });
  }
  return ok({
    suite: s,
    mirror: m,
    components,
    ...(k === undefined ? {} : { keyring: k }),
    variant: v,
    recommends: recommends.value,
    keepPackageDb: keepDb.value,
    ...(architecture === undefined ? {} : { architecture }),
  });
}
