// SPDX-License-Identifier: GPL-2.0-or-later
import { RANGE_MAX, RangeTree } from '../../src/vma_internal/range_tree';
import { prng } from '../../src/util/prng';
import type { RangeEntry } from '../../src/vma_internal/range_tree';

// ---------------------------------------------------------------- helpers

interface Plain {
  index: number;
  last: number;
  value: string;
}

function plain(e: RangeEntry<string> | null): Plain | null {
  return e === null ? null : { index: e.index, last: e.last, value: e.value };
}

function dump(t: RangeTree<string>, from?: number): Plain[] {
  const out: Plain[] = [];
  for (const e of t.entries(from)) out.push({ index: e.index, last: e.last, value: e.value });
  return out;
}

const mulberry32 = prng;

/**
 * Reference model: a sorted array of ranges, updated by plain splicing.
 * Queries are deliberately simple (binary search or a linear walk).
 */
class NaiveRanges {
  items: Plain[] = [];

  /** First position whose range ends at or after x. */
  private endAtOrAfter(x: number): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.items[mid].last < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First position whose range starts after x. */
  private startAfter(x: number): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.items[mid].index <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  store(index: number, last: number, value: string | null): void {
    const p = this.endAtOrAfter(index);
    const q = this.startAfter(last);
    const repl: Plain[] = [];
    if (p < q && this.items[p].index < index) {
      repl.push({ index: this.items[p].index, last: index - 1, value: this.items[p].value });
    }
    if (value !== null) repl.push({ index, last, value });
    if (p < q && this.items[q - 1].last > last) {
      repl.push({ index: last + 1, last: this.items[q - 1].last, value: this.items[q - 1].value });
    }
    this.items.splice(p, q - p, ...repl);
  }

  floor(addr: number): Plain | null {
    const k = this.startAfter(addr);
    return k > 0 ? this.items[k - 1] : null;
  }

  lookup(addr: number): Plain | null {
    const f = this.floor(addr);
    return f !== null && f.last >= addr ? f : null;
  }

  ceil(addr: number): Plain | null {
    const k = this.startAfter(addr - 1);
    return k < this.items.length ? this.items[k] : null;
  }

  entriesFrom(from: number): Plain[] {
    return this.items.filter((e) => e.last >= from);
  }

  /**
   * Walks the holes (including both outer ones) in order looking for a fit,
   * from the first one that reaches into [min, max] to the last: the holes
   * before (after) it end below min (start above max), so they cannot fit.
   */
  emptyArea(min: number, max: number, size: number, rev: boolean): number | null {
    if (min > max) return null;
    const items = this.items;
    const n = items.length;
    // Hole k lies just before item k (hole n is the one after the last item).
    // Forwards: hole k ends below min while item k starts at or below min.
    // Backwards: hole k starts above max while item k-1 ends at or above max.
    const from = rev ? this.endAtOrAfter(max) : this.startAfter(min);
    for (let step = 0; step <= n; step++) {
      const k = rev ? from - step : from + step;
      if (k < 0 || k > n) break;
      const gs = k > 0 ? items[k - 1].last + 1 : 0;
      const ge = k < n ? items[k].index - 1 : RANGE_MAX;
      // Past the query's window: every further hole is too.
      if (rev ? ge < min : gs > max) break;
      if (gs > ge) continue;
      // Ternaries rather than Math.max/min: those are very slow inside Jest's VM context.
      const s = gs > min ? gs : min;
      const e = ge < max ? ge : max;
      if (s <= e && e - s >= size - 1) return rev ? e - (size - 1) : s;
    }
    return null;
  }
}

// ------------------------------------------------------------- unit tests

