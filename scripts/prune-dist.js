#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-or-later
// Before an incremental build: remove from dist/ what no source under src/
// produces any more (tsc never deletes the output of a removed or moved
// file, and a stale dist/x.js would shadow a new dist/x/index.js).
'use strict';
const { existsSync, readdirSync, rmSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
const dist = join(root, 'dist');
const OUTPUT = /\.(d\.ts|js\.map|js)$/;

function prune(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!existsSync(join(root, 'src', relative(dist, p)))) rmSync(p, { recursive: true, force: true });
      else prune(p);
    } else if (OUTPUT.test(e.name)) {
      const src = join(root, 'src', relative(dist, p)).replace(OUTPUT, '.ts');
      if (!existsSync(src)) rmSync(p, { force: true });
    }
  }
}

if (existsSync(dist)) prune(dist);
