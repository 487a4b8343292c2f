// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Port of the lock parts of the v6.15 mm/memory.c, in the file's order:
 * free_pgtables() (only its write-locking of each VMA), the mmap-lock
 * fallback of the fault path (get_mmap_lock_carefully() …
 * lock_mm_and_find_vma()), and the CONFIG_PER_VMA_LOCK block
 * (__vma_enter_locked(), __vma_exit_locked(), __vma_start_write(),
 * vma_mark_detached(), lock_vma_under_rcu()).
 */

import { WARN_ON_ONCE } from '../vma_internal/bug';
import { EAGAIN, ULONG_MAX, VM_GROWSDOWN, type unsigned_long } from '../vma_internal/constants';
import { IS_ERR, PTR_ERR } from '../vma_internal/err';
import { MA_STATE, mas_find, mas_walk, mt_find, type ma_state } from '../vma_internal/maple_tree';
import type { mmu_gather, vm_area_struct } from '../vma_internal/structs';
import { expand_downwards } from '../mm/vma';
import { rcu_dereference, WRITE_ONCE } from './atomic';
import { fixed, FIX_VMA_UAF } from './fixes';
import { kmm, kvma, VMA_LOCK_OFFSET, type lock_mm_struct, type slab_vm_area_struct } from './mm_types';
import {
  link___vma_start_write,
  vma_assert_attached,
  vma_assert_write_locked,
  vma_end_read,
  vma_start_read,
  vma_start_write,
} from './mm_h';
import {
  mmap_read_lock_killable,
  mmap_read_trylock,
  mmap_read_unlock,
  mmap_write_downgrade,
  mmap_write_lock_killable,
  mmap_write_unlock,
} from './mmap_lock';
import { rcuwait_wait_event } from './rcuwait';
import { refcount_add_not_zero, refcount_dec_and_test, refcount_read, refcount_sub_and_test } from './refcount';
import { rcu_read_lock, rcu_read_unlock, TASK_UNINTERRUPTIBLE } from './sched';
import { at, step, type Gen } from './step';

/* vm_event counters of the per-VMA lock (count_vm_vma_lock_event()). */
export const VMA_LOCK_SUCCESS = 'VMA_LOCK_SUCCESS';
/** lock_vma_under_rcu() gave up (no VMA, or a recheck failed): fall back. */
export const VMA_LOCK_ABORT = 'VMA_LOCK_ABORT';
/** The fault under the VMA lock asked for a retry (VM_FAULT_RETRY); never counted here (no page-fault work). */
export const VMA_LOCK_RETRY = 'VMA_LOCK_RETRY';
/** The VMA changed under the walk (-EAGAIN): the walk restarts. */
export const VMA_LOCK_MISS = 'VMA_LOCK_MISS';
/** The per-VMA lock events of /proc/vmstat. */
export type vma_lock_event = typeof VMA_LOCK_SUCCESS | typeof VMA_LOCK_ABORT | typeof VMA_LOCK_RETRY | typeof VMA_LOCK_MISS;

/** The event counters since the last reset. */
export const vma_lock_events: Record<vma_lock_event, number> = {
  VMA_LOCK_SUCCESS: 0,
  VMA_LOCK_ABORT: 0,
  VMA_LOCK_RETRY: 0,
  VMA_LOCK_MISS: 0,
};

/** Count a per-VMA lock event. */
export function count_vm_vma_lock_event(e: vma_lock_event): void {
  vma_lock_events[e]++;
}

/** Zero the event counts (before each run). */
export function vma_lock_events_reset(): void {
  for (const k of Object.keys(vma_lock_events) as vma_lock_event[]) vma_lock_events[k] = 0;
}

/*
 * free_pgtables(): of the page-table teardown only what concerns the lock is
 * modelled: with the mmap lock write-held every VMA is write-locked, so that
 * no fault runs in it while its page tables go.  (Unlinking the anon_vmas
 * and the file mapping and freeing the page tables are left out.)
 */
