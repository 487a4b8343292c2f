// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mlockall() and munlockall() as v6.15's mm/mlock.c runs them, down to what
 * the harness can observe: a harness driver of this project, not part of
 * the port (src/mm) and not recorded from the C code (no oracle trace holds
 * it; the reference model gives its expectations).
 *
 * Why it is here: apply_mlockall_flags() walks every VMA with one VMA
 * iterator and calls mlock_fixup() -> vma_modify_flags() on each, ignoring
 * errors.  It is the kernel caller that keeps using its iterator after a
 * merge failed, so it is the one that shows whether a merge error path left
 * the iterator where a walk can go on (syzbot found v6.15's commit_merge()
 * failure path this way; see src/known_defects.ts).
 *
 * What is reduced: mlock_vma_pages_range() walks the page tables to
 * (un)lock the folios; in the harness there are no pages, so it is the
 * write lock and the flag update (with VM_IO set meanwhile, as the kernel
 * does, cleared again before it returns).  mm_populate() after mlockall()
 * faults pages in: nothing to do here.  The rlimit and capability checks of
 * the syscalls pass (the harness's task may lock any amount), and
 * hugetlb, DAX, secretmem and gate VMAs do not exist in the harness.
 */

import {
  EINTR,
  PHYS_PFN,
  VM_DROPPABLE,
  VM_IO,
  VM_LOCKED,
  VM_LOCKED_MASK,
  VM_LOCKONFAULT,
  VM_SPECIAL,
  type unsigned_long,
  type vm_flags_t,
} from '../vma_internal/constants';
import { IS_ERR, PTR_ERR, type ErrPtr } from '../vma_internal/err';
import { current, mmap_write_lock_killable, mmap_write_unlock } from '../vma_internal/mm_stubs';
import { get_gate_vma, is_vm_hugetlb_page, vma_is_dax, vma_is_secretmem } from '../vma_internal/noops';
import type { mm_struct, vm_area_struct } from '../vma_internal/structs';
import { vm_flags_reset, vm_flags_reset_once } from '../vma_internal/vma_helpers';
import { VMA_ITERATOR, vma_next, type Ref, type vma_iterator } from '../vma_internal/vma_iter';
import { vma_start_write } from '../vma_internal/vma_lock';
import { vma_modify_flags } from '../mm/vma';

/** mlockall(): lock every page mapped now. */
export const MCL_CURRENT = 1;
/** mlockall(): lock every page mapped from now on (mm->def_flags). */
export const MCL_FUTURE = 2;
/** mlockall(): lock pages as they are faulted in, not all at once. */
export const MCL_ONFAULT = 4;

function current_mm(): mm_struct {
  return current.mm as mm_struct;
}

/*
 * (Un)lock the pages of [start, end) of @vma and give it @newflags.  The
 * page walk is what the harness cannot see; VM_IO (a VM_SPECIAL flag no
 * VM_LOCKED VMA may carry) tells concurrent rmap walkers to keep off
 * while it runs.
 */
function mlock_vma_pages_range(vma: vm_area_struct, _start: unsigned_long, _end: unsigned_long, newflags: vm_flags_t): void {
  if (newflags & VM_LOCKED) newflags |= VM_IO;
  vma_start_write(vma);
  vm_flags_reset_once(vma, newflags);

  /* lru_add_drain(); walk_page_range(); lru_add_drain(): no pages here. */

  if (newflags & VM_IO) {
    newflags &= ~VM_IO;
    vm_flags_reset_once(vma, newflags);
  }
}

/**
 * Give [start, end) of @vma the flags @newflags, merging or splitting it
 * through vma_modify_flags(), and account the change in locked_vm.  VMAs
 * that cannot be locked are left alone.  *prev becomes the VMA now holding
 * the range (on error: whatever vma_modify_flags() returned, as in v6.15;
 * the caller must fix it up).  Returns 0 or the error.
 */
export function mlock_fixup(
  vmi: vma_iterator,
  vma: vm_area_struct,
  prev: Ref<vm_area_struct | ErrPtr | null>,
  start: unsigned_long,
  end: unsigned_long,
  newflags: vm_flags_t,
): number {
  const mm = vma.vm_mm;
  let nr_pages: number;
  let ret = 0;
  const oldflags = vma.vm_flags;

  if (
    newflags === oldflags ||
    (oldflags & VM_SPECIAL) !== 0n ||
    is_vm_hugetlb_page(vma) ||
    vma === get_gate_vma(current_mm()) ||
    vma_is_dax(vma) ||
    vma_is_secretmem(vma) ||
    (oldflags & VM_DROPPABLE) !== 0n
  ) {
    /* Neither VM_LOCKED nor VM_LOCKONFAULT is set on these, and nothing is counted. */
    prev.value = vma;
    return ret;
  }

  /* *prev is never an error pointer here: apply_mlockall_flags() fixes it up. */
  const res = vma_modify_flags(vmi, prev.value as vm_area_struct | null, vma, start, end, newflags);
  if (IS_ERR(res)) {
    ret = PTR_ERR(res);
    prev.value = res;
    return ret;
  }

  /* locked_vm: pages newly locked, or unlocked; none when they stay locked. */
  nr_pages = PHYS_PFN(end - start);
  if (!(newflags & VM_LOCKED)) nr_pages = -nr_pages;
  else if (oldflags & VM_LOCKED) nr_pages = 0;
  mm.locked_vm += nr_pages;

  /* The mmap lock is held for writing: nobody else looks at vm_flags. */
  if (newflags & VM_LOCKED && oldflags & VM_LOCKED) {
    /* Nothing to (un)lock: the pages are locked already, and must not be twice. */
    vma_start_write(res);
    vm_flags_reset(res, newflags);
  } else {
    mlock_vma_pages_range(res, start, end, newflags);
  }
  prev.value = res;
  return ret;
}

/**
 * mm->def_flags and every current VMA per the MCL_* @flags (0: munlockall()).
 * Without MCL_FUTURE a second call clears what an earlier one put in
 * def_flags: the calls do not add up.  Errors of single VMAs are ignored;
 * the walk goes on with the same iterator.  Always returns 0.
 */
export function apply_mlockall_flags(flags: number): number {
  const mm = current_mm();
  const vmi = VMA_ITERATOR(mm, 0);
  const prev: Ref<vm_area_struct | ErrPtr | null> = { value: null };
  let vma: vm_area_struct | null;
  let to_add: vm_flags_t = 0n;

  mm.def_flags &= ~VM_LOCKED_MASK;
  if (flags & MCL_FUTURE) {
    mm.def_flags |= VM_LOCKED;

    if (flags & MCL_ONFAULT) mm.def_flags |= VM_LOCKONFAULT;

    if (!(flags & MCL_CURRENT)) return 0;
  }

  if (flags & MCL_CURRENT) {
    to_add |= VM_LOCKED;
    if (flags & MCL_ONFAULT) to_add |= VM_LOCKONFAULT;
  }

  /*
   * Not in the kernel: a bound on the walk, for a port that keeps putting
   * the iterator back (a VMA comes round at most twice in v6.15, and the
   * walk never adds VMAs), so that such a bug fails loudly instead of hanging.
   */
  const bound = 4 * mm.map_count + 8;
  let visits = 0;

  /* for_each_vma(vmi, vma) */
  while ((vma = vma_next(vmi)) !== null) {
    if (++visits > bound) {
      throw new Error(`apply_mlockall_flags(): the walk visited ${visits} VMAs of ${mm.map_count} and goes on: the iterator keeps going back`);
    }
    let newflags = vma.vm_flags & ~VM_LOCKED_MASK;
    newflags |= to_add;

    const error = mlock_fixup(vmi, vma, prev, vma.vm_start, vma.vm_end, newflags);
    /* The error is ignored; prev must not stay an error pointer. */
    if (error) prev.value = vma;
  }
  return 0;
}

/** The flags mlockall() accepts: some of the three bits, and not MCL_ONFAULT alone. */
export function mlockall_flags_valid(flags: number): boolean {
  return Number.isInteger(flags) && flags > 0 && (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) === 0 && flags !== MCL_ONFAULT;
}

/**
 * The mlockall() system call past its argument check (the caller passes
 * valid flags) and its permission checks (the harness's task may lock
 * anything): the mmap lock, taken killably, then apply_mlockall_flags().
 * Returns 0 or -EINTR.
 */
export function sys_mlockall(flags: number): number {
  const mm = current_mm();

  if (mmap_write_lock_killable(mm)) return -EINTR;

  /* total_vm is within the (unlimited) RLIMIT_MEMLOCK, or the task is capable. */
  const ret = apply_mlockall_flags(flags);
  mmap_write_unlock(mm);
  /* mm_populate(0, TASK_SIZE) for MCL_CURRENT: faults pages in, nothing the harness has. */
  return ret;
}

/** The munlockall() system call: apply_mlockall_flags(0) under the mmap lock.  0 or -EINTR. */
export function sys_munlockall(): number {
  const mm = current_mm();

  if (mmap_write_lock_killable(mm)) return -EINTR;
  const ret = apply_mlockall_flags(0);
  mmap_write_unlock(mm);
  return ret;
}
