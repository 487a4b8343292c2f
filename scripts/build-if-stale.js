#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-or-later
// The package and process tests need dist/ as `npm run build` leaves it.
// `npm test` builds it first (tsc -b); a bare `jest` calls this through
// tests/util/build.ts.  Even tsc -b's up-to-date check reads its build
// info, so: build (prune + tsc -b) only when a source or a build setting
// is newer than the last build, then mark the build as done now.
'use strict';
const { execFileSync } = require('node:child_process');
const { closeSync, openSync, readdirSync, statSync, utimesSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const stamp = join(root, 'dist', '.tsbuildinfo');

/* The newest modification time of the .ts files under @d. */
function newest(d) {
  let t = 0;
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

function mtime(p) {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

/** True when dist/ is older than a source or a setting that shapes it. */
function stale() {
  const built = mtime(stamp);
  if (built === 0) return true;
  const inputs = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'].map((f) => mtime(join(root, f)));
  return Math.max(newest(join(root, 'src')), ...inputs) >= built;
}

if (require.main === module) {
  if (process.argv.includes('--force') || stale()) {
    execFileSync(process.execPath, [join(__dirname, 'prune-dist.js')], { cwd: root, stdio: 'inherit' });
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', join(root, 'tsconfig.build.json')], {
      cwd: root,
      stdio: 'inherit',
    });
    /* tsc leaves its build info untouched when nothing changed: date it now. */
    const now = new Date();
    closeSync(openSync(stamp, 'a'));
    utimesSync(stamp, now, now);
  }
}

module.exports = { stale };
