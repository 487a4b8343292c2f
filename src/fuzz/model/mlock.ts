// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mlockall() and munlockall(), in the model's terms (the operation
 * `mlockall`, flags 0 being munlockall()):
 *
 *  - the call first takes the mmap lock killably (that can fail: -EINTR,
 *    nothing done); otherwise it returns 0, whatever happens to single VMAs;
 *  - the default flags lose VM_LOCKED and VM_LOCKONFAULT; MCL_FUTURE puts
 *    VM_LOCKED back (and VM_LOCKONFAULT with MCL_ONFAULT); without
 *    MCL_CURRENT that is all;
 *  - otherwise every VMA, lowest first, is to get its flags without the two
 *    lock bits, plus VM_LOCKED (and VM_LOCKONFAULT with MCL_ONFAULT) for
 *    MCL_CURRENT.  A VMA already so, VM_SPECIAL or VM_DROPPABLE is left
 *    alone.  Any other gets the new flags over its whole range the way a
 *    flag change does (vma_modify: it may merge with the VMA before it,
 *    which the walk passed last, or the one after it); on success the VMA
 *    holding the range is write-locked and has the new flags, and locked_vm
 *    gains its pages when they become locked, loses them when they stop
 *    being locked, and stays when they were locked already;
 *  - a VMA whose change fails is left as it was and the walk goes on from
 *    where the failed merge left its iterator: past that VMA when the merge
 *    gave up before committing (the anon_vma could not be cloned); in v6.15,
 *    when the merge's preallocation failed, on the VMA the merge had moved
 *    to — the one before, for a merge with it — so that the VMA comes round
 *    again, now with itself as "prev" (a known v6.15 defect, see
 *    src/known_defects.ts: the port records a maple-state misuse at the next
 *    step of the walk, and a VM_WARN_ON_VMG when the VMA comes round again;
 *    the model predicts everything else and names the path);
 *  - the VMA the walk visits next is the first one starting at or after the
 *    end of the one it is on.
 */

import { EINTR, VM_DROPPABLE, VM_LOCKED, VM_LOCKONFAULT } from '../../vma_internal/constants';
import { modify, SPECIAL } from './merge';
import { pages, type ModelState, type Seg } from './state';

/** MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT (the model's own copy of the uapi values). */
export const MCL = { CURRENT: 1, FUTURE: 2, ONFAULT: 4 } as const;
const LOCK_BITS = VM_LOCKED | VM_LOCKONFAULT;

/** mlockall(flags), munlockall() for flags 0: 0 or -EINTR. */
export function mlockall(m: ModelState, flags: number): number {
  if (m.faults.fails('mmap_write_lock_killable')) return m.failed('err:mlockall:mmap_write_lock_killable', -EINTR);
  const onFault = flags & MCL.ONFAULT ? VM_LOCKONFAULT : 0n;
  m.defFlags &= ~LOCK_BITS;
  if (flags & MCL.FUTURE) {
    m.defFlags |= VM_LOCKED | onFault;
    if (!(flags & MCL.CURRENT)) return 0;
  }
  const add = flags & MCL.CURRENT ? VM_LOCKED | onFault : 0n;

  let prev: Seg | null = null;
  /* The VMA the walk is on (null: not started yet). */
  let on: Seg | null = null;
  /* Each VMA comes round at most twice, and the walk never adds VMAs. */
  let budget = 2 * m.segs.length + 2;
  for (;;) {
    const v: Seg | null = on === null ? (m.segs[0] ?? null) : m.after(on.end);
    if (v === null) return 0;
    if (budget-- === 0) throw new Error('model: the mlockall walk does not end');
    const newflags = (v.flags & ~LOCK_BITS) | add;
    if (newflags === v.flags || (v.flags & SPECIAL) !== 0n || (v.flags & VM_DROPPABLE) !== 0n) {
      prev = v;
      on = v;
      continue;
    }
    const old = v.flags;
    const n = pages(v.end - v.start);
    const r = modify(m, v, prev, v.start, v.end, newflags);
    if (r.vma === null) {
      m.took('err:mlock_fixup:vma_modify_flags');
      if (r.commitFailed) m.took('defect:mlockall_commit_merge_iter');
      prev = v;
      on = r.iterOn ?? v;
      continue;
    }
    if (!(newflags & VM_LOCKED)) m.counters.locked -= n;
    else if (!(old & VM_LOCKED)) m.counters.locked += n;
    m.write(r.vma);
    r.vma.flags = newflags;
    m.took(newflags & VM_LOCKED ? 'mlock:lock' : 'mlock:unlock');
    prev = r.vma;
    on = r.vma;
  }
}
