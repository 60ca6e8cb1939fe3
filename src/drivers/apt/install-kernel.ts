/**
 * Installing a kernel in a Debian root: `boot/kernel/<label>/package` (default: the generic
 * kernel of the root's architecture, linux-image-amd64 on amd64), any
 * `boot/kernel/<label>/packages`, and dracut (Debian's kernels need an initramfs tool;
 * substrate's live media use dracut) without Recommends, so no firmware comes along.
 * `boot/kernel/<label>/config` is not meaningful: Debian kernels are prebuilt.
 */
import { basename } from "node:path";
import { lstatInRoot } from "../../sandbox/root-path.js";
import { globInRoot } from "../../sandbox/root-glob.js";
import { stringOf, wordsOf } from "../../spec/values.js";
import { ok, err } from "../../util/result.js";
import type { DriverResult, InstalledKernel, KernelRequest } from "../driver.js";
import { refuse } from "../session.js";
import { checkPackageNames } from "./apt-get.js";
import type { AptSession } from "./apt-session.js";
import { install } from "./install.js";
import { defaultKernelPackage, pickKernelVersion } from "./kernel.js";

/** Installs the requested kernel and names what was installed. */
export async function installKernel(
  s: AptSession,
  kernel: KernelRequest,
): Promise<DriverResult<InstalledKernel>> {
  const root = s.root;
  const prefix = `boot/kernel/${kernel.label}`;
  if (stringOf(kernel.keys["config"]) !== undefined) {
    return err({
      reason: "not-meaningful",
      message: `\`${prefix}/config\` is not meaningful with the apt driver: Debian kernels are prebuilt`,
      hint: `remove \`${prefix}/config\` and choose a kernel package with \`${prefix}/package\` (e.g. linux-image-amd64, linux-image-cloud-amd64)`,
    });
  }
  const dpkgArch = s.installed().find((p) => p.name === "dpkg")?.architecture;
  const pkg = stringOf(kernel.keys["package"]) ?? defaultKernelPackage(dpkgArch);
  const extra = wordsOf(kernel.keys["packages"]);
  const checked = checkPackageNames([pkg, ...extra], `${prefix}/package`);
  if (!checked.ok) return checked;
  // INITRD=No makes Debian's kernel hooks skip their own initramfs when the caller builds one.
  const env: Record<string, string> = kernel.skipDefaultInitramfs === true ? { INITRD: "No" } : {};
  const inst = await install(s, [pkg, "dracut", ...extra], env);
  if (!inst.ok) return inst;

  const modules = globInRoot(root, "/lib/modules/*");
  const candidates = (modules.ok ? modules.value : [])
    .map((p) => basename(p))
    .filter((v) => lstatInRoot(root, `/boot/vmlinuz-${v}`) !== undefined);
  const picked = pickKernelVersion(pkg, candidates, s.installed());
  if (!picked.ok) {
    return refuse(
      "bad-kernel",
      `${prefix}: ${picked.error.message}`,
      `name a versioned kernel package in \`${prefix}/package\` (e.g. linux-image-6.1.0-28-amd64)`,
    );
  }
  const version = picked.value;
  const config = `/boot/config-${version}`;
  return ok({
    label: kernel.label,
    version,
    image: `/boot/vmlinuz-${version}`,
    modulesDir: s.canonical(`/lib/modules/${version}`),
    ...(lstatInRoot(root, config) === undefined ? {} : { config }),
  });
}
