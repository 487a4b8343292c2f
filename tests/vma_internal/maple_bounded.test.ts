// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every loop of the maple-tree stand-in ends (issue 9): an mmap whose end
 * passes 2^53, with a VMA below it, used to loop for ever in mas_find() ->
 * mas_next_slot(), since above Number.MAX_SAFE_INTEGER `last + 1` no longer
 * moves.  The walks now stop at ULONG_MAX whatever limit they are given.
 * A hang cannot be caught inside a synchronous test, so the calls run in a
 * child process with a time limit.
 */

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cleanEnv, ensureBuilt, repo } from '../util/build';

beforeAll(() => ensureBuilt());

/* Run @script (with `dist` bound to the built package's directory) in a child, for at most 20 s. */
function runChild(script: string): { status: number | null; out: string; err: string; timedOut: boolean } {
  const r = spawnSync(process.execPath, ['-e', `const dist = ${JSON.stringify(join(repo, 'dist'))};\n${script}`], {
    encoding: 'utf8',
    env: cleanEnv(),
    timeout: 20_000,
  });
  return { status: r.status, out: r.stdout, err: r.stderr, timedOut: r.error !== undefined };
}

test("the issue's hang: mmap ending past 2^53 with a VMA below ends (the port gets it only past the validator)", () => {
  const r = runChild(`
    const { TraceWorld } = require(dist + '/trace/world.js');
    const w = new TraceWorld();
    w.execute({ op: 'alloc_and_link', start: 0x100000, end: 0x102000, pgoff: 0x100, flags: 0x33n });
    let outcome;
    try { w.execute({ op: 'mmap', addr: 2 ** 53 - 0x1000, len: 0x2000, flags: 0x33n, pgoff: 0, file: null }); outcome = 'returned'; }
    catch (e) { outcome = e.name; }
    process.stdout.write(outcome);`);
  expect(r.timedOut).toBe(false);
  expect(r.status).toBe(0);
  /* The stand-in refuses a range past ULONG_MAX rather than storing it. */
  expect(r.out).toBe('RangeError');
});

test('walks given a limit past ULONG_MAX stop at ULONG_MAX: mas_find, mas_next, mas_next_range, mas_find_range, mas_for_each', () => {
  const r = runChild(`
    const m = require(dist + '/vma_internal/maple_tree.js');
    const mt = new m.maple_tree();
    const put = (a, b, v) => { const s = m.MA_STATE(mt, a, b); m.mas_store_gfp(s, v, 0); };
    put(0x100000, 0x101fff, 'a');
    put(0x200000, 0x200fff, 'b');
    const far = 2 ** 53 + 0x10000;
    const out = {};
    let s = m.MA_STATE(mt, 0x300000, 0x300000);
    out.find = m.mas_find(s, far);
    s = m.MA_STATE(mt, 0x200000, 0x200000); m.mas_walk(s);
    out.next = m.mas_next(s, far);
    out.nextStatus = s.status === m.ma_overflow;
    s = m.MA_STATE(mt, 0x200000, 0x200000); m.mas_walk(s);
    out.nextRange = m.mas_next_range(s, far);
    out.rangeLast = s.last;
    out.nextRange2 = m.mas_next_range(s, far);
    s = m.MA_STATE(mt, 0x0, 0x0);
    const seen = [];
    m.mas_for_each(s, far, (e) => seen.push(e));
    out.each = seen;
    s = m.MA_STATE(mt, 0x250000, 0x250000);
    out.findRange = m.mas_find_range(s, far);
    out.findRange2 = m.mas_find_range(s, far);
    process.stdout.write(JSON.stringify(out));`);
  expect(r.timedOut).toBe(false);
  expect(r.err).toBe('');
  expect(JSON.parse(r.out)).toEqual({
    find: null,
    next: null,
    nextStatus: true,
    nextRange: null,
    rangeLast: Number.MAX_SAFE_INTEGER,
    nextRange2: null,
    each: ['a', 'b'],
    findRange: null,
    findRange2: null,
  });
});
