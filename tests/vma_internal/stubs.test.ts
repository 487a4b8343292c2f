// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the stub layer: the VMA lock/refcount stubs and their WARN
 * records, allocation and duplication, the allocation registry, fault
 * injection, and refusal of bad input.
 */

import {
  ENOMEM,
  KernelBug,
  UINT_MAX,
  VMA_ITERATOR,
  VMA_LOCK_OFFSET,
  VM_READ,
  VM_WRITE,
  anon_vma,
  anon_vma_chain,
  anon_vma_clone,
  list_add,
  list_is_singular,
  mm_struct,
  mt_dump,
  set_fail_prealloc,
  unlink_anon_vmas,
  vm_area_alloc,
  vm_area_dup,
  vm_area_free,
  vma_dummy_vm_ops,
  vma_mark_attached,
  vma_mark_detached,
  vma_registry,
  vma_start_write,
  vma_write_log_enable,
  vma_write_log_reset,
  vma_write_log_take,
  warn_count,
  warn_records,
  type vm_area_struct,
} from '../../src/vma_internal';
import { vma_iter_prealloc } from '../../src/mm/vma_h';
import { split_vma, vma_link } from '../../src/mm/vma';
import { alloc_and_link_vma, alloc_vma, harness_reset, vma_write_started } from '../../src/harness/helpers';

const flags = VM_READ | VM_WRITE;

beforeEach(() => harness_reset());

function dumpTree(mm: mm_struct): string {
  return mt_dump(mm.mm_mt, (v: vm_area_struct) => `#${v.__id}`);
}

