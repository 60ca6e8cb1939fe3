/** make.conf as catalyst writes it (catalyst.md §2.6): flag precedence per stage kind, USE, bindist. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { archEntry } from "../../../src/drivers/portage/arch-table.js";
import {
  makeConfInput,
  parseMakeConf,
  renderMakeConf,
} from "../../../src/drivers/portage/make-conf.js";

const seed = parseMakeConf(
  '# seed\nCOMMON_FLAGS="-O2 -pipe -march=x86-64-v2"\nCFLAGS="${COMMON_FLAGS}"\nCXXFLAGS="${COMMON_FLAGS} -fno-x"\nCHOST=x86_64-pc-linux-gnu # host\nLDFLAGS=\'-Wl,-O1\'\n',
);

void test("parseMakeConf expands ${VAR}, strips quotes and trailing comments", () => {
  assert.equal(seed["CFLAGS"], "-O2 -pipe -march=x86-64-v2");
  assert.equal(seed["CXXFLAGS"], "-O2 -pipe -march=x86-64-v2 -fno-x");
  assert.equal(seed["CHOST"], "x86_64-pc-linux-gnu");
  assert.equal(seed["LDFLAGS"], "-Wl,-O1");
});

void test("stage1 takes the spec's flags and ignores the seed's; later stages keep the seed's", () => {
  const values = {
    common_flags: "-O2 -pipe -march=znver3",
    cflags: "-O3",
    chost: "x86_64-substrate-linux-gnu",
  };
  const s1 = makeConfInput({
    kind: "stage1",
    values,
    arch: archEntry("amd64"),
    seed,
    building: true,
  });
  assert.equal(s1.commonFlags, "-O2 -pipe -march=znver3");
  assert.equal(s1.chost, "x86_64-substrate-linux-gnu");
  assert.equal(s1.flags["CFLAGS"], "-O3");
  assert.equal(s1.flags["CXXFLAGS"], undefined);
  const s3 = makeConfInput({
    kind: "stage3",
    values,
    arch: archEntry("amd64"),
    seed,
    building: true,
  });
  assert.equal(s3.commonFlags, "-O2 -pipe -march=x86-64-v2");
  assert.equal(s3.chost, "x86_64-pc-linux-gnu");
  assert.equal(s3.flags["CXXFLAGS"], "-O2 -pipe -march=x86-64-v2 -fno-x");
  // stage2 reads chost, cflags, cxxflags, ldflags only.
  const s2 = makeConfInput({
    kind: "stage2",
    values,
    arch: archEntry("amd64"),
    seed,
    building: true,
  });
  assert.equal(s2.commonFlags, "-O2 -pipe -march=x86-64-v2");
  assert.equal(s2.flags["CFLAGS"], "-O3");
  assert.equal(s2.chost, "x86_64-substrate-linux-gnu");
});

void test("renderMakeConf writes ${COMMON_FLAGS} for equal flags, sorted USE, bindist only while building", () => {
  const values = { catalyst_use: "bindist zstd", "livecd/use": "branding zstd" };
  const building = renderMakeConf(
    makeConfInput({
      kind: "livecd-stage1",
      values,
      arch: archEntry("armv7a_hardfp"),
      seed: {},
      building: true,
    }),
  );
  assert.match(
    building,
    /^COMMON_FLAGS="-O2 -pipe -march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=hard"$/m,
  );
  assert.match(building, /^CFLAGS="\$\{COMMON_FLAGS\}"$/m);
  assert.match(building, /^FFLAGS="\$\{COMMON_FLAGS\}"$/m);
  assert.match(building, /^CHOST="armv7a-unknown-linux-gnueabihf"$/m);
  assert.match(building, /^CPU_FLAGS_ARM="edsp thumb thumb2 v4 v5 v6 v7 vfp vfp-d32 vfpv3"$/m);
  assert.match(building, /^USE="bindist branding livecd zstd"$/m);
  assert.match(building, /^ACCEPT_LICENSE="@FREE"$/m);
  assert.match(building, /^LC_MESSAGES=C.UTF-8$/m);
  const final = renderMakeConf(
    makeConfInput({
      kind: "livecd-stage1",
      values,
      arch: archEntry("armv7a_hardfp"),
      seed: {},
      building: false,
    }),
  );
  assert.match(final, /^USE="branding zstd"$/m);
  assert.doesNotMatch(final, /bindist|ACCEPT_LICENSE|livecd/);
  // What renderMakeConf writes parses back to the same flags.
  assert.equal(
    parseMakeConf(final)["CFLAGS"],
    "-O2 -pipe -march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=hard",
  );
});

void test("renderMakeConf writes the driver's sandbox FEATURES while building only (ROOT != / emerges read no environment for /)", () => {
  const features = ["-pid-sandbox", "-network-sandbox", "-ipc-sandbox", "-sandbox", "-usersandbox"];
  const input = (building: boolean): string =>
    renderMakeConf(
      makeConfInput({
        kind: "stage1",
        values: {},
        arch: archEntry("amd64"),
        seed: { FEATURES: "-sandbox -usersandbox" },
        building,
        features,
      }),
    );
  assert.match(
    input(true),
    /^FEATURES="-pid-sandbox -network-sandbox -ipc-sandbox -sandbox -usersandbox"$/m,
  );
  // The final make.conf has no FEATURES: neither the driver's nor the seed's.
  assert.doesNotMatch(input(false), /FEATURES/);
  assert.doesNotMatch(
    renderMakeConf(
      makeConfInput({ kind: "stage3", values: {}, arch: undefined, seed: {}, building: true }),
    ),
    /FEATURES/,
  );
});
