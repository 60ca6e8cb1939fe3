/**
 * What the Portage driver runs inside a build root, as data: emerge's options and environment
 * (catalyst's `run_merge` and `setup_features`, catalyst.md §2.8) and the command sequence of
 * each stage kind's own work (§3: stage1 `chroot.sh` + `preclean`, stage2 `bootstrap.sh`, stage3
 * `emerge -e @system` + depclean, stage4 `chroot.sh`'s `emerge -u @system`; livecd and diskimage
 * stage1 have none, their packages are installed with `--update --deep --newuse`). Pure: the
 * driver executes these,
 * `describePortageSteps` prints them, tests compare them with what catalyst does.
 */
import type { SpecValue, TargetKindName } from "../../spec/types.js";
import { stringOf, wordsOf } from "../../spec/values.js";
import { catalystUse, isBindist } from "./make-conf.js";

/** ROOT of stage1's new system (catalyst's stage1 `root_path`). */
export const STAGE1_ROOT = "/tmp/stage1root";
/** ROOT of embedded's merge (catalyst's `/tmp/mergeroot`). */
export const MERGE_ROOT = "/tmp/mergeroot";
/** Where the kernel cache is mounted (catalyst's kerncache bind). */
export const KERNCACHE_MOUNT = "/tmp/kerncache";
/** The binary package cache inside the root (`target_pkgdir`). */
export const PKGDIR = "/var/cache/binpkgs";
/** The distfiles cache inside the root (`target_distdir`). */
export const DISTDIR = "/var/cache/distfiles";

/** One command of a stage's work. */
export type StageCommand =
  | {
      readonly step: string;
      readonly argv: readonly string[];
      readonly env?: Readonly<Record<string, string>>;
      /** Skip (not fail) when argv[0] is not installed in the root (etc-update, locale-gen). */
      readonly optional?: boolean;
    }
  | {
      readonly step: string;
      readonly script: string;
      readonly env?: Readonly<Record<string, string>>;
    };

/** How emerge runs for a stage. */
export interface EmergeSettings {
  /** emerge --jobs. */
  readonly jobs: number;
  /** emerge --load-average and make -l. */
  readonly load: number;
  /** make -j. */
  readonly makeJobs: number;
  /** pkgcache: --usepkg --buildpkg --binpkg-respect-use=y --newuse. */
  readonly pkgcache: boolean;
  /** Foreign build under qemu-user (the spec names an `interpreter`). */
  readonly foreign: boolean;
  /** The build root has Portage's `sandbox` binary (`/usr/bin/sandbox`); a Gentoo seed does. */
  readonly sandboxBinary: boolean;
}

/** Where Portage looks for its `sandbox` binary (portage.const SANDBOX_BINARY, EPREFIX empty). */
export const SANDBOX_BINARY = "/usr/bin/sandbox";

/**
 * Portage's namespace sandboxes, which need `unshare(2)` with `CAP_SYS_ADMIN`. substrate's chroot
 * runner drops that capability (docs/isolation.md), so Portage could only print `Unable to
 * unshare: EPERM` and go on without them; the driver turns them off explicitly for every build
 * (native and foreign alike: under qemu-user they fail as well). The chroot is the isolation.
 */
export const NAMESPACE_SANDBOXES = ["-pid-sandbox", "-network-sandbox", "-ipc-sandbox"] as const;

/** emerge's common options (run_merge). */
export function emergeOptions(
  s: EmergeSettings,
  opts: { readonly seedUpdate?: boolean } = {},
): string[] {
  const out = ["--quiet", "--jobs", String(s.jobs), "--load-average", String(s.load)];
  if (s.pkgcache && opts.seedUpdate !== true) {
    out.push("--usepkg", "--buildpkg", "--binpkg-respect-use=y", "--newuse");
  }
  return out;
}

/**
 * The environment every emerge gets (setup_features + run_merge). FEATURES is catalyst's, plus
 * {@link NAMESPACE_SANDBOXES} always, plus `-sandbox -usersandbox` when the root has no
 * `sandbox` binary (a Debian-made seed), so Portage builds unsandboxed without first printing
 * `Problem with sandbox binary. Disabling...` (with the binary, Portage's sandbox stays on).
 */
export function emergeEnv(s: EmergeSettings): Record<string, string> {
  const features = ["-news", "binpkg-multi-instance", "clean-logs", "parallel-install"];
  features.push(...sandboxFeatures(s));
  return {
    FEATURES: features.join(" "),
    CONFIG_PROTECT: "-*",
    EMERGE_WARNING_DELAY: "0",
    CLEAN_DELAY: "0",
    MAKEOPTS: `-j${s.makeJobs} -l${s.load}`,
    PKGDIR,
    DISTDIR,
  };
}

