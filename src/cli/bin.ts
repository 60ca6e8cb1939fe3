/**
 * Entry point used by `bin/substrate.js` and by the e2e tests: runs the CLI and exits with its
 * code.
 */
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2));
