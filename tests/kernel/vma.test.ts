// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The 16 tests of the v6.15 userland VMA harness (tools/testing/vma/vma.c),
 * in its order and with its names, scenarios and assertions.  Each kernel
 * ASSERT_* is one ASSERT_* line here; every test also checks that no
 * WARN-class check fired, and that no maple-tree check did (the original
 * harness links the real maple tree, whose debug checks would have hit).
 *
 * Layout diagrams: one column per page from address 0, a letter per VMA, '*'
 * for the range being merged.
 */

import {
  ENOMEM,
  INIT_LIST_HEAD,
  VMA_ITERATOR,
  VM_DONTEXPAND,
  VM_IO,
  VM_MAYREAD,
  VM_MAYWRITE,
  VM_MIXEDMAP,
  VM_PFNMAP,
  VM_READ,
  VM_SPECIAL,
  VM_WRITE,
  anon_vma,
  anon_vma_chain,
  current,
  for_each_vma,
  list_add,
  list_is_singular,
  maple_check_summary,
  mm_struct,
  mtree_destroy,
  set_fail_prealloc,
  vm_area_free,
  vma_assert_attached,
  vma_iter_set,
  vma_next,
  type Ref,
  type vm_area_struct,
  type vm_flags_t,
  type vm_operations_struct,
} from '../../src/vma_internal';
import {
  VMA_MERGE_ERROR_NOMEM,
  VMA_MERGE_NOMERGE,
  VMA_MERGE_SUCCESS,
  VMG_STATE,
  vma_iter_addr,
  vma_iter_clear,
  vma_iter_load,
  vma_merge_struct,
} from '../../src/mm/vma_h';
import {
  __mmap_region,
  copy_vma,
  is_mergeable_anon_vma,
  vma_merge_extend,
  vma_merge_new_range,
  vma_modify_flags,
  vma_shrink,
} from '../../src/mm/vma';
import {
  alloc_and_link_vma,
  alloc_vma,
  attach_vma,
  cleanup_mm,
  dummy_anon_vma,
  dummy_close,
  expand_existing,
  harness_reset,
  merge_existing,
  merge_new,
  reset_dummy_anon_vma,
  try_merge_new_vma,
  vma_write_started,
  vmg_set_range,
} from '../../src/harness/helpers';
import { ASSERT_EQ, ASSERT_FALSE, ASSERT_NE, ASSERT_NO_WARNINGS, ASSERT_TRUE } from './assert';

const NULL = null;

/* Stand-ins for the fake anon_vma pointers ((struct anon_vma *)1 and 2). */
const FAKE_ANON_VMA_1 = new anon_vma();
const FAKE_ANON_VMA_2 = new anon_vma();

beforeEach(() => {
  harness_reset();
});

afterEach(() => {
  expect(maple_check_summary()).toBe('');
});

test('simple_merge', () => {
  const flags: vm_flags_t = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;
  const mm = new mm_struct();
  const vma_left = alloc_vma(mm, 0, 0x1000, 0, flags) as vm_area_struct;
  const vma_right = alloc_vma(mm, 0x2000, 0x3000, 2, flags) as vm_area_struct;
  const vmi = VMA_ITERATOR(mm, 0x1000);
  const vmg = new vma_merge_struct({ mm, vmi, start: 0x1000, end: 0x2000, flags, pgoff: 1 });

  ASSERT_FALSE(attach_vma(mm, vma_left));
  ASSERT_FALSE(attach_vma(mm, vma_right));

  const vma = merge_new(vmg) as vm_area_struct;
  ASSERT_NE(vma, NULL);

  ASSERT_EQ(vma.vm_start, 0);
  ASSERT_EQ(vma.vm_end, 0x3000);
  ASSERT_EQ(vma.vm_pgoff, 0);
  ASSERT_EQ(vma.vm_flags, flags);

  vm_area_free(vma);
  mtree_destroy(mm.mm_mt);
  ASSERT_NO_WARNINGS();
});

test('simple_modify', () => {
  const flags: vm_flags_t = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;
  const mm = new mm_struct();
  const init_vma = alloc_vma(mm, 0, 0x3000, 0, flags) as vm_area_struct;
  const vmi = VMA_ITERATOR(mm, 0x1000);

  ASSERT_FALSE(attach_vma(mm, init_vma));

  /* Only the merge/split happens here; the flags themselves are not set. */
  let vma = vma_modify_flags(vmi, init_vma, init_vma, 0x1000, 0x2000, VM_READ | VM_MAYREAD) as vm_area_struct;
  ASSERT_NE(vma, NULL);
  /* The original VMA keeps the modified range; the splits are new VMAs. */
  ASSERT_EQ(vma, init_vma);

  ASSERT_EQ(vma.vm_start, 0x1000);
  ASSERT_EQ(vma.vm_end, 0x2000);
  ASSERT_EQ(vma.vm_pgoff, 1);

  /* Walk the three pieces. */
  vma_iter_set(vmi, 0);
  vma = vma_iter_load(vmi) as vm_area_struct;

  ASSERT_EQ(vma.vm_start, 0);
  ASSERT_EQ(vma.vm_end, 0x1000);
  ASSERT_EQ(vma.vm_pgoff, 0);

  vm_area_free(vma);
  vma_iter_clear(vmi);

  vma = vma_next(vmi) as vm_area_struct;

  ASSERT_EQ(vma.vm_start, 0x1000);
  ASSERT_EQ(vma.vm_end, 0x2000);
  ASSERT_EQ(vma.vm_pgoff, 1);

  vm_area_free(vma);
  vma_iter_clear(vmi);

  vma = vma_next(vmi) as vm_area_struct;

  ASSERT_EQ(vma.vm_start, 0x2000);
  ASSERT_EQ(vma.vm_end, 0x3000);
  ASSERT_EQ(vma.vm_pgoff, 2);

  vm_area_free(vma);
  mtree_destroy(mm.mm_mt);
  ASSERT_NO_WARNINGS();
});

test('simple_expand', () => {
  const flags: vm_flags_t = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;
  const mm = new mm_struct();
  const vma = alloc_vma(mm, 0, 0x1000, 0, flags) as vm_area_struct;
  const vmi = VMA_ITERATOR(mm, 0);
  const vmg = new vma_merge_struct({ vmi, middle: vma, start: 0, end: 0x3000, pgoff: 0 });

  ASSERT_FALSE(attach_vma(mm, vma));

  ASSERT_FALSE(expand_existing(vmg));

  ASSERT_EQ(vma.vm_start, 0);
  ASSERT_EQ(vma.vm_end, 0x3000);
  ASSERT_EQ(vma.vm_pgoff, 0);

  vm_area_free(vma);
  mtree_destroy(mm.mm_mt);
  ASSERT_NO_WARNINGS();
});

