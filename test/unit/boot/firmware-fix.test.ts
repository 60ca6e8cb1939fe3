/** `firmware fix` under a prefix: schema-valid descriptors, idempotence, backups, libvirt's nvram list. */
import { test } from "node:test";
import { spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDescriptor } from "../../../src/boot/firmware-descriptor.js";
import {
  defaultDescriptorDirs,
  discoverFirmware,
  selectFirmware,
} from "../../../src/boot/firmware.js";
import { type KnownFirmwarePair } from "../../../src/boot/known-firmware.js";
import {
  BACKUP_SUFFIX,
  applyFirmwareFix,
  planFirmwareFix,
  setLibvirtNvram,
} from "../../../src/boot/firmware-fix.js";

/** The descriptor Gentoo's qemu ships, pointing at files that are not installed. */
function gentooDescriptor(code: string, vars: string, features: string[]): string {
  return JSON.stringify({
    description: "UEFI firmware for x86_64",
    "interface-types": ["uefi"],
    mapping: {
      device: "flash",
      executable: { filename: code, format: "raw" },
      "nvram-template": { filename: vars, format: "raw" },
    },
    targets: [{ architecture: "x86_64", machines: ["pc-i440fx-*", "pc-q35-*"] }],
    features,
    tags: [],
  });
}

