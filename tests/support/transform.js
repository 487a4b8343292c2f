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
 * scripts/build-if-stale.js applies to the whole of dist/.  Every module,
 * the planted copies' JavaScript included, reads its global built-ins once
 * (bindGlobals()).
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
const VERSION = 'vma-harness dist transform 3';

/*
 * Jest runs every module inside a vm context, whose global object answers
 * through interceptors: each read of a global there (Math, Number.isInteger,
 * Array.isArray, JSON, parseInt, ...) is a call into the runtime, ~250-400
 * ns where Node's own module scope takes ~1 ns (measured in a test: one
 * Math.max per call, 370 ns against 1.3 ns through a module constant).  The
 * port, the stub layer, the fuzzer and the trace code read them on every
 * operation.  So each module gets, on its first line after "use strict",
 * module constants bound to the same objects its global names reach: the
 * built-ins that no test replaces (not Date, timers, process or Promise,
 * which Jest's fake timers and spies may swap), each only where the module
 * uses the name and declares nothing of that name itself.
 */
const GLOBALS = [
  'Math', 'Number', 'Object', 'Array', 'JSON', 'String', 'Boolean', 'BigInt', 'Symbol', 'Reflect',
  'Map', 'Set', 'WeakMap', 'WeakSet', 'RegExp', 'ArrayBuffer', 'DataView',
  'Uint8Array', 'Uint16Array', 'Uint32Array', 'Int8Array', 'Int16Array', 'Int32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
  'parseInt', 'parseFloat', 'isNaN', 'isFinite', 'Infinity', 'NaN',
];
const STRICT = '"use strict";';

/** @p code with its global built-ins read once, into module constants (see GLOBALS). */
function bindGlobals(code) {
  if (!code.startsWith(STRICT)) return code;
  const names = GLOBALS.filter(
    (n) => new RegExp(`\\b${n}\\b`).test(code) && !new RegExp(`\\b(?:const|let|var|class|function)\\s+${n}\\b`).test(code),
  );
  if (names.length === 0) return code;
  return `${STRICT}const { ${names.join(', ')} } = globalThis;${code.slice(STRICT.length)}`;
}

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
  return { code: bindGlobals(code), map };
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
        if (path.endsWith('.js')) return createHash('sha1').update(VERSION).update('\0').update(path).update('\0').update(text).digest('hex');
        const js = builtFrom(path);
        if (js === null) return createHash('sha1').update(VERSION).update('\0').update(ts().getCacheKey(text, path, transformOptions)).digest('hex');
        return createHash('sha1').update(VERSION).update('\0').update(path).update('\0').update(readFileSync(js)).update('\0').update(readFileSync(`${js}.map`)).digest('hex');
      },
      process(text, path, transformOptions) {
        /* A planted copy's JavaScript (jest.config.js): only its globals bound. */
        if (path.endsWith('.js')) return { code: bindGlobals(text) };
        const js = builtFrom(path);
        if (js !== null) return emitted(js, path);
        const out = ts().process(text, path, transformOptions);
        return typeof out === 'string' ? bindGlobals(out) : { ...out, code: bindGlobals(out.code) };
      },
    };
  },
};