/** The driver's sandbox opt-outs (see {@link emergeEnv}); also written to make.conf while building. */
export function sandboxFeatures(s: EmergeSettings): string[] {
  return [...NAMESPACE_SANDBOXES, ...(s.sandboxBinary ? [] : ["-sandbox", "-usersandbox"])];
}

/**
 * Emerge settings from the host's size: make -j<jobs>, emerge --jobs ~ jobs/2, load = cores.
 * `sandboxBinary` says whether the root has {@link SANDBOX_BINARY} (default: yes, as a Gentoo
 * seed has; `build --dry-run` has no root to look at).
 */
export function emergeSettingsFor(opts: {
  readonly jobs: number;
  readonly cores: number;
  readonly values: Readonly<Record<string, SpecValue>>;
  readonly sandboxBinary?: boolean;
}): EmergeSettings {
  const interp = opts.values["interpreter"];
  return {
    makeJobs: Math.max(1, opts.jobs),
    jobs: Math.max(1, Math.floor(opts.jobs / 2)),
    load: Math.max(1, opts.cores),
    pkgcache: opts.values["pkgcache_path"] !== undefined && opts.values["pkgcache_path"] !== null,
    foreign:
      interp !== undefined &&
      interp !== null &&
      (typeof interp === "string" ? interp !== "" : interp.length > 0),
    sandboxBinary: opts.sandboxBinary ?? true,
  };
}

/** World reset and log removal (catalyst's cleanup_stages), for the system at `root`. */
export function cleanupStagesScript(root: string): string {
  const r = root === "/" ? "" : root;
  return [
    `mkdir -p ${r}/var/lib/portage`,
    `: > ${r}/var/lib/portage/world`,
    `rm -f ${r}/var/log/emerge.log ${r}/var/log/emerge-fetch.log`,
    `rm -rf ${r}/var/log/portage/elog/*`,
  ].join("\n");
}

/** Lines appended to make.conf for stage1's ROOT build, removed afterwards (chroot.sh step 5). */
export function stage1MakeConfLines(values: Readonly<Record<string, SpecValue>>): string {
  const use = [
    "-*",
    "build",
    ...(isBindist(values) ? ["bindist"] : []),
    ...catalystUse("stage1", values).filter((u) => u !== "bindist"),
  ];
  return [
    "# substrate stage1 (temporary)",
    `CATALYST_USE="${use.join(" ")}"`,
    'USE="${CATALYST_USE} ${BOOTSTRAP_USE}"',
    'FEATURES="${FEATURES} nodoc noman noinfo"',
    "# substrate stage1 end",
  ].join("\n");
}

/** Which update_seed value a stage1 has, or a message when it is neither yes nor no. */
export function updateSeed(values: Readonly<Record<string, SpecValue>>): boolean | string {
  const s = stringOf(values["update_seed"]);
  if (s === undefined) return false;
  if (s === "yes") return true;
  if (s === "no") return false;
  return `update_seed must be yes or no, not "${s}"`;
}

/** What a kind's own commands are made from (one stage's settings and helpers). */
interface CommandKit {
  readonly values: Readonly<Record<string, SpecValue>>;
  readonly settings: EmergeSettings;
  readonly env: Record<string, string>;
  /** The profile's packages.build list (stage1 only). */
  readonly stage1Packages: readonly string[];
  /** An emerge command with the stage's options and environment (plus `extra`). */
  emerge(step: string, args: readonly string[], extra?: Record<string, string>): StageCommand;
  /** `etc-update --automode -5`, optional. */
  readonly etcUpdate: StageCommand;
}

/** The Portage half of a stage kind: its own commands and how it installs packages. */
interface KindEmerge {
  /** The commands of the kind's own work (Driver.buildStage); [] for kinds without such work. */
  commands(k: CommandKit): StageCommand[];
  /** Package installs update deeply (`--update --deep --newuse`): livecd/diskimage stage1. */
  readonly deepInstall: boolean;
}

/**
 * stage1 (catalyst `chroot.sh` + `preclean`): the seed updated if asked, then the profile's
 * packages.build into /tmp/stage1root.
 */
