/**
 * `substrate firmware show [--json]` lists every QEMU firmware descriptor, what it points at,
 * what is broken and which firmware `substrate boot`/`test` would use; `substrate firmware fix
 * [--user] [--prefix DIR] [--dry-run]` repairs broken descriptors and libvirt's nvram list.
 */
import type { Command } from "commander";
import {
  type DescriptorEntry,
  defaultDescriptorDirs,
  discoverFirmware,
  selectFirmware,
} from "../../boot/firmware.js";
import { applyFirmwareFix, planFirmwareFix } from "../../boot/firmware-fix.js";
import { writeOutput } from "../../report/output.js";
import { createReporter } from "../../report/reporter.js";

function describeEntry(e: DescriptorEntry): string[] {
  const lines = [`${e.name}  [${e.scope}] ${e.path}`];
  const status =
    e.status === "overridden"
      ? `overridden by ${e.shadowedBy ?? "?"}`
      : e.status === "hidden"
        ? `hidden by the empty ${e.shadowedBy ?? "?"}`
        : e.status === "empty"
          ? "empty file: disables this name"
          : e.status;
  lines.push(
    `    status:      ${status}${e.status === "active" ? (e.usable ? " (usable)" : " (BROKEN)") : ""}`,
  );
  if (e.descriptor !== undefined) {
    const d = e.descriptor;
    lines.push(`    description: ${d.description}`);
    lines.push(`    interfaces:  ${d.interfaceTypes.join(", ")}; device ${d.mapping.device}`);
    if (e.executable !== undefined)
      lines.push(
        `    code:        ${e.executable}${e.executableExists === true ? "" : "  (MISSING)"}`,
      );
    if (e.nvramTemplate !== undefined)
      lines.push(
        `    vars:        ${e.nvramTemplate}${e.nvramTemplateExists === true ? "" : "  (MISSING)"}`,
      );
    lines.push(
      `    targets:     ${d.targets.map((t) => `${t.architecture} [${t.machines.join(" ")}]`).join("; ")}`,
    );
    lines.push(`    features:    ${d.features.join(", ") || "(none)"}`);
  }
  for (const x of e.errors) lines.push(`    error:       ${x}`);
  for (const p of e.problems) lines.push(`    problem:     ${p}`);
  return lines;
}

