// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tests that run the package as a separate process need dist/ as
 * `npm run build` leaves it: npm test builds it before jest; a bare `jest`
 * may not have, so build it when a source is newer.
 */

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** The repository root. */
export const repo = join(__dirname, '..', '..');

/** The TypeScript compiler of the repository. */
export const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');

/** The command launcher. */
export const bin = join(repo, 'bin', 'vma-harness.js');

/**
 * Build dist/ (prune + tsc) unless it is newer than every source and build
 * setting: scripts/build-if-stale.js, the rule `npm test` applies before jest.
 * The check runs here (a few stat calls); the script, a process, only when
 * there is something to build.
 */
export function ensureBuilt(): void {
  const script = join(repo, 'scripts', 'build-if-stale.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { stale } = require(script) as { stale: () => boolean };
  if (stale()) execFileSync(process.execPath, [script], { cwd: repo, stdio: 'pipe' });
}

/** The environment without npm's variables (an enclosing `npm test` must not leak into a child). */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_|^INIT_CWD$/i.test(k)) env[k] = v;
  return env;
}
