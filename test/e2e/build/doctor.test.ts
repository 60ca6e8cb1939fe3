// `substrate doctor`: lists what a tree's stages need from the host, says what is missing and
// the apt-get command that installs it; for foreign arches, what binfmt_misc lacks (root: the
// binfmt test runs in a private mount namespace without binfmt_misc, a fresh machine's state).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI_BIN, REPO_ROOT, type JsonEvent, ofType, runCli } from "../../helpers/cli.js";

const tree = join(REPO_ROOT, "examples/roflmaos");

void test("doctor lists the tools the roflmaOS tree needs", async () => {
  const r = await runCli(["doctor", tree, "--json"]);
  const lines = ofType(r.events, "info").map((e) => String(e["message"]));
  for (const tool of ["mmdebstrap", "mksquashfs", "xorriso", "mcopy", "qemu-system-x86_64"]) {
    assert.ok(
      lines.some((l) => l.includes(tool)),
      `${tool} is listed:\n${lines.join("\n")}`,
    );
  }
});

void test("doctor names missing tools and the command that installs them", async () => {
  const empty = mkdtempSync(join(tmpdir(), "substrate-nopath-"));
  const r = await runCli(["doctor", tree, "--json"], { env: { PATH: empty } });
  assert.equal(r.code, 1);
  const missing = ofType(r.events, "info")
    .map((e) => String(e["message"]))
    .filter((l) => l.startsWith("MISSING"));
  assert.ok(
    missing.some((l) => l.includes("xorriso")),
    missing.join("\n"),
  );
  const warning = ofType(r.events, "warning").find((e) => String(e["hint"]).includes("apt-get"));
  assert.match(String(warning?.["hint"]), /apt-get install -y --no-install-recommends .*xorriso/);
});

void test("doctor reports binfmt_misc not mounted for a foreign tree; --install mounts it and registers qemu-arm", () => {
  const gentoo = join(REPO_ROOT, "examples/gentoo");
  const out = mkdtempSync(join(tmpdir(), "substrate-doctor-"));
  // Unmounted only in this namespace: the host's registrations are left alone.
  // Whether the kernel already has qemu-arm is asked with binfmt_misc mounted (it may be
  // registered while unmounted here), then it is unmounted again.
  const script = `
    mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    if [ -e /proc/sys/fs/binfmt_misc/qemu-arm ]; then echo yes > "$OUT/had-arm"; fi
    while umount /proc/sys/fs/binfmt_misc 2>/dev/null; do :; done
    node "$CLI" doctor "$TREE" --json > "$OUT/before"; echo $? > "$OUT/before.code"
    node "$CLI" doctor --install "$TREE" --json > "$OUT/install"; echo $? > "$OUT/install.code"
    node "$CLI" doctor "$TREE" --json > "$OUT/after"; echo $? > "$OUT/after.code"
  `;
  const r = spawnSync("unshare", ["--mount", "--propagation", "private", "sh", "-c", script], {
    env: { ...process.env, CLI: CLI_BIN, TREE: gentoo, OUT: out },
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  const hostHadArm = existsSync(join(out, "had-arm"));
  const events = (step: string): JsonEvent[] =>
    readFileSync(join(out, step), "utf8")
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as JsonEvent);
  const infos = (step: string): string[] =>
    ofType(events(step), "info").map((e) => String(e["message"]));
  const code = (step: string): string => readFileSync(join(out, `${step}.code`), "utf8").trim();

  const before = infos("before").find((l) => /^\S+ +binfmt_misc /.test(l));
  assert.match(
    before ?? "",
    /^MISSING binfmt_misc for \/usr\/bin\/qemu-arm-static: binfmt_misc is not mounted at \/proc\/sys\/fs\/binfmt_misc/,
  );
  const warning = ofType(events("before"), "warning").find((e) =>
    String(e["message"]).includes("not mounted"),
  );
  assert.ok(
    String(warning?.["hint"]).includes(`substrate doctor --install ${gentoo}`),
    JSON.stringify(warning),
  );
  assert.equal(code("before"), "1");

  const install = infos("install");
  assert.ok(
    install.includes(
      "mounting binfmt_misc: mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc",
    ),
    install.join("\n"),
  );
  if (!hostHadArm) {
    // Nothing was registered: --install registered qemu-arm from qemu-user-static's file.
    assert.ok(
      install.some((l) =>
        l.startsWith("registering qemu-arm from /usr/lib/binfmt.d/qemu-arm.conf"),
      ),
      install.join("\n"),
    );
  }
  assert.equal(code("install"), "0", install.join("\n"));

  const after = infos("after").find((l) => /^\S+ +binfmt_misc /.test(l));
  assert.match(after ?? "", /^ok +binfmt_misc qemu-arm runs \S+ \(flags \w*F\w*\); for 3 stages$/);
  assert.equal(code("after"), "0", infos("after").join("\n"));
});
