/**
 * The examples of every command's `--help` (and of the man page), by command path. A unit
 * test checks that every command has some and that every entry here names a command.
 */
import type { Command } from "commander";
import { withExamples } from "./help.js";

const ISO = "builds/amd64/roflmaos/20260101/livecd-stage3-amd64-roflmaos-20260101.iso";

export const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  "": [
    "substrate init mylive && cd mylive",
    "substrate check && substrate plan",
    "sudo substrate build --test",
    "substrate help build",
  ],
  init: [
    "substrate init mylive && substrate plan mylive",
    "substrate init --template portage gentoo-stages",
  ],
  spec: ["substrate spec parse examples/roflmaos/specs/amd64/roflmaos/stage4.spec"],
  "spec parse": [
    "substrate spec parse examples/roflmaos/specs/amd64/roflmaos/stage4.spec",
    "substrate spec parse --json examples/gentoo/specs/amd64/*/stage3.spec",
  ],
  check: [
    "substrate check examples/roflmaos",
    "substrate check examples/roflmaos/specs/amd64/roflmaos/stage4.spec",
    "substrate check --json . | jq -r 'select(.type == \"diagnostic\")'",
  ],
  plan: [
    "substrate plan examples/roflmaos",
    "substrate plan --only roflmaos:livecd-stage3 --date 20260101 examples/roflmaos",
    "substrate plan --export github-actions --remote ghcr.io/team/stages examples/roflmaos > .github/workflows/stages.yml",
  ],
  summary: [
    "substrate summary examples/roflmaos --only roflmaos:livecd-stage3",
    "substrate summary --json . | jq '.stages[].values'",
  ],
  graph: [
    "substrate graph examples/roflmaos | dot -Tpng -o stages.png",
    "substrate graph --format svg -o stages.svg examples/roflmaos",
    "substrate graph --format mermaid --only amd64/roflmaos examples/roflmaos",
  ],
  fetch: [
    "substrate fetch examples/gentoo",
    "substrate fetch --only amd64/minimal --seed-date 20250105T170325Z examples/gentoo",
  ],
  build: [
    "sudo substrate build examples/roflmaos",
    "sudo substrate build --only roflmaos:livecd-stage3 --test examples/roflmaos",
    "substrate build --dry-run examples/roflmaos   # what would run, as any user",
    "sudo substrate build --remote registry.example.org/team/roflmaos examples/roflmaos",
    "sudo substrate build --only roflmaos:livecd-stage3 --verify-reproducible examples/roflmaos",
  ],
  status: [
    "substrate status examples/roflmaos",
    "substrate status --json . | jq '.outputs[] | select(.state != \"fresh\")'",
  ],
  clean: [
    "substrate clean examples/roflmaos            # list what --builds --work would delete",
    "substrate clean --all --yes examples/roflmaos # delete everything the tree has in the store",
    "substrate clean --caches --dry-run .",
  ],
  doctor: ["substrate doctor examples/roflmaos", "sudo substrate doctor --install examples/gentoo"],
  boot: [`substrate boot ${ISO}`, `substrate boot --direct-kernel --append 'debug' ${ISO}`],
  test: [
    `substrate test ${ISO}`,
    `substrate test --checks checks.txt --junit boot.xml --os-name roflmaOS ${ISO}`,
    `substrate test --medium usb ${ISO}   # as a stick written with dd: the GPT's ESP`,
  ],
  "virt-install": [`substrate virt-install ${ISO} | sh`, `substrate virt-install --network ${ISO}`],
  firmware: ["substrate firmware show", "sudo substrate firmware fix"],
  genkey: [
    "substrate genkey ~/secureboot/mylive && substrate build --test",
    'substrate genkey --owner "Example Ltd" --bits 4096 ../keys',
  ],
  "firmware show": ["substrate firmware show", "substrate firmware show --json | jq .selected"],
  "firmware fix": ["substrate firmware fix --dry-run", "substrate firmware fix --user"],
  completion: [
    "source <(substrate completion bash)            # this bash session",
    "substrate completion zsh > ~/.zfunc/_substrate  # zsh, with ~/.zfunc on $fpath",
    "substrate completion fish > ~/.config/fish/completions/substrate.fish",
  ],
  man: ["substrate man | man -l -", "substrate man > /usr/local/share/man/man1/substrate.1"],
};

/** Gives every registered command (the program too) its examples from {@link EXAMPLES}. */
export function addExamples(command: Command, path: readonly string[] = []): void {
  const examples = EXAMPLES[path.join(" ")];
  if (examples !== undefined) withExamples(command, examples);
  for (const sub of command.commands) addExamples(sub, [...path, sub.name()]);
}
