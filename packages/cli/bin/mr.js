#!/usr/bin/env node
// Thin entry: everything lives in dist/ (built by `npm run build`) so it can be imported and tested.
import { main } from '../dist/main.js';
import { exitQuietlyOnClosedPipe } from '../dist/io.js';

exitQuietlyOnClosedPipe();

process.exitCode = await main(process.argv.slice(2));
