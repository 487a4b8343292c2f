// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The heap and the stack, in the model's terms: brk and expand_stack.
 *
 * brk grows the heap from addr (the old break) to addr + len:
 *  - the heap VMA is the VMA below addr, if it reaches above start_brk;
 *  - the new pages carry the caller's flags plus read, write, the three
 *    MAY bits, VM_ACCOUNT and the mm's default flags (VM_LOCKED, maybe
 *    VM_LOCKONFAULT, after mlockall(MCL_FUTURE));
 *  - the address space limit, the map count (refused only once the mm
 *    holds more VMAs than the limit) and the commit charge are checked, in
 *    that order, each refusal being -ENOMEM;
 *  - when the heap VMA ends exactly at addr and the range may join it by
 *    the merge rules (prev only: there is never a right-hand merge), it
 *    grows (a failed preallocation is -ENOMEM); otherwise a new anonymous
 *    VMA maps the range (its allocation, or storing it, can fail);
 *  - the pages are charged as data whatever the flags, and as locked with
 *    VM_LOCKED; the VMA holding them is write-locked.
 *
 * expand_stack grows a VM_GROWSDOWN VMA down to addr (rounded down to a
 * page):
 *  - anything else is -EFAULT; below mmap_min_addr is -EPERM;
 *  - the stack guard gap: the VMA below, unless it is a stack itself or
 *    has no access rights, must end at least stack_guard_gap below addr,
 *    else -ENOMEM;
 *  - then a preallocation and an anon_vma for the stack (each can fail
 *    with -ENOMEM), and the VMA is write-locked;
 *  - the growth must not take pgoff below 0, and the address space limit,
 *    the mlock limit (for VM_LOCKED stacks) and the commit charge must
 *    allow it, else -ENOMEM; then the pages are charged by the stack's
 *    flags (and as locked with VM_LOCKED) and the VMA starts at addr.
 */

import { EFAULT, ENOMEM, EPERM, PAGE_SIZE, VM_ACCOUNT, VM_EXEC, VM_GROWSDOWN, VM_LOCKED, VM_MAYEXEC, VM_MAYREAD, VM_MAYWRITE, VM_READ, VM_WRITE } from '../../vma_internal/constants';
import { statAccount } from './accounting';
import { mergeNew } from './merge';
import { ModelRefusal, pages, type ModelState, type Seg } from './state';

/* The harness's mmap_min_addr and stack_guard_gap, as the precondition rules state them. */
import { MMAP_MIN_ADDR, STACK_GUARD_GAP } from '../../trace/rules/common';
export { MMAP_MIN_ADDR, STACK_GUARD_GAP };

/* What brk adds to the caller's flags (the task's personality adds no EXEC). */
const BRK_FLAGS = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_ACCOUNT;

/** The heap VMA brk would grow: the VMA below addr, if it reaches above start_brk. */
export function heapVma(m: ModelState, startBrk: number, addr: number): Seg | null {
  const below = m.before(addr);
  return below && below.end > startBrk ? below : null;
}

/** brk from addr to addr + len: 0 or -ENOMEM. */
export function brk(m: ModelState, startBrk: number, addr: number, len: number, callerFlags: bigint): number {
  const flags = callerFlags | BRK_FLAGS | m.defFlags;
  const n = pages(len);
  const heap = heapVma(m, startBrk, addr);
  if (m.faults.fails('may_expand_vm')) return m.failed('err:do_brk_flags:may_expand_vm', -ENOMEM);
  if (m.mapCount > m.faults.maxMapCount) return m.failed('err:do_brk_flags:max_map_count', -ENOMEM);
  if (m.faults.fails('security_vm_enough_memory_mm')) return m.failed('err:do_brk_flags:security_vm_enough_memory_mm', -ENOMEM);

  let vma: Seg | null = null;
  if (heap && heap.end === addr) {
    const r = mergeNew(m, { start: addr, end: addr + len, pgoff: pages(addr), flags, file: null, anon: null }, heap, null, true);
    if (r.state === 'ERROR_NOMEM') return m.failed('err:do_brk_flags:vma_expand', -ENOMEM);
    vma = r.vma;
  }
  if (vma) {
    m.took('brk:expand');
  } else {
    if (m.faults.fails('vm_area_alloc')) return m.failed('err:do_brk_flags:vm_area_alloc', -ENOMEM);
    const id = m.alloc();
    const neu: Seg = { id, start: addr, end: addr + len, pgoff: pages(addr), flags, anon: null, file: null, ops: 'none', chain: 0, chainAnon: null };
    m.write(neu);
    if (m.faults.fails('mas_store_gfp')) {
      m.free(id);
      return m.failed('err:do_brk_flags:mas_store_gfp', -ENOMEM);
    }
    m.insert(neu);
    vma = neu;
    m.took('brk:new_vma');
  }
  m.counters.total += n;
  m.counters.data += n;
  if (flags & VM_LOCKED) m.counters.locked += n;
  m.write(vma);
  return 0;
}

/* Does a VMA allow any access (read, write or exec)? */
function accessible(s: Seg): boolean {
  return (s.flags & (VM_READ | VM_WRITE | VM_EXEC)) !== 0n;
}

/** Does the stack guard gap forbid growing stack down to address? */
export function guardGapViolated(m: ModelState, stack: Seg, address: number): boolean {
  const below = m.below(stack);
  return (
    below !== null &&
    (below.flags & VM_GROWSDOWN) === 0n &&
    accessible(below) &&
    address >= below.end &&
    address - below.end < STACK_GUARD_GAP
  );
}

/** expand_downwards(): 0 or an error. */
export function expandStack(m: ModelState, stack: Seg, addr: number): number {
  if ((stack.flags & VM_GROWSDOWN) === 0n) return -EFAULT;
  const address = addr - (addr % PAGE_SIZE);
  if (address < MMAP_MIN_ADDR) return -EPERM;
  if (guardGapViolated(m, stack, address)) {
    m.took('stack:guard_gap');
    return -ENOMEM;
  }
  if (m.faults.preallocFails()) return m.failed('err:expand_downwards:vma_iter_prealloc', -ENOMEM);
  if (stack.anon === null) {
    if (m.faults.fails('anon_vma_prepare')) return m.failed('err:expand_downwards:anon_vma_prepare', -ENOMEM);
    /* The harness's stub would allocate an anon_vma the trace cannot name. */
    throw new ModelRefusal('a stack without anon_vma gets one outside the eight');
  }
  m.write(stack);
  if (address >= stack.start) return 0;
  const grow = pages(stack.start - address);
  if (grow > stack.pgoff) return -ENOMEM;
  if (m.faults.fails('may_expand_vm')) return m.failed('err:acct_stack_growth:may_expand_vm', -ENOMEM);
  if (stack.flags & VM_LOCKED && m.faults.fails('mlock_future_ok')) return m.failed('err:acct_stack_growth:mlock_future_ok', -ENOMEM);
  if (m.faults.fails('security_vm_enough_memory_mm')) return m.failed('err:acct_stack_growth:security_vm_enough_memory_mm', -ENOMEM);
  if (stack.flags & VM_LOCKED) m.counters.locked += grow;
  statAccount(m, stack.flags, grow);
  stack.start = address;
  stack.pgoff -= grow;
  m.took('stack:grow');
  return 0;
}