describe('RangeTree basics', () => {
  test('empty tree', () => {
    const t = new RangeTree<string>();
    expect(t.size).toBe(0);
    expect(t.lookup(0)).toBeNull();
    expect(t.floor(RANGE_MAX)).toBeNull();
    expect(t.ceil(0)).toBeNull();
    expect(t.first()).toBeNull();
    expect(t.lastEntry()).toBeNull();
    expect(dump(t)).toEqual([]);
    expect(t.emptyArea(0, RANGE_MAX, 1)).toBe(0);
    expect(t.emptyAreaRev(0, RANGE_MAX, 1)).toBe(RANGE_MAX);
    expect(t.emptyArea(10, 20, 11)).toBe(10);
    expect(t.emptyAreaRev(10, 20, 11)).toBe(10);
    expect(t.emptyArea(10, 20, 12)).toBeNull();
    t.check();
    expect(RANGE_MAX).toBe(Number.MAX_SAFE_INTEGER);
  });

  test('store, lookup, floor, ceil, first, lastEntry', () => {
    const t = new RangeTree<string>();
    t.store(10, 19, 'a');
    t.store(30, 30, 'b');
    t.store(40, 49, 'c');
    t.check();
    expect(t.size).toBe(3);
    expect(t.lookup(9)).toBeNull();
    expect(plain(t.lookup(10))).toEqual({ index: 10, last: 19, value: 'a' });
    expect(plain(t.lookup(19))).toEqual({ index: 10, last: 19, value: 'a' });
    expect(t.lookup(20)).toBeNull();
    expect(plain(t.lookup(30))).toEqual({ index: 30, last: 30, value: 'b' });
    expect(t.lookup(50)).toBeNull();

    expect(t.floor(9)).toBeNull();
    expect(t.floor(25)?.value).toBe('a');
    expect(t.floor(30)?.value).toBe('b');
    expect(t.floor(RANGE_MAX)?.value).toBe('c');

    expect(t.ceil(0)?.value).toBe('a');
    expect(t.ceil(10)?.value).toBe('a');
    expect(t.ceil(11)?.value).toBe('b');
    expect(t.ceil(31)?.value).toBe('c');
    expect(t.ceil(41)).toBeNull();

    expect(t.first()?.value).toBe('a');
    expect(t.lastEntry()?.value).toBe('c');
  });

  test('store into the middle of an entry leaves both remainders with the old value', () => {
    const t = new RangeTree<string>();
    t.store(100, 199, 'old');
    const original = t.lookup(150);
    t.store(120, 129, 'new');
    t.check();
    expect(dump(t)).toEqual([
      { index: 100, last: 119, value: 'old' },
      { index: 120, last: 129, value: 'new' },
      { index: 130, last: 199, value: 'old' },
    ]);
    // The entry handed out earlier must not have been modified.
    expect(plain(original)).toEqual({ index: 100, last: 199, value: 'old' });
    expect(t.size).toBe(3);
  });

  test('store over the start or the end of an entry trims it', () => {
    const t = new RangeTree<string>();
    t.store(100, 199, 'x');
    t.store(90, 109, 'head');
    expect(dump(t)).toEqual([
      { index: 90, last: 109, value: 'head' },
      { index: 110, last: 199, value: 'x' },
    ]);
    t.store(190, 205, 'tail');
    expect(dump(t)).toEqual([
      { index: 90, last: 109, value: 'head' },
      { index: 110, last: 189, value: 'x' },
      { index: 190, last: 205, value: 'tail' },
    ]);
    t.check();
  });

  test('store spanning many entries removes the covered ones and trims both ends', () => {
    const t = new RangeTree<string>();
    for (let i = 0; i < 200; i++) t.store(i * 10, i * 10 + 4, `v${i}`);
    t.check();
    t.store(53, 1502, 'big');
    t.check();
    const all = dump(t);
    expect(all.filter((e) => e.index >= 50 && e.index < 1510)).toEqual([
      { index: 50, last: 52, value: 'v5' },
      { index: 53, last: 1502, value: 'big' },
      { index: 1503, last: 1504, value: 'v150' },
    ]);
    expect(t.size).toBe(200 - 146 + 3);
    expect(plain(t.lookup(49))).toBeNull();
    expect(plain(t.lookup(44))).toEqual({ index: 40, last: 44, value: 'v4' });
    expect(plain(t.lookup(1510))).toEqual({ index: 1510, last: 1514, value: 'v151' });
  });

  test('null store erases (whole entries, partial entries and holes)', () => {
    const t = new RangeTree<string>();
    t.store(0, 9, 'a');
    t.store(10, 19, 'b');
    t.store(20, 29, 'c');
    t.store(10, 19, null);
    expect(dump(t)).toEqual([
      { index: 0, last: 9, value: 'a' },
      { index: 20, last: 29, value: 'c' },
    ]);
    t.store(12, 17, null); // hole: nothing happens
    expect(t.size).toBe(2);
    t.store(3, 5, null); // punches a hole inside 'a'
    expect(dump(t)).toEqual([
      { index: 0, last: 2, value: 'a' },
      { index: 6, last: 9, value: 'a' },
      { index: 20, last: 29, value: 'c' },
    ]);
    t.store(0, RANGE_MAX, null);
    expect(t.size).toBe(0);
    expect(t.first()).toBeNull();
    t.check();
  });

  test('adjacent entries with equal values are not merged', () => {
    const t = new RangeTree<string>();
    t.store(0, 9, 'same');
    t.store(10, 19, 'same');
    t.store(20, 29, 'same');
    t.store(5, 24, 'same');
    t.check();
    expect(dump(t)).toEqual([
      { index: 0, last: 4, value: 'same' },
      { index: 5, last: 24, value: 'same' },
      { index: 25, last: 29, value: 'same' },
    ]);
  });

  test('overwriting an entry exactly replaces it with a new object', () => {
    const t = new RangeTree<string>();
    t.store(5, 9, 'a');
    const before = t.lookup(5);
    t.store(5, 9, 'b');
    expect(t.size).toBe(1);
    expect(t.lookup(5)?.value).toBe('b');
    expect(before?.value).toBe('a');
  });

  test('invalid arguments throw RangeError and leave the tree unchanged', () => {
    const t = new RangeTree<string>();
    t.store(10, 20, 'a');
    t.store(30, 40, 'b');
    const snapshot = dump(t);
    const bad: Array<[number, number, RegExp]> = [
      [5, 4, /store.*5.*4/],
      [-1, 4, /store.*-1/],
      [1.5, 4, /store.*1\.5/],
      [0, RANGE_MAX + 1, /store.*9007199254740992/],
      [Number.NaN, 4, /store.*NaN/],
      [0, Number.POSITIVE_INFINITY, /store.*Infinity/],
      [15, 14.25, /store.*14\.25/],
    ];
    for (const [i, l, msg] of bad) {
      expect(() => t.store(i, l, 'x')).toThrow(RangeError);
      expect(() => t.store(i, l, null)).toThrow(msg);
      expect(dump(t)).toEqual(snapshot);
      expect(t.size).toBe(2);
    }
    t.check();
    expect(() => t.emptyArea(0, 10, 0)).toThrow(RangeError);
    expect(() => t.emptyAreaRev(-1, 10, 1)).toThrow(/emptyAreaRev/);
    expect(() => t.entries(-3)).toThrow(RangeError);
  });

  test('the top of the index space is usable', () => {
    const t = new RangeTree<string>();
    t.store(RANGE_MAX - 9, RANGE_MAX, 'top');
    t.store(0, 0, 'bottom');
    t.check();
    expect(t.lookup(RANGE_MAX)?.value).toBe('top');
    expect(t.floor(RANGE_MAX)?.value).toBe('top');
    expect(t.ceil(1)?.value).toBe('top');
    expect(t.emptyAreaRev(0, RANGE_MAX, 10)).toBe(RANGE_MAX - 19);
    expect(t.emptyArea(0, RANGE_MAX, 10)).toBe(1);
    expect(t.emptyArea(RANGE_MAX - 9, RANGE_MAX, 1)).toBeNull();
    t.store(RANGE_MAX, RANGE_MAX, null);
    expect(plain(t.lastEntry())).toEqual({ index: RANGE_MAX - 9, last: RANGE_MAX - 1, value: 'top' });
    expect(t.emptyAreaRev(0, RANGE_MAX, 1)).toBe(RANGE_MAX);
    t.store(0, RANGE_MAX, 'all');
    expect(t.size).toBe(1);
    expect(t.emptyArea(0, RANGE_MAX, 1)).toBeNull();
    expect(t.emptyAreaRev(0, RANGE_MAX, 1)).toBeNull();
  });

  test('entries(from) starts at the first entry ending at or after from', () => {
    const t = new RangeTree<string>();
    t.store(0, 9, 'a');
    t.store(20, 29, 'b');
    t.store(40, 49, 'c');
    expect(dump(t, 0).map((e) => e.value)).toEqual(['a', 'b', 'c']);
    expect(dump(t, 9).map((e) => e.value)).toEqual(['a', 'b', 'c']);
    expect(dump(t, 10).map((e) => e.value)).toEqual(['b', 'c']);
    expect(dump(t, 25).map((e) => e.value)).toEqual(['b', 'c']);
    expect(dump(t, 49).map((e) => e.value)).toEqual(['c']);
    expect(dump(t, 50)).toEqual([]);
  });

  test('emptyArea and emptyAreaRev honour the window and the size', () => {
    const t = new RangeTree<string>();
    t.store(10, 19, 'a');
    t.store(25, 29, 'b'); // hole 20..24 (5 slots)
    t.store(40, 49, 'c'); // hole 30..39 (10 slots)
    expect(t.emptyArea(0, 100, 10)).toBe(0);
    expect(t.emptyArea(5, 100, 10)).toBe(30);
    expect(t.emptyArea(5, 100, 5)).toBe(5);
    expect(t.emptyArea(10, 100, 5)).toBe(20);
    expect(t.emptyArea(21, 100, 5)).toBe(30);
    expect(t.emptyArea(21, 38, 5)).toBe(30);
    expect(t.emptyArea(21, 33, 5)).toBeNull();
    expect(t.emptyArea(10, 19, 1)).toBeNull();
    expect(t.emptyArea(50, 50, 1)).toBe(50);
    expect(t.emptyArea(60, 50, 1)).toBeNull();
    expect(t.emptyAreaRev(0, 100, 5)).toBe(96);
    expect(t.emptyAreaRev(0, 49, 5)).toBe(35);
    expect(t.emptyAreaRev(0, 39, 11)).toBeNull();
    expect(t.emptyAreaRev(0, 39, 10)).toBe(30);
    expect(t.emptyAreaRev(0, 38, 10)).toBe(0);
    expect(t.emptyAreaRev(0, 24, 5)).toBe(20);
    expect(t.emptyAreaRev(0, 23, 5)).toBe(5);
    expect(t.emptyAreaRev(11, 23, 5)).toBeNull();
  });

  test('clear empties the tree', () => {
    const t = new RangeTree<string>();
    for (let i = 0; i < 1000; i++) t.store(i * 2, i * 2, 'v');
    t.clear();
    expect(t.size).toBe(0);
    expect(dump(t)).toEqual([]);
    t.check();
    t.store(1, 1, 'again');
    expect(t.size).toBe(1);
    t.check();
  });

  test('check() reports a corrupted size counter', () => {
    const t = new RangeTree<string>();
    t.store(1, 2, 'a');
    const internals = t as unknown as { count: number };
    internals.count += 1;
    expect(() => t.check()).toThrow(/size/);
  });

  test('check() reports corrupted summaries, links and ordering', () => {
    // Minimal views of the private node layout, only for corrupting it.
    interface LeafView {
      entries: Plain[];
      next: LeafView | null;
    }
    interface InnerView {
      keys: number[];
      lasts: number[];
      gaps: number[];
      children: LeafView[];
    }
    const build = (): { t: RangeTree<string>; root: InnerView } => {
      const t = new RangeTree<string>();
      for (let i = 0; i < 300; i++) t.store(i * 10, i * 10 + 3, `v${i}`);
      t.check();
      return { t, root: (t as unknown as { root: InnerView }).root };
    };
    let b = build();
    b.root.gaps[0] += 1;
    expect(() => b.t.check()).toThrow(/gap/);
    b = build();
    b.root.keys[1] -= 1;
    expect(() => b.t.check()).toThrow(/key/);
    b = build();
    b.root.lasts[0] += 1;
    expect(() => b.t.check()).toThrow(/last/);
    b = build();
    b.root.children[0].next = null;
    expect(() => b.t.check()).toThrow('RangeTree.check: leaf 0 has a wrong next link');
    /* Prev links, and the last leaf's next link, each named by leaf. */
    b = build();
    (b.root.children[2] as unknown as { prev: LeafView | null }).prev = b.root.children[0];
    expect(() => b.t.check()).toThrow('RangeTree.check: leaf 2 has a wrong prev link');
    b = build();
    const lastLeaf = b.root.children.length - 1;
    b.root.children[lastLeaf].next = b.root.children[0];
    expect(() => b.t.check()).toThrow(`RangeTree.check: leaf ${lastLeaf} has a wrong next link`);
    /* A link fault is reported after a structural one found later in the walk. */
    b = build();
    b.root.children[0].next = null;
    b.root.gaps[lastLeaf] += 1;
    expect(() => b.t.check()).toThrow(/gap/);
    /* The walk state of a failed check does not leak into the next one. */
    build().t.check();
    b = build();
    const ents = b.root.children[0].entries;
    ents[1] = { index: ents[0].last, last: ents[1].last, value: 'bad' };
    expect(() => b.t.check()).toThrow(/overlap/);
    b = build();
    b.root.children[1].entries.length = 3;
    expect(() => b.t.check()).toThrow(/holds 3/);
  });

  test('100,000 sequential entries, then bulk and piecewise removal', () => {
    const t = new RangeTree<number>();
    const n = 100_000;
    for (let i = 0; i < n; i++) t.store(i * 4096, i * 4096 + 4095, i);
    t.check();
    expect(t.size).toBe(n);
    expect(t.lookup(12345 * 4096 + 7)?.value).toBe(12345);
    expect(t.emptyArea(0, RANGE_MAX, 1)).toBe(n * 4096);
    // Punch holes of growing size and look for them.
    t.store(5000 * 4096, 5001 * 4096 - 1, null);
    t.store(70000 * 4096, 70003 * 4096 - 1, null);
    expect(t.emptyArea(0, RANGE_MAX, 4096)).toBe(5000 * 4096);
    expect(t.emptyArea(0, RANGE_MAX, 4097)).toBe(70000 * 4096);
    expect(t.emptyAreaRev(0, n * 4096 - 1, 4096)).toBe(70002 * 4096);
    // Remove a large middle block in one store.
    t.store(10_000 * 4096, 90_000 * 4096 - 1, null);
    t.check();
    expect(t.size).toBe(n - 80_000 - 1);
    // Keep only the very first entry, then only nothing.
    t.store(4096, RANGE_MAX, null);
    t.check();
    expect(t.size).toBe(1);
    t.store(0, 0, null);
    t.check();
    expect(t.size).toBe(1);
    expect(t.first()).toEqual({ index: 1, last: 4095, value: 0 });
  });

  test('erasing everything but one entry collapses the tree correctly', () => {
    const build = (): RangeTree<string> => {
      const t = new RangeTree<string>();
      for (let i = 0; i < 30_000; i++) t.store(i * 3, i * 3 + 1, `v${i}`);
      return t;
    };
    // keep first
    let t = build();
    t.store(2, RANGE_MAX, null);
    t.check();
    expect(dump(t)).toEqual([{ index: 0, last: 1, value: 'v0' }]);
    // keep last
    t = build();
    t.store(0, 29_999 * 3 - 1, null);
    t.check();
    expect(dump(t)).toEqual([{ index: 89_997, last: 89_998, value: 'v29999' }]);
    // keep first and last
    t = build();
    t.store(2, 29_999 * 3 - 1, null);
    t.check();
    expect(t.size).toBe(2);
    // keep one from the middle, with trimmed neighbours overwritten
    t = build();
    t.store(1, 45_000, 'L');
    t.store(45_004, 89_997, 'R');
    t.check();
    expect(dump(t)).toEqual([
      { index: 0, last: 0, value: 'v0' },
      { index: 1, last: 45_000, value: 'L' },
      { index: 45_001, last: 45_001, value: 'v15000' },
      { index: 45_003, last: 45_003, value: 'v15001' },
      { index: 45_004, last: 89_997, value: 'R' },
      { index: 89_998, last: 89_998, value: 'v29999' },
    ]);
  });
});

