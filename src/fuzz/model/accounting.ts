// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The mm's page counters, in the model's terms.
 *
 *  - Pages are charged only when memory is mapped by the paths a process
 *    uses: mmap (the whole new range, by the flags of the VMA that ends up
 *    holding it), brk (always as data, whatever the flags) and stack
 *    growth (by the stack VMA's flags).  Linking, copying, expanding,
 *    merging and changing flags never charge or refund anything, but
 *    mlockall/munlockall move locked_vm (mlock.ts).
 *  - Each charge adds to total_vm, and to exactly one class: exec (EXEC
 *    without WRITE, not a stack), else stack (GROWSDOWN), else data (WRITE,
 *    not SHARED, not a stack); locked_vm gets the pages of VM_LOCKED
 *    mappings on top.
 *  - Unmapping refunds every unmapped VMA's pages by the same classes,
 *    whether they were ever charged or not; refunding more exec, stack or
 *    data pages than the counter holds warns (the counters are unsigned).
 */

import { VM_LOCKED } from '../../vma_internal/constants';
import { pages, type ModelState, type Seg } from './state';

/** The classes of mapping the counters know (one place: the shared rules' accounting). */
export { isExecMapping as isExec, isStackMapping as isStack, isDataMapping as isData } from '../../trace/rules/accounting';
import { isExecMapping as isExec, isStackMapping as isStack, isDataMapping as isData, ulongGt, type Refund } from '../../trace/rules/accounting';

/* Unsigned comparison of counters that may have wrapped (negative = huge). */
const ugt = ulongGt;

/** Charge `n` pages of a mapping with these flags to total_vm and its class. */
export function statAccount(m: ModelState, flags: bigint, n: number): void {
  const c = m.counters;
  c.total += n;
  if (isExec(flags)) c.exec += n;
  else if (isStack(flags)) c.stack += n;
  else if (isData(flags)) c.data += n;
}

/** What unmapping a set of VMAs refunds (the counters the replayer's validator refunds too). */
export type { Refund };

/** The refund for unmapping `segs`. */
export function refundOf(segs: readonly Seg[]): Refund {
  const r: Refund = { total: 0, locked: 0, exec: 0, stack: 0, data: 0 };
  for (const x of segs) {
    const n = pages(x.end - x.start);
    r.total += n;
    if (x.flags & VM_LOCKED) r.locked += n;
    if (isExec(x.flags)) r.exec += n;
    else if (isStack(x.flags)) r.stack += n;
    else if (isData(x.flags)) r.data += n;
  }
  return r;
}

/** Refund unmapped pages; over-refunding exec, stack or data warns, once each. */
export function refund(m: ModelState, r: Refund): void {
  const c = m.counters;
  c.locked -= r.locked;
  if (!r.total) return;
  c.total -= r.total;
  if (ugt(r.exec, c.exec)) m.warnings++;
  if (ugt(r.stack, c.stack)) m.warnings++;
  if (ugt(r.data, c.data)) m.warnings++;
  c.exec -= r.exec;
  c.stack -= r.stack;
  c.data -= r.data;
}
