import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { commandLine, shellQuote } from "../../../src/cli/command-line.js";

void describe("the user's command line, for hints", () => {
  void it("keeps plain words bare and quotes the rest as a shell reads it back", () => {
    assert.equal(shellQuote("--date"), "--date");
    assert.equal(shellQuote("a/b-c.d"), "a/b-c.d");
    assert.equal(shellQuote("my tree"), "'my tree'");
    assert.equal(shellQuote("it's"), "'it'\\''s'");
    assert.equal(shellQuote(""), "''");
  });

  void it("repeats every argument after `substrate`", () => {
    assert.equal(
      commandLine(["build", "--only", "r:stage4", "my tree"]),
      "substrate build --only r:stage4 'my tree'",
    );
  });
});