function world(): { prefix: string; candidates: KnownFirmwarePair[]; done: () => void } {
  const prefix = mkdtempSync(join(tmpdir(), "substrate-fwfix-test-"));
  const fw = join(prefix, "edk2-ovmf");
  mkdirSync(fw);
  for (const f of ["OVMF_CODE.fd", "OVMF_CODE.secboot.fd", "OVMF_VARS.fd"])
    writeFileSync(join(fw, f), f);
  const distro = join(prefix, "usr/share/qemu/firmware");
  mkdirSync(distro, { recursive: true });
  writeFileSync(
    join(distro, "50-edk2-x86_64-secure.json"),
    gentooDescriptor(
      "/usr/share/qemu/edk2-x86_64-secure-code.fd.gone",
      "/usr/share/qemu/edk2-i386-vars.fd.gone",
      ["requires-smm", "secure-boot"],
    ),
  );
  writeFileSync(
    join(distro, "60-edk2-x86_64.json"),
    gentooDescriptor(
      "/usr/share/qemu/edk2-x86_64-code.fd.gone",
      "/usr/share/qemu/edk2-i386-vars.fd.gone",
      ["acpi-s3"],
    ),
  );
  const candidates: KnownFirmwarePair[] = [
    {
      code: join(fw, "OVMF_CODE.fd"),
      vars: join(fw, "OVMF_VARS.fd"),
      secureBoot: false,
      enrolledKeys: false,
      requiresSmm: false,
      origin: "test",
    },
    {
      code: join(fw, "OVMF_CODE.secboot.fd"),
      vars: join(fw, "OVMF_VARS.fd"),
      secureBoot: true,
      enrolledKeys: false,
      requiresSmm: true,
      origin: "test",
    },
  ];
  return {
    prefix,
    candidates,
    done: () => {
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

void test("fix writes schema-valid overrides pointing at existing files, and a second run changes nothing", () => {
  const w = world();
  try {
    const env = { HOME: "/home/tester" };
    const before = discoverFirmware(defaultDescriptorDirs(w.prefix, env));
    assert.ok(
      !selectFirmware(before, { secureBoot: false, candidates: [] }).ok,
      "broken before the fix",
    );
    mkdirSync(join(w.prefix, "etc/libvirt"), { recursive: true });
    const plan = planFirmwareFix({ user: false, prefix: w.prefix, candidates: w.candidates, env });
    applyFirmwareFix(plan);
    const etc = join(w.prefix, "etc/qemu/firmware");
    for (const name of ["50-edk2-x86_64-secure.json", "60-edk2-x86_64.json"]) {
      const parsed = parseDescriptor(JSON.parse(readFileSync(join(etc, name), "utf8")));
      assert.ok(parsed.ok, `${name}: ${parsed.ok ? "" : parsed.error.join("; ")}`);
      const m = parsed.value.mapping;
      assert.equal(m.device, "flash");
      assert.ok(
        existsSync(m.executable.filename) &&
          m.nvramTemplate !== undefined &&
          existsSync(m.nvramTemplate.filename),
      );
    }
    const after = discoverFirmware(defaultDescriptorDirs(w.prefix, env));
    const chosen = selectFirmware(after, { secureBoot: false, candidates: [] });
    assert.ok(chosen.ok);
    assert.equal(chosen.value.code, w.candidates[0]!.code);
    assert.equal(chosen.value.descriptor, join(etc, "60-edk2-x86_64.json"));
    // The Secure Boot entry (the seed's edk2-x86_64-secure-code.fd) serves test --secure-boot
    // for a medium with its own keys once fixed: Secure Boot firmware in setup mode.
    const own = selectFirmware(after, { secureBoot: true, ownKeys: true, candidates: [] });
    assert.ok(own.ok, own.ok ? "" : own.error.message);
    assert.deepEqual(
      [own.value.code, own.value.varsTemplate, own.value.descriptor],
      [w.candidates[1]!.code, w.candidates[1]!.vars, join(etc, "50-edk2-x86_64-secure.json")],
    );
    const conf = readFileSync(join(w.prefix, "etc/libvirt/qemu.conf"), "utf8");
    assert.ok(conf.includes(`"${w.candidates[0]!.code}:${w.candidates[0]!.vars}",`), conf);
    assert.ok(conf.includes(`"${w.candidates[1]!.code}:${w.candidates[1]!.vars}",`), conf);

    const again = planFirmwareFix({ user: false, prefix: w.prefix, candidates: w.candidates, env });
    assert.deepEqual(
      again.changes.map((c) => c.action),
      again.changes.map(() => "unchanged"),
    );
  } finally {
    w.done();
  }
});

void test("fix keeps a backup of a changed file and edits an existing qemu.conf in place", () => {
  const w = world();
  try {
    const env = { HOME: "/home/tester" };
    const libvirt = join(w.prefix, "etc/libvirt");
    mkdirSync(libvirt, { recursive: true });
    const original =
      '# libvirt config\nuser = "qemu"\nnvram = [\n  "/old/CODE.fd:/old/VARS.fd"\n]\nsecurity_driver = "none"\n';
    writeFileSync(join(libvirt, "qemu.conf"), original);
    const plan = planFirmwareFix({ user: false, prefix: w.prefix, candidates: w.candidates, env });
    const confChange = plan.changes.find((c) => c.path.endsWith("qemu.conf"));
    assert.equal(confChange?.action, "update");
    applyFirmwareFix(plan);
    assert.equal(readFileSync(join(libvirt, "qemu.conf" + BACKUP_SUFFIX), "utf8"), original);
    const conf = readFileSync(join(libvirt, "qemu.conf"), "utf8");
    assert.ok(!conf.includes("/old/CODE.fd"));
    assert.ok(conf.startsWith('# libvirt config\nuser = "qemu"\nnvram = [\n'));
    assert.ok(conf.endsWith(']\nsecurity_driver = "none"\n'));
    assert.equal(conf.match(/nvram =/g)?.length, 1);
  } finally {
    w.done();
  }
});

void test("--user writes the per-user folders under the prefix", () => {
  const w = world();
  try {
    const env = { HOME: "/home/tester" };
    const plan = planFirmwareFix({ user: true, prefix: w.prefix, candidates: w.candidates, env });
    applyFirmwareFix(plan);
    assert.ok(existsSync(join(w.prefix, "home/tester/.config/qemu/firmware/60-edk2-x86_64.json")));
    assert.ok(existsSync(join(w.prefix, "home/tester/.config/libvirt/qemu.conf")));
    assert.ok(!existsSync(join(w.prefix, "etc/qemu")));
  } finally {
    w.done();
  }
});

void test("setLibvirtNvram appends to a config without the setting", () => {
  const out = setLibvirtNvram('user = "qemu"\n', ["/a:/b"]);
  assert.equal(
    out,
    'user = "qemu"\n\n# UEFI firmware CODE:VARS pairs (substrate firmware fix)\nnvram = [\n    "/a:/b",\n]\n',
  );
  assert.equal(setLibvirtNvram(out, ["/a:/b"]), out);
});

void test("a prefix under /proc that does not exist fails at once instead of spinning", () => {
  // Node's mkdirSync({ recursive: true }) loops forever here (procfs answers ENOENT for a folder
  // whose parent exists), inside one native call. Run the fix in a child process with a timeout,
  // so a hang fails the test instead of stalling the run.
  const url = new URL("../../../src/boot/firmware-fix.js", import.meta.url).href;
  const code = `
    import { applyFirmwareFix } from ${JSON.stringify(url)};
    const path = "/proc/substrate-missing-" + process.pid + "/etc/qemu/firmware/x.json";
    try {
      applyFirmwareFix({ changes: [{ path, action: "create", summary: "", content: "{}" }], notes: [] });
      console.log("no error");
    } catch (e) {
      console.log(e.code);
    }`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], {
    encoding: "utf8",
    timeout: 10_000,
  });
  assert.notEqual(r.signal, "SIGTERM", "applyFirmwareFix did not return within 10 s");
  assert.equal(r.stdout.trim(), "ENOENT", r.stderr);
});
