/** Firmware descriptor parsing, QEMU's precedence rules, and the choice of firmware. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  machineGlobMatches,
  parseDescriptor,
  supportsQ35,
} from "../../../src/boot/firmware-descriptor.js";
import {
  type DescriptorDir,
  defaultDescriptorDirs,
  discoverFirmware,
  selectFirmware,
} from "../../../src/boot/firmware.js";
import { type KnownFirmwarePair } from "../../../src/boot/known-firmware.js";

interface Kind {
  code: string;
  vars: string;
  features?: string[];
  machines?: string[];
  arch?: string;
}

function descriptor(k: Kind): string {
  return JSON.stringify({
    description: `test ${k.code}`,
    "interface-types": ["uefi"],
    mapping: {
      device: "flash",
      executable: { filename: k.code, format: "raw" },
      "nvram-template": { filename: k.vars, format: "raw" },
    },
    targets: [
      { architecture: k.arch ?? "x86_64", machines: k.machines ?? ["pc-i440fx-*", "pc-q35-*"] },
    ],
    features: k.features ?? ["acpi-s3"],
    tags: [],
  });
}

function setup(): {
  root: string;
  dirs: DescriptorDir[];
  fw: (name: string) => string;
  done: () => void;
} {
  const root = mkdtempSync(join(tmpdir(), "substrate-fw-test-"));
  const dirs = defaultDescriptorDirs(root, { HOME: "/home/tester" });
  for (const d of dirs) mkdirSync(d.path, { recursive: true });
  mkdirSync(join(root, "fw"));
  const fw = (name: string): string => {
    const p = join(root, "fw", name);
    writeFileSync(p, "firmware");
    return p;
  };
  return {
    root,
    dirs,
    fw,
    done: () => {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

const [distro, system, user] = [0, 1, 2];

void test("the schema validator accepts a distribution descriptor and reports every problem of a bad one", () => {
  const good = parseDescriptor(
    JSON.parse(descriptor({ code: "/a", vars: "/b", features: ["secure-boot", "requires-smm"] })),
  );
  assert.equal(good.ok, true);
  const bad = parseDescriptor({
    description: 1,
    "interface-types": ["uefi", "coreboot"],
    mapping: { device: "flash", executable: { filename: "/a", format: "vmdk" } },
    targets: [{ architecture: "x86_64" }],
    features: ["warp-drive"],
    extra: true,
  });
  assert.equal(bad.ok, false);
  const text = bad.error.join("\n");
  for (const want of [
    'missing required member "tags"',
    'unknown member "extra"',
    "description: expected a string",
    '"coreboot" is not one of',
    "mapping.executable.format",
    '"nvram-template" is required in split mode',
    'targets[0]: missing required member "machines"',
    '"warp-drive" is not one of',
  ]) {
    assert.ok(text.includes(want), `missing: ${want}\n${text}`);
  }
});

void test("machine globs: pc-q35-* serves q35, pc-i440fx-* does not", () => {
  assert.ok(machineGlobMatches("pc-q35-*", "pc-q35-7.2"));
  assert.ok(!machineGlobMatches("pc-i440fx-*", "pc-q35-7.2"));
  const d = parseDescriptor(
    JSON.parse(descriptor({ code: "/a", vars: "/b", machines: ["pc-i440fx-*"] })),
  );
  assert.ok(d.ok && !supportsQ35(d.value));
});

void test("precedence: sorted by file name, a more specific folder overrides, an empty file hides", () => {
  const t = setup();
  try {
    const code = t.fw("CODE.fd");
    const vars = t.fw("VARS.fd");
    writeFileSync(
      join(t.dirs[distro]!.path, "60-plain.json"),
      descriptor({ code: "/missing/code.fd", vars: "/missing/vars.fd" }),
    );
    writeFileSync(join(t.dirs[system]!.path, "60-plain.json"), descriptor({ code, vars }));
    writeFileSync(join(t.dirs[distro]!.path, "50-hidden.json"), descriptor({ code, vars }));
    writeFileSync(join(t.dirs[user]!.path, "50-hidden.json"), "");
    writeFileSync(join(t.dirs[distro]!.path, "10-broken.json"), "{ not json");
    writeFileSync(join(t.dirs[distro]!.path, "README"), "ignored: not *.json");
    const inv = discoverFirmware(t.dirs);
    assert.deepEqual(
      inv.entries.map((e) => [e.name, e.scope, e.status, e.usable]),
      [
        ["10-broken.json", "distro", "invalid", false],
        ["50-hidden.json", "user", "empty", false],
        ["50-hidden.json", "distro", "hidden", false],
        ["60-plain.json", "system", "active", true],
        ["60-plain.json", "distro", "overridden", false],
      ],
    );
    const overridden = inv.entries.find((e) => e.status === "overridden");
    assert.equal(overridden?.shadowedBy, join(t.dirs[system]!.path, "60-plain.json"));
    assert.deepEqual(overridden.problems, [
      "executable /missing/code.fd does not exist",
      "nvram-template /missing/vars.fd does not exist",
    ]);
  } finally {
    t.done();
  }
});

void test("selection prefers a plain build, picks enrolled keys for --secure-boot, and reports why not", () => {
  const t = setup();
  try {
    const plain = t.fw("CODE.fd");
    const sb = t.fw("CODE.secboot.fd");
    const vars = t.fw("VARS.fd");
    const ms = t.fw("VARS.ms.fd");
    const d = t.dirs[distro]!.path;
    writeFileSync(
      join(d, "40-enrolled.json"),
      descriptor({
        code: sb,
        vars: ms,
        features: ["enrolled-keys", "requires-smm", "secure-boot"],
      }),
    );
    writeFileSync(
      join(d, "50-secure.json"),
      descriptor({ code: sb, vars, features: ["requires-smm", "secure-boot"] }),
    );
    writeFileSync(join(d, "60-plain.json"), descriptor({ code: plain, vars }));
    writeFileSync(
      join(d, "70-i440fx-only.json"),
      descriptor({ code: plain, vars, machines: ["pc-i440fx-*"] }),
    );
    writeFileSync(join(d, "80-aarch64.json"), descriptor({ code: plain, vars, arch: "aarch64" }));
    const inv = discoverFirmware(t.dirs);
    const p = selectFirmware(inv, { secureBoot: false, candidates: [] });
    assert.ok(p.ok);
    assert.equal(p.value.code, plain);
    assert.equal(p.value.requiresSmm, false);
    const s = selectFirmware(inv, { secureBoot: true, candidates: [] });
    assert.ok(s.ok);
    assert.deepEqual([s.value.code, s.value.varsTemplate, s.value.requiresSmm], [sb, ms, true]);
    // A medium with its own keys: Secure Boot in setup mode (no keys enrolled in the template).
    const own = selectFirmware(inv, { secureBoot: true, ownKeys: true, candidates: [] });
    assert.ok(own.ok);
    assert.deepEqual(
      [own.value.code, own.value.varsTemplate, own.value.enrolledKeys, own.value.requiresSmm],
      [sb, vars, false, true],
    );
    const byName = new Map(inv.entries.map((e) => [e.name, e]));
    assert.deepEqual(byName.get("70-i440fx-only.json")?.problems, [
      "x86_64 target does not list a q35 machine",
    ]);
    assert.deepEqual(byName.get("80-aarch64.json")?.problems, ["no x86_64 target"]);
  } finally {
    t.done();
  }
});

void test("broken descriptors fall back to well-known paths with a note, or fail with a hint", () => {
  const t = setup();
  try {
    writeFileSync(
      join(t.dirs[distro]!.path, "60-edk2-x86_64.json"),
      descriptor({ code: "/usr/share/qemu/edk2-x86_64-code.fd.missing", vars: "/nope.fd" }),
    );
    const inv = discoverFirmware(t.dirs);
    const candidates: KnownFirmwarePair[] = [
      {
        code: t.fw("OVMF_CODE.fd"),
        vars: t.fw("OVMF_VARS.fd"),
        secureBoot: false,
        enrolledKeys: false,
        requiresSmm: false,
        origin: "test",
      },
    ];
    const r = selectFirmware(inv, { secureBoot: false, candidates });
    assert.ok(r.ok);
    assert.equal(r.value.descriptor, undefined);
    assert.match(r.value.notes.join(" "), /60-edk2-x86_64\.json/);
    const none = selectFirmware(inv, { secureBoot: true, candidates });
    assert.ok(!none.ok);
    assert.equal(none.error.reason, "no-firmware");
  } finally {
    t.done();
  }
});
