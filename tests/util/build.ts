// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tests that run the package as a separate process need dist/ as
 * `npm run build` leaves it: npm test builds it before jest; a bare `jest`
 * may not have, so build it (incrementally) when a source is newer.
 */

import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root. */
export const repo = join(__dirname, '..', '..');

/** The TypeScript compiler of the repository. */
export const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');

/** The command launcher. */
export const bin = join(repo, 'bin', 'vma-harness.js');

/* The newest modification time of the .ts files under @p d. */
function newestSource(d: string): number {
  let t = 0;
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    t = Math.max(t, e.isDirectory() ? newestSource(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
  }
  return t;
}

/** Build dist/ unless it is newer than every source. */
export function ensureBuilt(): void {
  let built = 0;
  try {
    built = statSync(join(repo, 'dist', '.tsbuildinfo')).mtimeMs;
  } catch {
    /* never built */
  }
  if (built < newestSource(join(repo, 'src'))) {
    execFileSync(process.execPath, [join(repo, 'scripts', 'prune-dist.js')], { cwd: repo, stdio: 'pipe' });
    execFileSync(process.execPath, [tsc, '-p', join(repo, 'tsconfig.build.json')], { cwd: repo, stdio: 'pipe' });
  }
}

/** The environment without npm's variables (an enclosing `npm test` must not leak into a child). */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_|^INIT_CWD$/i.test(k)) env[k] = v;
  return env;
}
