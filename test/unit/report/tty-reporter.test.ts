import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TtyReporter } from "../../../src/report/tty-reporter.js";

/** A terminal stand-in that keeps what was written. */
function terminal(): { stream: NodeJS.WriteStream; text: () => string } {
  let out = "";
  const stream = {
    columns: 120,
    write(s: string) {
      out += s;
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { stream, text: () => out };
}

void describe("the TTY view", () => {
  void it("shows done/total, running and queued stages above the running ones", () => {
    const t = terminal();
    const r = new TtyReporter(t.stream);
    r.emit({ type: "run-started", command: "build", stages: 3, jobs: 1 });
    r.emit({ type: "stage-started", stage: "amd64/r:stage3", log: "/l" });
    assert.match(t.text(), / {2}0\/3 done, 1 running, 2 queued\n {2}… amd64\/r:stage3 /);
    r.emit({ type: "stage-succeeded", stage: "amd64/r:stage3", durationMs: 5, outputs: ["/o"] });
    r.emit({ type: "stage-started", stage: "amd64/r:stage4", log: "/l" });
    assert.match(t.text(), / {2}1\/3 done, 1 running, 1 queued\n {2}… amd64\/r:stage4 /);
    r.close();
  });

  void it("shows the guest console's latest line while a boot waits, and drops it at the next phase", () => {
    const t = terminal();
    const r = new TtyReporter(t.stream);
    r.emit({
      type: "boot-console",
      line: "[  3.1] Run /init as init process",
      phase: "kernel",
      elapsedMs: 14_000,
    });
    assert.match(
      t.text(),
      / {2}console \(kernel, 14\.0s\): \[ {2}3\.1\] Run \/init as init process\n$/,
    );
    r.emit({ type: "boot-phase", phase: "kernel", durationMs: 40_000 });
    const after = t.text().slice(t.text().lastIndexOf("boot: kernel"));
    assert.doesNotMatch(after, /console \(/);
    r.close();
  });
});
