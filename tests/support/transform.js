// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Jest's transform for TypeScript: ts-jest, except that a file of src/
 * whose compiled form in dist/ is at least as new as the source is taken
 * from dist/ as tsc emitted it (code and source map) instead of being
 * transpiled again.  `npm test` builds dist/ (tsc -b) right before Jest, and
 * `npm ci` (prepare) builds it too, so on a fresh clone Jest transpiles only
 * the tests.  The module keeps its path under src/ (mocks, coverage,
 * __dirname and stack traces see src/), only its code comes from the build.
 * A source newer than its output (edited, not rebuilt) goes to ts-jest, the
 * rule scripts/build-if-stale.js applies to the whole of dist/.
 */
'use strict';
const { createHash } = require('node:crypto');
const { readFileSync, statSync } = require('node:fs');
const { join, relative, sep } = require('node:path');
const tsJest = require('ts-jest').default;

const root = join(__dirname, '..', '..');
const src = join(root, 'src') + sep;
const dist = join(root, 'dist');
const VERSION = 'vma-harness dist transform 1';

/** The output in dist/ of a src/ TypeScript file, when it is up to date; else null. */
function builtFrom(path) {
  if (!path.startsWith(src) || !path.endsWith('.ts') || path.endsWith('.d.ts')) return null;
  const js = join(dist, relative(src, path)).replace(/\.ts$/, '.js');
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
  /** ts-jest's transformer with its options (jest.config.ts), src/ files served from dist/ when built. */
  createTransformer(options) {
    const inner = tsJest.createTransformer(options);
    return {
      canInstrument: false,
      getCacheKey(text, path, transformOptions) {
        const js = builtFrom(path);
        if (js === null) return inner.getCacheKey(text, path, transformOptions);
        return createHash('sha1').update(VERSION).update('\0').update(path).update('\0').update(readFileSync(js)).update('\0').update(readFileSync(`${js}.map`)).digest('hex');
      },
      process(text, path, transformOptions) {
        const js = builtFrom(path);
        return js === null ? inner.process(text, path, transformOptions) : emitted(js, path);
      },
    };
  },
};