// ------------------------------------------------------- differential tests

interface RunOptions {
  seed: number;
  base: number;
  span: number;
  ops: number;
  maxLen: number;
  eraseChance: number;
  /** Chance that a store covers a wide span (many entries). */
  wideChance: number;
  wideLen: number;
  checkEvery: number;
  dumpEvery: number;
  areaEvery: number;
}

/** Cheap equality for one entry (expect() is too slow to call per step). */
function sameEntry(a: RangeEntry<string> | null, b: Plain | null): boolean {
  if (a === null || b === null) return a === b;
  return a.index === b.index && a.last === b.last && a.value === b.value;
}

function sameList(a: Plain[], b: Plain[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (!sameEntry(a[k], b[k])) return false;
  return true;
}

function randomRun(tree: RangeTree<string>, model: NaiveRanges, o: RunOptions): void {
  const rnd = mulberry32(o.seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const top = o.base + o.span - 1;
  const point = (): number => o.base + int(o.span);
  let step = 0;
  const fail = (what: string, got: unknown, want: unknown): never => {
    throw new Error(`seed ${o.seed} step ${step}: ${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  };

  const compareQueries = (): void => {
    for (let k = 0; k < 3; k++) {
      const a = point();
      if (!sameEntry(tree.lookup(a), model.lookup(a))) fail(`lookup(${a})`, plain(tree.lookup(a)), model.lookup(a));
      if (!sameEntry(tree.floor(a), model.floor(a))) fail(`floor(${a})`, plain(tree.floor(a)), model.floor(a));
      if (!sameEntry(tree.ceil(a), model.ceil(a))) fail(`ceil(${a})`, plain(tree.ceil(a)), model.ceil(a));
    }
  };

  const compareAreas = (): void => {
    // Points next to entry boundaries hit the off-by-one cases far more often.
    const near = (): number => {
      const items = model.items;
      if (items.length === 0 || rnd() < 0.4) return point();
      const e = items[int(items.length)];
      const v = (rnd() < 0.5 ? e.index : e.last) + int(5) - 2;
      return v < 0 ? 0 : v > RANGE_MAX ? RANGE_MAX : v;
    };
    for (let k = 0; k < 4; k++) {
      let min = near();
      let max = rnd() < 0.2 ? RANGE_MAX : near();
      if (rnd() < 0.1) min = 0;
      if (min > max && rnd() < 0.9) [min, max] = [max, min];
      const r = rnd();
      const size = r < 0.3 ? 1 + int(3) : r < 0.8 ? 1 + int(o.maxLen) : 1 + int(o.wideLen);
      const lowGot = tree.emptyArea(min, max, size);
      const lowWant = model.emptyArea(min, max, size, false);
      if (lowGot !== lowWant) fail(`emptyArea(${min}, ${max}, ${size})`, lowGot, lowWant);
      const highGot = tree.emptyAreaRev(min, max, size);
      const highWant = model.emptyArea(min, max, size, true);
      if (highGot !== highWant) fail(`emptyAreaRev(${min}, ${max}, ${size})`, highGot, highWant);
    }
  };

  for (step = 1; step <= o.ops; step++) {
    const index = point();
    const len = rnd() < o.wideChance ? 1 + int(o.wideLen) : 1 + int(o.maxLen);
    const last = Math.min(top, index + len - 1);
    const value = rnd() < o.eraseChance ? null : `s${step}`;
    tree.store(index, last, value);
    model.store(index, last, value);
    if (tree.size !== model.items.length) fail('size', tree.size, model.items.length);
    compareQueries();
    if (step % o.areaEvery === 0) compareAreas();
    if (step % o.checkEvery === 0) {
      tree.check();
      if (!sameEntry(tree.first(), model.items[0] ?? null)) fail('first()', plain(tree.first()), model.items[0]);
      const want = model.items[model.items.length - 1] ?? null;
      if (!sameEntry(tree.lastEntry(), want)) fail('lastEntry()', plain(tree.lastEntry()), want);
    }
    if (step % o.dumpEvery === 0) {
      const from = rnd() < 0.5 ? 0 : point();
      const got = dump(tree, from);
      const want = model.entriesFrom(from);
      if (!sameList(got, want)) fail(`entries(${from})`, got.length, want.length);
    }
  }
  tree.check();
  expect(sameList(dump(tree), model.items)).toBe(true);
}

describe('RangeTree differential against a naive model', () => {
  test('exhaustive free-space queries over a fine-grained layout', () => {
    // Entries and holes of length 1-2 (plus some touching entries), inserted
    // in random order so node boundaries fall in varied places; then every
    // small window is queried.  Single-slot entries at node boundaries are
    // what exposes off-by-one mistakes in the augmented search.
    for (const seed of [5, 6]) {
      const rnd = mulberry32(seed);
      const int = (n: number): number => Math.floor(rnd() * n);
      const ranges: Array<[number, number]> = [];
      let pos = 0;
      for (let i = 0; i < 700; i++) {
        const len = 1 + int(2);
        ranges.push([pos, pos + len - 1]);
        pos += len + int(3);
      }
      for (let i = ranges.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [ranges[i], ranges[j]] = [ranges[j], ranges[i]];
      }
      const tree = new RangeTree<string>();
      const model = new NaiveRanges();
      for (const [a, b] of ranges) {
        tree.store(a, b, `v${a}`);
        model.store(a, b, `v${a}`);
      }
      // A few erases so that merges have shaped part of the tree too.
      for (let i = 0; i < 80; i++) {
        const a = int(pos);
        const b = a + int(3);
        tree.store(a, b, null);
        model.store(a, b, null);
      }
      tree.check();
      expect(sameList(dump(tree), model.items)).toBe(true);
      const mismatches: string[] = [];
      for (let min = 0; min <= pos + 3; min++) {
        for (const d of [-1, 0, 1, 2, 4, 9, RANGE_MAX]) {
          const max = d === RANGE_MAX ? RANGE_MAX : min + d;
          if (max < 0) continue;
          for (let size = 1; size <= 3; size++) {
            const lo = tree.emptyArea(min, max, size);
            const loWant = model.emptyArea(min, max, size, false);
            const hi = tree.emptyAreaRev(min, max, size);
            const hiWant = model.emptyArea(min, max, size, true);
            if (lo !== loWant) mismatches.push(`emptyArea(${min}, ${max}, ${size}) = ${lo}, want ${loWant}`);
            if (hi !== hiWant) mismatches.push(`emptyAreaRev(${min}, ${max}, ${size}) = ${hi}, want ${hiWant}`);
          }
        }
      }
      expect(mismatches.slice(0, 5)).toEqual([]);
    }
  });

  test('small key space, dense overlaps', () => {
    for (const seed of [1, 2, 3]) {
      const tree = new RangeTree<string>();
      const model = new NaiveRanges();
      randomRun(tree, model, {
        seed,
        base: 0,
        span: 300,
        ops: 3000,
        maxLen: 12,
        eraseChance: 0.3,
        wideChance: 0.03,
        wideLen: 150,
        checkEvery: 1,
        dumpEvery: 1,
        areaEvery: 1,
      });
    }
  });

  test('small key space at the top of the index space', () => {
    const tree = new RangeTree<string>();
    const model = new NaiveRanges();
    randomRun(tree, model, {
      seed: 77,
      base: RANGE_MAX - 499,
      span: 500,
      ops: 3000,
      maxLen: 8,
      eraseChance: 0.3,
      wideChance: 0.03,
      wideLen: 200,
      checkEvery: 1,
      dumpEvery: 5,
      areaEvery: 1,
    });
  });

  test('medium key space, several thousand entries', () => {
    const tree = new RangeTree<string>();
    const model = new NaiveRanges();
    randomRun(tree, model, {
      seed: 4242,
      base: 0,
      span: 40_000,
      ops: 8000,
      maxLen: 6,
      eraseChance: 0.15,
      wideChance: 0.01,
      wideLen: 2000,
      checkEvery: 50,
      dumpEvery: 500,
      areaEvery: 5,
    });
  });

  test('large key space growing past 20,000 entries, then shrinking', () => {
    const tree = new RangeTree<string>();
    const model = new NaiveRanges();
    // Growth: mostly small inserts, a few wide overwrites.
    randomRun(tree, model, {
      seed: 9001,
      base: 0,
      span: 10_000_000,
      ops: 26_000,
      maxLen: 100,
      eraseChance: 0.05,
      wideChance: 0.002,
      wideLen: 200_000,
      checkEvery: 1000,
      dumpEvery: 5000,
      areaEvery: 25,
    });
    expect(model.items.length).toBeGreaterThan(20_000);
    // Shrink: many wide erases that cut across leaves and subtrees.
    randomRun(tree, model, {
      seed: 9002,
      base: 0,
      span: 10_000_000,
      ops: 3000,
      maxLen: 100,
      eraseChance: 0.8,
      wideChance: 0.3,
      wideLen: 600_000,
      checkEvery: 50,
      dumpEvery: 500,
      areaEvery: 10,
    });
    expect(model.items.length).toBeLessThan(2000);
    // Regrow in the same tree to exercise splits after heavy merging.
    randomRun(tree, model, {
      seed: 9003,
      base: 0,
      span: 10_000_000,
      ops: 6000,
      maxLen: 100,
      eraseChance: 0.05,
      wideChance: 0.001,
      wideLen: 100_000,
      checkEvery: 500,
      dumpEvery: 3000,
      areaEvery: 25,
    });
  });
});

describe('empty trees', () => {
  test('share nothing they can change: stores, clears and multi-leaf erasures leave every other empty tree empty', () => {
    const a = new RangeTree<number>();
    const b = new RangeTree<number>();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 200; i++) a.store(i * 10, i * 10 + 4, i);
      a.store(0, 5000, null); /* across leaves, down to an empty tree */
      expect(a.size).toBe(0);
      a.store(7, 9, round);
      expect([...a.entries()].map((e) => [e.index, e.last, e.value])).toEqual([[7, 9, round]]);
      a.check();
      a.clear();
      b.locate(8);
      expect([b.size, b.locatedFloor, b.locatedNext, b.first(), b.emptyArea(0, 100, 10)]).toEqual([0, null, null, null, 0]);
      b.check();
    }
  });
});

describe('locate', () => {
  test('gives floor and the next entry in one descent, across leaves', () => {
    const t = new RangeTree<string>();
    for (let i = 0; i < 200; i++) t.store(i * 10, i * 10 + 4, `e${i}`);
    for (const addr of [0, 3, 5, 9, 10, 995, 1994, 1995, 5000]) {
      t.locate(addr);
      expect(t.locatedFloor).toBe(t.floor(addr));
      const next = t.ceil(addr + 1);
      expect(t.locatedNext).toBe(next);
    }
    const empty = new RangeTree<string>();
    empty.locate(7);
    expect([empty.locatedFloor, empty.locatedNext]).toEqual([null, null]);
  });

  test('locate() from the leaf of the last one (no descent) answers as a descent would, stores in between', () => {
    const rnd = prng(77);
    const t = new RangeTree<number>();
    /* A reference: the entries in order, as [index, last]. */
    const ref = (): [number, number][] => [...t.entries()].map((e) => [e.index, e.last]);
    const wrong: string[] = [];
    for (let round = 0; round < 40; round++) {
      for (let k = 0; k < 40; k++) {
        const a = Math.floor(rnd() * 20000);
        t.store(a, a + Math.floor(rnd() * 30), rnd() < 0.2 ? null : round * 100 + k);
      }
      const list = ref();
      /* Near the last address (the leaf is reused) and far from it (it is not). */
      let addr = Math.floor(rnd() * 20000);
      for (let q = 0; q < 100; q++) {
        addr = rnd() < 0.7 ? Math.max(0, addr + Math.floor(rnd() * 60) - 30) : Math.floor(rnd() * 21000);
        t.locate(addr);
        /* The last entry starting at or below addr (binary search). */
        let lo = 0;
        let hi = list.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (list[mid][0] <= addr) lo = mid + 1;
          else hi = mid;
        }
        const f = lo - 1;
        const want = (j: number): [number, number] | null => (j >= 0 && j < list.length ? list[j] : null);
        const got = (e: RangeEntry<number> | null): [number, number] | null => (e === null ? null : [e.index, e.last]);
        const a = JSON.stringify([got(t.locatedPrev), got(t.locatedFloor), got(t.locatedNext)]);
        const b = JSON.stringify([f >= 1 ? want(f - 1) : null, want(f), want(f + 1)]);
        if (a !== b) wrong.push(`locate(${addr}): ${a}, expected ${b}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  test('locate() right after each store, and stepping entry by entry up and down, answers as a descent would', () => {
    const rnd = prng(91);
    const wrong: string[] = [];
    /* A root leaf (addresses in a small window) and a tree of several levels. */
    for (const [span, stores] of [
      [600, 3000],
      [40000, 6000],
    ]) {
      const t = new RangeTree<number>();
      const check = (addr: number): void => {
        t.locate(addr);
        const f = t.floor(addr);
        const n = t.ceil(addr + 1);
        const p = f === null ? null : t.floor(f.index - 1);
        if (t.locatedFloor !== f || t.locatedNext !== n || t.locatedPrev !== p) {
          wrong.push(`locate(${addr}) after ${t.size} entries: ${JSON.stringify([t.locatedPrev, t.locatedFloor, t.locatedNext])}, expected ${JSON.stringify([p, f, n])}`);
        }
      };
      for (let k = 0; k < stores; k++) {
        const a = Math.floor(rnd() * span);
        const l = a + Math.floor(rnd() * 25);
        t.store(a, l, rnd() < 0.35 ? null : k);
        /* Where the stand-in goes next: the stored range, just below or after it. */
        const r = rnd();
        check(r < 0.4 ? a : r < 0.6 ? Math.max(0, a - 1) : r < 0.8 ? l + 1 : Math.floor(rnd() * span));
        /* Then a few steps from slot to slot, one way. */
        const up = rnd() < 0.5;
        for (let s = 0; s < 4; s++) {
          const e = t.locatedFloor;
          const nx = t.locatedNext;
          if (up) {
            if (nx === null) break;
            check(e !== null && e.last + 1 < nx.index && rnd() < 0.5 ? e.last + 1 : nx.index);
          } else {
            if (e === null || e.index === 0) break;
            check(e.index - 1);
          }
        }
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  test('a locate() within the span of the last answer, and one after a store or a clear, answer as a descent would', () => {
    const t = new RangeTree<string>();
    t.store(100, 199, 'a');
    t.store(300, 399, 'b');
    t.store(500, 599, 'c');
    const seen = (addr: number): (string | null)[] => {
      t.locate(addr);
      return [t.locatedPrev?.value ?? null, t.locatedFloor?.value ?? null, t.locatedNext?.value ?? null];
    };
    /* The span of b's answer is [300, 500): inside it, then at both of its ends. */
    expect(seen(350)).toEqual(['a', 'b', 'c']);
    expect(seen(300)).toEqual(['a', 'b', 'c']);
    expect(seen(499)).toEqual(['a', 'b', 'c']);
    expect(seen(500)).toEqual(['b', 'c', null]);
    expect(seen(299)).toEqual([null, 'a', 'b']);
    expect(seen(5)).toEqual([null, null, 'a']);
    expect(seen(0)).toEqual([null, null, 'a']);
    /* A store inside the span of the last answer changes it. */
    expect(seen(450)).toEqual(['a', 'b', 'c']);
    t.store(420, 429, 'd');
    expect(seen(450)).toEqual(['b', 'd', 'c']);
    t.store(420, 429, null);
    expect(seen(450)).toEqual(['a', 'b', 'c']);
    t.clear();
    expect(seen(450)).toEqual([null, null, null]);
    t.store(440, 460, 'e');
    expect(seen(450)).toEqual([null, 'e', null]);
  });
});
