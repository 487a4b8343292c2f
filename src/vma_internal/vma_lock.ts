// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VMA lock as the v6.15 harness models it.
 *
 * vm_refcnt is 0 while a VMA is detached and 1 while it is attached to the
 * tree (VMA_LOCK_OFFSET exists but the harness never sets it).  Marking an
 * attached VMA attached again, or a detached one detached, trips the
 * WARN_ON_ONCE in the matching assert; decrementing a zero refcount is then a
 * BUG in the harness's refcount_t (built without NDEBUG), so it throws here.
 *
 * vma_start_write() only increments vm_lock_seq: tests reset the field to
 * UINT_MAX and read "was a write started" back from it.
 *
 * In kernel mode (lock_mode.ts) each entry point hands over to the port of
 * the real v6.15 lock instead.
 */

import { UINT_MAX } from './constants';
import { KernelBug, WARN_ON_ONCE } from './bug';
import { vma_check_live } from './registry';
import type { vm_area_struct } from './structs';
import { kernel_lock } from './lock_mode';

/** The bit a writer would add to vm_refcnt; defined, never used by the harness. */
export const VMA_LOCK_OFFSET = 0x40000000;

export function refcount_read(vma: vm_area_struct): number {
  return vma.vm_refcnt;
}

export function refcount_set(vma: vm_area_struct, n: number): void {
  vma.vm_refcnt = n;
}

/* tools/include/linux/refcount.h: saturates at UINT_MAX, BUG on underflow. */
function refcount_dec_and_test(vma: vm_area_struct): boolean {
  const val = vma.vm_refcnt;
  if (val === UINT_MAX) return false;
  if (val === 0) {
    throw new KernelBug('REFCOUNT_WARN', `refcount_t: underflow; use-after-free (${vma.describe()})`);
  }
  vma.vm_refcnt = val - 1;
  return vma.vm_refcnt === 0;
}

export function vma_assert_attached(vma: vm_area_struct): void {
  if (kernel_lock !== null) return kernel_lock.vma_assert_attached(vma);
  WARN_ON_ONCE(!refcount_read(vma), '!refcount_read(&vma->vm_refcnt)', vma);
}

export function vma_assert_detached(vma: vm_area_struct): void {
  if (kernel_lock !== null) return kernel_lock.vma_assert_detached(vma);
  WARN_ON_ONCE(refcount_read(vma) !== 0, 'refcount_read(&vma->vm_refcnt)', vma);
}

/** Nothing to check: the harness holds no real locks (kernel mode: the real assert). */
export function vma_assert_write_locked(vma: vm_area_struct): void {
  if (kernel_lock !== null) kernel_lock.vma_assert_write_locked(vma);
}

export function vma_mark_attached(vma: vm_area_struct): void {
  if (kernel_lock !== null) return kernel_lock.vma_mark_attached(vma);
  vma_check_live(vma, 'vma_mark_attached');
  vma_assert_write_locked(vma);
  vma_assert_detached(vma);
  refcount_set(vma, 1);
}

export function vma_mark_detached(vma: vm_area_struct): void {
  if (kernel_lock !== null) return kernel_lock.vma_mark_detached(vma);
  vma_check_live(vma, 'vma_mark_detached');
  vma_assert_write_locked(vma);
  vma_assert_attached(vma);
  /* The only writer: no reader can hold a reference, so this reaches 0. */
  refcount_dec_and_test(vma);
}

/*
 * Optional log of the VMAs vma_start_write() ran on, so that a replayer can
 * reset their marks without walking every VMA (off unless asked for).  The
 * first writeCount slots are the log; the array is kept from one reset to
 * the next (slots past writeCount are stale, overwritten as the log grows
 * again), so logging a write allocates nothing once the array is big
 * enough for one step.
 */
let writeLog: vm_area_struct[] | null = null;
let writeCount = 0;
/*
 * The one array every log uses: a fresh array per enable (a replay enables
 * it for each trace) starts empty, and code V8 compiled for the full array
 * of the last trace is thrown away at its first write.  Emptied on disable,
 * so that it holds no VMA while off.
 */
const WRITE_LOG: vm_area_struct[] = [];

/** Start (or stop) logging write starts. */
export function vma_write_log_enable(on: boolean): void {
  WRITE_LOG.length = 0;
  writeLog = on ? WRITE_LOG : null;
  writeCount = 0;
}

/** The VMAs written since the last take or reset (may repeat), oldest first. */
export function vma_write_log_take(): vm_area_struct[] {
  if (writeLog === null) return [];
  const out = writeLog.slice(0, writeCount);
  writeCount = 0;
  return out;
}

/**
 * Put the write mark (vm_lock_seq) of every VMA written since the last
 * take or reset back to UINT_MAX, and empty the log.
 */
export function vma_write_log_reset(): void {
  if (writeLog === null) return;
  for (let i = 0; i < writeCount; i++) writeLog[i].vm_lock_seq = UINT_MAX;
  writeCount = 0;
}

/** Tells tests a write has begun: vm_lock_seq goes from UINT_MAX to 0. */
export function vma_start_write(vma: vm_area_struct): void {
  if (kernel_lock !== null) return kernel_lock.vma_start_write(vma);
  vma_check_live(vma, 'vma_start_write');
  vma.vm_lock_seq = (vma.vm_lock_seq + 1) >>> 0;
  if (writeLog !== null) {
    /* Grown by push(), stored in place once big enough: no out-of-bounds store. */
    if (writeCount < writeLog.length) writeLog[writeCount] = vma;
    else writeLog.push(vma);
    writeCount++;
  }
}
