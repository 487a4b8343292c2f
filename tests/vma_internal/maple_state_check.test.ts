// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The maple-state checks (maple_state_check.ts): the slot each call leaves
 * the state on, the tree's own debug checks, and each misuse rule, both ways.
 *
 * Layout:
 *
 *   [0, 0xfff]        NULL
 *   [0x1000, 0x2fff]  A
 *   [0x3000, 0x4fff]  NULL
 *   [0x5000, 0x5fff]  B
 *   [0x6000, MAX]     NULL
 */

import {
  MA_STATE,
  MAS_WARN_ON,
  NOWHERE,
  ULONG_MAX,
  VMA_ITERATOR,
  __mas_set_range,
  ma_active,
  ma_error,
  ma_underflow,
  maple_check_count,
  maple_check_records,
  maple_check_reset,
  maple_check_summary,
  maple_tree,
  mas_destroy,
  mas_empty_area,
  mas_empty_area_rev,
  mas_find,
  mas_next,
  mas_next_range,
  mas_pause,
  mas_preallocate,
  mas_prev,
  mas_prev_range,
  mas_reset,
  mas_set,
  mas_store_gfp,
  mas_store_prealloc,
  mas_walk,
  mm_struct,
  vm_area_alloc,
  vma_mark_attached,
  warn_count,
  with_kconfig,
  type MapleCheckRecord,
  type ma_state,
  type vm_area_struct,
} from '../../src/vma_internal';
import { vma_iter_store_overwrite } from '../../src/mm/vma_h';

type E = string;

function layout(): maple_tree<E> {
  const mt = new maple_tree<E>();
  for (const [i, l, e] of [
    [0x1000, 0x2fff, 'A'],
    [0x5000, 0x5fff, 'B'],
  ] as const) {
    mas_store_gfp(MA_STATE(mt, i, l), e, 0);
  }
  return mt;
}

/* A state walked onto the slot containing @addr. */
function at(mt: maple_tree<E>, addr: number): ma_state<E> {
  const mas = MA_STATE(mt, addr, addr);
  mas_walk(mas);
  return mas;
}

const slot = (mas: ma_state<E>): [number, number] => [mas.conf_lo, mas.conf_hi];
const only = (): MapleCheckRecord => {
  expect(maple_check_records()).toHaveLength(1);
  return maple_check_records()[0];
};

beforeEach(() => maple_check_reset());
afterEach(() => maple_check_reset());

