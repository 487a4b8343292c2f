// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The vma-harness command: help for every command, argument conventions
 * (unknown arguments refused everywhere, --opt=value, "-" for stdin),
 * strict numbers, conflicting and dependent options, replay output and exit
 * status, bad input, timing lines, paths relative to the caller.
 */

import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli';
import { callerCwd, packageRoot } from '../../src/cli/context';
import { VERSION } from '../../src/version';
import { testContext } from './context';

const oracle = join(__dirname, '..', '..', 'fixtures', 'oracle');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vma-cli-'));
});
afterEach(() => {
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

async function run(argv: string[], opts: Parameters<typeof testContext>[0] = {}): Promise<{ code: number; out: string; err: string }> {
  const ctx = testContext(opts);
  const code = await main(argv, ctx);
  return { code, out: ctx.stdout(), err: ctx.stderr() };
}

describe('help and version', () => {
  test('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    expect(await run(['--version'])).toEqual({ code: 0, out: `${pkg.version}\n`, err: '' });
  });

  test('--help (and no arguments) lists every command and the exit statuses', async () => {
    for (const argv of [['--help'], [], ['help']]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      for (const c of ['run', 'replay', 'fuzz']) expect(r.out).toMatch(new RegExp(`\\n  ${c} `));
      expect(r.out).toContain('130 interrupted');
      expect(r.out).toContain('VMA_HARNESS_VERBOSE');
    }
  });

  test.each([
    ['replay', ['--timing', '--verbose', '--json', '--max-size', '(default: 64)', '<paths...>', 'standard input']],
    ['fuzz', ['--runs', '(default: 70000)', '--commands', '(default: 80)', '--seed', '(default: 20261121)', '--scenarios', '(default: 60000)', '--sweep', '(default: 100)', '--path', '--replay-path', '--sequences-only', '--scenarios-only', '--regressions', '--json']],
    ['run', ['--json', 'npm start']],
  ])('%s --help explains every option with its default, exit 0', async (cmd, words) => {
    for (const argv of [[cmd, '--help'], [cmd, '-h'], ['help', cmd]]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.err).toBe('');
      expect(r.out).toMatch(new RegExp(`^Usage: vma-harness ${cmd} `));
      for (const w of words) expect(r.out).toContain(w);
      expect(r.out).toContain('Exit status:');
    }
  });

  test('an unknown command is an error (exit 2)', async () => {
    const r = await run(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown command 'frobnicate'/);
  });
});

