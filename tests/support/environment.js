// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Jest's node environment, plus one TypeScript compiler per worker process
 * instead of one per test file.  Jest gives every test file a fresh module
 * registry, so a suite that required `typescript` (the README example's
 * transpile; src/util/transpile.ts for a planted copy on a cache miss)
 * compiled and ran the whole 9 MB compiler again, cold, ~1-2 s of CPU each.
 * Here the worker loads it once, on first use, with Node's own require,
 * and tests/support/typescript.js (jest.config.js maps `typescript` to it)
 * hands that instance to the test.  The compiler keeps no state between
 * transpileModule() calls, so sharing it changes no output.
 */
'use strict';
const { TestEnvironment } = require('jest-environment-node');

/** The worker's compiler, loaded on first use. */
let typescript = null;

class Environment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    Object.defineProperty(this.global, '__vmaHarnessTypescript', {
      get() {
        if (typescript === null) typescript = require('typescript');
        return typescript;
      },
    });
  }
}

module.exports = Environment;
