import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Failure, FailureOf } from "../../../src/report/failure.js";
import { describeFailure, failureHint } from "../../../src/report/failure-text.js";

const run: FailureOf<"exit-non-zero"> = {
  reason: "exit-non-zero",
  command: "mksquashfs root out.sqfs",
  status: 1,
  tail: ["FATAL ERROR"],
  stdout: "",
};
const host = { path: "/usr/bin/qemu-arm", handler: "qemu-arm", hint: "substrate doctor --install" };
const owner = { pid: 42, start: null, host: "build1", token: "t", since: "2026-12-03T15:00:00Z" };

/** One example of every reason: a reason without an example fails to compile. */
const EXAMPLES: { readonly [R in Failure["reason"]]: FailureOf<R> } = {
  "exit-non-zero": run,
  "killed-by-signal": { reason: "killed-by-signal", command: "tar", signal: "SIGSEGV", tail: [] },
  "spawn-error": { reason: "spawn-error", command: "xorriso", message: "ENOENT" },
  "timed-out": { reason: "timed-out", command: "emerge @world", tail: [] },
  cancelled: { reason: "cancelled", command: "apt-get", message: "`apt-get` was cancelled" },
  "log-failed": {
    reason: "log-failed",
    command: "tar",
    path: "/logs/x.log",
    code: "ENOSPC",
    message: "no space left on /logs",
    tail: [],
  },
  "bad-root": { reason: "bad-root", root: "/work/root", message: "is not a folder" },
  "bad-bind": { reason: "bad-bind", source: "/cache", target: "/var/cache", message: "missing" },
  "bad-command": { reason: "bad-command", message: "the argv is empty" },
  "setup-failed": {
    reason: "setup-failed",
    command: "mount proc",
    message: "mount: permission denied",
    tail: [],
  },
  "overlay-failed": { reason: "overlay-failed", message: "overlay on /work/root: EINVAL" },
  "symlink-loop": { reason: "symlink-loop", path: "/etc/a", message: "too many symlinks" },
  "not-found": { reason: "not-found", path: "/etc/b", message: "does not exist" },
  "not-a-directory": { reason: "not-a-directory", path: "/etc/c", message: "is a file" },
  "io-error": { reason: "io-error", path: "/builds/x", message: "EACCES writing /builds/x" },
  "not-absolute": { reason: "not-absolute", path: "qemu-arm", message: "qemu-arm is relative" },
  missing: { reason: "missing", path: "/usr/bin/qemu-arm", message: "/usr/bin/qemu-arm: none" },
  "copy-failed": { reason: "copy-failed", path: "/usr/bin/qemu-arm", message: "copy: EIO" },
  "no-interpreter": { reason: "no-interpreter", ...host, message: "no /usr/bin/qemu-arm" },
  "binfmt-not-mounted": { reason: "binfmt-not-mounted", ...host, message: "binfmt_misc absent" },
  "binfmt-disabled": { reason: "binfmt-disabled", ...host, message: "binfmt_misc is disabled" },
  "not-registered": { reason: "not-registered", ...host, message: "qemu-arm is not registered" },
  "registration-disabled": {
    reason: "registration-disabled",
    ...host,
    message: "qemu-arm is disabled",
  },
  "no-fix-binary": { reason: "no-fix-binary", ...host, message: "qemu-arm lacks the F flag" },
  "step-failed": { reason: "step-failed", step: "fsscript", message: "fsscript exited with 1" },
  "command-failed": {
    reason: "command-failed",
    step: "apt-get install",
    message: "apt-get install exited with status 100",
    tail: [],
  },
  "not-meaningful": {
    reason: "not-meaningful",
    message: "portage_confdir means nothing to apt",
    hint: "remove portage_confdir",
  },
  "bad-input": { reason: "bad-input", message: "the stage has no snapshot_treeish" },
  "bad-atom": { reason: "bad-atom", message: 'packages: "-x" is not a package atom' },
  "interpreter-unusable": {
    reason: "interpreter-unusable",
    message: "interpreter /x does not exist",
  },
  "snapshot-unavailable": {
    reason: "snapshot-unavailable",
    message: "the stage has no snapshot_treeish",
  },
  "repo-unusable": {
    reason: "repo-unusable",
    message: "repos: /r is not a folder or a .sqfs file",
  },
  "profile-missing": {
    reason: "profile-missing",
    message: "profile default/linux/amd64/99.0 does not exist",
  },
  "profile-packages-missing": { reason: "profile-packages-missing", message: "no packages.build" },
  "confdir-unusable": {
    reason: "confdir-unusable",
    message: "portage_confdir: /c is not a folder",
  },
  "root-write-failed": { reason: "root-write-failed", message: "/etc/portage/make.conf: EACCES" },
  "licence-blocked": {
    reason: "licence-blocked",
    message: "bindist: 1 package(s) are not under @FREE",
  },
  "seed-missing": {
    reason: "seed-missing",
    message: "the root is empty",
    hint: "set source_subpath",
  },
  "bad-setting": { reason: "bad-setting", message: 'update_seed must be yes or no, not "maybe"' },
  "bad-kernel": { reason: "bad-kernel", message: "boot/kernel/x/config: cannot read /k" },
  "packages-not-allowed": {
    reason: "packages-not-allowed",
    message: "stage1 takes no extra packages",
  },
  "keyring-missing": {
    reason: "keyring-missing",
    message: "the archive keyring /k.gpg is not a file",
  },
  "cache-lock-failed": {
    reason: "cache-lock-failed",
    step: "apt-get install",
    message: "apt-get install: the apt cache lock: EACCES",
  },
  "internal-error": { reason: "internal-error", message: "Internal error: boom" },
  "after-stage-check-failed": { reason: "after-stage-check-failed", message: "boot test failed" },
  none: { reason: "none", message: "no kernel after installing linux-image-amd64" },
  ambiguous: {
    reason: "ambiguous",
    message: "two kernels fit linux-image-amd64",
    candidates: ["6.1.0-1", "6.1.0-2"],
  },
  "bad-path": { reason: "bad-path", path: "EFI/a*b", why: "has *", message: "ESP path EFI/a*b" },
  "duplicate-path": { reason: "duplicate-path", path: "EFI/x", message: "EFI/x is given twice" },
  "bad-label": { reason: "bad-label", label: "TOO LONG LABEL", message: "bad FAT label" },
  "bad-serial": { reason: "bad-serial", serial: "xyz", message: "FAT serial xyz is bad" },
  "source-missing": { reason: "source-missing", path: "/w/esp", message: "/w/esp is missing" },
  "tool-failed": { reason: "tool-failed", failure: run, message: "mksquashfs failed", tail: [] },
  "refused-option": {
    reason: "refused-option",
    token: "-info",
    why: "it floods the log",
    message: "`-info` is not allowed: it floods the log",
  },
  "invalid-volid": {
    reason: "invalid-volid",
    volid: "",
    problem: { reason: "empty" },
    message: "the volume id is empty",
  },
  "tree-missing": { reason: "tree-missing", path: "/w/iso", message: "/w/iso does not exist" },
  "esp-missing": { reason: "esp-missing", path: "/w/esp.img", message: "/w/esp.img is missing" },
  "esp-too-big-for-el-torito": {
    reason: "esp-too-big-for-el-torito",
    bytes: 40_000_000,
    limit: 33_553_920,
    message: "the ESP image is 40000000 bytes",
  },
  "no-efi-boot-image": { reason: "no-efi-boot-image", iso: "x.iso", message: "x.iso has none" },
  "unknown-mode": { reason: "unknown-mode", message: "compression mode lz5 is unknown" },
  "unknown-format": { reason: "unknown-format", message: "cannot tell the format of x.tar.q" },
  "missing-tool": { reason: "missing-tool", message: "zstd is not installed" },
  "no-keyring": { reason: "no-keyring", message: "no keyring at /etc/keys" },
  "bad-keyring": { reason: "bad-keyring", message: "/etc/keys is not a keyring" },
  "bad-signature": { reason: "bad-signature", message: "DIGESTS.asc: bad signature" },
  "no-signature": { reason: "no-signature", message: "DIGESTS has no signature" },
  "gpgv-missing": { reason: "gpgv-missing", message: "gpgv is not installed" },
  "not-upstream": { reason: "not-upstream", message: "stage3-x is not an upstream autobuild" },
  "unknown-subarch": { reason: "unknown-subarch", message: "subarch zz has no autobuilds" },
  "download-failed": { reason: "download-failed", message: "download of seed.tar.xz failed" },
  "bad-pointer": { reason: "bad-pointer", message: "latest-stage3.txt has no file line" },
  unsigned: { reason: "unsigned", message: "seed.DIGESTS is not signed" },
  "no-digest-line": { reason: "no-digest-line", message: "no line for seed.tar.xz" },
  "digest-mismatch": { reason: "digest-mismatch", message: "seed.tar.xz: SHA512 differs" },
  "size-mismatch": { reason: "size-mismatch", url: "http://m/x", message: "http://m/x is short" },
  unreadable: { reason: "unreadable", path: "/s/x.DIGESTS", message: "/s/x.DIGESTS: EACCES" },
  "http-error": { reason: "http-error", url: "http://m/y", message: "http://m/y: 500" },
  incomplete: { reason: "incomplete", url: "http://m/z", message: "http://m/z ended early" },
  "missing-profile": { reason: "missing-profile", message: "profile default/linux/x is missing" },
  "empty-build-list": { reason: "empty-build-list", message: "stage1 has nothing to build" },
  "missing-snapshot": { reason: "missing-snapshot", message: "gentoo-20261126.xz.sqfs is gone" },
  "unpack-failed": { reason: "unpack-failed", message: "unsquashfs gentoo.sqfs failed" },
  held: { reason: "held", path: "/b/.locks/s.lock", owner, message: "held by pid 42 on build1" },
  "missing-output": { reason: "missing-output", message: "stage3.tar.xz was not written" },
  "bad-names": { reason: "bad-names", message: "output name ../x is not a basename" },
  "digest-failed": { reason: "digest-failed", message: "hashing stage3.tar.xz: EIO" },
  "unknown-kind": { reason: "unknown-kind", message: "cannot list a .zip" },
  "no-entry": { reason: "no-entry", path: "/b/s.tar", message: "/b/s.tar.DIGESTS has no entry" },
  mismatch: {
    reason: "mismatch",
    path: "/b/s.tar",
    algorithm: "SHA512",
    expected: "aa",
    actual: "bb",
    message: "/b/s.tar: SHA512 is bb, not aa",
  },
  "input-missing": { reason: "input-missing", path: "/b/in.tar", message: "/b/in.tar is gone" },
  "input-unverifiable": {
    reason: "input-unverifiable",
    path: "/b/in.tar",
    message: "/b/in.tar has no .DIGESTS",
  },
  "input-corrupt": { reason: "input-corrupt", path: "/b/in.tar", message: "/b/in.tar differs" },
  "no-firmware": { reason: "no-firmware", message: "no OVMF found", hint: "install edk2-ovmf" },
  "iso-unreadable": { reason: "iso-unreadable", message: "cannot read x.iso" },
  "qemu-failed": { reason: "qemu-failed", message: "QEMU exited during login" },
  timeout: { reason: "timeout", waitingFor: "login:", timeoutMs: 60_000 },
  "known-failure": {
    reason: "known-failure",
    failure: { kind: "kernel-panic", line: "Kernel panic - not syncing", meaning: "kernel panic" },
  },
  "console-closed": { reason: "console-closed", waitingFor: "the shell prompt" },
  "login-incorrect": { reason: "login-incorrect" },
  "login-failed": { reason: "login-failed", message: "root login was refused" },
  "checks-failed": { reason: "checks-failed", message: "2 checks failed: hostname, modules" },
  "shutdown-failed": { reason: "shutdown-failed", message: "the guest did not power off" },
  "enrolment-failed": {
    reason: "enrolment-failed",
    message: "the boot loader did not enrol the medium's keys",
  },
};