/** Registers `firmware show` and `firmware fix`. */
export function registerFirmware(program: Command): void {
  const fw = program
    .command("firmware")
    .description("Inspect and repair the host's UEFI firmware (OVMF) setup for QEMU and libvirt");

  fw.command("show")
    .description(
      "List QEMU firmware descriptors, what they point at, what is broken, and the firmware substrate uses",
    )
    .option("--json", "print one JSON document")
    .option("--prefix <dir>", "read descriptor folders under DIR instead of /")
    .action((flags: { json?: boolean; prefix?: string }) => {
      const inventory = discoverFirmware(defaultDescriptorDirs(flags.prefix ?? ""));
      const plain = selectFirmware(inventory, { secureBoot: false });
      const secure = selectFirmware(inventory, { secureBoot: true });
      // ARM ISOs boot on QEMU's virt machine with AAVMF (boot/arch.ts); shown, not required.
      const byArch = {
        arm: selectFirmware(inventory, { secureBoot: false, arch: "arm" }),
        aarch64: selectFirmware(inventory, { secureBoot: false, arch: "aarch64" }),
      };
      // A medium that enrols its own keys (docs/secure-boot.md) boots Secure Boot in setup mode.
      const ownKeys = selectFirmware(inventory, { secureBoot: true, ownKeys: true });
      if (flags.json === true) {
        writeOutput(
          JSON.stringify(
            {
              dirs: inventory.dirs,
              descriptors: inventory.entries,
              selected: plain.ok ? plain.value : null,
              selectedSecureBoot: secure.ok ? secure.value : null,
              selectedByArch: {
                arm: byArch.arm.ok ? byArch.arm.value : null,
                aarch64: byArch.aarch64.ok ? byArch.aarch64.value : null,
              },
              selectedSecureBootOwnKeys: ownKeys.ok ? ownKeys.value : null,
              errors: [plain, secure, ownKeys].flatMap((r) => (r.ok ? [] : [r.error])),
            },
            null,
            2,
          ) + "\n",
        );
        return;
      }
      const out: string[] = [`Descriptor folders (lowest priority first):`];
      for (const d of inventory.dirs) out.push(`  ${d.scope.padEnd(7)} ${d.path}`);
      out.push("");
      if (inventory.entries.length === 0) out.push("No firmware descriptors found.", "");
      for (const e of inventory.entries) out.push(...describeEntry(e), "");
      const show = (label: string, r: typeof plain): void => {
        if (r.ok) {
          out.push(
            `${label}: ${r.value.code} + ${r.value.varsTemplate}${r.value.descriptor === undefined ? "" : ` (${r.value.descriptor})`}`,
          );
          for (const n of r.value.notes) out.push(`  note: ${n}`);
        } else {
          out.push(`${label}: none — ${r.error.message}`, `  hint: ${r.error.hint}`);
        }
      };
      show("substrate boot uses", plain);
      show("with --secure-boot", secure);
      show("an arm ISO (qemu-system-arm -machine virt) uses", byArch.arm);
      show("an aarch64 ISO (qemu-system-aarch64 -machine virt) uses", byArch.aarch64);
      show("with --secure-boot, a medium with its own keys (setup mode)", ownKeys);
      const broken = inventory.entries.filter(
        (e) =>
          e.status === "active" &&
          !e.usable &&
          e.problems.some((p) => p.endsWith("does not exist")),
      );
      if (broken.length > 0)
        out.push(
          "",
          `${broken.length} descriptor(s) point at missing files: run \`substrate firmware fix\``,
        );
      writeOutput(out.join("\n") + "\n");
    });

  fw.command("fix")
    .description(
      "Write corrected firmware descriptors and libvirt's nvram list (idempotent; backups as *.bak-substrate)",
    )
    .option(
      "--user",
      "write ~/.config/qemu/firmware and ~/.config/libvirt/qemu.conf instead of /etc",
    )
    .option("--prefix <dir>", "read and write every descriptor folder and config file under DIR")
    .option("--dry-run", "only print what would change")
    .action((flags: { user?: boolean; prefix?: string; dryRun?: boolean }) => {
      const plan = planFirmwareFix({ user: flags.user === true, prefix: flags.prefix ?? "" });
      const out: string[] = [];
      for (const c of plan.changes) {
        const verb =
          c.action === "unchanged"
            ? "unchanged"
            : flags.dryRun === true
              ? `would ${c.action}`
              : c.action === "create"
                ? "created"
                : "updated";
        out.push(`${verb}: ${c.path}`, `    ${c.summary}`);
        if (c.action === "update" && c.backup !== undefined) out.push(`    backup: ${c.backup}`);
      }
      for (const n of plan.notes) out.push(`note: ${n}`);
      const changed = plan.changes.filter((c) => c.action !== "unchanged").length;
      if (flags.dryRun !== true) {
        try {
          applyFirmwareFix(plan);
        } catch (e) {
          const reporter = createReporter({ text: { flushHints: true } });
          reporter.emit({
            type: "error",
            message: (e as Error).message,
            hint: `writing ${flags.user === true ? "per-user files" : "/etc"} needs permission${flags.user === true ? "" : "; try --user"}`,
          });
          reporter.close();
          process.exitCode = 1;
          return;
        }
      }
      out.push(
        changed === 0
          ? "Nothing to change."
          : `${changed} file(s) ${flags.dryRun === true ? "would change" : "changed"}.`,
      );
      writeOutput(out.join("\n") + "\n");
    });
}
