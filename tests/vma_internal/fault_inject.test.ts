// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the failure points of the stub layer: each point's
 * qualifying calls and failure value, after/count, the call counts a sweep
 * reads, off by default, and the resets.
 */

import {
  EINTR,
  ENODEV,
  ENOMEM,
  GFP_KERNEL,
  VM_LOCKED,
  VM_READ,
  VM_SHARED,
  VM_WRITE,
  __GFP_NOFAIL,
  anon_vma,
  anon_vma_chain,
  anon_vma_clone,
  anon_vma_prepare,
  FAULT_POINTS,
  fail_nth_prealloc,
  fault_armed,
  fault_calls,
  fault_calls_all,
  fault_calls_reset,
  fault_fail_nth,
  fault_fired,
  fault_inject,
  fault_inject_reset,
  file,
  address_space,
  get_fail_prealloc,
  is_fault_point,
  list_add,
  ma_error,
  may_expand_vm,
  mlock_future_ok,
  mm_struct,
  mmap_file,
  mmap_write_lock_killable,
  mt_dump,
  prealloc_attempts,
  security_vm_enough_memory_mm,
  set_fail_prealloc,
  shmem_zero_setup,
  signal_pending,
  sysctl_max_map_count,
  vm_area_alloc,
  vm_area_dup,
  vma_dummy_vm_ops,
  VMA_ITERATOR,
  vma_iter_clear_gfp,
  vma_registry,
  warn_count,
  type fault_point,
  type vm_area_struct,
} from '../../src/vma_internal';
import * as mm_stubs from '../../src/vma_internal/mm_stubs';
import { mas_store_gfp } from '../../src/vma_internal/maple_store';
import { MA_STATE, maple_tree, mas_set_range } from '../../src/vma_internal/maple_tree';
import { vma_iter_prealloc } from '../../src/mm/vma_h';
import { split_vma } from '../../src/mm/vma';
import { INJECT_POINTS } from '../../src/trace/types';
import { alloc_and_link_vma, harness_reset } from '../../src/harness/helpers';
import { TraceWorld } from '../../src/trace/world';

const flags = VM_READ | VM_WRITE;

beforeEach(() => harness_reset());

function alloc(mm: mm_struct): vm_area_struct {
  return vm_area_alloc(mm) as vm_area_struct;
}

/** A VMA whose anon_vma_chain has @n entries. */
function withChain(mm: mm_struct, n: number): vm_area_struct {
  const vma = alloc(mm);
  const av = new anon_vma();
  vma.anon_vma = av;
  for (let i = 0; i < n; i++) list_add(new anon_vma_chain(av), vma.anon_vma_chain);
  return vma;
}

