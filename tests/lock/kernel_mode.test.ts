// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The v6.15 VMA lock in kernel mode, without the race explorer (every step
 * runs straight through): the port of mm/vma.c on top of it, the write lock
 * by sequence, readers' outcomes (locked VMA, NULL, -EAGAIN retry), a
 * detach that would have to wait for a reader, the SLAB_TYPESAFE_BY_RCU
 * cache, exit, and harness mode untouched.
 */

import * as K from '../../src/lock';
import { __vm_munmap, mmap_region } from '../../src/mm/vma';
import {
  current,
  EAGAIN,
  KernelBug,
  lock_mode,
  lock_mode_set,
  PAGE_SIZE,
  vm_area_alloc,
  vma_registry,
  VM_MAYREAD,
  VM_MAYWRITE,
  VM_READ,
  VM_WRITE,
  warn_count,
  warn_reset,
} from '../../src/vma_internal';
import { IS_ERR, PTR_ERR } from '../../src/vma_internal/err';

const RW = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;
const BASE = 0x100000;
let mm: K.lock_mm_struct;

beforeEach(() => {
  K.lock_model_reset();
  vma_registry.reset();
  warn_reset();
  lock_mode_set(K.kernel_lock_ops);
  mm = K.mm_alloc();
  current.mm = mm;
});
afterEach(() => {
  lock_mode_set(null);
  current.mm = null;
});

function map(page: number, pages: number): void {
  K.run_sync(K.mmap_write_lock(mm));
  expect(mmap_region(null, BASE + page * PAGE_SIZE, pages * PAGE_SIZE, RW, page, null)).toBe(BASE + page * PAGE_SIZE);
  K.run_sync(K.mmap_write_unlock(mm));
}

function vmaAt(page: number): K.slab_vm_area_struct {
  const e = mm.mm_mt.ranges.lookup(BASE + page * PAGE_SIZE);
  if (e === null) throw new Error('no VMA');
  return e.value as K.slab_vm_area_struct;
}

test('mmap in kernel mode: attached VMAs from the cache, write-locked by sequence while the lock is held', () => {
  expect(lock_mode()).toBe('kernel');
  K.run_sync(K.mmap_write_lock(mm));
  expect(mm.mm_lock_seq.sequence.v).toBe(1);
  mmap_region(null, BASE, PAGE_SIZE, RW, 0, null);
  const v = vmaAt(0);
  expect(v).toBeInstanceOf(K.slab_vm_area_struct);
  expect(v.vm_refcnt).toBe(1);
  expect(v.vm_lock_seq).toBe(1);
  K.run_sync(K.mmap_write_unlock(mm));
  expect(mm.mm_lock_seq.sequence.v).toBe(2);
  /* Unlocking the mmap lock unlocked the VMA: no per-VMA unlock. */
  expect(v.vm_lock_seq).not.toBe(mm.mm_lock_seq.sequence.v);
  expect(warn_count()).toBe(0);
});

test('a reader locks a VMA, a second write lock of it would have to wait for the reader', () => {
  map(0, 2);
  const v = K.run_sync(K.lock_vma_under_rcu(mm, BASE + 0x10));
  expect(v).toBe(vmaAt(0));
  expect(vmaAt(0).vm_refcnt).toBe(2);
  K.run_sync(K.mmap_write_lock(mm));
  /* With no scheduler there is nobody to drop the count: the wait is reported as a hang. */
  expect(() => K.run_sync(K.vma_start_write(vmaAt(0)))).toThrow(KernelBug);
});

test('a write-locked VMA makes the reader fall back (NULL); a detached one in the tree gives -EAGAIN', () => {
  map(0, 1);
  const v = vmaAt(0);
  K.run_sync(K.mmap_write_lock(mm));
  K.run_sync(K.vma_start_write(v));
  expect(K.run_sync(K.vma_start_read(mm, v))).toBeNull();
  expect(K.run_sync(K.lock_vma_under_rcu(mm, BASE))).toBeNull();
  K.run_sync(K.vma_mark_detached(v));
  K.run_sync(K.mmap_write_unlock(mm));
  /* Detached but still in the tree (as munmap leaves it for a moment): look again. */
  const r = K.run_sync(K.vma_start_read(mm, v));
  expect(r !== null && IS_ERR(r) && PTR_ERR(r)).toBe(-EAGAIN);
  K.run_sync(K.mmap_write_lock(mm));
  K.run_sync(K.vma_start_write(v));
  K.run_sync(K.vma_mark_attached(v));
  K.run_sync(K.mmap_write_unlock(mm));
  expect(K.run_sync(K.vma_start_read(mm, v))).toBe(v);
  K.run_sync(K.vma_end_read(v));
  expect(v.vm_refcnt).toBe(1);
});

test('freed VMAs are reused at once; the free pointer overwrites vm_start, the count stays 0', () => {
  map(0, 1);
  const v = vmaAt(0);
  const id = v.__id;
  expect(__vm_munmap(BASE, PAGE_SIZE, false)).toBe(0);
  expect(v.__freed).toBe(true);
  expect(v.mem.vm_start.v).toBeGreaterThanOrEqual(K.FREEPTR_POISON);
  expect(v.vm_refcnt).toBe(0);
  const again = vm_area_alloc(mm);
  expect(again).toBe(v);
  expect(again?.__id).not.toBe(id);
  expect(K.vm_area_cachep.reuses).toBeGreaterThan(0);
});

test('exit_mmap detaches and frees every VMA; the mm is freed by the last mmdrop', () => {
  map(0, 1);
  map(4, 2);
  K.run_sync(K.mmput(mm));
  expect(mm.__freed).toBe(true);
  expect(vma_registry.liveCount).toBe(0);
  expect(warn_count()).toBe(0);
});

test('with 9bbffee67ffd a reader pins another mm before dropping a recycled VMA', () => {
  K.fixes_apply([K.FIX_VMA_UAF]);
  try {
    map(0, 1);
    const other = K.mm_alloc();
    /* A VMA of another mm, found by a reader of this one (as after reuse). */
    current.mm = other;
    K.run_sync(K.mmap_write_lock(other));
    mmap_region(null, BASE, PAGE_SIZE, RW, 0, null);
    K.run_sync(K.mmap_write_unlock(other));
    const foreign = other.mm_mt.ranges.lookup(BASE)?.value as K.slab_vm_area_struct;
    K.rcu_read_lock();
    expect(K.run_sync(K.vma_start_read(mm, foreign))).toBeNull();
    K.rcu_read_unlock();
    expect(foreign.vm_refcnt).toBe(1);
    expect(other.mm_count.v).toBe(1);
  } finally {
    K.fixes_apply([]);
  }
});

test('harness mode is untouched when no kernel lock is installed', () => {
  lock_mode_set(null);
  expect(lock_mode()).toBe('harness');
  const v = vm_area_alloc(mm);
  expect(v).not.toBeInstanceOf(K.slab_vm_area_struct);
  expect(v?.vm_refcnt).toBe(0);
});
