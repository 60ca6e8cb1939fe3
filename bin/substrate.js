#!/usr/bin/env node
// The substrate executable: runs the compiled CLI (`npm run build` compiles it into dist/).
await import("../dist/src/cli/bin.js");