describe('vm_refcnt and attach/detach', () => {
  test('a new VMA is detached; attach sets 1, detach sets 0, no warning', () => {
    const mm = new mm_struct();
    const vma = vm_area_alloc(mm) as vm_area_struct;
    expect(vma.vm_refcnt).toBe(0);
    vma_mark_attached(vma);
    expect(vma.vm_refcnt).toBe(1);
    vma_mark_detached(vma);
    expect(vma.vm_refcnt).toBe(0);
    expect(warn_count()).toBe(0);
    expect(VMA_LOCK_OFFSET).toBe(0x40000000);
  });

  test('attaching an attached VMA leaves a WARN record naming the assert and the VMA', () => {
    const vma = vm_area_alloc(new mm_struct()) as vm_area_struct;
    vma_mark_attached(vma);
    vma_mark_attached(vma);
    expect(vma.vm_refcnt).toBe(1);
    expect(warn_count()).toBe(1);
    const [rec] = warn_records();
    expect(rec.check).toBe('WARN_ON_ONCE');
    expect(rec.what).toBe('refcount_read(&vma->vm_refcnt)');
    expect(rec.site).toContain('vma_assert_detached');
    expect(rec.subject).toContain(`vma#${vma.__id}`);
  });

  test('detaching a detached VMA warns, then the refcount underflow is a BUG', () => {
    const vma = vm_area_alloc(new mm_struct()) as vm_area_struct;
    expect(() => vma_mark_detached(vma)).toThrow(/refcount_t: underflow/);
    expect(warn_count()).toBe(1);
    expect(warn_records()[0].site).toContain('vma_assert_attached');
    expect(vma.vm_refcnt).toBe(0);
  });

  test('every WARN_ON_ONCE hit is counted, not just the first', () => {
    const vma = vm_area_alloc(new mm_struct()) as vm_area_struct;
    vma_mark_attached(vma);
    vma_mark_attached(vma);
    vma_mark_attached(vma);
    expect(warn_count()).toBe(2);
  });

  test('vma_start_write only increments vm_lock_seq, from UINT_MAX to 0', () => {
    const vma = vm_area_alloc(new mm_struct()) as vm_area_struct;
    expect(vma.vm_lock_seq).toBe(UINT_MAX);
    vma_start_write(vma);
    expect(vma.vm_lock_seq).toBe(0);
    vma_start_write(vma);
    expect(vma.vm_lock_seq).toBe(1);
    expect(vma_write_started(vma)).toBe(true);
    expect(vma.vm_lock_seq).toBe(UINT_MAX);
    expect(vma_write_started(vma)).toBe(false);
    expect(vma.vm_refcnt).toBe(0);
  });

  test('the write log starts empty at every enable, whatever the last one logged', () => {
    const mm = new mm_struct();
    const a = vm_area_alloc(mm) as vm_area_struct;
    const b = vm_area_alloc(mm) as vm_area_struct;
    try {
      vma_write_log_enable(true);
      vma_start_write(a);
      vma_start_write(b);
      vma_write_log_enable(false);
      vma_write_log_enable(true);
      expect(vma_write_log_take()).toEqual([]);
      vma_start_write(b);
      vma_write_log_enable(true);
      vma_start_write(a);
      expect(vma_write_log_take()).toEqual([a]);
    } finally {
      vma_write_log_enable(false);
    }
  });

  test('the write log: take and reset see only the writes since the last take or reset', () => {
    const mm = new mm_struct();
    const a = vm_area_alloc(mm) as vm_area_struct;
    const b = vm_area_alloc(mm) as vm_area_struct;
    const c = vm_area_alloc(mm) as vm_area_struct;
    vma_write_log_enable(true);
    try {
      vma_start_write(a);
      vma_start_write(b);
      vma_start_write(a);
      vma_write_log_reset();
      expect([a.vm_lock_seq, b.vm_lock_seq, c.vm_lock_seq]).toEqual([UINT_MAX, UINT_MAX, UINT_MAX]);
      /* The reset emptied the log: only c's write is logged now. */
      vma_start_write(c);
      expect(vma_write_log_take()).toEqual([c]);
      expect(vma_write_log_take()).toEqual([]);
      vma_start_write(b);
      b.vm_lock_seq = 7;
      vma_start_write(c);
      vma_write_log_reset();
      expect([b.vm_lock_seq, c.vm_lock_seq]).toEqual([UINT_MAX, UINT_MAX]);
      vma_start_write(a);
      expect(a.vm_lock_seq).toBe(0);
    } finally {
      vma_write_log_enable(false);
    }
    /* Logging off: writes still mark, nothing is logged, a reset changes nothing. */
    vma_start_write(b);
    vma_write_log_reset();
    expect(b.vm_lock_seq).toBe(0);
    expect(vma_write_log_take()).toEqual([]);
  });

  test('the free log holds numbers only, and an empty take allocates nothing new', () => {
    const vma = vm_area_alloc(new mm_struct()) as vm_area_struct;
    vma_registry.takeFreed();
    vm_area_free(vma);
    const freed = vma_registry.takeFreed();
    expect(freed).toEqual([{ id: vma.__id, refcnt: 0 }]);
    expect(vma_registry.takeFreed()).toBe(vma_registry.takeFreed());
    expect(vma_registry.takeFreed()).toEqual([]);
  });

  test('takeFreedPairs() gives the same frees as [id, refcount] pairs, null when none, and empties the log', () => {
    const mm = new mm_struct();
    const a = vm_area_alloc(mm) as vm_area_struct;
    const b = vm_area_alloc(mm) as vm_area_struct;
    vma_registry.dropFreed();
    expect(vma_registry.takeFreedPairs()).toBeNull();
    vm_area_free(b);
    vm_area_free(a);
    expect(vma_registry.takeFreedPairs()).toEqual([
      [b.__id, 0],
      [a.__id, 0],
    ]);
    expect(vma_registry.takeFreedPairs()).toBeNull();
    expect(vma_registry.takeFreed()).toEqual([]);
  });

  test('dropFreed() empties the log; later frees are logged from the start again, in order', () => {
    const mm = new mm_struct();
    const a = vm_area_alloc(mm) as vm_area_struct;
    const b = vm_area_alloc(mm) as vm_area_struct;
    const c = vm_area_alloc(mm) as vm_area_struct;
    const d = vm_area_alloc(mm) as vm_area_struct;
    vma_registry.takeFreed();
    vm_area_free(a);
    vm_area_free(b);
    vma_registry.dropFreed();
    expect(vma_registry.takeFreed()).toEqual([]);
    vm_area_free(d);
    vm_area_free(c);
    expect(vma_registry.takeFreed()).toEqual([{ id: d.__id, refcnt: 0 }, { id: c.__id, refcnt: 0 }]);
    expect(vma_registry.takeFreed()).toEqual([]);
  });
});