test('simple_shrink', () => {
  const flags: vm_flags_t = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;
  const mm = new mm_struct();
  const vma = alloc_vma(mm, 0, 0x3000, 0, flags) as vm_area_struct;
  const vmi = VMA_ITERATOR(mm, 0);

  ASSERT_FALSE(attach_vma(mm, vma));

  ASSERT_FALSE(vma_shrink(vmi, vma, 0, 0x1000, 0));

  ASSERT_EQ(vma.vm_start, 0);
  ASSERT_EQ(vma.vm_end, 0x1000);
  ASSERT_EQ(vma.vm_pgoff, 0);

  vm_area_free(vma);
  mtree_destroy(mm.mm_mt);
  ASSERT_NO_WARNINGS();
});

test('merge_new', () => {
  const flags: vm_flags_t = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;
  const mm = new mm_struct();
  const vmi = VMA_ITERATOR(mm, 0);
  const vmg = new vma_merge_struct({ mm, vmi });
  const dummy_anon_vma_chain_a = new anon_vma_chain(dummy_anon_vma);
  const dummy_anon_vma_chain_b = new anon_vma_chain(dummy_anon_vma);
  const dummy_anon_vma_chain_c = new anon_vma_chain(dummy_anon_vma);
  const dummy_anon_vma_chain_d = new anon_vma_chain(dummy_anon_vma);
  const vm_ops: vm_operations_struct = { close: dummy_close };
  let count: number;
  let vma: vm_area_struct | null;
  const merged: Ref<boolean> = { value: false };

  /*
   * 0123456789abc
   * AA B       CC
   */
  const vma_a = alloc_and_link_vma(mm, 0, 0x2000, 0, flags) as vm_area_struct;
  ASSERT_NE(vma_a, NULL);
  /* One avc each, so that anon_vma duplication can be observed. */
  INIT_LIST_HEAD(vma_a.anon_vma_chain);
  list_add(dummy_anon_vma_chain_a, vma_a.anon_vma_chain);

  const vma_b = alloc_and_link_vma(mm, 0x3000, 0x4000, 3, flags) as vm_area_struct;
  ASSERT_NE(vma_b, NULL);
  INIT_LIST_HEAD(vma_b.anon_vma_chain);
  list_add(dummy_anon_vma_chain_b, vma_b.anon_vma_chain);

  const vma_c = alloc_and_link_vma(mm, 0xb000, 0xc000, 0xb, flags) as vm_area_struct;
  ASSERT_NE(vma_c, NULL);
  INIT_LIST_HEAD(vma_c.anon_vma_chain);
  list_add(dummy_anon_vma_chain_c, vma_c.anon_vma_chain);

  /*
   * No merge possible:
   *
   * 0123456789abc
   * AA B   **  CC
   */
  const vma_d = try_merge_new_vma(mm, vmg, 0x7000, 0x9000, 7, flags, merged) as vm_area_struct;
  ASSERT_NE(vma_d, NULL);
  INIT_LIST_HEAD(vma_d.anon_vma_chain);
  list_add(dummy_anon_vma_chain_d, vma_d.anon_vma_chain);
  ASSERT_FALSE(merged.value);
  ASSERT_EQ(mm.map_count, 4);

  /*
   * Merge on both sides (A grows, B goes):
   *
   * 0123456789abc
   * AA*B   DD  CC
   */
  vma_a.vm_ops = vm_ops; /* A is never removed: its close hook does not matter. */
  vma_b.anon_vma = dummy_anon_vma;
  vma = try_merge_new_vma(mm, vmg, 0x2000, 0x3000, 2, flags, merged) as vm_area_struct;
  ASSERT_EQ(vma, vma_a);
  ASSERT_TRUE(merged.value);
  ASSERT_EQ(vma.vm_start, 0);
  ASSERT_EQ(vma.vm_end, 0x4000);
  ASSERT_EQ(vma.vm_pgoff, 0);
  ASSERT_EQ(vma.anon_vma, dummy_anon_vma);
  ASSERT_TRUE(vma_write_started(vma));
  ASSERT_EQ(mm.map_count, 3);

  /*
   * Merge with the previous VMA (A grows):
   *
   * 0123456789abc
   * AAAA*  DD  CC
   */
  vma = try_merge_new_vma(mm, vmg, 0x4000, 0x5000, 4, flags, merged) as vm_area_struct;
  ASSERT_EQ(vma, vma_a);
  ASSERT_TRUE(merged.value);
  ASSERT_EQ(vma.vm_start, 0);
  ASSERT_EQ(vma.vm_end, 0x5000);
  ASSERT_EQ(vma.vm_pgoff, 0);
  ASSERT_EQ(vma.anon_vma, dummy_anon_vma);
  ASSERT_TRUE(vma_write_started(vma));
  ASSERT_EQ(mm.map_count, 3);

  /*
   * Merge with the next VMA (D grows down):
   *
   * 0123456789abc
   * AAAAA *DD  CC
   */
  vma_d.anon_vma = dummy_anon_vma;
  vma_d.vm_ops = vm_ops; /* D is not removed: its close hook does not matter. */
  vma = try_merge_new_vma(mm, vmg, 0x6000, 0x7000, 6, flags, merged) as vm_area_struct;
  ASSERT_EQ(vma, vma_d);
  ASSERT_TRUE(merged.value);
  ASSERT_EQ(vma.vm_start, 0x6000);
  ASSERT_EQ(vma.vm_end, 0x9000);
  ASSERT_EQ(vma.vm_pgoff, 6);
  ASSERT_EQ(vma.anon_vma, dummy_anon_vma);
  ASSERT_TRUE(vma_write_started(vma));
  ASSERT_EQ(mm.map_count, 3);

  /*
   * Merge on both sides (A grows, D goes):
   *
   * 0123456789abc
   * AAAAA*DDD  CC
   */
  vma_d.vm_ops = NULL; /* A close hook would stop D from being removed. */
  vma = try_merge_new_vma(mm, vmg, 0x5000, 0x6000, 5, flags, merged) as vm_area_struct;
  ASSERT_EQ(vma, vma_a);
  ASSERT_TRUE(merged.value);
  ASSERT_EQ(vma.vm_start, 0);
  ASSERT_EQ(vma.vm_end, 0x9000);
  ASSERT_EQ(vma.vm_pgoff, 0);
  ASSERT_EQ(vma.anon_vma, dummy_anon_vma);
  ASSERT_TRUE(vma_write_started(vma));
  ASSERT_EQ(mm.map_count, 2);

  /*
   * Merge with the next VMA (C grows down):
   *
   * 0123456789abc
   * AAAAAAAAA *CC
   */
  vma_c.anon_vma = dummy_anon_vma;
  vma = try_merge_new_vma(mm, vmg, 0xa000, 0xb000, 0xa, flags, merged) as vm_area_struct;
  ASSERT_EQ(vma, vma_c);
  ASSERT_TRUE(merged.value);
  ASSERT_EQ(vma.vm_start, 0xa000);
  ASSERT_EQ(vma.vm_end, 0xc000);
  ASSERT_EQ(vma.vm_pgoff, 0xa);
  ASSERT_EQ(vma.anon_vma, dummy_anon_vma);
  ASSERT_TRUE(vma_write_started(vma));
  ASSERT_EQ(mm.map_count, 2);

  /*
   * Merge on both sides (A grows, C goes):
   *
   * 0123456789abc
   * AAAAAAAAA*CCC
   */
  vma = try_merge_new_vma(mm, vmg, 0x9000, 0xa000, 0x9, flags, merged) as vm_area_struct;
  ASSERT_EQ(vma, vma_a);
  ASSERT_TRUE(merged.value);
  ASSERT_EQ(vma.vm_start, 0);
  ASSERT_EQ(vma.vm_end, 0xc000);
  ASSERT_EQ(vma.vm_pgoff, 0);
  ASSERT_EQ(vma.anon_vma, dummy_anon_vma);
  ASSERT_TRUE(vma_write_started(vma));
  ASSERT_EQ(mm.map_count, 1);

  /*
   * What is left:
   *
   * 0123456789abc
   * AAAAAAAAAAAAA
   */
  count = 0;
  vma_iter_set(vmi, 0);
  for_each_vma(vmi, (v) => {
    ASSERT_NE(v, NULL);
    ASSERT_EQ(v.vm_start, 0);
    ASSERT_EQ(v.vm_end, 0xc000);
    ASSERT_EQ(v.vm_pgoff, 0);
    ASSERT_EQ(v.anon_vma, dummy_anon_vma);

    vm_area_free(v);
    count++;
  });

  /* A single VMA (now freed) was left. */
  ASSERT_EQ(count, 1);

  mtree_destroy(mm.mm_mt);
  ASSERT_NO_WARNINGS();
});

