// SPDX-License-Identifier: GPL-2.0-or-later
// @ts-check
/*
 * Jest's configuration, in JavaScript: a jest.config.ts made every jest run
 * start ts-node and the TypeScript compiler in Jest's main process before
 * any test could start (~0.7 s of CPU, on the critical path).  Still
 * type-checked against Jest's Config type by npm test's tsc -b
 * (tsconfig.check.json, checkJs).
 */
'use strict';

/** @type {import('jest').Config} */
const config = {
  /* Jest's node environment sharing one TypeScript compiler per worker: tests/support/environment.js. */
  testEnvironment: '<rootDir>/tests/support/environment.js',
  /*
   * Every core: Jest's default leaves one free, which on a 2-core machine
   * runs the whole suite in one process.
   */
  maxWorkers: '100%',
  /*
   * A guard against hangs, not a speed check (speed lives in the bench):
   * Jest's 5 s default failed tests that spawn the command or run a small
   * campaign when the machine was loaded (load 9 on 2 cores).
   */
  testTimeout: 60_000,
  /* The longest suites first, also on a fresh clone: tests/support/sequencer.js. */
  testSequencer: '<rootDir>/tests/support/sequencer.js',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: {
    /* The examples import the package by name, as a project depending on it does. */
    '^vma-harness$': '<rootDir>/src/index.ts',
    /* The worker's one compiler (tests/support/environment.js). */
    '^typescript$': '<rootDir>/tests/support/typescript.js',
  },
  /*
   * ts-jest, except that src/ comes from dist/ and the tests from the type
   * check's output when those are up to date (npm test builds both first):
   * tests/support/transform.js.
   */
  transform: {
    '^.+\\.ts$': ['<rootDir>/tests/support/transform.js', { tsconfig: 'tsconfig.json', diagnostics: false }],
    /*
     * The planted copies of src/ that the fuzz and race suites load (temp
     * folders vma-planted-* and vma-plant-*): their global built-ins bound
     * as module constants, as for every other module (transform.js).
     */
    '/vma-plant(?:ed)?-[^/]+/.+\\.js$': ['<rootDir>/tests/support/transform.js', { tsconfig: 'tsconfig.json', diagnostics: false }],
  },
};

module.exports = config;
