#!/usr/bin/env node
// Thin entry: everything lives in dist/ (built by `npm run build`) so it can be imported and tested.
import { main } from '../dist/main.js';
import { exitCodeAfterOutput, watchStderr, watchStdout } from '../dist/io.js';

watchStdout();
watchStderr();
process.exitCode = exitCodeAfterOutput(await main(process.argv.slice(2)));