test('vma_merge_special_flags', () => {
  const flags: vm_flags_t = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;
  const mm = new mm_struct();
  const vmi = VMA_ITERATOR(mm, 0);
  const vmg = new vma_merge_struct({ mm, vmi });
  const special_flags: vm_flags_t[] = [VM_IO, VM_DONTEXPAND, VM_PFNMAP, VM_MIXEDMAP];
  let all_special_flags: vm_flags_t = 0n;
  let vma: vm_area_struct | null;

  /* The list above must cover VM_SPECIAL exactly. */
  for (const f of special_flags) all_special_flags |= f;
  ASSERT_EQ(all_special_flags, VM_SPECIAL);

  /*
   * 01234
   * AAA
   */
  const vma_left = alloc_and_link_vma(mm, 0, 0x3000, 0, flags) as vm_area_struct;
  ASSERT_NE(vma_left, NULL);

  /* 1. A new range that would merge but for the special flag. */

  /*
   * 01234
   * AAA*
   */
  vmg_set_range(vmg, 0x3000, 0x4000, 3, flags);
  for (const special_flag of special_flags) {
    vma_left.__vm_flags = flags | special_flag;
    vmg.flags = flags | special_flag;
    vma = merge_new(vmg);
    ASSERT_EQ(vma, NULL);
    ASSERT_EQ(vmg.state, VMA_MERGE_NOMERGE);
  }

  /* 2. An existing VMA modified in a way that would merge but for the flag. */

  /*
   * 01234
   * AAAB
   */
  vma = alloc_and_link_vma(mm, 0x3000, 0x4000, 3, flags);
  ASSERT_NE(vma, NULL);
  vmg.middle = vma;

  for (const special_flag of special_flags) {
    vma_left.__vm_flags = flags | special_flag;
    vmg.flags = flags | special_flag;
    vma = merge_existing(vmg);
    ASSERT_EQ(vma, NULL);
    ASSERT_EQ(vmg.state, VMA_MERGE_NOMERGE);
  }

  cleanup_mm(mm, vmi);
  ASSERT_NO_WARNINGS();
});