function stage1Commands(k: CommandKit): StageCommand[] {
  const cmds: StageCommand[] = [];
  if (updateSeed(k.values) === true) {
    const command = wordsOf(k.values["update_seed_command"]);
    cmds.push({
      step: "update seed",
      argv: [
        "emerge",
        ...emergeOptions(k.settings, { seedUpdate: true }),
        "--buildpkg=n",
        ...(command.length > 0 ? command : ["--update", "--deep", "--newuse", "@world"]),
      ],
      env: { ...k.env, ...(isBindist(k.values) ? { USE: "bindist" } : {}) },
    });
  }
  cmds.push(
    k.emerge("baselayout", ["--oneshot", "--nodeps", "sys-apps/baselayout"], {
      ROOT: STAGE1_ROOT,
      USE: "build",
    }),
    {
      step: "locale",
      script: [STAGE1_ROOT, ""]
        .map(
          (r) =>
            `mkdir -p ${r}/etc/env.d && echo 'C.UTF-8 UTF-8' > ${r}/etc/locale.gen && printf 'LANG="C.UTF-8"\\nLC_COLLATE="C.UTF-8"\\n' > ${r}/etc/env.d/02locale`,
        )
        .join("\n"),
    },
    {
      step: "make.conf (stage1)",
      script: `cat >> /etc/portage/make.conf <<'SUBSTRATE_EOF'\n${stage1MakeConfLines(k.values)}\nSUBSTRATE_EOF`,
    },
    k.emerge("packages.build", ["--implicit-system-deps=n", "--oneshot", ...k.stage1Packages], {
      ROOT: STAGE1_ROOT,
      BINPKG_COMPRESS: "zstd",
    }),
    {
      step: "locale-gen",
      script: `if command -v locale-gen >/dev/null 2>&1; then locale-gen --destdir ${STAGE1_ROOT}/ --config ${STAGE1_ROOT}/etc/locale.gen; fi`,
    },
    {
      step: "make.conf (restore)",
      script:
        "sed -i '/^# substrate stage1 (temporary)$/,/^# substrate stage1 end$/d' /etc/portage/make.conf",
    },
    {
      step: "preclean",
      script: [
        `ln -sfn ../usr/share/zoneinfo/Factory ${STAGE1_ROOT}/etc/localtime`,
        `rm -rf ${STAGE1_ROOT}/usr/share/man/* ${STAGE1_ROOT}/usr/share/doc/* ${STAGE1_ROOT}/usr/share/info/*`,
        cleanupStagesScript(STAGE1_ROOT),
      ].join("\n"),
    },
  );
  return cmds;
}

const NO_WORK: KindEmerge = { commands: () => [], deepInstall: false };

/** Every kind's Portage work; typed over every kind, so a new kind must say. */
const BY_KIND: Readonly<Record<TargetKindName, KindEmerge>> = {
  stage1: { commands: stage1Commands, deepInstall: false },
  stage2: {
    commands: (k) => [
      {
        step: "bootstrap.sh",
        argv: [
          "/var/db/repos/gentoo/scripts/bootstrap.sh",
          "-q",
          ...(k.settings.pkgcache ? ["-r"] : []),
        ],
        env: k.env,
      },
      k.etcUpdate,
      { step: "preclean", script: cleanupStagesScript("/") },
    ],
    deepInstall: false,
  },
  stage3: {
    commands: (k) => [
      k.emerge("@system", ["-e", "--update", "--deep", "--with-bdeps=y", "@system"]),
      k.etcUpdate,
      k.emerge("depclean", ["--depclean", "--with-bdeps=y"]),
      { step: "preclean", script: cleanupStagesScript("/") },
    ],
    deepInstall: false,
  },
  // catalyst's stage4 chroot.sh: `run_merge -u @system`, then the spec's packages (install).
  stage4: {
    commands: (k) => [k.emerge("@system", ["-u", "@system"])],
    deepInstall: false,
  },
  embedded: NO_WORK,
  // catalyst's livecd-stage1 and diskimage-stage1 chroot.sh: only `run_merge --update --deep
  // --newuse <packages>` (install), no @world update of their own.
  "livecd-stage1": { commands: () => [], deepInstall: true },
  "livecd-stage2": NO_WORK,
  "livecd-stage3": NO_WORK,
  "diskimage-stage1": { commands: () => [], deepInstall: true },
  "diskimage-stage2": NO_WORK,
  netboot: NO_WORK,
};

/**
 * The commands of a stage kind's own work (Driver.buildStage). `stage1Packages` is the profile's
 * packages.build list (read by the driver from the snapshot). Kinds without such work get [].
 */
export function stageCommands(
  kind: TargetKindName,
  values: Readonly<Record<string, SpecValue>>,
  s: EmergeSettings,
  stage1Packages: readonly string[] = [],
): StageCommand[] {
  const opts = emergeOptions(s);
  const env = emergeEnv(s);
  return BY_KIND[kind].commands({
    values,
    settings: s,
    env,
    stage1Packages,
    emerge: (step, args, extra = {}) => ({
      step,
      argv: ["emerge", ...opts, ...args],
      env: { ...env, ...extra },
    }),
    etcUpdate: { step: "etc-update", argv: ["etc-update", "--automode", "-5"], optional: true },
  });
}

/** The argv that installs `packages` for a stage kind (livecd/diskimage stage1 update deeply). */
export function installArgs(kind: TargetKindName, packages: readonly string[]): string[] {
  return BY_KIND[kind].deepInstall
    ? ["--update", "--deep", "--newuse", ...packages]
    : [...packages];
}
