// The text reporter prints what the commands printed themselves before: product lines on
// stdout, problems on stderr, no timestamps.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { TextReporter, type TextReporterOptions } from "../../../src/report/text-reporter.js";
import type { Event } from "../../../src/report/events.js";

class Sink extends Writable {
  text = "";
  isTTY = false;
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function render(
  events: readonly Event[],
  options: TextReporterOptions = {},
  tty = false,
): { out: string; err: string } {
  const out = new Sink();
  out.isTTY = tty;
  const err = new Sink();
  const r = new TextReporter(out as unknown as NodeJS.WriteStream, err, options);
  for (const e of events) r.emit(e);
  r.close();
  return { out: out.text, err: err.text };
}

const diagnostic: Event = {
  type: "diagnostic",
  diagnostic: { severity: "error", code: "x", message: "bad key" },
};

void describe("TextReporter", () => {
  void it("puts info on stdout and errors and warnings on stderr, without timestamps", () => {
    const r = render([
      { type: "info", message: "seed a -> b (clear-signed)" },
      { type: "warning", message: "p.txt is not signed (accepted: --insecure)" },
      { type: "error", message: "seed a: refused", hint: "pass --keyring" },
    ]);
    assert.equal(r.out, "seed a -> b (clear-signed)\n");
    assert.equal(
      r.err,
      "warning: p.txt is not signed (accepted: --insecure)\nerror: seed a: refused\n  hint: pass --keyring\n",
    );
  });

  void it("puts diagnostics where the command keeps them, each followed by a blank line", () => {
    assert.deepEqual(render([diagnostic], { diagnostics: "stdout" }), {
      out: "error: bad key\n\n",
      err: "",
    });
    assert.deepEqual(render([diagnostic]), { out: "", err: "error: bad key\n\n" });
  });

  void it("redraws progress on a terminal and shows none in a pipe", () => {
    const p: Event = { type: "stage-progress", stage: "fetch", message: "x: 1.0 MiB", fraction: 1 };
    assert.equal(render([p], {}, true).out, "\rx: 1.0 MiB\u001b[K\n");
    assert.deepEqual(render([p]), { out: "", err: "" });
  });

  void it("prints usage errors with the --help pointer", () => {
    assert.equal(
      render([{ type: "usage-error", command: "graph", message: "--format must be dot" }]).err,
      "error: --format must be dot\n(run `substrate graph --help` for usage)\n",
    );
  });

  void it("lays out boot's notes, its console line and flush hints as boot always did", () => {
    const r = render(
      [
        { type: "note", message: "no KVM: TCG" },
        { type: "boot-interactive", iso: "a.iso", loader: "EFI boot loader", accel: "tcg" },
        { type: "error", message: "qemu failed", hint: "install qemu" },
      ],
      { flushHints: true },
    );
    assert.equal(
      r.err,
      "note: no KVM: TCG\n" +
        "booting a.iso (EFI boot loader, tcg); Ctrl-A X quits, Ctrl-A C is the QEMU monitor\n" +
        "error: qemu failed\nhint: install qemu\n",
    );
  });
});
