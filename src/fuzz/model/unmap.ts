// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unmapping and mapping, in the model's terms: munmap, vm_munmap and mmap.
 *
 *  - Unmapping [start, end) first gathers the VMAs inside it: the first one
 *    is split at start if it begins below (refused with -ENOMEM when it
 *    also ends above end and the mm is at its map count limit; refused with
 *    -EPERM when sealed), every sealed VMA refuses with -EPERM, the last is
 *    split at end if it sticks out, and each is write-locked and stored in a
 *    side tree (the second and later stores can fail).  A failure leaves
 *    every VMA in place, but splits done stay done.
 *  - munmap then clears the range from the tree (which can fail the same
 *    way) and removes and frees the gathered VMAs, refunding their pages.
 *  - mmap gathers likewise, then checks the address space limit and, for a
 *    private writable mapping, the commit charge of the pages not already
 *    charged by what it replaces; a refusal there puts the gathered VMAs
 *    back.  After that the old mappings' page tables are gone: any later
 *    failure (no VMA object, no preallocation, the file's mmap hook or
 *    the shared-memory setup failing) leaves a hole where they were.
 *  - mmap grows a neighbour over the range when the merge rules allow
 *    (private writable mappings carry VM_ACCOUNT), or maps a new VMA; then
 *    it charges the pages by the flags of the VMA holding them, clears the
 *    lock flags of a VM_SPECIAL mapping instead of charging locked_vm, and
 *    write-locks the result (setting the soft-dirty flag).
 */

import {
  EINTR,
  EINVAL,
  ENOMEM,
  EPERM,
  PAGE_SIZE,
  TASK_SIZE,
  VM_ACCOUNT,
  VM_LOCKED,
  VM_LOCKONFAULT,
  VM_NORESERVE,
  VM_SEALED,
  VM_SHARED,
  VM_WRITE,
} from '../../vma_internal/constants';
import type { FileId, VmOpsKind } from '../../trace/types';
import { refund, refundOf, statAccount } from './accounting';
import { mergeNew, SPECIAL, split } from './merge';
import { pages, type ModelState, type Seg } from './state';

const LOCKED_MASK = VM_LOCKED | VM_LOCKONFAULT;
/** What a driver's failing ->mmap() returns in the harness. */
const ENODEV = 19;

/** VMAs gathered for unmapping, and what surrounds them. */
interface Gathered {
  err: number;
  segs: Seg[];
  prev: Seg | null;
  next: Seg | null;
}

/** Gather the VMAs of [start, end) from `first` on, splitting the ends. */
function gather(m: ModelState, first: Seg, start: number, end: number): Gathered {
  const none = (err: number): Gathered => ({ err, segs: [], prev: null, next: null });
  if (start > first.start) {
    if (end < first.end && m.mapCount >= m.faults.maxMapCount) {
      return none(m.failed('err:vms_gather_munmap_vmas:max_map_count', -ENOMEM));
    }
    if ((first.flags & VM_SEALED) !== 0n) return none(-EPERM);
    const err = split(m, first, start, true, false);
    if (err) return none(err);
  }
  const prev = m.before(start);
  const segs: Seg[] = [];
  for (;;) {
    const x = m.segs.find((s) => s.start >= start && s.start < end && !segs.includes(s));
    if (!x) break;
    if ((x.flags & VM_SEALED) !== 0n) return none(-EPERM);
    if (x.end > end) {
      const err = split(m, x, end, false, false);
      if (err) return none(err);
    }
    m.write(x);
    /* The side tree holds the first VMA without allocating. */
    if (segs.length > 0 && m.faults.fails('mas_store_gfp')) {
      return none(m.failed('err:vms_gather_munmap_vmas:mas_store_gfp', -ENOMEM));
    }
    segs.push(x);
  }
  return { err: 0, segs, prev, next: m.after(end) };
}

/** Remove and free gathered VMAs, refunding their pages. */
function completeUnmap(m: ModelState, segs: readonly Seg[]): void {
  const r = refundOf(segs);
  refund(m, r);
  if (!r.total) return;
  for (const x of segs) {
    m.remove(x);
    m.free(x.id);
  }
}

/** do_vmi_munmap(): 0 or an error. */
export function munmap(m: ModelState, start: number, len: number): number {
  if (start % PAGE_SIZE || start > TASK_SIZE || len > TASK_SIZE - start) return -EINVAL;
  const end = start + Math.ceil(len / PAGE_SIZE) * PAGE_SIZE;
  if (end === start) return -EINVAL;
  const first = m.firstIn(start, end);
  if (!first) return 0;
  const g = gather(m, first, start, end);
  if (g.err) return g.err;
  if (m.faults.fails('vma_iter_clear_gfp')) return m.failed('err:do_vmi_align_munmap:vma_iter_clear_gfp', -ENOMEM);
  completeUnmap(m, g.segs);
  return 0;
}