describe('vm_area_alloc / vm_area_dup / vm_area_free', () => {
  test('alloc installs the dummy vm_ops, so a new VMA is not anonymous', () => {
    const vma = vm_area_alloc(new mm_struct()) as vm_area_struct;
    expect(vma.vm_ops).toBe(vma_dummy_vm_ops);
    expect(vma.anon_vma_chain.items).toEqual([]);
  });

  test('dup copies the fields but starts detached, unwritten, with an empty chain', () => {
    const mm = new mm_struct();
    const av = new anon_vma();
    const orig = alloc_and_link_vma(mm, 0x1000, 0x4000, 1, flags) as vm_area_struct;
    orig.anon_vma = av;
    list_add(new anon_vma_chain(av), orig.anon_vma_chain);
    vma_start_write(orig);
    expect(orig.vm_refcnt).toBe(1);

    const dup = vm_area_dup(orig) as vm_area_struct;
    expect(dup).not.toBe(orig);
    expect(dup.__id).toBe(orig.__id + 1);
    expect([dup.vm_start, dup.vm_end, dup.vm_pgoff, dup.vm_flags]).toEqual([0x1000, 0x4000, 1, flags]);
    expect(dup.anon_vma).toBe(av);
    expect(dup.vm_mm).toBe(mm);
    expect(dup.vm_refcnt).toBe(0);
    expect(dup.vm_lock_seq).toBe(UINT_MAX);
    expect(dup.anon_vma_chain.items).toEqual([]);
    expect(list_is_singular(orig.anon_vma_chain)).toBe(true);
  });

  test('ids are handed out in allocation order, dups included, and never reused', () => {
    const mm = new mm_struct();
    const a = vm_area_alloc(mm) as vm_area_struct;
    const b = vm_area_dup(a) as vm_area_struct;
    vm_area_free(b);
    const c = vm_area_alloc(mm) as vm_area_struct;
    expect([a.__id, b.__id, c.__id]).toEqual([1, 2, 3]);
    expect(vma_registry.isLive(1)).toBe(true);
    expect(vma_registry.isFreed(2)).toBe(true);
    expect(vma_registry.isFreed(4)).toBe(false);
    expect(vma_registry.lookup(2)).toBeUndefined();
    expect(vma_registry.takeFreed().map((f) => [f.id, f.refcnt])).toEqual([[2, 0]]);
  });

  test('the registry reports a double free', () => {
    const vma = vm_area_alloc(new mm_struct()) as vm_area_struct;
    vm_area_free(vma);
    expect(() => vm_area_free(vma)).toThrow(KernelBug);
    expect(() => vm_area_free(vma)).toThrow(/double free: vm_area_free: vma#1 was already freed/);
  });

  test('the registry reports a use after free, naming the function', () => {
    const vma = vm_area_alloc(new mm_struct()) as vm_area_struct;
    vm_area_free(vma);
    expect(() => vma_start_write(vma)).toThrow(/use after free: vma_start_write: vma#1/);
    expect(() => vm_area_dup(vma)).toThrow(/use after free: vm_area_dup/);
    expect(() => vma_mark_attached(vma)).toThrow(/use after free: vma_mark_attached/);
  });

  test('a freed VMA cannot be stored in the mm tree, and the tree is unchanged', () => {
    const mm = new mm_struct();
    const vma = alloc_vma(mm, 0x1000, 0x2000, 1, flags) as vm_area_struct;
    vm_area_free(vma);
    expect(() => vma_link(mm, vma)).toThrow(/use after free/);
    expect(mm.mm_mt.ranges.size).toBe(0);
    expect(mm.map_count).toBe(0);
  });

  test('free logs the refcount the VMA had', () => {
    const mm = new mm_struct();
    const vma = alloc_and_link_vma(mm, 0x1000, 0x2000, 1, flags) as vm_area_struct;
    vm_area_free(vma);
    expect(vma_registry.takeFreed().map((f) => [f.id, f.refcnt])).toEqual([[vma.__id, 1]]);
  });
});

describe('anon_vma stubs', () => {
  test('anon_vma_clone copies the anon_vma and marks it cloned; a NULL source does nothing', () => {
    const mm = new mm_struct();
    const av = new anon_vma();
    const src = vm_area_alloc(mm) as vm_area_struct;
    const dst = vm_area_alloc(mm) as vm_area_struct;
    expect(anon_vma_clone(dst, src)).toBe(0);
    expect(dst.anon_vma).toBeNull();
    src.anon_vma = av;
    expect(anon_vma_clone(dst, src)).toBe(0);
    expect(dst.anon_vma).toBe(av);
    expect(av.was_cloned).toBe(true);
    expect(av.was_unlinked).toBe(false);
    unlink_anon_vmas(dst);
    expect(av.was_unlinked).toBe(true);
  });

  test('unlink_anon_vmas on a VMA without anon_vma is the C NULL dereference', () => {
    expect(() => unlink_anon_vmas(vm_area_alloc(new mm_struct()) as vm_area_struct)).toThrow(/NULL dereference: unlink_anon_vmas/);
  });
});

describe('fault injection (fail_prealloc)', () => {
  test('a failed preallocation returns -ENOMEM and leaves the iterator as it was', () => {
    const mm = new mm_struct();
    alloc_and_link_vma(mm, 0x1000, 0x3000, 1, flags);
    const vmi = VMA_ITERATOR(mm, 0x1000);
    vmi.mas.index = 0x1000;
    vmi.mas.last = 0x1fff;
    const before = { ...vmi.mas };
    set_fail_prealloc(true);
    expect(vma_iter_prealloc(vmi, null)).toBe(-ENOMEM);
    expect({ ...vmi.mas }).toEqual(before);
    set_fail_prealloc(false);
    expect(vma_iter_prealloc(vmi, null)).toBe(0);
  });

  test('split_vma under fail_prealloc fails with -ENOMEM and changes nothing', () => {
    const mm = new mm_struct();
    const vma = alloc_and_link_vma(mm, 0x1000, 0x4000, 1, flags) as vm_area_struct;
    const tree = dumpTree(mm);
    const vmi = VMA_ITERATOR(mm, 0x1000);
    set_fail_prealloc(true);
    expect(split_vma(vmi, vma, 0x2000, 1)).toBe(-ENOMEM);
    expect(dumpTree(mm)).toBe(tree);
    expect([vma.vm_start, vma.vm_end, vma.vm_pgoff, vma.vm_refcnt]).toEqual([0x1000, 0x4000, 1, 1]);
    expect(mm.map_count).toBe(1);
    /* The duplicate was allocated and freed again: id 2, refcount 0. */
    expect(vma_registry.takeFreed().map((f) => [f.id, f.refcnt])).toEqual([[2, 0]]);
    expect(vma_registry.liveCount).toBe(1);
  });

  test('vma_link under fail_prealloc inserts nothing', () => {
    const mm = new mm_struct();
    const vma = alloc_vma(mm, 0x1000, 0x2000, 1, flags) as vm_area_struct;
    set_fail_prealloc(true);
    expect(vma_link(mm, vma)).toBe(-ENOMEM);
    expect(mm.mm_mt.ranges.size).toBe(0);
    expect(mm.map_count).toBe(0);
    expect(vma.vm_refcnt).toBe(0);
  });
});

describe('bad input', () => {
  test.each([
    [0x1800, 0x3000, /alloc_vma: start 0x1800 is not page-aligned/],
    [0x1000, 0x2800, /alloc_vma: end 0x2800 is not page-aligned/],
    [0x2000, 0x2000, /alloc_vma: empty range \[0x2000, 0x2000\)/],
    [0x3000, 0x2000, /alloc_vma: empty range \[0x3000, 0x2000\)/],
    [-0x1000, 0x2000, /alloc_vma: start -4096 is not an address below TASK_SIZE/],
  ])('alloc_and_link_vma(%s, %s) is refused and nothing changes', (start, end, msg) => {
    const mm = new mm_struct();
    alloc_and_link_vma(mm, 0x10000, 0x11000, 0x10, flags);
    const tree = dumpTree(mm);
    expect(() => alloc_and_link_vma(mm, start, end, 0, flags)).toThrow(msg);
    expect(dumpTree(mm)).toBe(tree);
    expect(mm.map_count).toBe(1);
    /* No id was consumed by the refused call. */
    expect(vma_registry.allocated).toBe(1);
  });
});
