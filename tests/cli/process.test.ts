// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The command as a process: Ctrl-C (SIGINT) ends fuzz and replay with a
 * partial summary marked interrupted and exit status 130; a reader that
 * goes away (EPIPE, `| head`) ends it quietly; a FIFO never blocks it.
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, cleanEnv, ensureBuilt, repo } from '../util/build';

const oracle = join(repo, 'fixtures', 'oracle');
let dir: string;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'vma-proc-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/*
 * Whether process @p pid has opened its standard input for reading: Node
 * makes the descriptor non-blocking then (Linux: O_NONBLOCK in the flags of
 * /proc/<pid>/fdinfo/0; elsewhere never true, and the caller's bound applies).
 */
function readsStdin(pid: number): boolean {
  try {
    const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/0`, 'utf8'));
    return flags !== null && (parseInt(flags[1], 8) & 0o4000) !== 0;
  } catch {
    return false;
  }
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/* Start the command; send SIGINT once @p ready matches @p stream's output; collect everything. */
function interruptWhen(args: string[], ready: RegExp, stream: 'stdout' | 'stderr' = 'stdout'): Promise<Ended & { afterSignalMs: number }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [bin, ...args], { cwd: dir, env: cleanEnv() });
    let out = '';
    let err = '';
    let sentAt = 0;
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit within 60 s; stdout so far:\n${out}\nstderr:\n${err}`));
    }, 60_000);
    const check = (): void => {
      if (!sentAt && ready.test(stream === 'stdout' ? out : err)) {
        sentAt = Date.now();
        child.kill('SIGINT');
      }
    };
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      check();
    });
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      check();
    });
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, out, err, afterSignalMs: Date.now() - sentAt });
    });
  });
}

test('SIGINT during fuzz: a partial summary marked interrupted, exit 130, promptly', async () => {
  const r = await interruptWhen(['fuzz', '--sequences-only', '--runs', '10000000', '--regressions', dir], /Command sequences/);
  expect(r.code).toBe(130);
  expect(r.afterSignalMs).toBeLessThan(15000);
  expect(r.out).toMatch(/\d+ runs, \d+ commands \(interrupted\)/);
  expect(r.out).toMatch(/Fuzz summary \([\d.]+ s\), INTERRUPTED: partial counts:/);
  expect(r.out).toMatch(/runs: \d+ {3}commands executed: \d+/);
  expect(r.err).toBe('');
}, 70_000);

test('SIGINT during replay --json: the document says interrupted, exit 130', async () => {
  /* The oracle directory many times over: long enough to be interrupted. */
  const r = await interruptWhen(['replay', '--json', ...Array<string>(40).fill(oracle)], /skipped/, 'stderr');
  expect(r.code).toBe(130);
  const doc = JSON.parse(r.out) as { interrupted: boolean; exit_code: number; replay: { not_run: number; traces: unknown[] } };
  expect(doc.interrupted).toBe(true);
  expect(doc.exit_code).toBe(130);
  expect(doc.replay.not_run).toBeGreaterThan(0);
}, 70_000);

test('SIGINT during a text replay: "interrupted: K of N traces replayed" and the summary', async () => {
  const r = await interruptWhen(['replay', '--verbose', ...Array<string>(40).fill(oracle)], /PASS /);
  expect(r.code).toBe(130);
  expect(r.out).toMatch(/interrupted: \d+ of \d+ traces replayed\n\d+ passed, 0 failed/);
}, 70_000);

test('SIGINT while waiting on standard input ("-"): interrupted, exit 130', async () => {
  const r = await new Promise<Ended>((resolve) => {
    const child = spawn(process.execPath, [bin, 'replay', '-'], { env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    /*
     * stdin stays open and empty: the command waits on it until the signal,
     * sent once it reads standard input (a fixed delay lost the race on a
     * loaded machine, where starting the command can take over a second).
     */
    const start = Date.now();
    const poll = setInterval(() => {
      if (readsStdin(child.pid as number) || Date.now() - start > 10_000) {
        clearInterval(poll);
        child.kill('SIGINT');
      }
    }, 20);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal, out, err });
    });
  });
  expect(r.code).toBe(130);
  expect(r.out).toBe('interrupted: 0 of 1 traces replayed\n0 passed, 0 failed\n');
  expect(r.err).toBe('');
}, 30_000);

test('a reader that goes away (EPIPE) ends the command quietly', async () => {
  const r = await new Promise<Ended>((resolve) => {
    const child = spawn(process.execPath, [bin, 'replay', '--verbose', oracle, oracle, oracle], { env: cleanEnv() });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    child.on('close', (code, signal) => resolve({ code, signal, out: '', err }));
  });
  expect(r.err).not.toMatch(/Error|EPIPE|\n\s+at /);
  expect(r.code).toBe(141);
}, 30_000);

test('`| head -1` in a shell: no EPIPE stack trace', () => {
  const r = spawnSync('sh', ['-c', `"${process.execPath}" "${bin}" replay --verbose "${oracle}" "${oracle}" | head -1`], { encoding: 'utf8', env: cleanEnv() });
  expect(r.stdout).toMatch(/^PASS \S+\n$/);
  expect(r.stderr).not.toMatch(/Error|EPIPE|\n\s+at /);
}, 30_000);

test('a FIFO named *.json in the corpus never blocks the run', () => {
  const d = mkdtempSync(join(dir, 'fifo-'));
  execFileSync('mkfifo', [join(d, 'a.json')]);
  copyFileSync(join(oracle, 'random-s0001.json'), join(d, 'b.json'));
  const r = spawnSync(process.execPath, [bin, 'replay', d], { encoding: 'utf8', env: cleanEnv(), timeout: 20_000 });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('a.json: not a regular file: a FIFO (named pipe)');
  expect(r.stdout).toBe('1 passed, 0 failed, 1 skipped\n');
}, 30_000);
