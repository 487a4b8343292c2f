// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The package as a project outside this repository sees it: packed by npm
 * and installed from that tarball into a fresh project in a temporary
 * folder (as a dependency), a scenario written there against `import ...
 * from 'vma-harness'`, compiled with tsc (strict, nodenext, the package's
 * own declarations), and run with node; the examples too; and the
 * installed command (help, replay, --json).
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, ensureBuilt, repo, tsc } from '../util/build';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vma-consumer-'));
  /*
   * The package as published: built, packed, installed as a dependency.
   * --install-links makes npm pack the directory itself, with the code
   * `npm pack` uses (the same file list and tarball), and install that
   * tarball as a copy rather than link the folder: one npm process instead
   * of `npm pack` then `npm install <tarball>` (~3 s of CPU less, most of
   * it npm reading the written tarball back for its manifest).
   */
  ensureBuilt();
  const project = join(dir, 'consumer');
  mkdirSync(join(project, 'src'), { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies: { 'vma-harness': `file:${repo}` } }, null, 2));
  execFileSync('npm', ['install', '--install-links', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel', 'error'], {
    cwd: project,
    env: cleanEnv(),
    stdio: 'pipe',
  });
  /* A copy, not a link to the repository. */
  expect(lstatSync(join(project, 'node_modules', 'vma-harness')).isSymbolicLink()).toBe(false);
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const project = (): string => join(dir, 'consumer');

test('a scenario written outside the repository compiles with tsc against the package and runs', () => {
  const p = project();
  writeFileSync(
    join(p, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        /* A Node project's library (the default would add the DOM's, ~40,000 lines to parse). */
        lib: ['ES2022'],
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        outDir: 'out',
        rootDir: 'src',
        types: ['node'],
        typeRoots: [join(repo, 'node_modules', '@types')],
        /* As most projects do; our declarations are checked when the package is built. */
        skipLibCheck: true,
      },
      include: ['src/**/*.ts'],
    }),
  );
  /* The scenario: link two VMAs, merge the gap, unmap; plus the raw kernel API. */
  writeFileSync(
    join(p, 'src', 'mine.ts'),
    `import { Scenario, vma_merge_struct, VM_READ, VM_WRITE, VM_MAYREAD, VM_MAYWRITE, warn_count, parseTrace, type vm_area_struct } from 'vma-harness';

const s = new Scenario();
const flags = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;
const a: vm_area_struct = s.link(0x10000, 0x12000, { flags });
s.link(0x14000, 0x16000, { flags });
const merged = s.mergeNew(0x12000, 0x14000, { flags });
if (merged.vma !== a || !(merged.vmg instanceof vma_merge_struct)) throw new Error('no merge');
s.expectLayout('AAAAAA').expectValid();
if (s.munmap(0x10000, 0x6000) !== 0) throw new Error('munmap failed');
s.expectLayout('').expectWarnings(0);
if (warn_count() !== 0) throw new Error('warned');
console.log('layout after merge was ' + JSON.stringify('AAAAAA') + '; ' + typeof parseTrace);
s.end();
`,
  );
  /* The examples, as shipped in the package. */
  const shipped = join(p, 'node_modules', 'vma-harness', 'examples');
  for (const f of readdirSync(shipped)) copyFileSync(join(shipped, f), join(p, 'src', f));

  const build = spawnSync(process.execPath, [tsc, '-p', p], { cwd: p, encoding: 'utf8' });
  expect(build.stdout + build.stderr).toBe('');
  expect(build.status).toBe(0);

  /* One node process runs them all: the examples through their run(), ours as a script. */
  const driver = `
    require('./out/mine.js');
    for (const f of ['merge_fills_gap', 'close_hook_forbids_merge', 'munmap_fails_halfway']) {
      require('./out/' + f + '.js').run(() => {});
      console.log(f + ': ok');
    }`;
  const r = spawnSync(process.execPath, ['-e', driver], { cwd: p, encoding: 'utf8', env: cleanEnv() });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(
    'layout after merge was "AAAAAA"; function\nmerge_fills_gap: ok\nclose_hook_forbids_merge: ok\nmunmap_fails_halfway: ok\n',
  );
}, 60_000);

test('the installed command: help, replay of a shipped trace, --json', () => {
  const p = project();
  const bin = join(p, 'node_modules', '.bin', 'vma-harness');
  const help = spawnSync(bin, ['replay', '--help'], { cwd: p, encoding: 'utf8', env: cleanEnv() });
  expect(help.status).toBe(0);
  expect(help.stdout).toContain('Usage: vma-harness replay');
  const trace = join('node_modules', 'vma-harness', 'fixtures', 'oracle', 'random-s0001.json');
  const r = spawnSync(bin, ['replay', '--json', trace], { cwd: p, encoding: 'utf8', env: cleanEnv() });
  expect(r.status).toBe(0);
  const doc = JSON.parse(r.stdout) as { replay: { passed: number; traces: { file: string }[] } };
  expect(doc.replay.passed).toBe(1);
  expect(doc.replay.traces[0].file).toBe(trace);
}, 30_000);
