/**
 * Entry point used by `bin/substrate.js` and by the e2e tests: runs the CLI and exits with its
 * code. A reader that closes stdout or stderr early (`| head -1`) only silences the output.
 */
import { main } from "./main.js";
import { quietOnClosedPipe } from "../report/pipe.js";

quietOnClosedPipe(process.stdout);
quietOnClosedPipe(process.stderr);
process.exitCode = await main(process.argv.slice(2));
