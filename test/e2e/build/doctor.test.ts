// `substrate doctor`: lists what a tree's stages need from the host, says what is missing and
// the apt-get command that installs it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, ofType, runCli } from "../../helpers/cli.js";

const tree = join(REPO_ROOT, "examples/roflmaos");

void test("doctor lists the tools the roflmaOS tree needs", async () => {
  const r = await runCli(["doctor", tree, "--json"]);
  const lines = ofType(r.events, "info").map((e) => String(e["message"]));
  for (const tool of ["mmdebstrap", "mksquashfs", "xorriso", "mcopy", "qemu-system-x86_64"]) {
    assert.ok(
      lines.some((l) => l.includes(tool)),
      `${tool} is listed:\n${lines.join("\n")}`,
    );
  }
});

void test("doctor names missing tools and the command that installs them", async () => {
  const empty = mkdtempSync(join(tmpdir(), "substrate-nopath-"));
  const r = await runCli(["doctor", tree, "--json"], { env: { PATH: empty } });
  assert.equal(r.code, 1);
  const missing = ofType(r.events, "info")
    .map((e) => String(e["message"]))
    .filter((l) => l.startsWith("MISSING"));
  assert.ok(
    missing.some((l) => l.includes("xorriso")),
    missing.join("\n"),
  );
  const warning = ofType(r.events, "warning").find((e) => String(e["hint"]).includes("apt-get"));
  assert.match(String(warning?.["hint"]), /apt-get install -y --no-install-recommends .*xorriso/);
});