export function* free_pgtables(
  _tlb: mmu_gather,
  mas: ma_state<vm_area_struct>,
  vma: slab_vm_area_struct,
  _floor: unsigned_long,
  ceiling: unsigned_long,
  mm_wr_locked: boolean,
): Gen<void> {
  let cur: slab_vm_area_struct | null = vma;
  /* ceiling - 1 in unsigned long arithmetic (USER_PGTABLES_CEILING is 0). */
  const last = ceiling ? ceiling - 1 : ULONG_MAX;
  do {
    const next = mas_find(mas, last);
    /* Hide the VMA from faults before its page tables are freed. */
    if (mm_wr_locked) yield* vma_start_write(cur);
    cur = next === null ? null : kvma(next);
  } while (cur);
}

/* find_vma(): the first VMA ending above @addr. */
function find_vma(mm: lock_mm_struct, addr: unsigned_long): slab_vm_area_struct | null {
  const vma = mt_find(mm.mm_mt, addr, ULONG_MAX);
  return vma === null ? null : kvma(vma);
}

/* User faults only: try the read lock, else wait for it. */
function* get_mmap_lock_carefully(mm: lock_mm_struct): Gen<boolean> {
  if (yield* mmap_read_trylock(mm)) return true;
  return !(yield* mmap_read_lock_killable(mm));
}

/* There is no atomic upgrade. */
function mmap_upgrade_trylock(_mm: lock_mm_struct): boolean {
  return false;
}

function* upgrade_mmap_lock_carefully(mm: lock_mm_struct): Gen<boolean> {
  yield* mmap_read_unlock(mm);
  return !(yield* mmap_write_lock_killable(mm));
}

const S_FIND_VMA = step('lock_mm_and_find_vma', 'find_vma(mm, addr)');

/**
 * The fault path's fallback: take the mmap read lock and find the VMA,
 * growing a stack VMA down to @addr if that is what is needed (under the
 * write lock, then downgraded).  Returns the VMA with the mmap read lock
 * held, or NULL with no lock held.
 */
export function* lock_mm_and_find_vma(mm: lock_mm_struct, addr: unsigned_long): Gen<slab_vm_area_struct | null> {
  if (!(yield* get_mmap_lock_carefully(mm))) return null;

  yield at(S_FIND_VMA, mm);
  let vma = find_vma(mm, addr);
  if (vma && vma.vm_start <= addr) return vma;

  if (!vma || !(vma.vm_flags & VM_GROWSDOWN)) {
    yield* mmap_read_unlock(mm);
    return null;
  }

  if (!mmap_upgrade_trylock(mm)) {
    if (!(yield* upgrade_mmap_lock_carefully(mm))) return null;

    yield at(S_FIND_VMA, mm);
    vma = find_vma(mm, addr);
    if (!vma) {
      yield* mmap_write_unlock(mm);
      return null;
    }
    if (vma.vm_start <= addr) {
      yield* mmap_write_downgrade(mm);
      return vma;
    }
    if (!(vma.vm_flags & VM_GROWSDOWN)) {
      yield* mmap_write_unlock(mm);
      return null;
    }
  }

  /* expand_stack_locked(): the stack grows down on every architecture modelled. */
  if (expand_downwards(vma, addr)) {
    yield* mmap_write_unlock(mm);
    return null;
  }

  yield* mmap_write_downgrade(mm);
  return vma;
}

const S_ENTER_COND = step('__vma_enter_locked', 'refcount_read(&vma->vm_refcnt) == tgt_refcnt');

/**
 * Keep new readers out of @vma and wait until the readers inside have left.
 * Returns false at once for a detached VMA (only vma_mark_attached() could
 * raise its count, and that needs the mmap write lock we hold).
 */
export function* __vma_enter_locked(vma: slab_vm_area_struct, detaching: boolean): Gen<boolean> {
  let tgt_refcnt = VMA_LOCK_OFFSET;

  /* One more if the VMA stays attached. */
  if (!detaching) tgt_refcnt++;

  if (!(yield* refcount_add_not_zero(VMA_LOCK_OFFSET, vma.mem.vm_refcnt))) return false;

  yield* rcuwait_wait_event(
    kmm(vma.vm_mm).vma_writer_wait,
    S_ENTER_COND,
    vma,
    () => refcount_read(vma.mem.vm_refcnt) === tgt_refcnt,
    TASK_UNINTERRUPTIBLE,
  );

  return true;
}

/** Let readers in again; @detached says whether that left the count at 0. */
export function* __vma_exit_locked(vma: slab_vm_area_struct, detached: { value: boolean }): Gen<void> {
  detached.value = yield* refcount_sub_and_test(VMA_LOCK_OFFSET, vma.mem.vm_refcnt);
}

