// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Preconditions of the heap and the stack: brk as brk() checks before it
 * calls do_brk_flags(), and expand_stack as the fault path calls
 * expand_downwards().
 */

import { PAGE_SIZE, VM_EXEC, VM_GROWSDOWN, VM_LOCKED, VM_READ, VM_WRITE } from '../../vma_internal/constants';
import type { BrkStep, ExpandStackStep } from '../types';
import type { LayoutView } from '../layout';
import { aligned, describeVma, free, hex, isViolation, live, MMAP_MIN_ADDR, STACK_GUARD_GAP, userRange, violation, type Verdict } from './common';

/** What vm_brk_flags() may pass (0 or VM_EXEC), with VM_LOCKED from mm->def_flags after mlockall(MCL_FUTURE). */
export const BRK_CALLER_FLAGS: readonly bigint[] = [0n, VM_EXEC, VM_LOCKED, VM_EXEC | VM_LOCKED];

/** brk: the new heap and the page after it free, clear of a stack's guard gap above. */
export function checkBrk(l: LayoutView, step: BrkStep): Verdict {
  if (!BRK_CALLER_FLAGS.includes(step.flags)) {
    return violation('flags', `0x${step.flags.toString(16)} is not what brk() passes (0 or VM_EXEC, maybe with VM_LOCKED)`);
  }
  const bad = userRange('addr', step.addr, 'len', step.len, 'the heap growth') ?? aligned('start_brk', step.start_brk);
  if (bad) return bad;
  if (step.start_brk > step.addr) return violation('start_brk', `${hex(step.start_brk)} is above the old break ${hex(step.addr)}`);
  const newbrk = step.addr + step.len;
  const busy = free(l, 'len', step.addr, newbrk + PAGE_SIZE);
  if (busy) return busy;
  const next = l.after(step.addr);
  if (next !== null && next.flags & VM_GROWSDOWN) {
    const gapStart = next.start > STACK_GUARD_GAP ? next.start - STACK_GUARD_GAP : 0;
    if (newbrk + PAGE_SIZE > gapStart) {
      return violation('len', `the break ${hex(newbrk)} comes within the stack guard gap of ${describeVma(next)} (brk() refuses it)`, next);
    }
  }
  return null;
}

/** Does a VMA allow any access? */
const accessible = (flags: bigint): boolean => (flags & (VM_READ | VM_WRITE | VM_EXEC)) !== 0n;

/**
 * expand_stack: the VMA is the first one above addr; a VM_GROWSDOWN VMA
 * without anon_vma reaches the harness's anon_vma_prepare() stub (which
 * would allocate an anon_vma outside the eight) unless expand_downwards()
 * returns before it or the anon_vma_prepare point fails that call.
 */
export function checkExpandStack(l: LayoutView, step: ExpandStackStep): Verdict {
  const vma = live(l, 'vma', step.vma);
  if (isViolation(vma)) return vma;
  if (step.addr >= vma.start) return violation('addr', `${hex(step.addr)} is not below ${describeVma(vma)}`, vma);
  const below = l.below(vma);
  if (below !== null && below.end > step.addr) {
    return violation('vma', `${describeVma(vma)} is not the first VMA above ${hex(step.addr)}: ${describeVma(below)} is`, below);
  }
  if ((vma.flags & VM_GROWSDOWN) === 0n || vma.anon !== null) return null;
  const address = step.addr - (step.addr % PAGE_SIZE);
  if (address < MMAP_MIN_ADDR) return null;
  if (below !== null && (below.flags & VM_GROWSDOWN) === 0n && accessible(below.flags) && address - below.end < STACK_GUARD_GAP) return null;
  if (l.faults.failPrealloc) return null;
  if (l.faults.armedAt('anon_vma_prepare')?.after === 0) return null;
  return violation(
    'vma',
    `${describeVma(vma)} is VM_GROWSDOWN without an anon_vma: the harness's anon_vma_prepare() would allocate one outside the eight (a fault-* trace arms anon_vma_prepare with after 0 first)`,
    vma,
  );
}