test('vma_merge_with_close', () => {
  const flags: vm_flags_t = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;
  const mm = new mm_struct();
  const vmi = VMA_ITERATOR(mm, 0);
  const vmg = new vma_merge_struct({ mm, vmi });
  const vm_ops: vm_operations_struct = { close: dummy_close };
  let vma_prev: vm_area_struct;
  let vma_next: vm_area_struct;
  let vma: vm_area_struct;

  /*
   * A merge must never remove a VMA that has a vm_ops->close() hook: the
   * resources it releases belong to that VMA's range alone.  prev is never
   * removed (it is extended), so only two situations matter:
   *
   *  A. next has the hook (prev may or may not be there):
   *       close:   -      -      set
   *             [prev ][ vma ][ next ]
   *
   *  B. the modified VMA has it and prev is mergeable:
   *       close:   -     set
   *             [prev ][ vma ]
   *
   * A VMA with the hook between prev and a hookless next cannot happen: the
   * same vm_ops means the same file, so next would carry the hook too.
   */

  /*
   * A new range mergeable on both sides: next would be removed, so only
   * prev is extended.
   *
   * 0123456789
   * PPP**NNNN
   *             ->
   * 0123456789
   * PPPPPPNNN
   */
  vma_prev = alloc_and_link_vma(mm, 0, 0x3000, 0, flags) as vm_area_struct;
  vma_next = alloc_and_link_vma(mm, 0x5000, 0x9000, 5, flags) as vm_area_struct;
  vma_next.vm_ops = vm_ops;

  vmg_set_range(vmg, 0x3000, 0x5000, 3, flags);
  ASSERT_EQ(merge_new(vmg), vma_prev);
  ASSERT_EQ(vmg.state, VMA_MERGE_SUCCESS);
  ASSERT_EQ(vma_prev.vm_start, 0);
  ASSERT_EQ(vma_prev.vm_end, 0x5000);
  ASSERT_EQ(vma_prev.vm_pgoff, 0);

  ASSERT_EQ(cleanup_mm(mm, vmi), 2);

  /*
   * Modifying all of vma would remove it: with a close hook, no merge.
   *
   *    <>
   * 0123456789
   * PPPVV
   */
  vma_prev = alloc_and_link_vma(mm, 0, 0x3000, 0, flags) as vm_area_struct;
  vma = alloc_and_link_vma(mm, 0x3000, 0x5000, 3, flags) as vm_area_struct;
  vma.vm_ops = vm_ops;

  vmg_set_range(vmg, 0x3000, 0x5000, 3, flags);
  vmg.prev = vma_prev;
  vmg.middle = vma;

  /* The modification that would otherwise merge fails. */
  ASSERT_EQ(merge_existing(vmg), NULL);
  ASSERT_EQ(vmg.state, VMA_MERGE_NOMERGE);

  ASSERT_EQ(cleanup_mm(mm, vmi), 2);

  /*
   * The same with next instead of prev.
   *
   *    <>
   * 0123456789
   *    VVNNNN
   */
  vma = alloc_and_link_vma(mm, 0x3000, 0x5000, 3, flags) as vm_area_struct;
  vma_next = alloc_and_link_vma(mm, 0x5000, 0x9000, 5, flags) as vm_area_struct;
  vma.vm_ops = vm_ops;

  vmg_set_range(vmg, 0x3000, 0x5000, 3, flags);
  vmg.middle = vma;
  ASSERT_EQ(merge_existing(vmg), NULL);
  /* Reported as "no merge", not as an allocation failure. */
  ASSERT_EQ(vmg.state, VMA_MERGE_NOMERGE);

  ASSERT_EQ(cleanup_mm(mm, vmi), 2);

  /*
   * Mergeable on both sides, vma has the hook: no merge at all.
   *
   *    <>
   * 0123456789
   * PPPVVNNNN
   */
  vma_prev = alloc_and_link_vma(mm, 0, 0x3000, 0, flags) as vm_area_struct;
  vma = alloc_and_link_vma(mm, 0x3000, 0x5000, 3, flags) as vm_area_struct;
  vma_next = alloc_and_link_vma(mm, 0x5000, 0x9000, 5, flags) as vm_area_struct;
  vma.vm_ops = vm_ops;

  vmg_set_range(vmg, 0x3000, 0x5000, 3, flags);
  vmg.prev = vma_prev;
  vmg.middle = vma;

  ASSERT_EQ(merge_existing(vmg), NULL);
  ASSERT_EQ(vmg.state, VMA_MERGE_NOMERGE);

  ASSERT_EQ(cleanup_mm(mm, vmi), 3);

  /*
   * Mergeable on both sides, next has the hook: prev absorbs vma only.
   *
   *    <>
   * 0123456789
   * PPPVVNNNN
   *            ->
   * 0123456789
   * PPPPPNNNN
   */
  vma_prev = alloc_and_link_vma(mm, 0, 0x3000, 0, flags) as vm_area_struct;
  vma = alloc_and_link_vma(mm, 0x3000, 0x5000, 3, flags) as vm_area_struct;
  vma_next = alloc_and_link_vma(mm, 0x5000, 0x9000, 5, flags) as vm_area_struct;
  vma_next.vm_ops = vm_ops;

  vmg_set_range(vmg, 0x3000, 0x5000, 3, flags);
  vmg.prev = vma_prev;
  vmg.middle = vma;

  ASSERT_EQ(merge_existing(vmg), vma_prev);
  ASSERT_EQ(vmg.state, VMA_MERGE_SUCCESS);
  ASSERT_EQ(vma_prev.vm_start, 0);
  ASSERT_EQ(vma_prev.vm_end, 0x5000);
  ASSERT_EQ(vma_prev.vm_pgoff, 0);

  ASSERT_EQ(cleanup_mm(mm, vmi), 2);
  ASSERT_NO_WARNINGS();
});

test('vma_merge_new_with_close', () => {
  const flags: vm_flags_t = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;
  const mm = new mm_struct();
  const vmi = VMA_ITERATOR(mm, 0);
  const vmg = new vma_merge_struct({ mm, vmi });
  const vma_prev = alloc_and_link_vma(mm, 0, 0x2000, 0, flags) as vm_area_struct;
  const vma_next = alloc_and_link_vma(mm, 0x5000, 0x7000, 5, flags) as vm_area_struct;
  const vm_ops: vm_operations_struct = { close: dummy_close };

  /*
   * Neighbours with close hooks still allow a partial merge of a new range:
   * A is extended and B, which may not be removed, stays.
   *
   *        new range
   *    A  v-------v  B
   * |-----|       |-----|
   *  close         close
   *             ->
   *       A          B
   * |------------||-----|
   *  close         close
   */

  /* Both neighbours get a close hook. */
  vma_prev.vm_ops = vm_ops;
  vma_next.vm_ops = vm_ops;

  vmg_set_range(vmg, 0x2000, 0x5000, 2, flags);
  const vma = merge_new(vmg) as vm_area_struct;
  ASSERT_NE(vma, NULL);
  ASSERT_EQ(vmg.state, VMA_MERGE_SUCCESS);
  ASSERT_EQ(vma.vm_start, 0);
  ASSERT_EQ(vma.vm_end, 0x5000);
  ASSERT_EQ(vma.vm_pgoff, 0);
  ASSERT_EQ(vma.vm_ops, vm_ops);
  ASSERT_TRUE(vma_write_started(vma));
  ASSERT_EQ(mm.map_count, 2);

  cleanup_mm(mm, vmi);
  ASSERT_NO_WARNINGS();
});

