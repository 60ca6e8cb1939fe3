/**
 * `--help` of every command, `--version`, the completion scripts and the man page: all made
 * from one command table (src/cli/help.ts), so these tests walk that table.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { buildProgram } from "../../../src/cli/main.js";
import { allRows, commandTable, type CommandRow } from "../../../src/cli/help.js";
import { EXAMPLES } from "../../../src/cli/examples.js";
import { completionScript, VALUES } from "../../../src/cli/completion.js";
import { manPage, roffEscape } from "../../../src/cli/manpage.js";
import { buildCommit } from "../../../src/cli/build-info.js";
import { CLI_BIN, REPO_ROOT } from "../../helpers/cli.js";

const table = commandTable(buildProgram());
const rows = allRows(table);
const name = (r: CommandRow): string => ["substrate", ...r.path].join(" ");

/** The command at a path in a fresh program. */
function commandAt(path: readonly string[]): Command {
  let c: Command = buildProgram();
  for (const word of path) {
    const next = c.commands.find((s) => s.name() === word);
    assert.ok(next, word);
    c = next;
  }
  return c;
}

/** What `--help` prints for the command, examples included. */
function helpOf(path: readonly string[]): string {
  const c = commandAt(path);
  let text = "";
  c.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  c.outputHelp();
  return text;
}

function has(tool: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
}

void describe("help", () => {
  void it("every command's --help ends with examples that use it", () => {
    assert.ok(rows.length > 15);
    for (const row of rows) {
      const help = helpOf(row.path);
      assert.match(help, /\nExamples:\n {2}\S/, name(row));
      assert.ok(row.examples.length > 0, name(row));
      for (const e of row.examples) {
        assert.ok(help.includes(`  ${e}\n`) || help.endsWith(`  ${e}`), `${name(row)}: ${e}`);
        assert.ok(e.includes(name(row)), `${name(row)}'s example does not use it: ${e}`);
      }
    }
  });

  void it("every example belongs to a command that exists", () => {
    const paths = new Set(rows.map((r) => r.path.join(" ")));
    for (const key of Object.keys(EXAMPLES)) assert.ok(paths.has(key), `no command "${key}"`);
  });

  void it("wording is consistent: commands capitalised, options lower-case without a full stop, one --json and -h text", () => {
    for (const row of rows) {
      if (row.path.length > 0) assert.match(row.description, /^[A-Z]/, name(row));
      for (const o of row.options) {
        assert.doesNotMatch(
          o.description,
          /^(The|A|An|Print|Show) |\.$/,
          `${name(row)} ${o.flags}`,
        );
        if (o.long === "--help") assert.equal(o.description, "show this help");
        if (o.long === "--json") assert.match(o.description, /^print /, `${name(row)} --json`);
      }
      if (row.arguments.some((x) => x.name === "tree"))
        assert.match(
          helpOf(row.path),
          /\n {2}tree +the spec tree folder \(default: the current folder\)\n/,
          `${name(row)} [tree]`,
        );
    }
  });
});

void describe("--version", () => {
  void it("names the version and the commit the build was made from", () => {
    const r = spawnSync(process.execPath, [CLI_BIN, "--version"], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const m = /^0\.1\.0 \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)\n$/.exec(r.stdout);
    assert.ok(m, r.stdout);
    // The commit npm run build recorded, and one this checkout has (a later commit may not
    // have been built yet, so not necessarily HEAD).
    assert.equal(m[1], buildCommit());
    const hash = m[1].replace("-dirty", "");
    const inGit = spawnSync("git", ["rev-parse", "--git-dir"], { cwd: REPO_ROOT }).status === 0;
    if (inGit && hash !== "unknown") {
      const known = spawnSync("git", ["cat-file", "-e", `${hash}^{commit}`], { cwd: REPO_ROOT });
      assert.equal(known.status, 0, `${hash} is not a commit of this checkout`);
    }
  });

  void it("says unknown without the build's record", () => {
    const dir = mkdtempSync(join(tmpdir(), "substrate-version-"));
    assert.equal(buildCommit(new URL(`file://${dir}/none.json`)), "unknown");
    writeFileSync(join(dir, "bad.json"), "{");
    assert.equal(buildCommit(new URL(`file://${dir}/bad.json`)), "unknown");
    writeFileSync(join(dir, "ok.json"), '{"commit":"0123456789ab"}');
    assert.equal(buildCommit(new URL(`file://${dir}/ok.json`)), "0123456789ab");
  });
});

