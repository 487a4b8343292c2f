// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Preconditions of mlockall (an operation of this project: v6.15
 * mm/mlock.c's sys_mlockall()/sys_munlockall() driving
 * apply_mlockall_flags()).
 *
 * The flags are 0 (munlockall()) or what sys_mlockall() lets through its
 * argument check: some of MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT and not
 * MCL_ONFAULT alone (-EINVAL before any VMA code runs; nothing of the VMA
 * code to replay).  The permission checks pass in the harness (the task
 * may lock any amount), so the VMA walk runs for every such call.
 *
 * Unlocking must not make locked_vm wrap (TRACE_FORMAT.md, as for
 * unmapping): only munlockall() unlocks, and it takes from locked_vm the
 * pages of every VM_LOCKED VMA mlock_fixup() changes (not VM_SPECIAL, not
 * VM_DROPPABLE), so those must all have been charged.  The walk is O(n) in
 * the kernel too.
 *
 * Not refused here: a preallocation failing where the walk merges
 * (commit_merge()'s known v6.15 defect).  The port shows it as the
 * maple-state misuse and the warning it is (exit 1, recognised as the known
 * defect); the fuzzer stays clear of it on its own (src/fuzz/model/validate.ts).
 */

import { PAGE_SIZE, VM_DROPPABLE, VM_LOCKED, VM_SPECIAL } from '../../vma_internal/constants';
import type { MlockallStep } from '../types';
import type { LayoutView, LayoutVma } from '../layout';
import { ulongGt } from './accounting';
import { describeVma, violation, type Verdict } from './common';

/** mlockall(): lock what is mapped now. */
export const MCL_CURRENT = 1;
/** mlockall(): lock what is mapped from now on (mm->def_flags). */
export const MCL_FUTURE = 2;
/** mlockall(): lock pages as they are faulted in. */
export const MCL_ONFAULT = 4;
const MCL_ALL = MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT;

/** Does a mlockall() with these (valid) flags walk the VMAs?  munlockall() and MCL_CURRENT do. */
export function mlockallWalks(flags: number): boolean {
  return flags === 0 || (flags & MCL_CURRENT) !== 0;
}

/** Would munlockall() change (and so unlock) a VMA with these flags?  Locked, neither VM_SPECIAL nor VM_DROPPABLE. */
export function munlockallUnlocks(flags: bigint): boolean {
  return (flags & VM_LOCKED) !== 0n && (flags & (VM_SPECIAL | VM_DROPPABLE)) === 0n;
}

/** mlockall: flags 0 or valid for sys_mlockall(); munlockall() unlocks only charged pages. */
export function checkMlockall(l: LayoutView, step: MlockallStep): Verdict {
  const f = step.flags;
  if (!Number.isInteger(f) || f < 0 || (f & ~MCL_ALL) !== 0) {
    return violation('flags', `${String(f)} is not MCL_* flags (an integer 0..7: MCL_CURRENT 1, MCL_FUTURE 2, MCL_ONFAULT 4; 0 is munlockall())`);
  }
  if (f === MCL_ONFAULT) {
    return violation('flags', 'mlockall() refuses flags 4: MCL_ONFAULT alone is -EINVAL in sys_mlockall() before any VMA code runs (it needs MCL_CURRENT or MCL_FUTURE)');
  }
  if (f !== 0) return null;
  /* Killed waiting for the mmap lock: nothing is unlocked. */
  if (l.faults.armedAt('mmap_write_lock_killable')?.after === 0) return null;
  let pages = 0;
  let first: LayoutVma | null = null;
  l.someIn(0, Number.MAX_SAFE_INTEGER, (v) => {
    if (munlockallUnlocks(v.flags)) {
      pages += (v.end - v.start) / PAGE_SIZE;
      first ??= v;
    }
    return false;
  });
  if (pages === 0 || !ulongGt(pages, l.counters.locked)) return null;
  const v: LayoutVma | null = first;
  return violation(
    'flags',
    `munlockall() would take ${pages} VM_LOCKED pages from locked_vm, which holds ${l.counters.locked}: locked_vm would wrap` +
      `${v ? ` (${describeVma(v)} is one of them)` : ''}; only mmap, brk, expand_stack and mlockall charge it ` +
      '(alloc_and_link, copy_vma, expand, the merges and the flag changes map VM_LOCKED pages without charging them)',
    v,
  );
}
