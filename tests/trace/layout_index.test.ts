// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The validator's index of VMAs by start (src/trace/layout_index.ts)
 * against a plain model: a list of (key, record) pairs kept sorted by
 * key, searched linearly.  Sequences of insertions, removals and lookups
 * over a small key space (so that keys collide and chunks split, fill and
 * empty), checking every answer and the index's own invariants.
 */

import fc from 'fast-check';
import { StartIndex } from '../../src/trace/layout_index';
import { quickBe } from '../support/quick_expect';

type Cmd = { kind: 'insert' | 'delete' | 'floor' | 'get'; key: number };

/* The model: the pairs in key order. */
class Model {
  readonly pairs: [number, string][] = [];
  insert(key: number, r: string): boolean {
    if (this.pairs.some(([k]) => k === key)) return false;
    this.pairs.push([key, r]);
    this.pairs.sort((a, b) => a[0] - b[0]);
    return true;
  }
  delete(key: number): boolean {
    const i = this.pairs.findIndex(([k]) => k === key);
    if (i < 0) return false;
    this.pairs.splice(i, 1);
    return true;
  }
  floor(addr: number): string | null {
    let best: string | null = null;
    for (const [k, r] of this.pairs) if (k <= addr) best = r;
    return best;
  }
  get(key: number): string | null {
    return this.pairs.find(([k]) => k === key)?.[1] ?? null;
  }
}

const cmd = (maxKey: number): fc.Arbitrary<Cmd> =>
  fc.record({ kind: fc.constantFrom<Cmd['kind']>('insert', 'insert', 'delete', 'floor', 'get'), key: fc.nat({ max: maxKey }) });

test.each([
  ['few keys (collisions, one chunk)', 40, 200],
  ['many keys (chunks split, fill and empty)', 3000, 4000],
])('StartIndex answers as a sorted list does: %s', (_what, maxKey, maxCmds) => {
  fc.assert(
    fc.property(fc.array(cmd(maxKey), { maxLength: maxCmds }), (cmds) => {
      const index = new StartIndex<string>();
      const model = new Model();
      let n = 0;
      for (const c of cmds) {
        switch (c.kind) {
          case 'insert': {
            const r = `r${n++}`;
            quickBe(index.insert(c.key, r), model.insert(c.key, r));
            break;
          }
          case 'delete':
            quickBe(index.delete(c.key), model.delete(c.key));
            break;
          case 'floor':
            quickBe(index.floor(c.key), model.floor(c.key));
            break;
          case 'get':
            quickBe(index.get(c.key), model.get(c.key));
            break;
        }
        quickBe(index.size, model.pairs.length);
      }
      index.check();
      for (const [k, r] of model.pairs) quickBe(index.get(k), r);
    }),
    { numRuns: 60 },
  );
});

test('StartIndex: ascending and descending fills split chunks, emptying them drops them', () => {
  const index = new StartIndex<number>();
  for (let k = 0; k < 2000; k++) expect(index.insert(k * 2, k)).toBe(true);
  for (let k = 3999; k >= 1; k -= 2) expect(index.insert(k, -k)).toBe(true);
  index.check();
  expect(index.size).toBe(4000);
  expect(index.floor(-1)).toBeNull();
  expect(index.floor(2.5)).toBe(1);
  expect(index.floor(1.5)).toBe(-1);
  expect(index.floor(1e9)).toBe(-3999);
  expect(index.insert(10, 99)).toBe(false);
  for (let k = 0; k < 4000; k += 3) expect(index.delete(k)).toBe(true);
  index.check();
  for (let k = 0; k < 4000; k++) index.delete(k);
  index.check();
  expect(index.size).toBe(0);
  expect(index.floor(5)).toBeNull();
  expect(index.get(5)).toBeNull();
  expect(index.delete(5)).toBe(false);
  /* Emptied, it fills again from its one empty chunk, high keys first. */
  expect(index.insert(2 ** 40, 7)).toBe(true);
  expect(index.insert(3, 8)).toBe(true);
  index.check();
  expect(index.floor(2 ** 41)).toBe(7);
  expect(index.floor(2 ** 40 - 1)).toBe(8);
  expect(index.floor(2)).toBeNull();
});

test('StartIndex: a new index, and one emptied again, holds one empty chunk and passes check()', () => {
  const index = new StartIndex<number>();
  index.check();
  expect(index.floor(0)).toBeNull();
  expect(index.insert(5, 1)).toBe(true);
  expect(index.delete(5)).toBe(true);
  index.check();
  expect((index as unknown as { keys: number[][] }).keys).toEqual([[]]);
  const inner = index as unknown as { keys: number[][]; vals: number[][]; firsts: number[] };
  inner.keys.push([]);
  inner.vals.push([]);
  inner.firsts.push(0);
  expect(() => index.check()).toThrow(/exactly one chunk/);
});

test('StartIndex.check() finds a broken order', () => {
  const index = new StartIndex<number>();
  for (let k = 0; k < 10; k++) index.insert(k, k);
  (index as unknown as { keys: number[][] }).keys[0][3] = 100;
  expect(() => index.check()).toThrow(/key 4 after 100/);
});
