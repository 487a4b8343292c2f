// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The hostile-input suite: a temporary folder of FIFOs, sockets, links that
 * dangle or loop, files too large, deeply nested, with a byte-order mark,
 * duplicate keys, no steps, misleading names and other extensions, beside
 * good traces.  Every bad entry is reported with what is wrong (exit 2),
 * nothing hangs, no JavaScript error text appears, and the good traces in
 * the same run still pass.
 */

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli';
import { testContext } from './context';
import { HOSTILE_STATE_INPUTS } from '../util/hostile_inputs';

const oracle = join(__dirname, '..', '..', 'fixtures', 'oracle');
const good = readFileSync(join(oracle, 'random-s0001.json'), 'utf8');
let dir: string;
let server: Server | null = null;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vma-hostile-'));
  const d = (...p: string[]): string => join(dir, ...p);
  mkdirSync(d('corpus', 'sub'), { recursive: true });
  copyFileSync(join(oracle, 'random-s0001.json'), d('corpus', 'good-1.json'));
  copyFileSync(join(oracle, 'random-s0002.json'), d('corpus', 'sub', 'good-2.json'));
  execFileSync('mkfifo', [d('corpus', 'fifo.json')]);
  symlinkSync(d('corpus', 'nowhere.json'), d('corpus', 'dangling.json'));
  symlinkSync(d('corpus', 'self.json'), d('corpus', 'self.json'));
  symlinkSync('..', d('corpus', 'sub', 'back'));
  symlinkSync('/dev/zero', d('corpus', 'zero.json'));
  writeFileSync(d('corpus', 'huge.json'), '');
  truncateSync(d('corpus', 'huge.json'), 65 * 1024 * 1024);
  writeFileSync(d('corpus', 'deep.json'), `{"format":"vma-trace/1","kernel":"v6.15","name":"deep","steps":[${'['.repeat(500000)}${']'.repeat(500000)}]}`);
  writeFileSync(d('corpus', 'bom.json'), `\ufeff${good}`);
  writeFileSync(d('corpus', 'dup.json'), good.replace('"name":"random-s0001"', '"name":"random-s0001","name":"other"'));
  writeFileSync(d('corpus', 'empty-steps.json'), '{"format":"vma-trace/1","kernel":"v6.15","name":"empty","steps":[]}');
  writeFileSync(d('corpus', 'forged.json'), good.replace('"name":"random-s0001"', '"name":"x\\n2 passed, 0 failed\\u001b[1A"').replace('"map_count":1', '"map_count":7'));
  writeFileSync(d('corpus', 'UPPER.JSON'), good);
  writeFileSync(d('corpus', 'trace.json.txt'), good);
  writeFileSync(d('corpus', 'binary.json'), Buffer.from([0x7b, 0xc3, 0x28, 0x7d]));
  mkdirSync(d('empty'));
  mkdirSync(d('state'));
  copyFileSync(join(oracle, 'ext-s0001.json'), d('state', 'good-ext.json'));
  copyFileSync(join(oracle, 'fault-s0001.json'), d('state', 'good-fault.json'));
  for (const h of HOSTILE_STATE_INPUTS) {
    writeFileSync(d('state', `${h.name}.json`), JSON.stringify({ format: 'vma-trace/1', kernel: 'v6.15', name: h.name, steps: h.steps }));
  }
  server = createServer();
  await new Promise<void>((resolve) => server!.listen(d('corpus', 'sock.json'), resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  rmSync(dir, { recursive: true, force: true });
});

async function replay(args: string[]): Promise<{ code: number; out: string; err: string; ms: number }> {
  const ctx = testContext();
  const t0 = Date.now();
  const code = await main(['replay', ...args], ctx);
  return { code, out: ctx.stdout(), err: ctx.stderr(), ms: Date.now() - t0 };
}