const S_STORE_SEQ = step('__vma_start_write', 'WRITE_ONCE(vma->vm_lock_seq, mm_lock_seq)');

/**
 * The slow path of vma_start_write(): exclude readers, mark the VMA with the
 * mm's sequence while they are excluded (so a reader whose increment
 * succeeds later must see it), let readers in again.  A detached VMA only
 * gets the sequence.
 */
export function* __vma_start_write(vma: slab_vm_area_struct, mm_lock_seq: number): Gen<void> {
  const locked = yield* __vma_enter_locked(vma, false);

  /* WRITE_ONCE: vma_start_read()'s early check reads it without the lock. */
  yield at(S_STORE_SEQ, vma);
  WRITE_ONCE(vma.mem.vm_lock_seq, mm_lock_seq);

  if (locked) {
    const detached = { value: false };

    yield* __vma_exit_locked(vma, detached);
    WARN_ON_ONCE(detached.value, 'detached', vma); /* it must stay attached */
  }
}
link___vma_start_write(__vma_start_write);

/**
 * Detach a write-locked VMA: its count goes to 0.  Readers can only hold a
 * transient count (they see the write lock and drop it); if one does, wait
 * for it with the writer bit set.
 */
export function* vma_mark_detached(vma: slab_vm_area_struct): Gen<void> {
  vma_assert_write_locked(vma);
  yield* vma_assert_attached(vma);

  /* The only writer: no need for vma_refcount_put(). */
  if (!(yield* refcount_dec_and_test(vma.mem.vm_refcnt))) {
    /* Wait until it is detached with no reader left. */
    if (yield* __vma_enter_locked(vma, true)) {
      const detached = { value: false };

      yield* __vma_exit_locked(vma, detached);
      WARN_ON_ONCE(!detached.value, '!detached', vma);
    }
  }
}

const S_WALK = step('lock_vma_under_rcu', 'vma = mas_walk(&mas)');
const S_RETRY = step('lock_vma_under_rcu', 'goto retry: vma = mas_walk(&mas) (VMA_LOCK_MISS)', { spin: true });
const S_CHECK = step('lock_vma_under_rcu', 'vma->vm_mm != mm || address < vma->vm_start || address >= vma->vm_end');

/**
 * Find and read-lock the VMA covering @address without the mmap lock.
 * Returns it with a reader's count held, or NULL (the caller falls back to
 * lock_mm_and_find_vma()).  The walk after a -EAGAIN reuses the maple
 * state, which the previous walk left at the start of the range it found:
 * in v6.15 it searches there, not at @address, and the range check below
 * turns a wrong answer into a fallback.
 */
export function* lock_vma_under_rcu(mm: lock_mm_struct, address: unsigned_long): Gen<slab_vm_area_struct | null> {
  const mas = MA_STATE(mm.mm_mt, address, address);
  let vma: slab_vm_area_struct | null = null;

  rcu_read_lock();
  for (let s = S_WALK; ; s = S_RETRY) {
    /* retry: */
    yield at(s, mm);
    rcu_dereference(mm.mm_mt_rcu);
    const found = mas_walk(mas);
    if (!found) break; /* goto inval */

    const locked = yield* vma_start_read(mm, kvma(found));
    if (locked === null || IS_ERR(locked)) {
      /* Detached since the walk found it? */
      if (locked !== null && PTR_ERR(locked) === -EAGAIN) {
        count_vm_vma_lock_event(VMA_LOCK_MISS);
        /* The area was replaced with another one. */
        continue; /* goto retry */
      }

      break; /* goto inval */
    }
    vma = locked;

    /* The reader holds a count now: every field is stable. */
    yield at(S_CHECK, vma);
    /* Is it the right one?  (9bbffee67ffd moved the mm check into vma_start_read().) */
    const other_mm = !fixed(FIX_VMA_UAF) && vma.vm_mm !== mm;
    if (other_mm || address < vma.vm_start || address >= vma.vm_end) {
      /* inval_end_read: */
      yield* vma_end_read(vma);
      break; /* inval */
    }

    rcu_read_unlock();
    return vma;
  }

  /* inval: */
  rcu_read_unlock();
  count_vm_vma_lock_event(VMA_LOCK_ABORT);
  return null;
}
