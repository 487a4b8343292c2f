// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The maple-tree stand-in: range-store rules and where each call leaves the
 * maple state (index, last, status), as lib/maple_tree.c does.
 *
 * Layout used by most tests (gaps are NULL ranges):
 *
 *   [0, 0xfff]        NULL
 *   [0x1000, 0x2fff]  A
 *   [0x3000, 0x4fff]  NULL
 *   [0x5000, 0x5fff]  B
 *   [0x6000, 0x7fff]  C
 *   [0x8000, MAX]     NULL
 */

import {
  ULONG_MAX,
  MA_STATE,
  __mas_set_range,
  ma_active,
  ma_none,
  ma_overflow,
  ma_pause,
  ma_start,
  ma_underflow,
  maple_tree,
  mas_empty_area,
  mas_empty_area_rev,
  mas_find,
  mas_next,
  mas_next_range,
  mas_pause,
  mas_preallocate,
  mas_prev,
  mas_prev_range,
  mas_set,
  mas_set_range,
  mas_store_gfp,
  mas_store_prealloc,
  mas_walk,
  mt_dump,
  mt_find,
  mtree_load,
  set_fail_prealloc,
  fault_inject_reset,
  fail_nth_prealloc,
  prealloc_attempts,
  type ma_state,
} from '../../src/vma_internal';

type E = string;

function tree(entries: [number, number, E][]): maple_tree<E> {
  const mt = new maple_tree<E>();
  for (const [i, l, e] of entries) {
    const mas = MA_STATE(mt, i, l);
    mas_store_gfp(mas, e, 0);
  }
  return mt;
}

const layout = (): maple_tree<E> =>
  tree([
    [0x1000, 0x2fff, 'A'],
    [0x5000, 0x5fff, 'B'],
    [0x6000, 0x7fff, 'C'],
  ]);

function pos(mas: ma_state<E>): [number, number, number] {
  return [mas.index, mas.last, mas.status];
}

const dump = (mt: maple_tree<E>): string => mt_dump(mt, (e) => e);

afterEach(() => fault_inject_reset());

describe('range stores', () => {
  test('a store over part of an entry keeps both remainders', () => {
    const mt = layout();
    const mas = MA_STATE(mt, 0x1800, 0x1fff);
    mas_store_gfp(mas, 'X', 0);
    expect(dump(mt).split('\n')).toEqual([
      '0x0-0xfff: (null)',
      '0x1000-0x17ff: A',
      '0x1800-0x1fff: X',
      '0x2000-0x2fff: A',
      '0x3000-0x4fff: (null)',
      '0x5000-0x5fff: B',
      '0x6000-0x7fff: C',
      '0x8000-ULONG_MAX: (null)',
    ]);
    /* The state is left on the stored range. */
    expect(pos(mas)).toEqual([0x1800, 0x1fff, ma_active]);
  });

  test('a store across entries and gaps overwrites them and trims the ends', () => {
    const mt = layout();
    const mas = MA_STATE(mt, 0x2000, 0x5fff);
    mas_store_gfp(mas, 'Y', 0);
    expect(dump(mt).split('\n')).toEqual([
      '0x0-0xfff: (null)',
      '0x1000-0x1fff: A',
      '0x2000-0x5fff: Y',
      '0x6000-0x7fff: C',
      '0x8000-ULONG_MAX: (null)',
    ]);
  });

  test('a NULL store merges with the gaps around it and the state covers the whole gap', () => {
    const mt = layout();
    const mas = MA_STATE(mt, 0x5000, 0x5fff);
    mas_store_gfp(mas, null, 0);
    expect(pos(mas)).toEqual([0x3000, 0x5fff, ma_active]);
    expect(mas_walk(MA_STATE(mt, 0x4000, 0x4000))).toBeNull();
  });

  test('a NULL store inside an entry leaves a gap between two remainders', () => {
    const mt = layout();
    const mas = MA_STATE(mt, 0x1800, 0x1fff);
    mas_store_gfp(mas, null, 0);
    expect(pos(mas)).toEqual([0x1800, 0x1fff, ma_active]);
    expect(mtree_load(mt, 0x17ff)).toBe('A');
    expect(mtree_load(mt, 0x1800)).toBeNull();
    expect(mtree_load(mt, 0x2000)).toBe('A');
  });

  test('erasing the last entry empties the tree and restarts the state', () => {
    const mt = tree([[0x1000, 0x1fff, 'A']]);
    const mas = MA_STATE(mt, 0x1000, 0x1fff);
    mas_store_gfp(mas, null, 0);
    expect(pos(mas)).toEqual([0, ULONG_MAX, ma_start]);
    expect(mt.ranges.size).toBe(0);
  });

  test('entries next to each other are not merged, even when equal', () => {
    const mt = tree([
      [0x1000, 0x1fff, 'A'],
      [0x2000, 0x2fff, 'A'],
    ]);
    expect(mt.ranges.size).toBe(2);
  });

  test('an empty store range is refused, naming the function and the range, and changes nothing', () => {
    const mt = layout();
    const before = dump(mt);
    const mas = MA_STATE(mt, 0x3000, 0x2fff);
    expect(() => mas_store_gfp(mas, 'Z', 0)).toThrow('mas_store_gfp: invalid range [0x3000, 0x2fff]');
    expect(() => mas_store_prealloc(mas, 'Z')).toThrow('mas_store_prealloc: invalid range');
    expect(dump(mt)).toBe(before);
  });
});

