// The build report page without a browser: escaping, sizes, and that it holds no script and
// loads nothing (test/e2e/cli/report-html.test.ts loads it in Chromium).
import { test } from "node:test";
import assert from "node:assert/strict";
import { CSP, escapeHtml, formatSize, renderBuildReport } from "../../../src/report/html-report.js";

void test("escapeHtml and formatSize", () => {
  assert.equal(
    escapeHtml(`<a href="x">'&'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
  );
  assert.equal(formatSize(0), "0 B");
  assert.equal(formatSize(1536), "1.5 KiB");
  assert.equal(formatSize(300 * 1024 * 1024), "300 MiB");
});

void test("a report of a run that never started still renders, self-contained, text escaped", () => {
  const html = renderBuildReport({
    tree: "<t>",
    treePath: "/x/<t>",
    date: "20260101",
    command: "substrate build '<t>'",
    started: 0,
    stages: [
      {
        id: "amd64/t:stage3",
        decision: "blocked",
        reason: "seed <missing>",
        output: "/o",
        outputs: [],
      },
    ],
    events: [
      {
        time: 5,
        event: { type: "stage-skipped", stage: "amd64/t:stage3", reason: "input <x> failed" },
      },
    ],
    graphSvg: "<svg></svg>",
    consoles: new Map(),
  });
  assert.ok(html.startsWith("<!DOCTYPE html>"));
  assert.ok(html.includes(CSP));
  assert.doesNotMatch(html, /<t>|<missing>|<x>|<script/);
  assert.match(html, /seed &lt;missing&gt;/);
  assert.match(html, /Skipped: input &lt;x&gt; failed/);
  assert.match(html, /unfinished/);
});