void describe("shell completion", () => {
  const dir = mkdtempSync(join(tmpdir(), "substrate-completion-"));
  const script = (shell: "bash" | "zsh" | "fish"): string => {
    const r = spawnSync(process.execPath, [CLI_BIN, "completion", shell], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, completionScript(shell, table));
    const file = join(dir, `substrate.${shell}`);
    writeFileSync(file, r.stdout);
    return file;
  };

  /** What bash's completion function offers for the words typed so far. */
  function bashOffers(file: string, words: readonly string[]): string[] {
    const r = spawnSync(
      "bash",
      [
        "-c",
        `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _substrate; printf '%s\\n' "\${COMPREPLY[@]}"`,
        "bash",
        file,
        ...words,
      ],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split("\n").filter((l) => l !== "");
  }

  void it("bash: offers every command, a command's flags, subcommands, and registers itself", () => {
    const file = script("bash");
    const top = bashOffers(file, ["substrate", ""]);
    for (const sub of table.subcommands) assert.ok(top.includes(sub.path[0] ?? ""), sub.path[0]);
    assert.deepEqual(bashOffers(file, ["substrate", "bu"]), ["build"]);
    const flags = bashOffers(file, ["substrate", "build", "--"]);
    for (const f of ["--only", "--date", "--jobs", "--test", "--json", "--help"])
      assert.ok(flags.includes(f), f);
    assert.ok(!flags.includes("--format"));
    assert.deepEqual(bashOffers(file, ["substrate", "graph", "--fo"]), ["--format"]);
    assert.deepEqual(bashOffers(file, ["substrate", "spec", ""]), ["parse", "help"]);
    assert.deepEqual(bashOffers(file, ["substrate", "firmware", "fix", "--d"]), ["--dry-run"]);
    assert.deepEqual(bashOffers(file, ["substrate", "graph", "--format", ""]), [
      "dot",
      "mermaid",
      "svg",
    ]);
    assert.deepEqual(bashOffers(file, ["substrate", "init", "--template", "p"]), ["portage"]);
    assert.deepEqual(bashOffers(file, ["substrate", "test", "--accel", ""]), [
      "kvm",
      "tcg",
      "auto",
    ]);
    assert.deepEqual(bashOffers(file, ["substrate", "completion", ""]), ["bash", "zsh", "fish"]);
    const r = spawnSync("bash", ["-c", `source "$1"; complete -p substrate`, "bash", file], {
      encoding: "utf8",
    });
    assert.match(r.stdout, /-F _substrate substrate/);
  });

  void it("zsh: the script parses and lists the same commands and flags", () => {
    const file = script("zsh");
    // A missing tool is a failure, not a skip: scripts/install-deps.sh installs it.
    assert.ok(has("zsh"), "zsh is not installed (scripts/install-deps.sh installs it)");
    const n = spawnSync("zsh", ["-n", file], { encoding: "utf8" });
    assert.equal(n.status, 0, n.stderr);
    const r = spawnSync(
      "zsh",
      [
        "-c",
        `compdef() { :; }; source "$1"; _substrate_commands ""; _substrate_options build`,
        "zsh",
        file,
      ],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^build:Build the stages/m);
    // Loaded after compinit, the script registers itself for substrate.
    const registered = spawnSync(
      "zsh",
      [
        "-fc",
        `autoload -U compinit; compinit -u -D; source "$1"; print -r -- $_comps[substrate]`,
        "zsh",
        file,
      ],
      { encoding: "utf8", env: { ...process.env, HOME: dir } },
    );
    assert.equal(registered.stdout.trim(), "_substrate", registered.stderr);
    assert.match(r.stdout, /^--keep-going:after a failure/m);
  });

  void it("fish: the script parses and completes commands and flags", () => {
    const file = script("fish");
    // A missing tool is a failure, not a skip: scripts/install-deps.sh installs it.
    assert.ok(has("fish"), "fish is not installed (scripts/install-deps.sh installs it)");
    const n = spawnSync("fish", ["-n", file], { encoding: "utf8" });
    assert.equal(n.status, 0, n.stderr);
    const r = spawnSync(
      "fish",
      [
        "-c",
        `source $argv[1]; complete -C "substrate bu"; complete -C "substrate build --ke"`,
        file,
      ],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^build\tBuild the stages/m);
    assert.match(r.stdout, /^--keep-going\t/m);
    assert.match(r.stdout, /^--keyring\t/m);
    const values = spawnSync(
      "fish",
      [
        "-c",
        `source $argv[1]; complete -C "substrate graph --format "; complete -C "substrate completion "`,
        file,
      ],
      { encoding: "utf8" },
    );
    const offered = values.stdout
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => l.split("\t")[0] ?? "");
    assert.deepEqual(offered.sort(), ["bash", "dot", "fish", "mermaid", "svg", "zsh"]);
  });

  void it("the fixed values complete for options and arguments that exist", () => {
    for (const key of Object.keys(VALUES)) {
      const words = key.split(" ");
      const option = words[words.length - 1]?.startsWith("--") === true ? words.pop() : undefined;
      const row = rows.find((r) => r.path.join(" ") === words.join(" "));
      assert.ok(row, `no command "${words.join(" ")}"`);
      if (option === undefined) assert.ok(row.arguments.length > 0, key);
      else
        assert.ok(
          row.options.some((o) => o.long === option && o.takesValue),
          key,
        );
    }
  });

  void it("an unknown shell is a usage error", () => {
    const r = spawnSync(process.execPath, [CLI_BIN, "completion", "tcsh"], { encoding: "utf8" });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bash, zsh, fish/);
  });
});

