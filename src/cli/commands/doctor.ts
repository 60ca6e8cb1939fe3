/**
 * `substrate doctor [TREE] [--install]`: lists the host tools the tree's stages need, which are
 * missing, and the apt command that installs them (`--install` runs it on Debian).
 */
import type { Command } from "commander";
import { delimiter } from "node:path";
import type { HostTool } from "../../drivers/driver.js";
import { driverFor } from "../../drivers/registry.js";
import { createReporter } from "../../report/reporter.js";
import { loadTree } from "../../spec/tree.js";
import { hasErrors } from "../../report/diagnostic.js";
import { findExecutable, run } from "../../sandbox/process.js";
import { TARGETS } from "../../targets/registry.js";

/** What `substrate test`/`boot` need on the host. */
const BOOT_TOOLS: readonly HostTool[] = [
  { command: "qemu-system-x86_64", debianPackage: "qemu-system-x86", why: "boots ISOs for tests" },
  { command: "osirrox", debianPackage: "xorriso", why: "reads files out of ISOs" },
  { command: "mtype", debianPackage: "mtools", why: "reads the ESP image" },
];

/** True when `command` is an executable on PATH (or in /usr/sbin and /sbin, as root has them). */
export function onPath(command: string): boolean {
  const path = `${process.env["PATH"] ?? "/usr/bin:/bin"}${delimiter}/usr/sbin${delimiter}/sbin`;
  return findExecutable(command, path) !== undefined;
}

/** Registers `substrate doctor`. */
export function registerDoctor(program: Command): void {
  program
    .command("doctor")
    .description("check that the host has the tools a tree's stages need")
    .argument("[tree]", "spec tree folder", ".")
    .option("--install", "install what is missing with apt-get (Debian hosts, as root)")
    .option("--json", "NDJSON events")
    .action(async (tree: string, opts: { install?: boolean; json?: boolean }) => {
      const reporter = createReporter({ json: opts.json === true });
      try {
        process.exitCode = await doctor(tree, opts.install === true, reporter);
      } finally {
        reporter.close();
      }
    });
}

async function doctor(
  treePath: string,
  install: boolean,
  reporter: ReturnType<typeof createReporter>,
): Promise<number> {
  const tree = loadTree(treePath, {});
  for (const d of tree.diagnostics) reporter.emit({ type: "diagnostic", diagnostic: d });
  if (hasErrors(tree.diagnostics)) return 1;
  const driver = driverFor(tree.config.driver, tree.config);
  const needed = new Map<string, { tool: HostTool; stages: string[] }>();
  const add = (tool: HostTool, stage: string): void => {
    const e = needed.get(tool.command) ?? { tool, stages: [] };
    e.stages.push(stage);
    needed.set(tool.command, e);
  };
  for (const s of tree.stages) {
    for (const t of driver.hostTools(s.kind)) add(t, s.id);
    for (const t of TARGETS[s.kind].hostTools) add(t, s.id);
  }
  for (const t of BOOT_TOOLS) add(t, "boot tests");
  const missing: HostTool[] = [];
  for (const { tool, stages } of [...needed.values()].sort((a, b) =>
    a.tool.command.localeCompare(b.tool.command),
  )) {
    const have = onPath(tool.command);
    if (!have) missing.push(tool);
    const where = stages.length > 2 ? `${stages.length} stages` : stages.join(", ");
    reporter.emit({
      type: "info",
      message: `${have ? "ok     " : "MISSING"} ${tool.command.padEnd(22)} (${tool.debianPackage}) ${tool.why}; for ${where}`,
    });
  }
  if (process.getuid?.() !== 0) {
    reporter.emit({
      type: "warning",
      message: "substrate builds need root (namespaces, chroots, device nodes in stage tarballs)",
      hint: "run substrate build as root, e.g. with sudo",
    });
  }
  if (missing.length === 0) {
    reporter.emit({ type: "info", message: "all host tools are present" });
    return 0;
  }
  const pkgs = [...new Set(missing.map((t) => t.debianPackage))].sort();
  const cmd = ["apt-get", "install", "-y", "--no-install-recommends", ...pkgs];
  if (!install) {
    reporter.emit({
      type: "warning",
      message: `${missing.length} tool(s) missing`,
      hint: `install them with: ${cmd.join(" ")}   (or run \`substrate doctor --install\`)`,
    });
    return 1;
  }
  reporter.emit({ type: "info", message: `running: ${cmd.join(" ")}` });
  const update = await run({
    argv: ["apt-get", "update"],
    extraEnv: { DEBIAN_FRONTEND: "noninteractive" },
  });
  const r = update.ok
    ? await run({ argv: cmd, extraEnv: { DEBIAN_FRONTEND: "noninteractive" } })
    : update;
  if (!r.ok) {
    reporter.emit({ type: "warning", message: `apt-get failed: ${r.error.reason}` });
    return 1;
  }
  reporter.emit({ type: "info", message: "installed" });
  return 0;
}
