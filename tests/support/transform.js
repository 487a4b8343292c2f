// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Jest's transform for TypeScript: ts-jest, except that a file whose
 * compiled form is at least as new as the source is taken as tsc emitted it
 * (code and source map) instead of being transpiled again: a file of src/
 * from dist/ (tsconfig.build.json), a test or an example from
 * node_modules/.cache/vma-harness/tests-js (tsconfig.check.json, the type
 * check that `npm test` runs right before Jest; `npm ci` (prepare) runs both
 * too).  So on a fresh clone Jest transpiles nothing, and ts-jest, with the
 * TypeScript compiler, is loaded only for a file edited since.  The module
 * keeps its own path (mocks, coverage, __dirname and stack traces see src/
 * or tests/), only its code comes from the build.  A source newer than its
 * output (edited, not rebuilt) goes to ts-jest, the rule
 * scripts/build-if-stale.js applies to the whole of dist/.
 */
'use strict';
const { createHash } = require('node:crypto');
const { readFileSync, statSync } = require('node:fs');
const { join, relative, sep } = require('node:path');

const root = join(__dirname, '..', '..');
const src = join(root, 'src') + sep;
const dist = join(root, 'dist');
/* tsconfig.check.json's outDir (its rootDir is the repository's root). */
const checked = join(root, 'node_modules', '.cache', 'vma-harness', 'tests-js');
const CHECKED = [join(root, 'tests') + sep, join(root, 'examples') + sep];
const VERSION = 'vma-harness dist transform 2';

/** The compiled output of a TypeScript file, in dist/ or the check's outDir, when it is up to date; else null. */
function builtFrom(path) {
  if (!path.endsWith('.ts') || path.endsWith('.d.ts')) return null;
  let js;
  if (path.startsWith(src)) js = join(dist, relative(src, path));
  else if (CHECKED.some((d) => path.startsWith(d))) js = join(checked, relative(root, path));
  else return null;
  js = js.replace(/\.ts$/, '.js');
  try {
    return statSync(js).mtimeMs >= statSync(path).mtimeMs ? js : null;
  } catch {
    return null;
  }
}

/** tsc's code (without its map comment: Jest gets the map itself) and map, the map naming the source by its path. */
function emitted(js, path) {
  const code = readFileSync(js, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
  const map = JSON.parse(readFileSync(`${js}.map`, 'utf8'));
  map.sourceRoot = '';
  map.sources = [path];
  return { code, map };
}

module.exports = {
  /** ts-jest's transformer with its options (jest.config.js), built files served as tsc emitted them. */
  createTransformer(options) {
    /* ts-jest (and with it the compiler, ~0.5 s to load) only for a file that is not built. */
    let tsJest = null;
    const ts = () => {
      if (tsJest === null) tsJest = require('ts-jest').default.createTransformer(options);
      return tsJest;
    };
    return {
      canInstrument: false,
      getCacheKey(text, path, transformOptions) {
        const js = builtFrom(path);
        if (js === null) return ts().getCacheKey(text, path, transformOptions);
        return createHash('sha1').update(VERSION).update('\0').update(path).update('\0').update(readFileSync(js)).update('\0').update(readFileSync(`${js}.map`)).digest('hex');
      },
      process(text, path, transformOptions) {
        const js = builtFrom(path);
        return js === null ? ts().process(text, path, transformOptions) : emitted(js, path);
      },
    };
  },
};