void describe("man page", () => {
  const r = spawnSync(process.execPath, [CLI_BIN, "man"], { encoding: "utf8" });
  const page = r.stdout;

  void it("is the table's: every command, option and example, in man macros", () => {
    assert.equal(r.status, 0, r.stderr);
    assert.match(page, /^\.TH SUBSTRATE 1 /);
    for (const s of ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS", "EXIT STATUS"])
      assert.match(page, new RegExp(`^\\.SH ${s}$`, "m"));
    for (const row of rows.slice(1)) {
      assert.ok(page.includes(`.SS ${roffEscape(name(row))}\n`), name(row));
      for (const o of row.options) assert.ok(page.includes(roffEscape(o.flags)), o.flags);
      for (const e of row.examples) assert.ok(page.includes(roffEscape(e)), e);
    }
    assert.doesNotMatch(page, /^[^.\n][^\n]*\n\.\n/m);
    assert.equal(manPage(table, "x"), manPage(table, "x"));
  });

  void it("renders without warnings and shows every command", () => {
    // A missing tool is a failure, not a skip: scripts/install-deps.sh installs it.
    assert.ok(has("groff"), "groff is not installed (scripts/install-deps.sh installs it)");
    const dir = mkdtempSync(join(tmpdir(), "substrate-man-"));
    const file = join(dir, "substrate.1");
    writeFileSync(file, page);
    const g = spawnSync("groff", ["-man", "-Tutf8", "-ww", "-z", file], { encoding: "utf8" });
    assert.equal(g.status, 0);
    assert.equal(g.stderr, "");
    const shown = spawnSync("man", ["-l", file], {
      encoding: "utf8",
      env: { ...process.env, MANPAGER: "cat", MANWIDTH: "100" },
    });
    if (shown.status !== 0) return; // man-db missing: groff's check above stands
    const text = shown.stdout.replace(new RegExp(`.${String.fromCharCode(8)}`, "g"), "");
    for (const row of rows.slice(1)) assert.ok(text.includes(name(row)), name(row));
    assert.ok(text.includes("substrate build --dry-run examples/roflmaos"));
  });

  void it("escapes roff's specials", () => {
    assert.equal(roffEscape(".x\n'y\na\\b-c"), "\\&.x\n\\&'y\na\\eb\\-c");
  });
});
