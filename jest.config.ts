/**
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Loaded by ts-node without type-checking it (npm test's tsc -b checks this
 * file first, tsconfig.check.json): a type-checking load costs seconds per
 * jest run.
 * @jest-config-loader-options {"transpileOnly": true, "compilerOptions": {"module": "CommonJS", "moduleResolution": "node10", "ignoreDeprecations": "6.0"}}
 */
import type { Config } from 'jest';

const config: Config = {
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
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: {
    /* The examples import the package by name, as a project depending on it does. */
    '^vma-harness$': '<rootDir>/src/index.ts',
    /* The worker's one compiler (tests/support/environment.js). */
    '^typescript$': '<rootDir>/tests/support/typescript.js',
  },
  /*
   * ts-jest, except that src/ comes from dist/ as tsc built it when dist/ is
   * up to date (npm test builds it first): tests/support/transform.js.
   */
  transform: {
    '^.+\\.ts$': ['<rootDir>/tests/support/transform.js', { tsconfig: 'tsconfig.json', diagnostics: false }],
  },
};

export default config;