/** __vm_munmap(): takes the mmap lock killably first. */
export function vmMunmap(m: ModelState, start: number, len: number): number {
  if (m.faults.fails('mmap_write_lock_killable')) return m.failed('err:__vm_munmap:mmap_write_lock_killable', -EINTR);
  return munmap(m, start, len);
}

/** mmap_region(): the address or an error. */
export function mmap(m: ModelState, addr: number, len: number, vmFlags: bigint, pgoff: number, file: FileId | null): number {
  const end = addr + len;
  const npages = pages(len);
  let flags = vmFlags;
  const first = m.firstIn(addr, end);
  let prev: Seg | null;
  let next: Seg | null;
  let old: Seg[] = [];
  if (first) {
    const g = gather(m, first, addr, end);
    if (g.err) return g.err;
    old = g.segs;
    prev = g.prev;
    next = g.next;
  } else {
    next = m.after(addr);
    prev = m.before(addr);
  }
  /* Limits: a refusal puts the old mappings back. */
  if (m.faults.fails('may_expand_vm')) return putBack(m, old, m.failed('err:__mmap_prepare:may_expand_vm', -ENOMEM));
  if ((flags & (VM_NORESERVE | VM_SHARED | VM_WRITE)) === VM_WRITE) {
    /* Private writable: charged to the commit limit, less what it replaces. */
    let already = 0;
    for (const x of old) if (x.flags & VM_ACCOUNT) already += pages(x.end - x.start);
    if (npages - already && m.faults.fails('security_vm_enough_memory_mm')) {
      return putBack(m, old, m.failed('err:__mmap_prepare:security_vm_enough_memory_mm', -ENOMEM));
    }
    flags |= VM_ACCOUNT;
  }
  /* From here on the old mappings' page tables are gone. */

  let vma: Seg | null = null;
  if (prev || next) {
    const r = mergeNew(m, { start: addr, end, pgoff, flags, file, anon: null }, prev, next);
    vma = r.vma;
    if (!vma && m.paths.includes('err:vma_expand:dup_anon_vma')) {
      /* v6.15 leaves the iterator on prev here: see known_defects.ts. */
      m.took('defect:mmap_expand_clone_iter');
    }
  }
  if (!vma) {
    if (m.faults.fails('vm_area_alloc')) return leaveHole(m, old, m.failed('err:__mmap_new_vma:vm_area_alloc', -ENOMEM));
    const id = m.alloc();
    if (m.faults.preallocFails()) {
      m.free(id);
      return leaveHole(m, old, m.failed('err:__mmap_new_vma:vma_iter_prealloc', -ENOMEM));
    }
    if (file !== null) {
      if (m.faults.fails('mmap_file')) {
        /* The driver's mmap hook failed: unmap_region(), then give the VMA back. */
        m.free(id);
        return leaveHole(m, old, m.failed('err:__mmap_new_file_vma:mmap_file', -ENODEV));
      }
    } else if (flags & VM_SHARED && m.faults.fails('shmem_zero_setup')) {
      m.free(id);
      return leaveHole(m, old, m.failed('err:__mmap_new_vma:shmem_zero_setup', -ENOMEM));
    }
    const ops: VmOpsKind = file !== null || (flags & VM_SHARED) !== 0n ? 'dummy' : 'none';
    vma = { id, start: addr, end, pgoff, flags, anon: null, file, ops, chain: 0, chainAnon: null };
    m.write(vma);
    m.insert(vma);
  }
  completeUnmap(m, old);
  statAccount(m, vma.flags, npages);
  if (vma.flags & VM_LOCKED) {
    if ((vma.flags & SPECIAL) !== 0n) vma.flags &= ~LOCKED_MASK;
    else m.counters.locked += npages;
  }
  /* Setting the (zero) soft-dirty flag starts a write too. */
  m.write(vma);
  return addr;
}

/* mmap refused before touching the page tables: the old VMAs stay. */
function putBack(m: ModelState, old: readonly Seg[], err: number): number {
  if (old.length) m.took('vms_abort_munmap_vmas:reattach');
  return err;
}

/* mmap failed after the old page tables went: a hole where they were. */
function leaveHole(m: ModelState, old: readonly Seg[], err: number): number {
  if (old.length) m.took('vms_abort_munmap_vmas:hole');
  completeUnmap(m, old);
  return err;
}
