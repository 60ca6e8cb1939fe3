/** Specs and catalyst.conf rendered for an installed catalyst (`--engine catalyst`). */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  renderCatalystConf,
  renderCatalystSpec,
} from "../../../src/drivers/portage/catalyst-spec.js";
import { parseSpec } from "../../../src/spec/parser.js";

void test("a rendered spec parses back to the same values, slot atoms included", () => {
  const values = {
    "stage4/packages": ["app-editors/nano", "dev-lang/python:3.12"],
    source_subpath: "amd64/systemd/stage3-amd64-systemd-latest",
    target: "stage4",
    subarch: "amd64",
    profile: "default/linux/amd64/23.0/systemd",
    "boot/kernel": "gentoo",
    portage_prefix: null,
  };
  const text = renderCatalystSpec(values);
  assert.match(text, /^target: stage4\nsubarch: amd64\nprofile: /m);
  const parsed = parseSpec("x.spec", text);
  const back = Object.fromEntries([...parsed.entries].map(([k, e]) => [k, e.value]));
  assert.deepEqual(back, {
    target: "stage4",
    subarch: "amd64",
    profile: "default/linux/amd64/23.0/systemd",
    source_subpath: "amd64/systemd/stage3-amd64-systemd-latest",
    "boot/kernel": "gentoo",
    "stage4/packages": ["app-editors/nano", "dev-lang/python:3.12"],
  });
  assert.match(text, /^stage4\/packages: app-editors\/nano dev-lang\/python:3\.12$/m);
  assert.equal(parsed.diagnostics.length, 0);
});

void test("catalyst.conf is TOML with the store, jobs and options", () => {
  const conf = renderCatalystConf({
    storedir: "/srv/s",
    distdir: "/srv/d",
    jobs: 4,
    loadAverage: 4,
    options: ["pkgcache", "kerncache"],
  });
  assert.match(conf, /^storedir = "\/srv\/s"$/m);
  assert.match(conf, /^options = \["pkgcache", "kerncache"\]$/m);
});