describe('the slot the state is on', () => {
  test('no position before a walk, and after reset, pause or set', () => {
    const mt = layout();
    const mas = MA_STATE(mt, 0x1000, 0x1000);
    expect(mas.conf_lo).toBe(NOWHERE);
    mas_walk(mas);
    expect(slot(mas)).toEqual([0x1000, 0x2fff]);
    mas_pause(mas);
    expect(mas.conf_lo).toBe(NOWHERE);
    mas_walk(mas);
    mas_reset(mas);
    expect(mas.conf_lo).toBe(NOWHERE);
    mas_walk(mas);
    mas_set(mas, 0x5000);
    expect(mas.conf_lo).toBe(NOWHERE);
  });

  test('walks: entries and NULL ranges visited', () => {
    const mt = layout();
    const mas = at(mt, 0x3800);
    expect(slot(mas)).toEqual([0x3000, 0x4fff]);
    expect(mas_next(mas, ULONG_MAX)).toBe('B');
    expect(slot(mas)).toEqual([0x5000, 0x5fff]);
    expect(mas_prev_range(mas, 0)).toBeNull();
    expect(slot(mas)).toEqual([0x3000, 0x4fff]);
    expect(mas_prev(mas, 0)).toBe('A');
    expect(slot(mas)).toEqual([0x1000, 0x2fff]);
    expect(mas_next_range(mas, ULONG_MAX)).toBeNull();
    expect(slot(mas)).toEqual([0x3000, 0x4fff]);
  });

  test('an underflow or an ignored overflow keeps the slot', () => {
    const mt = layout();
    const mas = at(mt, 0x1000);
    expect(mas_prev(mas, 0x1000)).toBeNull();
    expect(mas.status).toBe(ma_underflow);
    expect(slot(mas)).toEqual([0x1000, 0x2fff]);
    const m2 = at(mt, 0x5000);
    expect(mas_find(m2, 0x5fff)).toBeNull();
    expect(m2.status).toBe(ma_active);
    expect(slot(m2)).toEqual([0x5000, 0x5fff]);
  });

  test('stores: the stored range, the merged NULL range for NULL', () => {
    const mt = layout();
    const mas = MA_STATE(mt, 0x3000, 0x3fff);
    mas_store_gfp(mas, 'C', 0);
    expect(slot(mas)).toEqual([0x3000, 0x3fff]);
    const m2 = MA_STATE(mt, 0x1000, 0x2fff);
    mas_store_gfp(m2, null, 0);
    expect(slot(m2)).toEqual([0, 0x2fff]);
  });

  test('preallocation: the slot of the start, or the NULL range a NULL store extends into', () => {
    const mt = layout();
    const mas = MA_STATE(mt, 0x1800, 0x1fff);
    expect(mas_preallocate(mas, null, 0)).toBe(0);
    expect(slot(mas)).toEqual([0x1000, 0x2fff]);
    expect([mas.pre_index, mas.pre_last]).toEqual([0x1800, 0x1fff]);
    const m2 = MA_STATE(mt, 0x1000, 0x1fff);
    expect(mas_preallocate(m2, null, 0)).toBe(0);
    expect([m2.index, m2.last]).toEqual([0, 0x1fff]);
    expect(slot(m2)).toEqual([0, 0xfff]);
  });

  test('gap searches: the NULL range found', () => {
    const mt = layout();
    const mas = MA_STATE(mt, 0, 0);
    expect(mas_empty_area(mas, 0x2000, 0x7fff, 0x1000)).toBe(0);
    expect([mas.index, slot(mas)]).toEqual([0x3000, [0x3000, 0x4fff]]);
    const m2 = MA_STATE(mt, 0, 0);
    expect(mas_empty_area_rev(m2, 0, 0x4fff, 0x1000)).toBe(0);
    expect([m2.index, slot(m2)]).toEqual([0x4000, [0x3000, 0x4fff]]);
  });
});

describe("the tree's own checks", () => {
  test("__mas_set_range() warns when an active state's new range does not start in [index, last]", () => {
    const mt = layout();
    const mas = at(mt, 0x1000);
    __mas_set_range(mas, 0x1800, 0x4fff);
    expect(maple_check_count()).toBe(0);
    __mas_set_range(mas, 0x1000, 0x3fff);
    const r = only();
    expect(r.check).toBe('MAS_WARN_ON');
    expect(r.call).toBe('__mas_set_range');
    expect(r.range).toBe('[0x1000, 0x3fff]');
    expect(r.state).toBe('ma_active index 0x1800 last 0x4fff, on slot [0x1000, 0x2fff]');
    /* Not on a state that is not active. */
    maple_check_reset();
    mas_set(mas, 0x5000);
    __mas_set_range(mas, 0, 0xfff);
    expect(maple_check_count()).toBe(0);
  });

  test('mas_store_prealloc() with no store type worked out (MT_BUG_ON), and from an error state (MAS_WR_BUG_ON)', () => {
    const mt = layout();
    const mas = at(mt, 0x1000);
    mas_store_prealloc(mas, 'A2');
    expect(only().check).toBe('MT_BUG_ON');
    maple_check_reset();
    const m2 = MA_STATE(mt, 0, 0);
    expect(mas_empty_area(m2, 0x1000, 0x5fff, 0x3000)).toBeLessThan(0);
    expect(m2.status).toBe(ma_error);
    mas_store_prealloc(m2, 'X');
    expect(maple_check_records().map((r) => r.check)).toEqual(['MAS_WR_BUG_ON', 'MT_BUG_ON']);
  });

  test("vma_iter_store_overwrite()'s CONFIG_DEBUG_VM_MAPLE_TREE checks", () => {
    const mm = new mm_struct();
    const vma = vm_area_alloc(mm) as vm_area_struct;
    vma.vm_start = 0x3000;
    vma.vm_end = 0x4000;
    vma_mark_attached(vma);
    const vmi = VMA_ITERATOR(mm, 0x5000);
    mas_store_gfp(MA_STATE(mm.mm_mt, 0x5000, 0x5fff), vma, 0);
    mas_walk(vmi.mas);
    with_kconfig({ CONFIG_DEBUG_VM_MAPLE_TREE: true }, () => {
      expect(MAS_WARN_ON(vmi.mas, false, 'never', 0, 0)).toBe(false);
      vma_iter_store_overwrite(vmi, vma);
    });
    const recs = maple_check_records();
    expect(recs[0]).toMatchObject({
      check: 'MAS_WARN_ON',
      call: 'vma_iter_store_overwrite',
      what: 'vmi->mas.status != ma_start && vmi->mas.index > vma->vm_start',
      range: '[0x3000, 0x3fff]',
    });
    /* The store that follows, from a paused state, is a misuse as well. */
    expect(recs.map((r) => `${r.check} ${r.call}`)).toEqual(['MAS_WARN_ON vma_iter_store_overwrite', 'MT_BUG_ON mas_store_prealloc']);
  });
});

