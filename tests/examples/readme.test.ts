// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The README says what runs: its scenario example runs as written, and
 * every name its library table lists is exported by the package.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import * as lib from 'vma-harness';

const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

test('the "Write your own scenario" example runs as written', () => {
  const m = /```ts\n(\/\/ my_scenario\.ts\n[\s\S]*?)```/.exec(readme);
  expect(m).not.toBeNull();
  const js = ts.transpileModule(m![1], { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
  const logged: string[] = [];
  const fakeConsole = { log: (s: string) => logged.push(s) };
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  new Function('require', 'exports', 'console', js)((id: string) => (id === 'vma-harness' ? lib : require(id)), {}, fakeConsole);
  expect(logged).toEqual(['0x1000  0\n        (no VMAs)']);
});

test('every export the README\'s library table names exists', () => {
  const table = readme.slice(readme.indexOf('### The rest of the library'), readme.indexOf('## Fuzzing'));
  const names = [...table.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)(?:\(argv\))?`/g)].map((x) => x[1]).filter((n) => !/^(mm|vma)$/.test(n));
  expect(names.length).toBeGreaterThan(50);
  const missing = names.filter((n) => !(n in lib) && !n.endsWith('_'));
  expect(missing).toEqual([]);
});