test('merge_existing', () => {
  const flags: vm_flags_t = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;
  const mm = new mm_struct();
  const vmi = VMA_ITERATOR(mm, 0);
  let vma: vm_area_struct;
  let vma_prev: vm_area_struct;
  let vma_next: vm_area_struct;
  const vmg = new vma_merge_struct({ mm, vmi });
  const vm_ops: vm_operations_struct = { close: dummy_close };

  /*
   * Merge right, part of vma:
   *
   *    <->
   * 0123456789
   *   VVVVNNN
   *            ->
   * 0123456789
   *   VNNNNNN
   */
  vma = alloc_and_link_vma(mm, 0x2000, 0x6000, 2, flags) as vm_area_struct;
  vma.vm_ops = vm_ops; /* vma is only shrunk: the hook does not matter. */
  vma_next = alloc_and_link_vma(mm, 0x6000, 0x9000, 6, flags) as vm_area_struct;
  vma_next.vm_ops = vm_ops; /* next is only extended: the hook does not matter. */
  vmg_set_range(vmg, 0x3000, 0x6000, 3, flags);
  vmg.middle = vma;
  vmg.prev = vma;
  vma.anon_vma = dummy_anon_vma;
  ASSERT_EQ(merge_existing(vmg), vma_next);
  ASSERT_EQ(vmg.state, VMA_MERGE_SUCCESS);
  ASSERT_EQ(vma_next.vm_start, 0x3000);
  ASSERT_EQ(vma_next.vm_end, 0x9000);
  ASSERT_EQ(vma_next.vm_pgoff, 3);
  ASSERT_EQ(vma_next.anon_vma, dummy_anon_vma);
  ASSERT_EQ(vma.vm_start, 0x2000);
  ASSERT_EQ(vma.vm_end, 0x3000);
  ASSERT_EQ(vma.vm_pgoff, 2);
  ASSERT_TRUE(vma_write_started(vma));
  ASSERT_TRUE(vma_write_started(vma_next));
  ASSERT_EQ(mm.map_count, 2);

  ASSERT_EQ(cleanup_mm(mm, vmi), 2);

  /*
   * Merge right, all of vma:
   *
   *   <-->
   * 0123456789
   *   VVVVNNN
   *            ->
   * 0123456789
   *   NNNNNNN
   */
  vma = alloc_and_link_vma(mm, 0x2000, 0x6000, 2, flags) as vm_area_struct;
  vma_next = alloc_and_link_vma(mm, 0x6000, 0x9000, 6, flags) as vm_area_struct;
  vma_next.vm_ops = vm_ops; /* next is only extended: the hook does not matter. */
  vmg_set_range(vmg, 0x2000, 0x6000, 2, flags);
  vmg.middle = vma;
  vma.anon_vma = dummy_anon_vma;
  ASSERT_EQ(merge_existing(vmg), vma_next);
  ASSERT_EQ(vmg.state, VMA_MERGE_SUCCESS);
  ASSERT_EQ(vma_next.vm_start, 0x2000);
  ASSERT_EQ(vma_next.vm_end, 0x9000);
  ASSERT_EQ(vma_next.vm_pgoff, 2);
  ASSERT_EQ(vma_next.anon_vma, dummy_anon_vma);
  ASSERT_TRUE(vma_write_started(vma_next));
  ASSERT_EQ(mm.map_count, 1);

  /* vma was removed. */
  ASSERT_EQ(cleanup_mm(mm, vmi), 1);

  /*
   * Merge left, part of vma:
   *
   *    <->
   * 0123456789
   * PPPVVVV
   *            ->
   * 0123456789
   * PPPPPPV
   */
  vma_prev = alloc_and_link_vma(mm, 0, 0x3000, 0, flags) as vm_area_struct;
  vma_prev.vm_ops = vm_ops; /* prev is only extended: the hook does not matter. */
  vma = alloc_and_link_vma(mm, 0x3000, 0x7000, 3, flags) as vm_area_struct;
  vma.vm_ops = vm_ops; /* vma is only shrunk: the hook does not matter. */
  vmg_set_range(vmg, 0x3000, 0x6000, 3, flags);
  vmg.prev = vma_prev;
  vmg.middle = vma;
  vma.anon_vma = dummy_anon_vma;

  ASSERT_EQ(merge_existing(vmg), vma_prev);
  ASSERT_EQ(vmg.state, VMA_MERGE_SUCCESS);
  ASSERT_EQ(vma_prev.vm_start, 0);
  ASSERT_EQ(vma_prev.vm_end, 0x6000);
  ASSERT_EQ(vma_prev.vm_pgoff, 0);
  ASSERT_EQ(vma_prev.anon_vma, dummy_anon_vma);
  ASSERT_EQ(vma.vm_start, 0x6000);
  ASSERT_EQ(vma.vm_end, 0x7000);
  ASSERT_EQ(vma.vm_pgoff, 6);
  ASSERT_TRUE(vma_write_started(vma_prev));
  ASSERT_TRUE(vma_write_started(vma));
  ASSERT_EQ(mm.map_count, 2);

  ASSERT_EQ(cleanup_mm(mm, vmi), 2);

  /*
   * Merge left, all of vma:
   *
   *    <-->
   * 0123456789
   * PPPVVVV
   *            ->
   * 0123456789
   * PPPPPPP
   */
  vma_prev = alloc_and_link_vma(mm, 0, 0x3000, 0, flags) as vm_area_struct;
  vma_prev.vm_ops = vm_ops; /* prev is only extended: the hook does not matter. */
  vma = alloc_and_link_vma(mm, 0x3000, 0x7000, 3, flags) as vm_area_struct;
  vmg_set_range(vmg, 0x3000, 0x7000, 3, flags);
  vmg.prev = vma_prev;
  vmg.middle = vma;
  vma.anon_vma = dummy_anon_vma;
  ASSERT_EQ(merge_existing(vmg), vma_prev);
  ASSERT_EQ(vmg.state, VMA_MERGE_SUCCESS);
  ASSERT_EQ(vma_prev.vm_start, 0);
  ASSERT_EQ(vma_prev.vm_end, 0x7000);
  ASSERT_EQ(vma_prev.vm_pgoff, 0);
  ASSERT_EQ(vma_prev.anon_vma, dummy_anon_vma);
  ASSERT_TRUE(vma_write_started(vma_prev));
  ASSERT_EQ(mm.map_count, 1);

  /* vma was removed. */
  ASSERT_EQ(cleanup_mm(mm, vmi), 1);

  /*
   * Merge on both sides:
   *
   *    <-->
   * 0123456789
   * PPPVVVVNNN
   *             ->
   * 0123456789
   * PPPPPPPPPP
   */
  vma_prev = alloc_and_link_vma(mm, 0, 0x3000, 0, flags) as vm_area_struct;
  vma_prev.vm_ops = vm_ops; /* prev is only extended: the hook does not matter. */
  vma = alloc_and_link_vma(mm, 0x3000, 0x7000, 3, flags) as vm_area_struct;
  vma_next = alloc_and_link_vma(mm, 0x7000, 0x9000, 7, flags) as vm_area_struct;
  vmg_set_range(vmg, 0x3000, 0x7000, 3, flags);
  vmg.prev = vma_prev;
  vmg.middle = vma;
  vma.anon_vma = dummy_anon_vma;
  ASSERT_EQ(merge_existing(vmg), vma_prev);
  ASSERT_EQ(vmg.state, VMA_MERGE_SUCCESS);
  ASSERT_EQ(vma_prev.vm_start, 0);
  ASSERT_EQ(vma_prev.vm_end, 0x9000);
  ASSERT_EQ(vma_prev.vm_pgoff, 0);
  ASSERT_EQ(vma_prev.anon_vma, dummy_anon_vma);
  ASSERT_TRUE(vma_write_started(vma_prev));
  ASSERT_EQ(mm.map_count, 1);

  /* vma and next were removed. */
  ASSERT_EQ(cleanup_mm(mm, vmi), 1);

  /*
   * Ranges that cannot merge.  Callers always pass a range inside the
   * modified VMA, so only these need checking:
   *
   *     -
   *      -
   *       -
   *     <->
   *     <>
   *      <>
   * 0123456789a
   * PPPVVVVVNNN
   */
  vma_prev = alloc_and_link_vma(mm, 0, 0x3000, 0, flags) as vm_area_struct;
  vma = alloc_and_link_vma(mm, 0x3000, 0x8000, 3, flags) as vm_area_struct;
  vma_next = alloc_and_link_vma(mm, 0x8000, 0xa000, 8, flags) as vm_area_struct;

  vmg_set_range(vmg, 0x4000, 0x5000, 4, flags);
  vmg.prev = vma;
  vmg.middle = vma;
  ASSERT_EQ(merge_existing(vmg), NULL);
  ASSERT_EQ(vmg.state, VMA_MERGE_NOMERGE);

  vmg_set_range(vmg, 0x5000, 0x6000, 5, flags);
  vmg.prev = vma;
  vmg.middle = vma;
  ASSERT_EQ(merge_existing(vmg), NULL);
  ASSERT_EQ(vmg.state, VMA_MERGE_NOMERGE);

  vmg_set_range(vmg, 0x6000, 0x7000, 6, flags);
  vmg.prev = vma;
  vmg.middle = vma;
  ASSERT_EQ(merge_existing(vmg), NULL);
  ASSERT_EQ(vmg.state, VMA_MERGE_NOMERGE);

  vmg_set_range(vmg, 0x4000, 0x7000, 4, flags);
  vmg.prev = vma;
  vmg.middle = vma;
  ASSERT_EQ(merge_existing(vmg), NULL);
  ASSERT_EQ(vmg.state, VMA_MERGE_NOMERGE);

  vmg_set_range(vmg, 0x4000, 0x6000, 4, flags);
  vmg.prev = vma;
  vmg.middle = vma;
  ASSERT_EQ(merge_existing(vmg), NULL);
  ASSERT_EQ(vmg.state, VMA_MERGE_NOMERGE);

  vmg_set_range(vmg, 0x5000, 0x6000, 5, flags);
  vmg.prev = vma;
  vmg.middle = vma;
  ASSERT_EQ(merge_existing(vmg), NULL);
  ASSERT_EQ(vmg.state, VMA_MERGE_NOMERGE);

  ASSERT_EQ(cleanup_mm(mm, vmi), 3);
  ASSERT_NO_WARNINGS();
});

