/**
 * `substrate doctor [TREE] [--install]`: lists the host tools the tree's stages need, which are
 * missing, and the apt command that installs them, and for foreign arches (`interpreter`) what
 * binfmt_misc lacks. `--install` runs apt-get (Debian) and prepares binfmt_misc (mount, register
 * `qemu-<arch>` with the `F` flag), announcing each action.
 */
import type { Command } from "commander";
import type { HostTool } from "../../drivers/driver.js";
import { driverFor } from "../../drivers/registry.js";
import { createReporter } from "../../report/reporter.js";
import { loadTree } from "../../spec/tree.js";
import { hasErrors } from "../../report/diagnostic.js";
import { prepareInterpreterHost } from "../../sandbox/binfmt.js";
import { type InterpreterFailure, checkInterpreterHost } from "../../sandbox/interpreter.js";
import { rootInterpreters } from "../../drivers/apt/foreign.js";
import { onPath, run } from "../../sandbox/process.js";
import { TARGETS } from "../../targets/registry.js";
import { listOf } from "../../spec/values.js";
import { treeArgument } from "../help.js";

/** What `substrate test`/`boot` need on the host. */
const BOOT_TOOLS: readonly HostTool[] = [
  { command: "qemu-system-x86_64", debianPackage: "qemu-system-x86", why: "boots ISOs for tests" },
  { command: "osirrox", debianPackage: "xorriso", why: "reads files out of ISOs" },
  { command: "mtype", debianPackage: "mtools", why: "reads the ESP image" },
];

/** Registers `substrate doctor`. */
export function registerDoctor(program: Command): void {
  program
    .command("doctor")
    .description("Check that the host has the tools a tree's stages need")
    .addArgument(treeArgument())
    .option(
      "--install",
      "install what is missing with apt-get and prepare binfmt_misc for foreign arches (as root)",
    )
    .option("--json", "print NDJSON events instead of text")
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
  const interpreters = new Map<string, string[]>();
  for (const s of tree.stages) {
    for (const t of driver.hostTools(s.kind)) add(t, s.id);
    for (const t of TARGETS[s.kind].hostTools) add(t, s.id);
    // apt: a foreign subarch without `interpreter` still needs Debian's qemu-user-static one.
    const interp =
      tree.config.driver === "apt" ? rootInterpreters(s.values) : listOf(s.values["interpreter"]);
    for (const t of driver.foreignHostTools?.(interp) ?? []) add(t, s.id);
    for (const p of interp) interpreters.set(p, [...(interpreters.get(p) ?? []), s.id]);
  }
  for (const t of BOOT_TOOLS) add(t, "boot tests");
  const where = (stages: readonly string[]): string =>
    stages.length > 2 ? `${stages.length} stages` : stages.join(", ");
  const missing: HostTool[] = [];
  for (const { tool, stages } of [...needed.values()].sort((a, b) =>
    a.tool.command.localeCompare(b.tool.command),
  )) {
    const have = onPath(tool.command);
    if (!have) missing.push(tool);
    reporter.emit({
      type: "info",
      message: `${have ? "ok     " : "MISSING"} ${tool.command.padEnd(22)} (${tool.debianPackage}) ${tool.why}; for ${where(stages)}`,
    });
  }
  const installCommand = `substrate doctor --install ${treePath}`;
  const binfmt: InterpreterFailure[] = [];
  for (const [path, stages] of interpreters) {
    const c = checkInterpreterHost(path, { installCommand });
    if (!c.ok) binfmt.push(c.error);
    const state = c.ok
      ? `ok      binfmt_misc ${c.value.name} runs ${c.value.interpreter} (flags ${c.value.flags})`
      : `MISSING binfmt_misc for ${path}: ${c.error.message}`;
    reporter.emit({ type: "info", message: `${state}; for ${where(stages)}` });
  }
  if (process.getuid?.() !== 0) {
    reporter.emit({
      type: "warning",
      message: "substrate builds need root (namespaces, chroots, device nodes in stage tarballs)",
      hint: "run substrate build (and substrate doctor --install) as root",
    });
  }
  if (missing.length === 0 && binfmt.length === 0) {
    reporter.emit({ type: "info", message: "all host tools are present" });
    return 0;
  }
  if (!install) {
    for (const f of binfmt) {
      reporter.emit({
        type: "warning",
        message: f.message,
        ...("hint" in f ? { hint: f.hint } : {}),
      });
    }
  }
  if (missing.length === 0) return install ? prepareForeign(binfmt, installCommand, reporter) : 1;
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
    // What was asked (--install) could not be done: an error, not a warning.
    reporter.emit({ type: "error", message: `apt-get failed: ${r.error.reason}` });
    return 1;
  }
  reporter.emit({ type: "info", message: "installed" });
  return prepareForeign(binfmt, installCommand, reporter);
}

/** `--install`'s binfmt_misc part: sets up what `failures` lack, then checks again. */
async function prepareForeign(
  failures: readonly InterpreterFailure[],
  installCommand: string,
  reporter: ReturnType<typeof createReporter>,
): Promise<number> {
  if (failures.length === 0) return 0;
  const r = await prepareInterpreterHost([...new Set(failures.map((f) => f.path))], {
    installCommand,
    announce: (message) => {
      reporter.emit({ type: "info", message });
    },
  });
  if (!r.ok) {
    reporter.emit({
      type: "error",
      message: `binfmt_misc could not be prepared: ${r.error.message}`,
      ...("hint" in r.error ? { hint: r.error.hint } : {}),
    });
    return 1;
  }
  reporter.emit({ type: "info", message: "binfmt_misc is ready for the tree's foreign arches" });
  return 0;
}