describe('the points and their switches', () => {
  test('the thirteen trace points plus the harness preallocation point', () => {
    expect(FAULT_POINTS.filter((p) => p !== 'vma_iter_prealloc')).toEqual([...INJECT_POINTS]);
    expect(is_fault_point('vm_area_dup')).toBe(true);
    expect(is_fault_point('kmalloc')).toBe(false);
  });

  test('every point is off by default and every stub succeeds', () => {
    const mm = new mm_struct();
    for (const p of FAULT_POINTS) expect(fault_armed(p)).toBe(false);
    expect(get_fail_prealloc()).toBe(false);
    const src = withChain(mm, 1);
    const vma = alloc(mm);
    expect(anon_vma_clone(vma, src)).toBe(0);
    expect(vm_area_dup(src)).not.toBeNull();
    expect(may_expand_vm(mm, flags, 1)).toBe(true);
    expect(security_vm_enough_memory_mm(mm, 1)).toBe(0);
    expect(mmap_file(new file(new address_space()), vma)).toBe(0);
    expect(shmem_zero_setup(vma)).toBe(0);
    expect(anon_vma_prepare(alloc(mm))).toBe(0);
    expect(mlock_future_ok(mm, VM_LOCKED, 4096)).toBe(true);
    expect(signal_pending(null)).toBe(false);
    expect(mmap_write_lock_killable(mm)).toBe(0);
    expect(sysctl_max_map_count).toBe(0x1000000);
  });

  test('after/count: pass `after` qualifying calls, fail the next `count`, then off again', () => {
    const mm = new mm_struct();
    fault_inject('vm_area_alloc', 2, 1);
    expect(fault_armed('vm_area_alloc')).toBe(true);
    const got = [alloc(mm), vm_area_alloc(mm), vm_area_alloc(mm), vm_area_alloc(mm)].map((v) => v !== null);
    expect(got).toEqual([true, false, false, true]);
    expect(fault_armed('vm_area_alloc')).toBe(false);
    expect(fault_calls('vm_area_alloc')).toBe(4);
    expect(fault_fired('vm_area_alloc')).toBe(2);
  });

  test('count 0 switches a point off, ignoring after; a new setting replaces the old one', () => {
    const mm = new mm_struct();
    fault_inject('may_expand_vm', 1, 0);
    fault_inject('may_expand_vm', 0, 5);
    expect(fault_armed('may_expand_vm')).toBe(false);
    expect(may_expand_vm(mm, flags, 1)).toBe(true);
    fault_inject('may_expand_vm', 3, 0);
    fault_inject('may_expand_vm', 1, 1);
    expect([may_expand_vm(mm, flags, 1), may_expand_vm(mm, flags, 1), may_expand_vm(mm, flags, 1)]).toEqual([
      true,
      false,
      true,
    ]);
  });

  test('points are independent: arming one leaves the others alone', () => {
    const mm = new mm_struct();
    fault_inject('signal_pending', 1, 0);
    expect(mmap_write_lock_killable(mm)).toBe(0);
    expect(security_vm_enough_memory_mm(mm, 1)).toBe(0);
    expect(signal_pending(null)).toBe(true);
  });

  test('fail the Nth call: fault_fail_nth restarts the count so a sweep sees when N ran past the end', () => {
    const mm = new mm_struct();
    alloc(mm);
    fault_fail_nth('vm_area_alloc', 3);
    expect(fault_calls('vm_area_alloc')).toBe(0);
    alloc(mm);
    alloc(mm);
    expect(fault_calls('vm_area_alloc')).toBe(2);
    /* An operation that made only two calls never reached the third: the sweep is done. */
    expect(fault_armed('vm_area_alloc')).toBe(true);
    expect(vm_area_alloc(mm)).toBeNull();
    expect(fault_calls('vm_area_alloc')).toBe(3);
    fault_fail_nth('vm_area_alloc', 0);
    expect(fault_armed('vm_area_alloc')).toBe(false);
  });

  test('fault_calls_all lists the points that saw qualifying calls; fault_calls_reset restarts them', () => {
    const mm = new mm_struct();
    may_expand_vm(mm, flags, 1);
    may_expand_vm(mm, flags, 1);
    signal_pending(null);
    mlock_future_ok(mm, flags, 4096); /* not VM_LOCKED: not a qualifying call */
    expect(fault_calls_all()).toEqual({ may_expand_vm: 2, signal_pending: 1 });
    fault_inject('signal_pending', 1, 0);
    fault_calls_reset();
    expect(fault_calls_all()).toEqual({});
    expect(fault_armed('signal_pending')).toBe(true);
  });

  test('fault_inject_reset and harness_reset switch everything off', () => {
    for (const p of FAULT_POINTS) fault_inject(p, 1, 0);
    set_fail_prealloc(true);
    mm_stubs.set_sysctl_max_map_count(3);
    fault_inject_reset();
    for (const p of FAULT_POINTS) expect(fault_armed(p)).toBe(false);
    expect(get_fail_prealloc()).toBe(false);
    expect(fault_calls_all()).toEqual({});
    fault_inject('vm_area_dup', 1, 0);
    harness_reset();
    expect(fault_armed('vm_area_dup')).toBe(false);
    expect(mm_stubs.sysctl_max_map_count).toBe(0x1000000);
  });

  test('a fresh trace world starts with every point off and the default max_map_count', () => {
    const first = new TraceWorld();
    first.run({ op: 'inject', point: 'mas_store_gfp', count: 2, after: 1 });
    first.run({ op: 'set_max_map_count', value: 7 });
    /* Invalid input (nothing is armed while fail_prealloc is set): run it past the validator to set every switch. */
    first.execute({ op: 'fail_prealloc', value: true });
    expect(fault_armed('mas_store_gfp')).toBe(true);
    expect(mm_stubs.sysctl_max_map_count).toBe(7);
    first.dispose();
    const next = new TraceWorld();
    for (const p of FAULT_POINTS) expect(fault_armed(p)).toBe(false);
    expect(get_fail_prealloc()).toBe(false);
    expect(mm_stubs.sysctl_max_map_count).toBe(0x1000000);
    next.dispose();
  });

  test('bad arguments are refused, naming the value', () => {
    expect(() => fault_inject('vm_area_dup', -1, 0)).toThrow(/fault_inject: bad count -1/);
    expect(() => fault_inject('vm_area_dup', 1, 0.5)).toThrow(/fault_inject: bad after 0.5/);
    expect(() => fault_inject('kmalloc' as fault_point, 1, 0)).toThrow(/unknown point 'kmalloc'/);
    expect(() => fault_fail_nth('vm_area_dup', -2)).toThrow(/fault_fail_nth: bad n -2/);
    expect(() => mm_stubs.set_sysctl_max_map_count(2 ** 31)).toThrow(/bad value/);
  });
});