test('a folder of hostile entries: each reported, the good traces still pass, exit 2, within seconds', async () => {
  const r = await replay([join(dir, 'corpus')]);
  expect(r.code).toBe(2);
  expect(r.ms).toBeLessThan(30000);
  const c = (name: string): string => join(dir, 'corpus', name);
  const expected: [string, RegExp][] = [
    [c('fifo.json'), /not a regular file: a FIFO \(named pipe\)/],
    [c('sock.json'), /not a regular file: a socket/],
    [c('zero.json'), /not a regular file: a character device/],
    [c('dangling.json'), /dangling symbolic link \(its target does not exist\)/],
    [c('self.json'), /symbolic link loop/],
    [join(c('sub'), 'back'), /symbolic link loop \(leads back to a directory being searched\)/],
    [c('huge.json'), /too large: 68157440 bytes or more, over the limit of 64 MiB \(raise it with --max-size\)/],
    [c('deep.json'), /step 0: a step must be a JSON object, got an array/],
    [c('bom.json'), /byte-order mark/],
    [c('dup.json'), /field 'name': duplicate key 'name'/],
    [c('empty-steps.json'), /field 'steps': a trace needs at least one step/],
    [c('binary.json'), /not valid UTF-8: byte 0xc3 at offset 1/],
  ];
  for (const [file, msg] of expected) {
    const line = r.err.split('\n').find((l) => l.startsWith(`ERROR ${file}:`));
    expect(line ?? `no ERROR line for ${file} in:\n${r.err}`).toMatch(msg);
  }
  expect(r.err).toContain(`skipped ${c('UPPER.JSON')}: not a *.json file`);
  expect(r.err).toContain(`skipped ${c('trace.json.txt')}: not a *.json file`);
  /* The forged name is escaped: it cannot print a summary line of its own. */
  expect(r.out).toContain('FAIL x\\n2 passed, 0 failed\\x1b[1A [');
  expect(r.out.split('\n').filter((l) => /^\d+ passed/.test(l))).toEqual(['2 passed, 7 failed, 8 skipped']);
  /* No JavaScript error text. */
  expect(r.out + r.err).not.toMatch(/\n\s+at |TypeError|RangeError|SyntaxError|ENOENT|ELOOP|EISDIR/);
});

test.each([
  [['/dev/zero'], /^ERROR \/dev\/zero: not a regular file: a character device$/m],
  [['/dev/null'], /^ERROR \/dev\/null: not a regular file: a character device$/m],
  [['__FIFO__'], /^ERROR .*fifo\.json: not a regular file: a FIFO \(named pipe\)$/m],
  [['__EMPTY__'], /^vma-harness replay: no trace file found in /m],
  [['__MISSING__'], /^ERROR .*missing\.json: no such file or directory$/m],
  [['--max-size', '0', '__GOOD__'], /--max-size <MiB>' argument '0' is invalid/],
  [['--max-size', '1', '__HUGE__'], /too large: .* over the limit of 1 MiB/],
])('replay %j: exit 2 with a message, at once', async (args, msg) => {
  const map: Record<string, string> = {
    __FIFO__: join(dir, 'corpus', 'fifo.json'),
    __EMPTY__: join(dir, 'empty'),
    __MISSING__: join(dir, 'missing.json'),
    __GOOD__: join(dir, 'corpus', 'good-1.json'),
    __HUGE__: join(dir, 'corpus', 'huge.json'),
  };
  const r = await replay(args.map((a) => map[a] ?? a));
  expect(r.code).toBe(2);
  expect(r.err).toMatch(msg);
  expect(r.ms).toBeLessThan(10000);
});

test('a file of other extension named explicitly is read', async () => {
  const r = await replay(['-v', join(dir, 'corpus', 'trace.json.txt')]);
  expect(r).toMatchObject({ code: 0, out: 'PASS random-s0001\n1 passed, 0 failed\n' });
});

test('standard input larger than the limit is refused', async () => {
  const ctx = testContext({ stdin: Buffer.alloc(2 * 1024 * 1024, 0x20) });
  expect(await main(['replay', '--max-size', '1', '-'], ctx)).toBe(2);
  expect(ctx.stderr()).toMatch(/^ERROR -: too large/);
});

test('steps that break a precondition of the trace\'s own state: exit 2 naming file, step, op, field and VMA; the good traces beside them pass; within seconds', async () => {
  const r = await replay(['-v', join(dir, 'state')]);
  expect(r.code).toBe(2);
  expect(r.ms).toBeLessThan(15000);
  for (const h of HOSTILE_STATE_INPUTS) {
    const file = join(dir, 'state', `${h.name}.json`);
    const step = h.steps.length - 1;
    const line = r.err.split('\n').find((l) => l.startsWith(`ERROR ${file}: step ${step} (${String(h.steps[step].op)}): field '`));
    expect(line ?? `no ERROR line for ${file} step ${step} in:\n${r.err}`).toMatch(h.message);
  }
  expect(r.err + r.out).toContain('PASS ext-s0001');
  expect(r.err + r.out).toContain('PASS fault-s0001');
  expect(r.out.split('\n').filter((l) => /^\d+ passed/.test(l))).toEqual([`2 passed, ${HOSTILE_STATE_INPUTS.length} failed`]);
  /* No JavaScript error text, no hang: the port never saw those steps. */
  expect(r.out + r.err).not.toMatch(/\n\s+at |TypeError|RangeError|KernelBug|LayoutDriftError/);
});