describe('stores from an active state', () => {
  test('may start inside or after the slot, not below it', () => {
    const mt = layout();
    const mas = at(mt, 0x5000);
    __mas_set_range(mas, 0x5800, 0x6fff);
    mas_store_gfp(mas, 'C', 0);
    expect(maple_check_count()).toBe(0);
    const m2 = at(mt, 0x5000);
    m2.index = 0x4000; /* as __mas_set_range() would, past its own warning */
    mas_store_gfp(m2, 'D', 0);
    const r = only();
    expect(r.check).toBe('maple-state misuse');
    expect(r.call).toBe('mas_store_gfp');
    expect(r.what).toMatch(/starts below the slot/);
    expect(r.range).toBe('[0x4000, 0x57ff]');
  });

  test('mas_preallocate() walks the same way', () => {
    const mt = layout();
    const mas = at(mt, 0x5000);
    mas.index = 0x4000;
    expect(mas_preallocate(mas, 'D', 0)).toBe(0);
    expect(only().call).toBe('mas_preallocate');
  });

  test('paused, reset and none states are walked from the root: no misuse', () => {
    const mt = layout();
    const mas = at(mt, 0x5000);
    mas_pause(mas);
    mas.index = 0x1000;
    mas.last = 0x1fff;
    mas_store_gfp(mas, 'A2', 0);
    expect(maple_check_count()).toBe(0);
  });

  test('from an error state: misuse', () => {
    const mt = layout();
    const mas = MA_STATE(mt, 0, 0);
    mas_empty_area(mas, 0x1000, 0x5fff, 0x3000);
    mas_store_gfp(mas, 'X', 0);
    expect(only().what).toMatch(/ma_error/);
  });
});

describe('mas_store_prealloc() stores what was preallocated', () => {
  test('the preallocated range and entry: fine', () => {
    const mt = layout();
    const mas = at(mt, 0x1000);
    __mas_set_range(mas, 0x1000, 0x4fff);
    mas_preallocate(mas, 'A', 0);
    __mas_set_range(mas, 0x1000, 0x4fff);
    mas_store_prealloc(mas, 'A');
    expect(maple_check_count()).toBe(0);
    expect(slot(mas)).toEqual([0x1000, 0x4fff]);
  });

  test('another range: misuse naming both', () => {
    const mt = layout();
    const mas = at(mt, 0x1000);
    mas_preallocate(mas, 'A', 0);
    __mas_set_range(mas, 0x1000, 0x4fff);
    mas_store_prealloc(mas, 'A');
    const r = only();
    expect(r.call).toBe('mas_store_prealloc');
    expect(r.what).toMatch(/not the one mas_preallocate\(\) walked for \[0x1000, 0x2fff\]/);
    expect(r.range).toBe('[0x1000, 0x4fff]');
  });

  test('NULL where an entry was preallocated: misuse', () => {
    const mt = layout();
    const mas = at(mt, 0x1000);
    mas_preallocate(mas, 'A', 0);
    mas_store_prealloc(mas, null);
    expect(only().what).toMatch(/stores NULL but mas_preallocate\(\) walked for an entry/);
  });

  test('after a pause, or after mas_destroy(), unless an exact overwrite of the slot walked to', () => {
    const mt = layout();
    const mas = at(mt, 0x1000);
    mas_preallocate(mas, 'A', 0);
    mas_pause(mas);
    mas_store_prealloc(mas, 'A');
    expect(only().what).toMatch(/no preallocated walk/);
    maple_check_reset();
    /* test_simple_modify's pattern: walk, then clear exactly that slot. */
    const m2 = at(mt, 0x5000);
    m2.prealloc_seen = true;
    mas_store_prealloc(m2, null);
    expect(maple_check_count()).toBe(0);
    const m3 = at(mt, 0x1000);
    mas_preallocate(m3, 'A', 0);
    mas_destroy(m3);
    __mas_set_range(m3, 0x1000, 0x1fff);
    mas_store_prealloc(m3, 'A');
    expect(only().what).toMatch(/not an exact overwrite/);
  });
});