describe('each point: its qualifying calls and its failure', () => {
  test('anon_vma_clone: only a source with a non-empty chain qualifies; a failure clears dst->anon_vma, -ENOMEM', () => {
    const mm = new mm_struct();
    fault_inject('anon_vma_clone', 1, 0);
    const bare = withChain(mm, 0);
    const dst = alloc(mm);
    /* The kernel allocates one chain entry per source entry: none to allocate, cannot fail. */
    expect(anon_vma_clone(dst, bare)).toBe(0);
    expect(dst.anon_vma).toBe(bare.anon_vma);
    expect(fault_calls('anon_vma_clone')).toBe(0);

    const src = withChain(mm, 2);
    const dst2 = alloc(mm);
    dst2.anon_vma = src.anon_vma; /* as dup_anon_vma() sets it before cloning */
    expect(anon_vma_clone(dst2, src)).toBe(-ENOMEM);
    expect(dst2.anon_vma).toBeNull();
    expect((src.anon_vma as anon_vma).was_cloned).toBe(false);
    expect(fault_fired('anon_vma_clone')).toBe(1);
    expect(anon_vma_clone(dst2, src)).toBe(0);
    expect((src.anon_vma as anon_vma).was_cloned).toBe(true);
  });

  test('vm_area_alloc and vm_area_dup: NULL, and no id is used up', () => {
    const mm = new mm_struct();
    const a = alloc(mm);
    fault_inject('vm_area_dup', 1, 0);
    expect(vm_area_dup(a)).toBeNull();
    fault_inject('vm_area_alloc', 1, 0);
    expect(vm_area_alloc(mm)).toBeNull();
    expect(alloc(mm).__id).toBe(a.__id + 1);
    expect(vma_registry.takeFreed()).toEqual([]);
  });

  test('may_expand_vm: false; security_vm_enough_memory_mm: -ENOMEM (every call qualifies)', () => {
    const mm = new mm_struct();
    fault_inject('may_expand_vm', 1, 0);
    fault_inject('security_vm_enough_memory_mm', 1, 0);
    expect(may_expand_vm(mm, 0n, 0)).toBe(false);
    expect(security_vm_enough_memory_mm(mm, 0)).toBe(-ENOMEM);
  });

  test('mmap_file: -ENODEV with the dummy vm_ops installed', () => {
    const vma = alloc(new mm_struct());
    vma.vm_ops = null;
    fault_inject('mmap_file', 1, 0);
    expect(mmap_file(new file(new address_space()), vma)).toBe(-ENODEV);
    expect(vma.vm_ops).toBe(vma_dummy_vm_ops);
  });

  test('shmem_zero_setup: -ENOMEM, the VMA untouched', () => {
    const vma = alloc(new mm_struct());
    vma.__vm_flags = VM_SHARED;
    fault_inject('shmem_zero_setup', 1, 0);
    expect(shmem_zero_setup(vma)).toBe(-ENOMEM);
    expect([vma.vm_ops, vma.vm_file, vma.vm_flags]).toEqual([vma_dummy_vm_ops, null, VM_SHARED]);
  });

  test('anon_vma_prepare: a VMA with an anon_vma returns 0 at once; otherwise -ENOMEM, nothing allocated', () => {
    const mm = new mm_struct();
    fault_inject('anon_vma_prepare', 1, 0);
    const has = withChain(mm, 1);
    expect(anon_vma_prepare(has)).toBe(0);
    expect(fault_calls('anon_vma_prepare')).toBe(0);
    const none = alloc(mm);
    expect(anon_vma_prepare(none)).toBe(-ENOMEM);
    expect(none.anon_vma).toBeNull();
    expect(anon_vma_prepare(none)).toBe(0);
    expect(none.anon_vma).not.toBeNull();
  });

  test('mlock_future_ok: only VM_LOCKED requests qualify; the failure is false', () => {
    const mm = new mm_struct();
    fault_inject('mlock_future_ok', 1, 0);
    expect(mlock_future_ok(mm, flags, 4096)).toBe(true);
    expect(fault_calls('mlock_future_ok')).toBe(0);
    expect(mlock_future_ok(mm, flags | VM_LOCKED, 4096)).toBe(false);
    expect(mlock_future_ok(mm, flags | VM_LOCKED, 4096)).toBe(true);
  });

  test('mas_store_gfp: __GFP_NOFAIL and a root store into an empty tree never qualify; a failure stores nothing', () => {
    const mt = new maple_tree<string>();
    const mas = MA_STATE(mt, 0, 0);
    fault_inject('mas_store_gfp', 1, 0);
    expect(mas_store_gfp(mas, 'root', GFP_KERNEL)).toBe(0);
    expect(fault_calls('mas_store_gfp')).toBe(0);
    mas_set_range(mas, 0x2000, 0x2fff);
    expect(mas_store_gfp(mas, 'nofail', GFP_KERNEL | __GFP_NOFAIL)).toBe(0);
    expect(fault_calls('mas_store_gfp')).toBe(0);
    const before = mt_dump(mt);
    mas_set_range(mas, 0x4000, 0x4fff);
    expect(mas_store_gfp(mas, 'fails', GFP_KERNEL)).toBe(-ENOMEM);
    expect(mas.status).toBe(ma_error);
    expect(mt_dump(mt)).toBe(before);
    expect(fault_fired('mas_store_gfp')).toBe(1);
  });

  test('vma_iter_clear_gfp: -ENOMEM, iterator in the error state, tree untouched; its own store is not a mas_store_gfp call', () => {
    const mm = new mm_struct();
    alloc_and_link_vma(mm, 0x1000, 0x3000, 1, flags);
    const vmi = VMA_ITERATOR(mm, 0x1000);
    fault_inject('vma_iter_clear_gfp', 1, 0);
    expect(vma_iter_clear_gfp(vmi, 0x1000, 0x2000, GFP_KERNEL)).toBe(-ENOMEM);
    expect(vmi.mas.status).toBe(ma_error);
    expect(mm.mm_mt.ranges.size).toBe(1);
    fault_calls_reset();
    fault_inject('mas_store_gfp', 1, 0);
    expect(vma_iter_clear_gfp(vmi, 0x1000, 0x2000, GFP_KERNEL)).toBe(0);
    expect(fault_calls('mas_store_gfp')).toBe(0);
  });

  test('signal_pending: true; mmap_write_lock_killable: -EINTR', () => {
    fault_inject('signal_pending', 1, 0);
    fault_inject('mmap_write_lock_killable', 1, 0);
    expect(signal_pending(null)).toBe(true);
    expect(mmap_write_lock_killable(new mm_struct())).toBe(-EINTR);
  });

  test('vma_iter_prealloc: the generic point and the older fail_nth_prealloc()/prealloc_attempts() agree', () => {
    const mm = new mm_struct();
    const vmi = VMA_ITERATOR(mm, 0);
    fail_nth_prealloc(2);
    expect(vma_iter_prealloc(vmi, null)).toBe(0);
    expect(vma_iter_prealloc(vmi, null)).toBe(-ENOMEM);
    expect(vma_iter_prealloc(vmi, null)).toBe(0);
    expect(prealloc_attempts()).toBe(3);
    expect(fault_calls('vma_iter_prealloc')).toBe(3);
    set_fail_prealloc(true);
    expect(vma_iter_prealloc(vmi, null)).toBe(-ENOMEM);
    expect(prealloc_attempts()).toBe(4);
  });

  test('sysctl_max_map_count: split_vma refuses once map_count reaches it', () => {
    const mm = new mm_struct();
    const vma = alloc_and_link_vma(mm, 0x1000, 0x4000, 1, flags) as vm_area_struct;
    const vmi = VMA_ITERATOR(mm, 0x1000);
    mm_stubs.set_sysctl_max_map_count(1);
    expect(split_vma(vmi, vma, 0x2000, 0)).toBe(-ENOMEM);
    expect(mm.map_count).toBe(1);
    mm_stubs.set_sysctl_max_map_count(2);
    expect(split_vma(vmi, vma, 0x2000, 0)).toBe(0);
    expect(mm.map_count).toBe(2);
    expect(warn_count()).toBe(0);
  });
});
