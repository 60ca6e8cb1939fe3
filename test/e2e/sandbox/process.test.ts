/**
 * The process runner: a missing program is a spawn error, output and status come back, and a
 * command started by a substrate process that is killed with SIGKILL dies with it (pdeathsig).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { findExecutable, run } from "../../../src/sandbox/process.js";
import { pidsMatching, waitFor } from "./busybox-root.js";

const processModule = fileURLToPath(new URL("../../../src/sandbox/process.js", import.meta.url));

void describe("run", () => {
  void it("reports a missing program as spawn-error, and statuses and output otherwise", async () => {
    const missing = await run({ argv: ["substrate-no-such-tool", "x"] });
    assert.ok(!missing.ok && missing.error.reason === "spawn-error");
    assert.match(missing.error.message, /command not found/);
    const rel = await run({ argv: ["./nope"], cwd: "/" });
    assert.ok(!rel.ok && rel.error.reason === "spawn-error");
    const out = await run({
      argv: ["sh", "-c", "echo out; echo err >&2; exit 3"],
      captureStdout: true,
    });
    assert.ok(!out.ok && out.error.reason === "exit-non-zero");
    assert.equal(out.error.status, 3);
    assert.equal(out.error.stdout, "out\n");
    assert.deepEqual(out.error.tail, ["err"]);
    assert.equal(findExecutable("sh", "/nonexistent:/bin"), "/bin/sh");
  });

  void it("kills the command when substrate is killed with SIGKILL", async () => {
    const marker = `${100000 + Math.floor(Math.random() * 800000)}`;
    const script = [
      `import { run } from ${JSON.stringify(processModule)};`,
      `console.log("go");`,
      `await run({ argv: ["sleep", "${marker}"] });`,
    ].join("\n");
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    assert.ok(await waitFor(() => pidsMatching(`sleep ${marker}`).length > 0, 5000));
    child.kill("SIGKILL");
    assert.ok(
      await waitFor(() => pidsMatching(`sleep ${marker}`).length === 0, 3000),
      "the command outlived substrate",
    );
  });
});
