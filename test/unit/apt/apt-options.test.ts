/** Resolving the apt driver's options from the tree settings and a stage's `apt/*` keys. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_APT_SETTINGS, resolveAptOptions } from "../../../src/drivers/apt/apt-options.js";

void test("without spec keys the tree settings apply, with minbase and no Recommends", () => {
  const r = resolveAptOptions(DEFAULT_APT_SETTINGS, {});
  assert.deepEqual(r, {
    ok: true,
    value: {
      suite: "bookworm",
      mirror: "http://deb.debian.org/debian",
      components: ["main"],
      keyring: "/usr/share/keyrings/debian-archive-keyring.gpg",
      variant: "minbase",
      recommends: false,
      keepPackageDb: false,
    },
  });
});

void test("spec keys override the tree, components split on spaces and commas", () => {
  const r = resolveAptOptions(
    { ...DEFAULT_APT_SETTINGS, variant: "apt" },
    {
      "apt/suite": "trixie",
      "apt/mirror": "https://mirror.example/debian",
      "apt/components": ["main", "contrib,non-free-firmware"],
      "apt/recommends": "yes",
      "embedded/keep_package_db": "true",
    },
  );
  assert.ok(r.ok);
  assert.equal(r.value.suite, "trixie");
  assert.equal(r.value.mirror, "https://mirror.example/debian");
  assert.deepEqual(r.value.components, ["main", "contrib", "non-free-firmware"]);
  assert.equal(r.value.variant, "apt", "the tree's [apt] variant is the default");
  assert.equal(r.value.recommends, true);
  assert.equal(r.value.keepPackageDb, true);
});

void test("a spec variant beats the tree's", () => {
  const r = resolveAptOptions(
    { ...DEFAULT_APT_SETTINGS, variant: "apt" },
    { "apt/variant": "standard" },
  );
  assert.ok(r.ok && r.value.variant === "standard");
});

void test("malformed values are bad-input failures naming the key", () => {
  const cases: [Record<string, string | string[]>, RegExp][] = [
    [{ "apt/variant": "tiny" }, /`apt\/variant`: `tiny` is not an mmdebstrap variant/],
    [{ "apt/suite": "../etc" }, /`apt\/suite`/],
    [{ "apt/suite": ["bookworm", "trixie"] }, /`apt\/suite` takes one value, got 2/],
    [{ "apt/mirror": "deb.debian.org/debian" }, /`apt\/mirror`: .* is not an archive URL/],
    [{ "apt/keyring": "keys.gpg" }, /`apt\/keyring`: `keys.gpg` is not an absolute path/],
    [{ "apt/recommends": "maybe" }, /`apt\/recommends` must be yes or no/],
    [{ "apt/components": "main --evil" }, /`apt\/components`: `--evil`/],
  ];
  for (const [values, message] of cases) {
    const r = resolveAptOptions(DEFAULT_APT_SETTINGS, values);
    assert.ok(!r.ok, JSON.stringify(values));
    assert.equal(r.error.reason, "bad-input");
    assert.match(r.error.message, message);
  }
});