describe('walks', () => {
  test('mas_walk lands on the entry or the whole gap containing index', () => {
    const mt = layout();
    const mas = MA_STATE(mt, 0x4000, 0x4000);
    expect(mas_walk(mas)).toBeNull();
    expect(pos(mas)).toEqual([0x3000, 0x4fff, ma_active]);
    mas_set(mas, 0x5800);
    expect(mas_walk(mas)).toBe('B');
    expect(pos(mas)).toEqual([0x5000, 0x5fff, ma_active]);
  });

  test('mas_walk of an empty tree is ma_none over everything', () => {
    const mas = MA_STATE(new maple_tree<E>(), 0x1234, 0x1234);
    expect(mas_walk(mas)).toBeNull();
    expect(pos(mas)).toEqual([0, ULONG_MAX, ma_none]);
  });

  test('mas_find walks forward, entry at index first, and an overflow is not kept', () => {
    const mt = layout();
    const mas = MA_STATE(mt, 0x1800, 0x1800);
    expect(mas_find(mas, ULONG_MAX)).toBe('A');
    expect(pos(mas)).toEqual([0x1000, 0x2fff, ma_active]);
    expect(mas_find(mas, ULONG_MAX)).toBe('B');
    expect(mas_find(mas, ULONG_MAX)).toBe('C');
    expect(mas_find(mas, ULONG_MAX)).toBeNull();
    /* Left on the last gap, and active rather than overflowed. */
    expect(pos(mas)).toEqual([0x8000, ULONG_MAX, ma_active]);
    expect(mas_find(mas, ULONG_MAX)).toBeNull();
  });

  test('mas_find stops at its limit', () => {
    const mt = layout();
    const mas = MA_STATE(mt, 0x3000, 0x3000);
    expect(mas_find(mas, 0x4fff)).toBeNull();
    expect(pos(mas)).toEqual([0x3000, 0x4fff, ma_active]);
    mas_set(mas, 0x3000);
    expect(mas_find(mas, 0x5000)).toBe('B');
  });

  test('mas_prev walks backward over gaps and underflows at the start', () => {
    const mt = layout();
    const mas = MA_STATE(mt, 0x6000, 0x6000);
    expect(mas_walk(mas)).toBe('C');
    expect(mas_prev(mas, 0)).toBe('B');
    expect(pos(mas)).toEqual([0x5000, 0x5fff, ma_active]);
    expect(mas_prev(mas, 0)).toBe('A');
    expect(pos(mas)).toEqual([0x1000, 0x2fff, ma_active]);
    expect(mas_prev(mas, 0)).toBeNull();
    /* Left on the first gap, marked underflow. */
    expect(pos(mas)).toEqual([0, 0xfff, ma_underflow]);
    /* From an underflow, mas_find finds the first entry again. */
    expect(mas_find(mas, ULONG_MAX)).toBe('A');
  });

  test('mas_prev from a fresh state walks to index first, then steps back', () => {
    const mt = layout();
    const mas = MA_STATE(mt, 0x4000, 0x4000);
    expect(mas_prev(mas, 0)).toBe('A');
    const at0 = MA_STATE(mt, 0, 0);
    expect(mas_prev(at0, 0)).toBeNull();
    expect(at0.status).toBe(ma_underflow);
  });

  test('mas_next skips the entry at index, unlike mas_find', () => {
    const mt = layout();
    const mas = MA_STATE(mt, 0x1800, 0x1800);
    expect(mas_next(mas, ULONG_MAX)).toBe('B');
  });

  test('mas_next_range and mas_prev_range visit the gaps', () => {
    const mt = layout();
    const mas = MA_STATE(mt, 0x1000, 0x1000);
    expect(mas_walk(mas)).toBe('A');
    expect(mas_next_range(mas, ULONG_MAX)).toBeNull();
    expect(pos(mas)).toEqual([0x3000, 0x4fff, ma_active]);
    expect(mas_next_range(mas, ULONG_MAX)).toBe('B');
    expect(mas_next_range(mas, ULONG_MAX)).toBe('C');
    expect(mas_next_range(mas, ULONG_MAX)).toBeNull();
    expect(pos(mas)).toEqual([0x8000, ULONG_MAX, ma_active]);
    expect(mas_next_range(mas, ULONG_MAX)).toBeNull();
    expect(mas.status).toBe(ma_overflow);
    /* One step back from an overflow lands on the last gap's predecessor... */
    mas_set(mas, 0x6000);
    mas_walk(mas);
    expect(mas_prev_range(mas, 0)).toBe('B');
    expect(mas_prev_range(mas, 0)).toBeNull();
    expect(pos(mas)).toEqual([0x3000, 0x4fff, ma_active]);
    expect(mas_prev_range(mas, 0)).toBe('A');
    expect(mas_prev_range(mas, 0)).toBeNull();
    expect(pos(mas)).toEqual([0, 0xfff, ma_active]);
    expect(mas_prev_range(mas, 0)).toBeNull();
    expect(mas.status).toBe(ma_underflow);
  });

  test('a paused state resumes after the range it was on', () => {
    const mt = layout();
    const mas = MA_STATE(mt, 0x1000, 0x1000);
    expect(mas_find(mas, ULONG_MAX)).toBe('A');
    mas_pause(mas);
    expect(mas.status).toBe(ma_pause);
    expect(mas_find(mas, ULONG_MAX)).toBe('B');
  });

  test('__mas_set_range changes index and last but not the position', () => {
    const mt = layout();
    const mas = MA_STATE(mt, 0x5000, 0x5000);
    expect(mas_walk(mas)).toBe('B');
    __mas_set_range(mas, 0x5000, 0x7fff);
    expect(mas.status).toBe(ma_active);
    /* Still positioned on B's slot: the next entry is C. */
    expect(mas_next(mas, ULONG_MAX)).toBe('C');
  });

  test('mas_set_range resets to ma_start', () => {
    const mas = MA_STATE(layout(), 0, 0);
    mas_walk(mas);
    mas_set_range(mas, 0x1000, 0x1fff);
    expect(pos(mas)).toEqual([0x1000, 0x1fff, ma_start]);
  });

  test('mt_find returns the first entry intersecting a range', () => {
    const mt = layout();
    expect(mt_find(mt, 0x3000, 0x4fff)).toBeNull();
    expect(mt_find(mt, 0x3000, 0x5000)).toBe('B');
    expect(mt_find(mt, 0x2fff, 0x9000)).toBe('A');
  });

  test('empty-area searches find the lowest and highest fitting gaps', () => {
    const mt = layout();
    const mas = MA_STATE(mt, 0, 0);
    expect(mas_empty_area(mas, 0x1000, 0x9fff, 0x2000)).toBe(0);
    expect(pos(mas)).toEqual([0x3000, 0x4fff, ma_active]);
    expect(mas_empty_area_rev(mas, 0, 0x7fff, 0x1000)).toBe(0);
    expect([mas.index, mas.last]).toEqual([0x4000, 0x4fff]);
    expect(mas_empty_area(mas, 0x1000, 0x7fff, 0x3000)).toBe(-16);
  });
});