test('anon_vma_non_mergeable', () => {
  const flags: vm_flags_t = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;
  const mm = new mm_struct();
  const vmi = VMA_ITERATOR(mm, 0);
  let vma_prev: vm_area_struct;
  let vma_next: vm_area_struct;
  const vmg = new vma_merge_struct({ mm, vmi });
  const dummy_anon_vma_chain1 = new anon_vma_chain(dummy_anon_vma);
  const dummy_anon_vma_chain2 = new anon_vma_chain(dummy_anon_vma);

  /*
   * A modification that could merge on both sides, but prev's and next's
   * anon_vmas do not go together: only prev and vma merge.
   *
   *    <-->
   * 0123456789
   * PPPVVVVNNN
   *            ->
   * 0123456789
   * PPPPPPPNNN
   */
  vma_prev = alloc_and_link_vma(mm, 0, 0x3000, 0, flags) as vm_area_struct;
  const vma = alloc_and_link_vma(mm, 0x3000, 0x7000, 3, flags) as vm_area_struct;
  vma_next = alloc_and_link_vma(mm, 0x7000, 0x9000, 7, flags) as vm_area_struct;

  /*
   * prev and next each get a single-entry chain, so each alone would merge
   * with the range's NULL anon_vma; with each other they do not.
   */
  INIT_LIST_HEAD(vma_prev.anon_vma_chain);
  list_add(dummy_anon_vma_chain1, vma_prev.anon_vma_chain);
  ASSERT_TRUE(list_is_singular(vma_prev.anon_vma_chain));
  vma_prev.anon_vma = dummy_anon_vma;
  ASSERT_TRUE(is_mergeable_anon_vma(NULL, vma_prev.anon_vma, vma_prev));

  INIT_LIST_HEAD(vma_next.anon_vma_chain);
  list_add(dummy_anon_vma_chain2, vma_next.anon_vma_chain);
  ASSERT_TRUE(list_is_singular(vma_next.anon_vma_chain));
  vma_next.anon_vma = FAKE_ANON_VMA_2;
  ASSERT_TRUE(is_mergeable_anon_vma(NULL, vma_next.anon_vma, vma_next));

  ASSERT_FALSE(is_mergeable_anon_vma(vma_prev.anon_vma, vma_next.anon_vma, NULL));

  vmg_set_range(vmg, 0x3000, 0x7000, 3, flags);
  vmg.prev = vma_prev;
  vmg.middle = vma;

  ASSERT_EQ(merge_existing(vmg), vma_prev);
  ASSERT_EQ(vmg.state, VMA_MERGE_SUCCESS);
  ASSERT_EQ(vma_prev.vm_start, 0);
  ASSERT_EQ(vma_prev.vm_end, 0x7000);
  ASSERT_EQ(vma_prev.vm_pgoff, 0);
  ASSERT_TRUE(vma_write_started(vma_prev));
  ASSERT_FALSE(vma_write_started(vma_next));

  ASSERT_EQ(cleanup_mm(mm, vmi), 2);

  /*
   * The same for a new range in the gap between prev and next.
   *
   *    <-->
   * 0123456789
   * PPP****NNN
   *            ->
   * 0123456789
   * PPPPPPPNNN
   */
  vma_prev = alloc_and_link_vma(mm, 0, 0x3000, 0, flags) as vm_area_struct;
  vma_next = alloc_and_link_vma(mm, 0x7000, 0x9000, 7, flags) as vm_area_struct;

  INIT_LIST_HEAD(vma_prev.anon_vma_chain);
  list_add(dummy_anon_vma_chain1, vma_prev.anon_vma_chain);
  vma_prev.anon_vma = FAKE_ANON_VMA_1;

  INIT_LIST_HEAD(vma_next.anon_vma_chain);
  list_add(dummy_anon_vma_chain2, vma_next.anon_vma_chain);
  vma_next.anon_vma = FAKE_ANON_VMA_2;

  vmg_set_range(vmg, 0x3000, 0x7000, 3, flags);
  vmg.prev = vma_prev;

  ASSERT_EQ(merge_new(vmg), vma_prev);
  ASSERT_EQ(vmg.state, VMA_MERGE_SUCCESS);
  ASSERT_EQ(vma_prev.vm_start, 0);
  ASSERT_EQ(vma_prev.vm_end, 0x7000);
  ASSERT_EQ(vma_prev.vm_pgoff, 0);
  ASSERT_TRUE(vma_write_started(vma_prev));
  ASSERT_FALSE(vma_write_started(vma_next));

  ASSERT_EQ(cleanup_mm(mm, vmi), 2);
  ASSERT_NO_WARNINGS();
});

