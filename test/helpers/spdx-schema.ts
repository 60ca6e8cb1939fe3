/**
 * Validation against the SPDX 2.3 JSON schema (test/fixtures/spdx/spdx-schema-2.3.json, committed
 * unchanged from spdx/spdx-spec; see the README there) with ajv, the JSON-schema validator, in its
 * draft 2019-09 mode (the schema's `$schema`), plus ajv-formats for any `format` keyword.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2019 } from "ajv/dist/2019.js";
import * as addFormatsModule from "ajv-formats";
import { REPO_ROOT } from "./cli.js";

/** The committed SPDX 2.3 schema. */
export const SPDX_SCHEMA_FILE = join(REPO_ROOT, "test/fixtures/spdx/spdx-schema-2.3.json");

// ajv-formats is CommonJS: its plugin function is the module's `default` export.
const addFormats = addFormatsModule.default as unknown as (ajv: Ajv2019) => Ajv2019;

let validator: ((doc: unknown) => string[]) | undefined;

/** The schema errors of `doc` (empty when it validates), each as `<path> <message>`. */
export function spdxSchemaErrors(doc: unknown): string[] {
  if (validator === undefined) {
    const ajv = new Ajv2019({ allErrors: true, strict: true });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(SPDX_SCHEMA_FILE, "utf8")) as object);
    validator = (d) =>
      validate(d)
        ? []
        : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`);
  }
  return validator(doc);
}
