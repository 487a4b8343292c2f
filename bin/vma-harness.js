#!/usr/bin/env node
// Launcher for the compiled CLI (built into dist/ by `npm run build`, which `npm ci` runs).
'use strict';
/* V8 settings first, before the port is loaded (see src/v8_flags.ts). */
require('../dist/v8_flags.js').applyProcessV8Flags();
require('../dist/cli.js').cliMain(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    /* Not expected: every error the input can cause is reported by the command itself. */
    process.stderr.write(`vma-harness: internal error: ${err instanceof Error ? err.stack || err.message : String(err)}\n`);
    process.exitCode = 70;
  },
);
