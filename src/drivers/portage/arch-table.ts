/**
 * A small arch table in the shape of catalyst's `arch/*.toml` (catalyst.md §1.3): per subarch
 * the `COMMON_FLAGS`, `CHOST` and `CPU_FLAGS_*` catalyst merges into a stage's settings, plus
 * what catalyst leaves out and substrate needs: the Gentoo keyword folder of the autobuilds
 * (`releases/<keyword>/autobuilds/`) and the kernel image path inside a kernel source tree
 * (catalyst's unset `clst_basearch`, gentoo/catalyst#19, which this table fixes).
 */

/** One subarch table. */
export interface ArchEntry {
  /** Catalyst subarch name (`amd64`, `armv7a_hardfp`). */
  readonly subarch: string;
  /** Gentoo's keyword / release folder (`amd64`, `arm`). */
  readonly keyword: string;
  readonly commonFlags: string;
  readonly chost: string;
  /** `CPU_FLAGS_X86`, `CPU_FLAGS_ARM`, ... by variable name. */
  readonly cpuFlags: Readonly<Record<string, readonly string[]>>;
  /** The kernel image inside a built source tree, relative to it. */
  readonly kernelImage: string;
  /** The Linux `ARCH=` value. */
  readonly kernelArch: string;
  /** qemu-user binary name that runs this arch's programs on another host. */
  readonly qemu: string;
  /** `uname -m` values of hosts that run this arch natively. */
  readonly nativeOn: readonly string[];
}

/** The subarches substrate knows, modelled on catalyst's amd64.toml, x86.toml, arm.toml, arm64.toml. */
export const ARCH_TABLE: readonly ArchEntry[] = [
  {
    subarch: "amd64",
    keyword: "amd64",
    commonFlags: "-O2 -pipe",
    chost: "x86_64-pc-linux-gnu",
    cpuFlags: { CPU_FLAGS_X86: ["mmx", "mmxext", "sse", "sse2"] },
    kernelImage: "arch/x86/boot/bzImage",
    kernelArch: "x86",
    qemu: "qemu-x86_64",
    nativeOn: ["x86_64"],
  },
  {
    subarch: "x86-64-v3",
    keyword: "amd64",
    commonFlags: "-O2 -pipe -march=x86-64-v3",
    chost: "x86_64-pc-linux-gnu",
    cpuFlags: {
      CPU_FLAGS_X86: [
        "avx",
        "avx2",
        "f16c",
        "fma3",
        "mmx",
        "mmxext",
        "popcnt",
        "sse",
        "sse2",
        "sse3",
        "sse4_1",
        "sse4_2",
        "ssse3",
      ],
    },
    kernelImage: "arch/x86/boot/bzImage",
    kernelArch: "x86",
    qemu: "qemu-x86_64",
    nativeOn: ["x86_64"],
  },
  {
    subarch: "i686",
    keyword: "x86",
    commonFlags: "-O2 -march=i686 -pipe",
    chost: "i686-pc-linux-gnu",
    cpuFlags: { CPU_FLAGS_X86: [] },
    kernelImage: "arch/x86/boot/bzImage",
    kernelArch: "x86",
    qemu: "qemu-i386",
    nativeOn: ["i686", "x86_64"],
  },
  {
    subarch: "arm64",
    keyword: "arm64",
    commonFlags: "-O2 -pipe",
    chost: "aarch64-unknown-linux-gnu",
    cpuFlags: {},
    kernelImage: "arch/arm64/boot/Image",
    kernelArch: "arm64",
    qemu: "qemu-aarch64",
    nativeOn: ["aarch64"],
  },
  {
    subarch: "armv7a_hardfp",
    keyword: "arm",
    commonFlags: "-O2 -pipe -march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=hard",
    chost: "armv7a-unknown-linux-gnueabihf",
    cpuFlags: {
      CPU_FLAGS_ARM: ["edsp", "thumb", "thumb2", "v4", "v5", "v6", "v7", "vfp", "vfp-d32", "vfpv3"],
    },
    kernelImage: "arch/arm/boot/zImage",
    kernelArch: "arm",
    qemu: "qemu-arm",
    nativeOn: ["armv7l", "armv8l", "aarch64"],
  },
  {
    subarch: "armv6j_hardfp",
    keyword: "arm",
    commonFlags: "-O2 -pipe -march=armv6j -mfpu=vfp -mfloat-abi=hard",
    chost: "armv6j-unknown-linux-gnueabihf",
    cpuFlags: { CPU_FLAGS_ARM: ["edsp", "thumb", "v4", "v5", "v6", "vfp"] },
    kernelImage: "arch/arm/boot/zImage",
    kernelArch: "arm",
    qemu: "qemu-arm",
    nativeOn: ["armv6l", "armv7l", "armv8l", "aarch64"],
  },
];

/** The table for `subarch`, or undefined (catalyst: "Unknown host machine type"). */
export function archEntry(subarch: string): ArchEntry | undefined {
  return ARCH_TABLE.find((a) => a.subarch === subarch);
}

/** Subarch names for messages. */
export function knownSubarches(): string[] {
  return ARCH_TABLE.map((a) => a.subarch);
}