test('dup_anon_vma', () => {
  const flags: vm_flags_t = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;
  const mm = new mm_struct();
  const vmi = VMA_ITERATOR(mm, 0);
  const vmg = new vma_merge_struct({ mm, vmi });
  const dummy_anon_vma_chain = new anon_vma_chain(dummy_anon_vma);
  let vma_prev: vm_area_struct;
  let vma_next: vm_area_struct;
  let vma: vm_area_struct;

  reset_dummy_anon_vma();

  /*
   * Expanding a VMA over the next one, which is removed, gives the expanded
   * VMA next's anon_vma.  New-range merges are expansions too.
   */
  vma_prev = alloc_and_link_vma(mm, 0, 0x3000, 0, flags) as vm_area_struct;
  vma_next = alloc_and_link_vma(mm, 0x3000, 0x5000, 3, flags) as vm_area_struct;
  vma_next.anon_vma = dummy_anon_vma;

  vmg_set_range(vmg, 0, 0x5000, 0, flags);
  vmg.middle = vma_prev;
  vmg.next = vma_next;

  ASSERT_EQ(expand_existing(vmg), 0);

  /* Cloned from next. */
  ASSERT_EQ(vma_prev.anon_vma, dummy_anon_vma);
  ASSERT_TRUE((vma_prev.anon_vma as anon_vma).was_cloned);

  cleanup_mm(mm, vmi);

  /*
   * next has the anon_vma; prev gets it.
   *
   *         |<----->|
   * |-------*********-------|
   *   prev     vma     next
   *  extend   delete  delete
   */
  vma_prev = alloc_and_link_vma(mm, 0, 0x3000, 0, flags) as vm_area_struct;
  vma = alloc_and_link_vma(mm, 0x3000, 0x5000, 3, flags) as vm_area_struct;
  vma_next = alloc_and_link_vma(mm, 0x5000, 0x8000, 5, flags) as vm_area_struct;

  /* A single avc, so that next passes the mergeability check. */
  INIT_LIST_HEAD(vma_next.anon_vma_chain);
  list_add(dummy_anon_vma_chain, vma_next.anon_vma_chain);

  vma_next.anon_vma = dummy_anon_vma;
  vmg_set_range(vmg, 0x3000, 0x5000, 3, flags);
  vmg.prev = vma_prev;
  vmg.middle = vma;

  ASSERT_EQ(merge_existing(vmg), vma_prev);
  ASSERT_EQ(vmg.state, VMA_MERGE_SUCCESS);

  ASSERT_EQ(vma_prev.vm_start, 0);
  ASSERT_EQ(vma_prev.vm_end, 0x8000);

  ASSERT_EQ(vma_prev.anon_vma, dummy_anon_vma);
  ASSERT_TRUE((vma_prev.anon_vma as anon_vma).was_cloned);

  cleanup_mm(mm, vmi);

  /*
   * vma has the anon_vma; prev gets it.
   *
   *         |<----->|
   * |-------*********-------|
   *   prev     vma     next
   *  extend   delete  delete
   */
  vma_prev = alloc_and_link_vma(mm, 0, 0x3000, 0, flags) as vm_area_struct;
  vma = alloc_and_link_vma(mm, 0x3000, 0x5000, 3, flags) as vm_area_struct;
  vma_next = alloc_and_link_vma(mm, 0x5000, 0x8000, 5, flags) as vm_area_struct;

  vma.anon_vma = dummy_anon_vma;
  vmg_set_range(vmg, 0x3000, 0x5000, 3, flags);
  vmg.prev = vma_prev;
  vmg.middle = vma;

  ASSERT_EQ(merge_existing(vmg), vma_prev);
  ASSERT_EQ(vmg.state, VMA_MERGE_SUCCESS);

  ASSERT_EQ(vma_prev.vm_start, 0);
  ASSERT_EQ(vma_prev.vm_end, 0x8000);

  ASSERT_EQ(vma_prev.anon_vma, dummy_anon_vma);
  ASSERT_TRUE((vma_prev.anon_vma as anon_vma).was_cloned);

  cleanup_mm(mm, vmi);

  /*
   * vma has the anon_vma; prev gets it.
   *
   *         |<----->|
   * |-------*************
   *   prev       vma
   *  extend shrink/delete
   */
  vma_prev = alloc_and_link_vma(mm, 0, 0x3000, 0, flags) as vm_area_struct;
  vma = alloc_and_link_vma(mm, 0x3000, 0x8000, 3, flags) as vm_area_struct;

  vma.anon_vma = dummy_anon_vma;
  vmg_set_range(vmg, 0x3000, 0x5000, 3, flags);
  vmg.prev = vma_prev;
  vmg.middle = vma;

  ASSERT_EQ(merge_existing(vmg), vma_prev);
  ASSERT_EQ(vmg.state, VMA_MERGE_SUCCESS);

  ASSERT_EQ(vma_prev.vm_start, 0);
  ASSERT_EQ(vma_prev.vm_end, 0x5000);

  ASSERT_EQ(vma_prev.anon_vma, dummy_anon_vma);
  ASSERT_TRUE((vma_prev.anon_vma as anon_vma).was_cloned);

  cleanup_mm(mm, vmi);

  /*
   * vma has the anon_vma; next gets it.
   *
   *     |<----->|
   * *************-------|
   *      vma       next
   * shrink/delete extend
   */
  vma = alloc_and_link_vma(mm, 0, 0x5000, 0, flags) as vm_area_struct;
  vma_next = alloc_and_link_vma(mm, 0x5000, 0x8000, 5, flags) as vm_area_struct;

  vma.anon_vma = dummy_anon_vma;
  vmg_set_range(vmg, 0x3000, 0x5000, 3, flags);
  vmg.prev = vma;
  vmg.middle = vma;

  ASSERT_EQ(merge_existing(vmg), vma_next);
  ASSERT_EQ(vmg.state, VMA_MERGE_SUCCESS);

  ASSERT_EQ(vma_next.vm_start, 0x3000);
  ASSERT_EQ(vma_next.vm_end, 0x8000);

  ASSERT_EQ(vma_next.anon_vma, dummy_anon_vma);
  ASSERT_TRUE((vma_next.anon_vma as anon_vma).was_cloned);

  cleanup_mm(mm, vmi);
  ASSERT_NO_WARNINGS();
});

test('vmi_prealloc_fail', () => {
  const flags: vm_flags_t = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;
  const mm = new mm_struct();
  const vmi = VMA_ITERATOR(mm, 0);
  const vmg = new vma_merge_struct({ mm, vmi });
  let vma_prev: vm_area_struct;
  let vma: vm_area_struct;

  /*
   * prev absorbs vma, whose anon_vma is duplicated into prev; the
   * preallocation then fails, and the duplicate must be unlinked again.
   */
  vma_prev = alloc_and_link_vma(mm, 0, 0x3000, 0, flags) as vm_area_struct;
  vma = alloc_and_link_vma(mm, 0x3000, 0x5000, 3, flags) as vm_area_struct;
  vma.anon_vma = dummy_anon_vma;

  vmg_set_range(vmg, 0x3000, 0x5000, 3, flags);
  vmg.prev = vma_prev;
  vmg.middle = vma;

  set_fail_prealloc(true);

  /* So the merge fails. */
  ASSERT_EQ(merge_existing(vmg), NULL);
  ASSERT_EQ(vmg.state, VMA_MERGE_ERROR_NOMEM);
  /* prev got the anon_vma before the failure... */
  ASSERT_EQ(vma_prev.anon_vma, dummy_anon_vma);
  /* ...which was cloned, then unlinked. */
  ASSERT_TRUE(dummy_anon_vma.was_cloned);
  ASSERT_TRUE(dummy_anon_vma.was_unlinked);

  cleanup_mm(mm, vmi); /* also clears fail_prealloc */

  /* The same through vma_expand(), which new-range merges use as well. */
  vma_prev = alloc_and_link_vma(mm, 0, 0x3000, 0, flags) as vm_area_struct;
  vma = alloc_and_link_vma(mm, 0x3000, 0x5000, 3, flags) as vm_area_struct;
  vma.anon_vma = dummy_anon_vma;

  vmg_set_range(vmg, 0, 0x5000, 3, flags);
  vmg.middle = vma_prev;
  vmg.next = vma;

  set_fail_prealloc(true);
  ASSERT_EQ(expand_existing(vmg), -ENOMEM);
  ASSERT_EQ(vmg.state, VMA_MERGE_ERROR_NOMEM);

  ASSERT_EQ(vma_prev.anon_vma, dummy_anon_vma);
  ASSERT_TRUE(dummy_anon_vma.was_cloned);
  ASSERT_TRUE(dummy_anon_vma.was_unlinked);

  cleanup_mm(mm, vmi);
  ASSERT_NO_WARNINGS();
});