/** The strings a failure carries besides its reason (its payload), nested ones included. */
function payloadStrings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (typeof value === "number") return [String(value)];
  if (Array.isArray(value)) return value.flatMap(payloadStrings);
  if (typeof value === "object" && value !== null) {
    return Object.entries(value)
      .filter(([k]) => k !== "reason" && k !== "hint" && k !== "tail" && k !== "stdout")
      .flatMap(([, v]) => payloadStrings(v));
  }
  return [];
}

void describe("Failure", () => {
  for (const [reason, failure] of Object.entries(EXAMPLES) as [string, Failure][]) {
    void it(`${reason}: renders a message that names its payload, and a hint`, () => {
      assert.equal(failure.reason, reason);
      const message = describeFailure(failure);
      assert.notEqual(message.trim(), "");
      const payload = payloadStrings(failure);
      if (payload.length > 0) {
        assert.ok(
          payload.some((p) => message.includes(p)),
          `${JSON.stringify(message)} names none of ${JSON.stringify(payload)}`,
        );
      }
      assert.notEqual(failureHint(failure).trim(), "");
    });
  }

  void it("uses a failure's own hint before its reason's", () => {
    assert.equal(failureHint(EXAMPLES["no-firmware"]), "install edk2-ovmf");
    assert.equal(failureHint(EXAMPLES["refused-option"]), "remove it from livecd/fsops");
  });
});
