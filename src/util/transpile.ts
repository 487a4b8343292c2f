// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TypeScript to CommonJS (ES2022), one file at a time, for the copies of
 * src/ that planted bugs are loaded from (src/race/plant.ts and the fuzz
 * suites' tests/fuzz/plant.ts).  The output is cached by content (the
 * compiler's version, its options and the text) under
 * node_modules/.cache/vma-harness/transpile/: transpiling is deterministic,
 * so a hit is what the compiler would return, and the compiler itself (~2 s
 * to load) is only loaded on a miss.  A development dependency: only
 * planting needs it.
 */

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type * as TS from 'typescript';

const ROOT = resolve(__dirname, '..', '..');
const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'vma-harness', 'transpile');
/* CommonJS, ES2022 (the enums' values, so the compiler need not be loaded to name them). */
const OPTIONS = { module: 1, target: 9, esModuleInterop: true };

let compiler: typeof TS | null = null;
let version: string | null = null;

function typescript(): typeof TS {
  if (compiler === null) compiler = require('typescript') as typeof TS;
  return compiler;
}

/* The compiler's version, read from its package.json without loading it. */
function compilerVersion(): string {
  if (version === null) {
    try {
      version = (JSON.parse(readFileSync(require.resolve('typescript/package.json'), 'utf8')) as { version: string }).version;
    } catch {
      version = typescript().version;
    }
  }
  return version;
}

/** @p text (the source of @p fileName) as CommonJS JavaScript, from the cache or the compiler. */
export function transpileCached(text: string, fileName: string): string {
  const key = createHash('sha256').update(`${compilerVersion()}\0${JSON.stringify(OPTIONS)}\0${text}`).digest('hex');
  const file = join(CACHE_DIR, `${key}.js`);
  try {
    return readFileSync(file, 'utf8');
  } catch {
    /* not cached yet */
  }
  const js = typescript().transpileModule(text, { compilerOptions: OPTIONS as TS.CompilerOptions, fileName }).outputText;
  try {
    /* Written aside and renamed: suites run in parallel, and none may read half a file. */
    mkdirSync(CACHE_DIR, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, js);
    renameSync(tmp, file);
  } catch {
    /* an unwritable cache only costs time */
  }
  return js;
}