test('merge_extend', () => {
  const flags: vm_flags_t = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;
  const mm = new mm_struct();
  const vmi = VMA_ITERATOR(mm, 0x1000);

  const vma = alloc_and_link_vma(mm, 0, 0x1000, 0, flags) as vm_area_struct;
  alloc_and_link_vma(mm, 0x3000, 0x4000, 3, flags);

  /*
   * Extending a VMA across the gap to the next one merges the two.
   *
   * <->
   * *  *
   */
  ASSERT_EQ(vma_merge_extend(vmi, vma, 0x2000), vma);
  ASSERT_EQ(vma.vm_start, 0);
  ASSERT_EQ(vma.vm_end, 0x4000);
  ASSERT_EQ(vma.vm_pgoff, 0);
  ASSERT_TRUE(vma_write_started(vma));
  ASSERT_EQ(mm.map_count, 1);

  cleanup_mm(mm, vmi);
  ASSERT_NO_WARNINGS();
});

test('copy_vma', () => {
  const flags: vm_flags_t = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;
  const mm = new mm_struct();
  const need_locks: Ref<boolean> = { value: false };
  const vmi = VMA_ITERATOR(mm, 0);
  let vma: Ref<vm_area_struct>;
  let vma_new: vm_area_struct;

  /* A move to lower addresses, no merge. */
  vma = { value: alloc_and_link_vma(mm, 0x3000, 0x5000, 3, flags) as vm_area_struct };
  vma_new = copy_vma(vma, 0, 0x2000, 0, need_locks) as vm_area_struct;
  ASSERT_NE(vma_new, vma.value);
  ASSERT_EQ(vma_new.vm_start, 0);
  ASSERT_EQ(vma_new.vm_end, 0x2000);
  ASSERT_EQ(vma_new.vm_pgoff, 0);
  vma_assert_attached(vma_new);

  cleanup_mm(mm, vmi);

  /* A move next to another VMA, which merges with the copy. */
  vma = { value: alloc_and_link_vma(mm, 0, 0x2000, 0, flags) as vm_area_struct };
  const vma_next = alloc_and_link_vma(mm, 0x6000, 0x8000, 6, flags) as vm_area_struct;
  vma_new = copy_vma(vma, 0x4000, 0x2000, 4, need_locks) as vm_area_struct;
  vma_assert_attached(vma_new);

  ASSERT_EQ(vma_new, vma_next);

  cleanup_mm(mm, vmi);
  ASSERT_NO_WARNINGS();
});

test('expand_only_mode', () => {
  const flags: vm_flags_t = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;
  const mm = new mm_struct();
  const vmi = VMA_ITERATOR(mm, 0);
  const vmg = VMG_STATE(mm, vmi, 0x5000, 0x9000, flags, 5);

  /*
   * A VMA before the one being expanded: in expand-only mode the merge must
   * not walk back to it.
   */
  alloc_and_link_vma(mm, 0, 0x2000, 0, flags);

  /* The iterator is on prev; the expansion reaches 0x9000. */
  vma_iter_set(vmi, 0x3000);
  const vma_prev = alloc_and_link_vma(mm, 0x3000, 0x5000, 3, flags) as vm_area_struct;
  vmg.prev = vma_prev;
  vmg.just_expand = true;

  const vma = vma_merge_new_range(vmg) as vm_area_struct;
  ASSERT_NE(vma, NULL);
  ASSERT_EQ(vma, vma_prev);
  ASSERT_EQ(vmg.state, VMA_MERGE_SUCCESS);
  ASSERT_EQ(vma.vm_start, 0x3000);
  ASSERT_EQ(vma.vm_end, 0x9000);
  ASSERT_EQ(vma.vm_pgoff, 3);
  ASSERT_TRUE(vma_write_started(vma));
  ASSERT_EQ(vma_iter_addr(vmi), 0x3000);
  vma_assert_attached(vma);

  cleanup_mm(mm, vmi);
  ASSERT_NO_WARNINGS();
});

test('mmap_region_basic', () => {
  const mm = new mm_struct();
  let addr: number;
  const vmi = VMA_ITERATOR(mm, 0);

  current.mm = mm;

  /* 0x3000 bytes at 0x300000. */
  addr = __mmap_region(NULL, 0x300000, 0x3000, VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE, 0x300, NULL);
  ASSERT_EQ(addr, 0x300000);

  /* 0x3000 bytes at 0x250000. */
  addr = __mmap_region(NULL, 0x250000, 0x3000, VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE, 0x250, NULL);
  ASSERT_EQ(addr, 0x250000);

  /* At 0x303000: merges into [0x300000, 0x306000). */
  addr = __mmap_region(NULL, 0x303000, 0x3000, VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE, 0x303, NULL);
  ASSERT_EQ(addr, 0x303000);

  /* At 0x24d000: merges into [0x24d000, 0x253000). */
  addr = __mmap_region(NULL, 0x24d000, 0x3000, VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE, 0x24d, NULL);
  ASSERT_EQ(addr, 0x24d000);

  ASSERT_EQ(mm.map_count, 2);

  for_each_vma(vmi, (vma) => {
    if (vma.vm_start === 0x300000) {
      ASSERT_EQ(vma.vm_end, 0x306000);
      ASSERT_EQ(vma.vm_pgoff, 0x300);
    } else if (vma.vm_start === 0x24d000) {
      ASSERT_EQ(vma.vm_end, 0x253000);
      ASSERT_EQ(vma.vm_pgoff, 0x24d);
    } else {
      ASSERT_FALSE(true);
    }
  });

  cleanup_mm(mm, vmi);
  ASSERT_NO_WARNINGS();
});