describe('arguments', () => {
  test.each([
    [['run', '--anything']],
    [['run', '--help-me']],
    [['run', 'extra']],
    [['run', '--json=yes']],
    [['replay', '--frob', oracle]],
    [['fuzz', '--frob']],
    [['fuzz', 'extra']],
  ])('%j is refused before anything runs (exit 2)', async (argv) => {
    const t0 = Date.now();
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/unknown option|too many arguments|does not take an argument/);
    expect(r.err).toContain('--help');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  test('--opt=value and --opt value are both accepted', async () => {
    const a = await run(['fuzz', '--runs=3', '--commands=5', '--scenarios=3', '--sweep=0', '--seed=9', `--regressions=${dir}`]);
    const b = await run(['fuzz', '--runs', '3', '--commands', '5', '--scenarios', '3', '--sweep', '0', '--seed', '9', '--regressions', dir]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const counts = (s: string): string => (/runs: .*/.exec(s) ?? [''])[0];
    expect(counts(a.out)).toBe(counts(b.out));
    expect(counts(a.out)).toMatch(/^runs: 6 /);
  });

  test.each([
    ['--runs', ''],
    ['--runs', '0x10'],
    ['--runs', '1e2'],
    ['--runs', '-1'],
    ['--runs', '+5'],
    ['--runs', ' 7'],
    ['--runs', '7.0'],
    ['--runs', '100000001'],
    ['--commands', '0'],
    ['--seed', '4294967296'],
    ['--seed', '2147483648'],
    ['--seed', '99999999999999999999'],
    ['--sweep', 'many'],
  ])('%s %j: decimal digits in the documented range only (exit 2)', async (opt, value) => {
    const r = await run(['fuzz', opt, value, '--regressions', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`option '${opt} `);
    expect(r.err).toMatch(/Expected a decimal integer from \d+ to \d+/);
    expect(r.out).toBe('');
  });

  test('the largest documented seed is accepted and printed as given', async () => {
    const r = await run(['fuzz', '--seed', '2147483647', '--runs', '2', '--scenarios', '2', '--sweep', '0', '--commands', '3', '--regressions', dir]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('(seed 2147483647');
  });

  test.each([
    [['--sequences-only', '--scenarios-only'], /cannot be used with option '--scenarios-only'/],
    [['--replay-path', 'AB:C', '--sequences-only'], /--replay-path needs --path/],
    [['--path', '3:1', '--replay-path', 'AB:C'], /--replay-path replays a command sequence: add --sequences-only/],
    [['--path', '3:1'], /--path names a case of one phase/],
    [['--sequences-only', '--scenarios', '5'], /--scenarios has no effect with --sequences-only/],
    [['--scenarios-only', '--runs', '5'], /--runs and --commands have no effect with --scenarios-only/],
    [['--scenarios-only', '--sweep', '5'], /--sweep has no effect/],
    [['--path', 'garbage', '--scenarios-only'], /argument 'garbage' is invalid\. Expected a fast-check path/],
    [['--path', '', '--scenarios-only'], /Expected a fast-check path/],
    [['--replay-path', 'not a path!', '--path', '1', '--sequences-only'], /Expected fc\.commands' replay path/],
    [['--regressions', ''], /Expected a non-empty value/],
  ])('fuzz %j is refused with our message (exit 2)', async (args, msg) => {
    const r = await run(['fuzz', ...args]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.out).toBe('');
  });

  test('--path that leads nowhere in this campaign gets our message, not fast-check\'s', async () => {
    const r = await run(['fuzz', '--scenarios-only', '--scenarios', '5', '--seed', '1', '--path', '2:999999:999999', '--regressions', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--path does not lead to a case of this campaign/);
  });

  test('an unwritable --regressions is refused before the campaign starts', async () => {
    writeFileSync(join(dir, 'file'), '');
    const r = await run(['fuzz', '--runs', '1', '--regressions', join(dir, 'file', 'sub')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot write regression traces to .*file\/sub: a component of the path is not a directory/);
    expect(r.out).toBe('');
  });

  test('--regressions is created when missing, relative to the caller\'s directory', async () => {
    const r = await run(['fuzz', '--runs', '1', '--scenarios', '1', '--sweep', '0', '--regressions', 'new/dir'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(statSync(join(dir, 'new', 'dir')).isDirectory()).toBe(true);
  });
});

describe('replay', () => {
  test('passing traces: exit 0 and the summary line', async () => {
    copyFileSync(join(oracle, 'random-s0001.json'), join(dir, 'a.json'));
    copyFileSync(join(oracle, 'random-s0002.json'), join(dir, 'b.json'));
    expect(await run(['replay', dir])).toEqual({ code: 0, out: '2 passed, 0 failed\n', err: '' });
  });

  test('a mismatch names the trace, step, op, field, expected and actual; exit 1', async () => {
    const doc = JSON.parse(readFileSync(join(oracle, 'random-s0004.json'), 'utf8')) as { steps: { expect: { map_count: number } }[] };
    doc.steps[5].expect.map_count = 9;
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(doc));
    copyFileSync(join(oracle, 'random-s0001.json'), join(dir, 'good.json'));
    const r = await run(['replay', dir]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAIL random-s0004 [');
    expect(r.out).toContain("step 5 (alloc_and_link): field 'map_count': expected 9, actual 4");
    expect(r.out).toMatch(/1 passed, 1 failed\n$/);
  });

  test.each([
    ['malformed JSON', '{"format":', /bad\.json: document: malformed JSON/],
    ['unknown format', '{"format":"vma-trace/2","kernel":"v6.15","name":"x","steps":[]}', /field 'format'/],
    ['unknown op', '{"format":"vma-trace/1","kernel":"v6.15","name":"x","steps":[{"op":"frob"}]}', /bad\.json: step 0: field 'op': unknown operation "frob"/],
    ['missing argument', '{"format":"vma-trace/1","kernel":"v6.15","name":"x","steps":[{"op":"munmap","start":"0x1000"}]}', /step 0 \(munmap\): field 'len'/],
    ['extra argument', '{"format":"vma-trace/1","kernel":"v6.15","name":"x","steps":[{"op":"fail_prealloc","value":true,"vma":1}]}', /step 0 \(fail_prealloc\): field 'vma'/],
    ['malformed hex', '{"format":"vma-trace/1","kernel":"v6.15","name":"x","steps":[{"op":"munmap","start":"0x10g0","len":"0x1000"}]}', /field 'start': malformed hex string "0x10g0"/],
    ['unknown VMA id', '{"format":"vma-trace/1","kernel":"v6.15","name":"x","steps":[{"op":"set_ops","vma":7,"ops":"close"}]}', /bad\.json: step 0 \(set_ops\): field 'vma': VMA 7 was never allocated/],
    [
      'overlapping VMAs',
      '{"format":"vma-trace/1","kernel":"v6.15","name":"x","steps":[' +
        '{"op":"alloc_and_link","start":"0x100000","end":"0x103000","pgoff":"0x100","flags":"0x33"},' +
        '{"op":"alloc_and_link","start":"0x102000","end":"0x104000","pgoff":"0x102","flags":"0x33"}]}',
      /step 1 \(alloc_and_link\): field 'start': \[0x102000, 0x104000\) is not free: it overlaps VMA 1 \[0x100000, 0x103000\)/,
    ],
    [
      'merge_new with nothing below but a VMA above',
      '{"format":"vma-trace/1","kernel":"v6.15","name":"x","steps":[' +
        '{"op":"alloc_and_link","start":"0x104000","end":"0x105000","pgoff":"0x104","flags":"0x33"},' +
        '{"op":"merge_new","start":"0x100000","end":"0x104000","pgoff":"0x100","flags":"0x33"}]}',
      /step 1 \(merge_new\): field 'start': no VMA below 0x100000 but VMA 1 \[0x104000, 0x105000\) above it: merge_new needs a VMA below start/,
    ],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), /bad\.json: not valid UTF-8: byte 0xff at offset 2/],
  ])('bad input (%s): named error, exit 2, no stack trace, the other traces still run', async (_what, text, msg) => {
    writeFileSync(join(dir, 'bad.json'), text);
    copyFileSync(join(oracle, 'random-s0003.json'), join(dir, 'ok.json'));
    const r = await run(['replay', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.out).toMatch(/1 passed, 1 failed\n$/);
  });

  test('--timing: exactly one timing line per trace on stdout, naming the trace and its file', async () => {
    const r = await run(['replay', '--timing', join(oracle, 'random-s0001.json'), join(oracle, 'random-s0002.json')]);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^timing: ops 56 elapsed_ns \d+ name "random-s0001" file ".*random-s0001\.json"$/);
    expect(lines[1]).toMatch(/^timing: ops \d+ elapsed_ns \d+ name "random-s0002" file /);
    expect(r.err).toBe('2 passed, 0 failed\n');
  });

  test('--timing --verbose: PASS lines go to stderr, stdout keeps only the timing lines', async () => {
    const r = await run(['replay', '--timing', '--verbose', join(oracle, 'random-s0001.json')]);
    expect(r.out).toMatch(/^timing: ops 56 elapsed_ns \d+ name "random-s0001" file "[^"]+"\n$/);
    expect(r.err).toBe('PASS random-s0001\n1 passed, 0 failed\n');
  });

  test('--verbose prints PASS lines on stdout', async () => {
    const r = await run(['replay', '-v', join(oracle, 'random-s0001.json')]);
    expect(r.out).toBe('PASS random-s0001\n1 passed, 0 failed\n');
  });

  test('"-" reads one trace from standard input', async () => {
    const text = readFileSync(join(oracle, 'random-s0002.json'), 'utf8');
    const r = await run(['replay', '--verbose', '-'], { stdin: text });
    expect(r).toEqual({ code: 0, out: 'PASS random-s0002\n1 passed, 0 failed\n', err: '' });
    const bad = await run(['replay', '-'], { stdin: '{"format":' });
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^ERROR -: document: malformed JSON/);
  });

  test('relative paths are resolved against the caller\'s directory', async () => {
    mkdirSync(join(dir, 'sub'));
    copyFileSync(join(oracle, 'random-s0001.json'), join(dir, 'sub', 'a.json'));
    const r = await run(['replay', '-v', 'sub'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.out).toBe('PASS random-s0001\n1 passed, 0 failed\n');
    const missing = await run(['replay', 'sub/nope.json'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('ERROR sub/nope.json: no such file or directory');
  });

  test('under `npm run` from our package, INIT_CWD is the caller\'s directory', () => {
    const root = packageRoot();
    expect(callerCwd({ INIT_CWD: dir, npm_lifecycle_event: 'replay' }, root)).toBe(dir);
    /* Not started by npm, or npm started elsewhere: the process's own directory. */
    expect(callerCwd({ INIT_CWD: dir }, root)).toBe(root);
    expect(callerCwd({ INIT_CWD: dir, npm_lifecycle_event: 'test' }, tmpdir())).toBe(tmpdir());
    expect(callerCwd({ INIT_CWD: join(dir, 'gone'), npm_lifecycle_event: 'replay' }, root)).toBe(root);
  });

  test('a trace name with control characters is printed escaped', async () => {
    const doc = JSON.parse(readFileSync(join(oracle, 'random-s0004.json'), 'utf8')) as { name: string; steps: { expect: { map_count: number } }[] };
    doc.name = 'evil\n0 passed, 0 failed\x1b[2K\u202e';
    doc.steps[5].expect.map_count = 9;
    writeFileSync(join(dir, 'evil.json'), JSON.stringify(doc));
    const r = await run(['replay', '--timing', dir]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('FAIL evil\\n0 passed, 0 failed\\x1b[2K\\u{202e} [');
    expect(r.out).toContain('name "evil\\n0 passed, 0 failed\\u001b[2K\\u202e"');
    expect(r.out + r.err).not.toMatch(/[\x1b\u202e]/);
  });
});
