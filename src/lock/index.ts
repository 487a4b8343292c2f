// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The port of the v6.15 VMA lock (kernel mode): one entry point.
 *
 * Files follow the kernel's: refcount.ts (include/linux/refcount.h and the
 * saturation of lib/refcount.c), rcuwait.ts (include/linux/rcuwait.h and
 * its kernel/exit.c half), rwsem.ts, seqlock.ts and sched.ts (the parts of
 * rwsem, seqcount and the scheduler the lock stands on), mm_types.ts
 * (VMA_LOCK_OFFSET, VMA_REF_LIMIT, the VMA and mm as kernel mode has them),
 * mmap_lock.ts (include/linux/mmap_lock.h), mm_h.ts (the lock block of
 * include/linux/mm.h), memory.ts (the lock block of mm/memory.c with
 * lock_vma_under_rcu()), sched_mm.ts (mmgrab/mmdrop), slab.ts (a
 * SLAB_TYPESAFE_BY_RCU cache), fork.ts (vm_area_* and the mm lifetime of
 * kernel/fork.c), mmap.ts (exit_mmap() of mm/mmap.c); atomic.ts and step.ts
 * are the model's memory and scheduling points; fixes.ts lists the upstream
 * fixes after v6.15 that can be applied on request.
 *
 * kernel_lock_ops is what the stub layer calls in kernel mode
 * (lock_mode_set(kernel_lock_ops)): each entry runs the ported generator to
 * completion with run_sync() and keeps the allocation registry (the VMA
 * identities and incarnations) up to date.
 */

import { KernelBug } from '../vma_internal/bug';
import type { KernelLockOps } from '../vma_internal/lock_mode';
import { vma_check_live, vma_registry } from '../vma_internal/registry';
import type { mm_struct, vm_area_struct } from '../vma_internal/structs';
import { vm_area_alloc, vm_area_cachep, vm_area_dup, vm_area_free } from './fork';
import { vma_lock_events_reset, vma_mark_detached } from './memory';
import { kmm, kvma, mm_ids_reset } from './mm_types';
import { vma_assert_attached, vma_assert_detached, vma_assert_write_locked, vma_mark_attached, vma_start_write } from './mm_h';
import {
  mmap_assert_write_locked,
  mmap_read_unlock,
  mmap_write_downgrade,
  mmap_write_lock_killable,
  mmap_write_unlock,
} from './mmap_lock';
import { init_task, set_current } from './sched';
import { run_sync } from './step';

export * from './atomic';
export * from './step';
export * from './sched';
export * from './rwsem';
export * from './seqlock';
export * from './refcount';
export * from './rcuwait';
export * from './mm_types';
export * from './fixes';
export * from './slab';
export * from './mmap_lock';
export * from './sched_mm';
export * from './mm_h';
export * from './memory';
export * from './mmap';
export * from './fork';

function alloc_result(v: vm_area_struct | null, fn: string): vm_area_struct {
  if (v === null) throw new KernelBug('lock mode', `${fn}: the cache model never fails an allocation`);
  return v;
}

/*
 * The allocation registry follows the cache: an object gets its new identity
 * (incarnation) the moment it is allocated, and is recorded as freed (with
 * its count, catching a double free) the moment it goes back.
 */
vm_area_cachep.on_alloc = (vma) => vma_registry.register(vma);
vm_area_cachep.on_free = (vma) => vma_registry.release(vma, 'vm_area_free');

/** The stub layer's entry points, served by the ported v6.15 lock. */
export const kernel_lock_ops: KernelLockOps = {
  name: 'v6.15',
  vma_start_write(vma: vm_area_struct): void {
    vma_check_live(vma, 'vma_start_write');
    run_sync(vma_start_write(kvma(vma)));
  },
  vma_assert_write_locked(vma: vm_area_struct): void {
    vma_assert_write_locked(kvma(vma));
  },
  vma_assert_attached(vma: vm_area_struct): void {
    run_sync(vma_assert_attached(kvma(vma)));
  },
  vma_assert_detached(vma: vm_area_struct): void {
    run_sync(vma_assert_detached(kvma(vma)));
  },
  vma_mark_attached(vma: vm_area_struct): void {
    vma_check_live(vma, 'vma_mark_attached');
    run_sync(vma_mark_attached(kvma(vma)));
  },
  vma_mark_detached(vma: vm_area_struct): void {
    vma_check_live(vma, 'vma_mark_detached');
    run_sync(vma_mark_detached(kvma(vma)));
  },
  vm_area_alloc(mm: mm_struct): vm_area_struct {
    return alloc_result(run_sync(vm_area_alloc(kmm(mm))), 'vm_area_alloc');
  },
  vm_area_dup(orig: vm_area_struct): vm_area_struct {
    vma_check_live(orig, 'vm_area_dup');
    return alloc_result(run_sync(vm_area_dup(kvma(orig))), 'vm_area_dup');
  },
  vm_area_free(vma: vm_area_struct): void {
    run_sync(vm_area_free(kvma(vma)));
  },
  mmap_assert_write_locked(mm: mm_struct): void {
    mmap_assert_write_locked(kmm(mm));
  },
  mmap_write_lock_killable(mm: mm_struct): number {
    return run_sync(mmap_write_lock_killable(kmm(mm)));
  },
  mmap_write_downgrade(mm: mm_struct): void {
    run_sync(mmap_write_downgrade(kmm(mm)));
  },
  mmap_write_unlock(mm: mm_struct): void {
    run_sync(mmap_write_unlock(kmm(mm)));
  },
  mmap_read_unlock(mm: mm_struct): void {
    run_sync(mmap_read_unlock(kmm(mm)));
  },
};

/** Forget all state of a previous run: an empty cache, mm ids from 1, zero counters. */
export function lock_model_reset(): void {
  vm_area_cachep.reset();
  mm_ids_reset();
  vma_lock_events_reset();
  set_current(init_task);
  init_task.rcu_read_lock_nesting = 0;
}
