#!/usr/bin/env node
// Launcher for the compiled CLI (built into dist/ by `npm ci` via the prepare script).
'use strict';
require('../dist/cli.js').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err instanceof Error ? err.message : String(err)); process.exitCode = 2; },
);
