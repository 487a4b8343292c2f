// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The vma-harness command: replay output and exit status, bad input, the
 * timing line, help and version.
 */

import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli';
import { VERSION } from '../../src/version';

const oracle = join(__dirname, '..', '..', 'fixtures', 'oracle');
let dir: string;
let out: string[];
let err: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vma-cli-'));
  out = [];
  err = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out.push(String(s));
    return true;
  });
  jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err.push(String(s));
    return true;
  });
});
afterEach(() => {
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const stdout = (): string => out.join('');
const stderr = (): string => err.join('');

test('--version prints the package version', async () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  expect(VERSION).toBe(pkg.version);
  expect(await main(['--version'])).toBe(0);
  expect(stdout()).toBe(`${pkg.version}\n`);
});

test('--help lists the commands; an unknown command is an error', async () => {
  expect(await main(['--help'])).toBe(0);
  expect(stdout()).toMatch(/vma-harness replay/);
  expect(stdout()).toMatch(/vma-harness fuzz/);
  expect(await main(['frobnicate'])).toBe(2);
  expect(stderr()).toMatch(/unknown command 'frobnicate'/);
});

test('replay of passing traces exits 0 and ends with the summary line', async () => {
  copyFileSync(join(oracle, 'random-s0001.json'), join(dir, 'a.json'));
  copyFileSync(join(oracle, 'random-s0002.json'), join(dir, 'b.json'));
  expect(await main(['replay', dir])).toBe(0);
  expect(stdout()).toBe('2 passed, 0 failed\n');
});

test('a mismatch names the trace, step, op, field, expected and actual; exit 1', async () => {
  /* Corrupt one expectation: step 5 claims map_count 9. */
  const doc = JSON.parse(readFileSync(join(oracle, 'random-s0004.json'), 'utf8')) as { steps: { expect: { map_count: number } }[] };
  doc.steps[5].expect.map_count = 9;
  writeFileSync(join(dir, 'bad.json'), JSON.stringify(doc));
  copyFileSync(join(oracle, 'random-s0001.json'), join(dir, 'good.json'));
  expect(await main(['replay', dir])).toBe(1);
  expect(stdout()).toContain("FAIL random-s0004 [");
  expect(stdout()).toContain("step 5 (alloc_and_link): field 'map_count': expected 9, actual 4");
  expect(stdout()).toMatch(/1 passed, 1 failed\n$/);
});

test.each([
  ['malformed JSON', '{"format":', /bad\.json: document: malformed JSON/],
  ['unknown format', '{"format":"vma-trace/2","kernel":"v6.15","name":"x","steps":[]}', /field 'format'/],
  [
    'unknown op',
    '{"format":"vma-trace/1","kernel":"v6.15","name":"x","steps":[{"op":"frob"}]}',
    /bad\.json: step 0: field 'op': unknown operation "frob"/,
  ],
  [
    'missing argument',
    '{"format":"vma-trace/1","kernel":"v6.15","name":"x","steps":[{"op":"munmap","start":"0x1000"}]}',
    /step 0 \(munmap\): field 'len'/,
  ],
  [
    'extra argument',
    '{"format":"vma-trace/1","kernel":"v6.15","name":"x","steps":[{"op":"fail_prealloc","value":true,"vma":1}]}',
    /step 0 \(fail_prealloc\): field 'vma'/,
  ],
  [
    'malformed hex',
    '{"format":"vma-trace/1","kernel":"v6.15","name":"x","steps":[{"op":"munmap","start":"0x10g0","len":"0x1000"}]}',
    /field 'start': malformed hex string "0x10g0"/,
  ],
  [
    'unknown VMA id',
    '{"format":"vma-trace/1","kernel":"v6.15","name":"x","steps":[{"op":"set_ops","vma":7,"ops":"close"}]}',
    /bad\.json: step 0 \(set_ops\): field 'vma': VMA 7 was never allocated/,
  ],
  [
    'overlapping VMAs',
    '{"format":"vma-trace/1","kernel":"v6.15","name":"x","steps":[' +
      '{"op":"alloc_and_link","start":"0x100000","end":"0x103000","pgoff":"0x100","flags":"0x33"},' +
      '{"op":"alloc_and_link","start":"0x102000","end":"0x104000","pgoff":"0x102","flags":"0x33"}]}',
    /step 1 \(alloc_and_link\): field 'start': \[0x102000, 0x104000\) overlaps an existing VMA at 0x102000/,
  ],
  [
    'merge_new with nothing below but a VMA above',
    '{"format":"vma-trace/1","kernel":"v6.15","name":"x","steps":[' +
      '{"op":"alloc_and_link","start":"0x104000","end":"0x105000","pgoff":"0x104","flags":"0x33"},' +
      '{"op":"merge_new","start":"0x100000","end":"0x104000","pgoff":"0x100","flags":"0x33"}]}',
    /step 1 \(merge_new\): field 'start': no VMA below 0x100000 but one at 0x104000: merge_new needs a VMA below start/,
  ],
])('bad input (%s): named error, exit 2, no stack trace, the other traces still run', async (_what, text, msg) => {
  writeFileSync(join(dir, 'bad.json'), text);
  copyFileSync(join(oracle, 'random-s0003.json'), join(dir, 'ok.json'));
  expect(await main(['replay', dir])).toBe(2);
  expect(stderr()).toMatch(msg);
  expect(stderr()).not.toMatch(/\n\s+at /);
  expect(stdout()).toMatch(/1 passed, 1 failed\n$/);
});

test('replay --timing prints exactly one timing line on stdout', async () => {
  expect(await main(['replay', '--timing', join(oracle, 'random-s0001.json')])).toBe(0);
  expect(stdout()).toMatch(/^timing: ops 56 elapsed_ns \d+\n$/);
  expect(stderr()).toBe('1 passed, 0 failed\n');
});

test('replay needs a path; unknown options are refused', async () => {
  expect(await main(['replay'])).toBe(2);
  expect(await main(['replay', '--frob', oracle])).toBe(2);
  expect(stderr()).toMatch(/no trace file or directory given/);
  expect(stderr()).toMatch(/unknown option '--frob'/);
});

test('fuzz: a small campaign reports its summary and succeeds', async () => {
  const code = await main(['fuzz', '--runs', '20', '--commands', '20', '--scenarios', '20', '--sweep', '1', '--seed', '5', '--regressions', dir]);
  expect(code).toBe(0);
  expect(stdout()).toMatch(/Fuzz summary/);
  expect(stdout()).toMatch(/runs: 40 {3}commands executed: \d+ {3}invariant checks: \d+/);
  expect(stdout()).toMatch(/existing:left +\d+/);
  expect(stdout()).toMatch(/failures: 0/);
});

test('fuzz refuses bad options', async () => {
  expect(await main(['fuzz', '--runs', 'many'])).toBe(2);
  expect(stderr()).toMatch(/--runs needs a non-negative integer/);
});