describe('preallocation', () => {
  test('a successful preallocation then store writes the range', () => {
    const mt = layout();
    const mas = MA_STATE(mt, 0x3000, 0x3fff);
    expect(mas_preallocate(mas, 'D', 0)).toBe(0);
    mas_store_prealloc(mas, 'D');
    expect(mtree_load(mt, 0x3000)).toBe('D');
    expect(pos(mas)).toEqual([0x3000, 0x3fff, ma_active]);
  });

  test('a failed preallocation leaves the tree and the state untouched', () => {
    const mt = layout();
    const before = dump(mt);
    const mas = MA_STATE(mt, 0x3000, 0x3fff);
    mas_walk(mas);
    __mas_set_range(mas, 0x3000, 0x3fff);
    const state = { ...mas };
    set_fail_prealloc(true);
    expect(mas_preallocate(mas, 'D', 0)).toBe(-12);
    expect({ ...mas }).toEqual(state);
    expect(dump(mt)).toBe(before);
  });

  test('the one-shot switch fails exactly the nth preallocation', () => {
    const mt = layout();
    fail_nth_prealloc(2);
    const mas = MA_STATE(mt, 0x3000, 0x3fff);
    expect(mas_preallocate(mas, 'D', 0)).toBe(0);
    expect(mas_preallocate(mas, 'D', 0)).toBe(-12);
    expect(mas_preallocate(mas, 'D', 0)).toBe(0);
    expect(prealloc_attempts()).toBe(3);
  });
});
