#!/usr/bin/env node
// Thin entry: everything lives in dist/ (built by `npm run build`) so it can be imported and tested.
import { main } from '../dist/main.js';
import { exitCodeAfterOutput, watchStdout } from '../dist/io.js';

watchStdout();
process.exitCode = exitCodeAfterOutput(await main(process.argv.slice(2)));
