// SPDX-License-Identifier: GPL-2.0-or-later
import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  /* The examples import the package by name, as a project depending on it does. */
  moduleNameMapper: { '^vma-harness$': '<rootDir>/src/index.ts' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
  },
};

export default config;
