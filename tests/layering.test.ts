// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The layering of the code, checked on its runtime imports (type-only
 * imports vanish at run time and may go anywhere):
 *
 *   src/vma_internal (stub layer)   imports only itself
 *   src/lock  (the v6.15 lock)      the stub layer, itself, and the port (exit_mmap
 *                                   and the stack-growing fault path call into mm/vma.c)
 *   src/mm    (the port)            the stub layer and itself
 *   src/race  (the explorer)        anything below, never the CLI
 *
 * and no runtime import cycle goes through the lock or the explorer.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(__dirname, '..', 'src');

function files(dir: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (f.endsWith('.ts')) out.push(p);
  }
  return out;
}

/* Runtime imports of a file, as paths relative to src/ without extension. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /^(?:import|export)\s+(?!type\b)(?:[^;'"]*?\s+from\s+)?'(\.{1,2}\/[^']+)';/gms;
  for (const m of text.matchAll(re)) {
    const target = resolve(dirname(file), m[1]);
    out.push(relative(SRC, target));
  }
  return out;
}

const graph = new Map<string, string[]>();
for (const f of files(SRC)) graph.set(relative(SRC, f).replace(/\.ts$/, ''), imports(f));
const room = (m: string): string => (m.includes('/') ? m.split('/')[0] : m);

test.each([
  ['vma_internal', ['vma_internal']],
  ['lock', ['vma_internal', 'lock', 'mm']],
  ['mm', ['vma_internal', 'mm']],
])('src/%s imports only %j', (r, allowed) => {
  const bad: string[] = [];
  for (const [m, deps] of graph) {
    if (room(m) !== r) continue;
    for (const d of deps) if (!(allowed as string[]).includes(room(d))) bad.push(`${m} -> ${d}`);
  }
  expect(bad).toEqual([]);
});

test('only two files of the lock call into the port', () => {
  const users = [...graph].filter(([m, deps]) => room(m) === 'lock' && deps.some((d) => room(d) === 'mm')).map(([m]) => m);
  expect(users.sort()).toEqual(['lock/memory', 'lock/mmap']);
});

test('the explorer never imports the CLI', () => {
  const bad = [...graph].filter(([m, deps]) => room(m) === 'race' && deps.some((d) => room(d) === 'cli')).map(([m]) => m);
  expect(bad).toEqual([]);
});

test('no runtime import cycle goes through the lock, the explorer or the lock-mode switch', () => {
  const cycles: string[] = [];
  const state = new Map<string, number>();
  const path: string[] = [];
  const visit = (m: string): void => {
    state.set(m, 1);
    path.push(m);
    for (const d of graph.get(m) ?? []) {
      if (!graph.has(d)) continue;
      if (state.get(d) === 1) {
        const cyc = path.slice(path.indexOf(d));
        if (cyc.some((x) => room(x) === 'lock' || room(x) === 'race' || x === 'vma_internal/lock_mode')) cycles.push([...cyc, d].join(' -> '));
      } else if (!state.has(d)) visit(d);
    }
    path.pop();
    state.set(m, 2);
  };
  for (const m of graph.keys()) if (!state.has(m)) visit(m);
  expect(cycles).toEqual([]);
});
