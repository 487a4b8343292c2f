// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TypeScript to CommonJS (ES2022), one file at a time, for the copies of
 * src/ that planted bugs are loaded from (src/race/plant.ts and the fuzz
 * suites' tests/fuzz/plant.ts).  A file of the copy that no bug edits is
 * the source itself: its JavaScript is the build's (dist/, what tsc emitted
 * for it, CommonJS ES2022 too) whenever the build is at least as new as the
 * source, as `npm ci` and `npm test` leave it; on a fresh clone most of the
 * copy is then never transpiled (builtJs()).  Edited files, and any file
 * when dist/ is stale, are transpiled; the output is cached by content (the
 * compiler's version, its options and the text) under
 * node_modules/.cache/vma-harness/transpile/: transpiling is deterministic,
 * so a hit is what the compiler would return, and the compiler itself (~2 s
 * to load) is only loaded on a miss.  A development dependency: only
 * planting needs it.
 */

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type * as TS from 'typescript';

const ROOT = resolve(__dirname, '..', '..');
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
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

/**
 * The JavaScript tsc built into dist/ for src/@p rel (e.g. "lock/mm_h.ts"),
 * without its source-map comment, when it is at least as new as the
 * source; else null (no build, or a source edited since).
 */
export function builtJs(rel: string): string | null {
  const js = join(DIST, rel.replace(/\.ts$/, '.js'));
  try {
    if (statSync(js).mtimeMs < statSync(join(SRC, rel)).mtimeMs) return null;
    return readFileSync(js, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
  } catch {
    return null;
  }
}

/* src/@p rel's text, or null when there is no such file. */
function sourceText(rel: string): string | null {
  try {
    return readFileSync(join(SRC, rel), 'utf8');
  } catch {
    return null;
  }
}

/**
 * @p text (the source of @p fileName, relative to src/) as CommonJS
 * JavaScript: the build's when @p text is that file unedited and dist/ is
 * up to date, else from the cache or the compiler.
 */
export function transpileCached(text: string, fileName: string): string {
  if (text === sourceText(fileName)) {
    const built = builtJs(fileName);
    if (built !== null) return built;
  }
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
