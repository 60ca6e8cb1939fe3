/**
 * Foreign-architecture roots for the apt driver: a root whose dpkg architecture the host cannot
 * run natively (armhf or arm64 on amd64) runs its programs through qemu-user, registered with
 * binfmt_misc with the `F` flag (so nothing is copied into the root). Every operation that runs
 * a program in the root checks that first and refuses with what to run (`substrate doctor
 * --install`) before any work is done.
 */
import { checkInterpreters } from "../../sandbox/interpreter.js";
import { wordsOf } from "../../spec/values.js";
import type { SpecValue } from "../../spec/types.js";
import { ok } from "../../util/result.js";
import type { DriverResult } from "../driver.js";
import { refuse } from "../session.js";
import { debianArchOf } from "../../spec/machine.js";

/** The dpkg architectures a host CPU (`process.arch`) runs natively. */
export function nativeDebianArches(cpu: string = process.arch): readonly string[] {
  switch (cpu) {
    case "x64":
      return ["amd64", "i386"];
    case "ia32":
      return ["i386"];
    case "arm64":
      return ["arm64", "armhf", "armel"];
    case "arm":
      return ["armhf", "armel"];
    case "ppc64":
      return ["ppc64el"];
    case "riscv64":
      return ["riscv64"];
    default:
      return [];
  }
}

/** Debian's qemu-user-static interpreter for a dpkg architecture. */
export function qemuUserStatic(debianArch: string): string | undefined {
  const name: Record<string, string> = {
    armhf: "arm",
    armel: "arm",
    arm64: "aarch64",
    amd64: "x86_64",
    i386: "i386",
    ppc64el: "ppc64le",
    riscv64: "riscv64",
  };
  const n = name[debianArch];
  return n === undefined ? undefined : `/usr/bin/qemu-${n}-static`;
}

/**
 * The interpreters a stage's root needs on this host: the tree's `interpreter` when set, else,
 * for a foreign architecture, Debian's qemu-user-static one. Empty for a native root. Pure.
 */
export function rootInterpreters(
  values: Readonly<Record<string, SpecValue>>,
  cpu: string = process.arch,
): string[] {
  const configured = wordsOf(values["interpreter"]);
  if (configured.length > 0) return configured;
  const subarch = values["subarch"];
  const arch = typeof subarch === "string" ? debianArchOf(subarch) : undefined;
  if (arch === undefined || nativeDebianArches(cpu).includes(arch)) return [];
  const q = qemuUserStatic(arch);
  return q === undefined ? [] : [q];
}

/** Refuses a foreign root whose interpreter binfmt_misc cannot run (before any work). */
export function checkForeignRoot(values: Readonly<Record<string, SpecValue>>): DriverResult {
  const interpreters = rootInterpreters(values);
  if (interpreters.length === 0) return ok(undefined);
  const c = checkInterpreters(interpreters, {
    installCommand: "substrate doctor --install <tree>",
  });
  if (c.ok) return ok(undefined);
  const subarch = typeof values["subarch"] === "string" ? values["subarch"] : "?";
  return refuse(
    "interpreter-unusable",
    `the ${subarch} root's programs cannot run on this host: ${c.error.message}`,
    "hint" in c.error
      ? c.error.hint
      : "run `substrate doctor --install <tree>` as root (binfmt_misc, qemu-user-static)",
  );
}