describe('walks from an active state', () => {
  test('fine while index/last lie on the slot', () => {
    const mt = layout();
    const mas = at(mt, 0x1000);
    __mas_set_range(mas, 0x1800, 0x1fff);
    expect(mas_next(mas, ULONG_MAX)).toBe('B');
    expect(maple_check_count()).toBe(0);
  });

  test.each([
    ['mas_next', (m: ma_state<E>) => mas_next(m, ULONG_MAX)],
    ['mas_next_range', (m: ma_state<E>) => mas_next_range(m, ULONG_MAX)],
    ['mas_prev', (m: ma_state<E>) => mas_prev(m, 0)],
    ['mas_prev_range', (m: ma_state<E>) => mas_prev_range(m, 0)],
    ['mas_find', (m: ma_state<E>) => mas_find(m, ULONG_MAX)],
  ])('%s once index/last left the slot: misuse', (call, walk) => {
    const mt = layout();
    const mas = at(mt, 0x1000);
    __mas_set_range(mas, 0x1000, 0x4fff);
    walk(mas);
    const r = only();
    expect(r.call).toBe(call);
    expect(r.what).toMatch(/no longer lie on it/);
  });

  test('a walk that restarts from the root is never a misuse', () => {
    const mt = layout();
    const mas = at(mt, 0x1000);
    __mas_set_range(mas, 0x5000, 0x5fff); /* warns, but... */
    maple_check_reset();
    expect(mas_walk(mas)).toBe('B');
    mas_set(mas, 0x3000);
    expect(mas_find(mas, ULONG_MAX)).toBe('B');
    expect(maple_check_count()).toBe(0);
  });

  test('continuing from an underflow that never had a position: misuse', () => {
    const mt = layout();
    const mas = MA_STATE(mt, 0x1000, 0x1000);
    expect(mas_prev(mas, 0x1000)).toBeNull();
    expect(mas.status).toBe(ma_underflow);
    mas_prev(mas, 0);
    expect(only().what).toMatch(/holds no position/);
  });
});

describe('gap searches', () => {
  test('from ma_start: fine; from any other status: misuse', () => {
    const mt = layout();
    expect(mas_empty_area(MA_STATE(mt, 0, 0), 0, 0x7fff, 0x1000)).toBe(0);
    expect(maple_check_count()).toBe(0);
    const mas = at(mt, 0x3000);
    mas_empty_area_rev(mas, 0, 0x7fff, 0x1000);
    const r = only();
    expect(r.call).toBe('mas_empty_area_rev');
    expect(r.range).toBe('[0x0, 0x7fff]');
  });
});

describe('records', () => {
  test('kept apart from the WARN count; a summary line names check, call, callers, rule, range and state', () => {
    const mt = layout();
    const warnings = warn_count();
    const mas = at(mt, 0x5000);
    __mas_set_range(mas, 0x1000, 0x1fff);
    expect(warn_count()).toBe(warnings);
    expect(maple_check_summary()).toBe(
      'MAS_WARN_ON in __mas_set_range (<unknown>): mas_is_active(mas) && (mas->index > start || mas->last < start); ' +
        'range [0x1000, 0x1fff]; state ma_active index 0x5000 last 0x5fff, on slot [0x5000, 0x5fff]',
    );
    maple_check_reset();
    expect(maple_check_summary()).toBe('');
    expect(maple_check_count()).toBe(0);
  });

  test('at most 256 are kept, all are counted', () => {
    const mt = layout();
    const mas = at(mt, 0x5000);
    for (let i = 0; i < 300; i++) {
      mas.index = 0x5000;
      mas.last = 0x5fff;
      __mas_set_range(mas, 0x100000, 0x100fff);
    }
    expect(maple_check_count()).toBe(300);
    expect(maple_check_records()).toHaveLength(256);
    expect(maple_check_summary()).toMatch(/\(44 more not kept\)$/);
  });
});
