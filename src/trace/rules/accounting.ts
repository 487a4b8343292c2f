// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The mm's page counters and the one precondition they carry.
 *
 * Pages are charged only by mmap (the new range, by the flags of the VMA
 * holding it), brk (as data) and expand_stack (by the stack's flags): to
 * total_vm, to at most one class (exec: EXEC without WRITE, not a stack;
 * else stack: GROWSDOWN; else data: WRITE, not SHARED, not a stack) and,
 * for VM_LOCKED mappings, to locked_vm.  alloc_and_link, copy_vma, expand,
 * the merges and the flag changes map pages without charging them.
 *
 * Unmapping (munmap, vm_munmap, and mmap over what was mapped) takes the
 * unmapped pieces back by the same classes, in vms_complete_munmap_vmas(),
 * and v6.15 checks there, as unsigned longs, that each class counter holds
 * what is taken: VM_WARN_ON(vms->exec_vm > mm->exec_vm), the same for
 * stack_vm and data_vm.  total_vm and locked_vm are decremented without a
 * check (they may wrap).  TRACE_FORMAT.md makes unmapping pages that were
 * never charged invalid input; precisely, a step is refused when one of
 * those three checks would fire.
 */

import { PAGE_SIZE, VM_EXEC, VM_GROWSDOWN, VM_LOCKED, VM_SEALED, VM_SHARED, VM_WRITE } from '../../vma_internal/constants';
import { pageCounts, type PageCounts } from '../arrays';
import type { LayoutCounters, LayoutView, LayoutVma } from '../layout';
import { describeVma, hex, violation, type Verdict } from './common';

/** Pages of an executable mapping. */
export function isExecMapping(f: bigint): boolean {
  return (f & (VM_EXEC | VM_WRITE | VM_GROWSDOWN)) === VM_EXEC;
}
/** Pages of a stack. */
export function isStackMapping(f: bigint): boolean {
  return (f & VM_GROWSDOWN) === VM_GROWSDOWN;
}
/** Pages of a private writable (data) mapping. */
export function isDataMapping(f: bigint): boolean {
  return (f & (VM_WRITE | VM_SHARED | VM_GROWSDOWN)) === VM_WRITE;
}

/** a > b for two unsigned long counters; a negative value stands for a wrapped one (2^64 + value). */
export function ulongGt(a: number, b: number): boolean {
  if (a < 0 !== b < 0) return a < 0;
  return a > b;
}

/** What unmapping some pieces takes from each counter. */
export type Refund = PageCounts;

/* The same classes on the low 32 bits of the flags as a number (one bigint operation, not six). */
const L_WRITE = Number(VM_WRITE);
const L_EXEC = Number(VM_EXEC);
const L_SHARED = Number(VM_SHARED);
const L_GROWSDOWN = Number(VM_GROWSDOWN);
const L_LOCKED = Number(VM_LOCKED);

/** Add @pages of a mapping with @flags to @r (one class at most). */
export function addPages(r: Refund, flags: bigint, pages: number): void {
  const f = Number(BigInt.asUintN(32, flags));
  r.total += pages;
  if (f & L_LOCKED) r.locked += pages;
  if ((f & (L_EXEC | L_WRITE | L_GROWSDOWN)) === L_EXEC) r.exec += pages;
  else if (f & L_GROWSDOWN) r.stack += pages;
  else if ((f & (L_WRITE | L_SHARED)) === L_WRITE) r.data += pages;
}

/** An empty refund. */
export function noRefund(): Refund {
  return pageCounts();
}

/**
 * What unmapping [start, end) takes: the part of each VMA inside it; null
 * when a VMA there is sealed (the unmap is refused with -EPERM before
 * anything is unmapped).
 */
export function refundOf(l: LayoutView, start: number, end: number, r: Refund = noRefund()): Refund | null {
  r.total = r.locked = r.exec = r.stack = r.data = 0;
  for (let v = l.firstIn(start, end); v !== null && v.start < end; v = l.above(v)) {
    const flags = v.flags;
    if (flags & VM_SEALED) return null;
    addPages(r, flags, (Math.min(end, v.end) - Math.max(start, v.start)) / PAGE_SIZE);
  }
  return r;
}

/* chargedUnmap()'s refund: filled afresh by each call, never kept. */
const scratch: Refund = noRefund();

/** The counter classes vms_complete_munmap_vmas() checks. */
type CheckedClass = 'exec' | 'stack' | 'data';
const CLASS_TEST: Record<CheckedClass, (f: bigint) => boolean> = { exec: isExecMapping, stack: isStackMapping, data: isDataMapping };

/* The first class of which unmapping @r would take more than the counter holds. */
function overdrawn(r: Refund, c: LayoutCounters): CheckedClass | null {
  if (r.exec !== 0 && ulongGt(r.exec, c.exec)) return 'exec';
  if (r.stack !== 0 && ulongGt(r.stack, c.stack)) return 'stack';
  if (r.data !== 0 && ulongGt(r.data, c.data)) return 'data';
  return null;
}

/**
 * Unmapping [start, end) must not take from exec_vm, stack_vm or data_vm
 * more than they hold.  A range holding a sealed VMA is refused with -EPERM
 * before anything is unmapped, so it never warns.
 */
export function chargedUnmap(l: LayoutView, field: string, start: number, end: number, op: string): Verdict {
  const r = refundOf(l, start, end, scratch);
  if (r === null) return null;
  const name = overdrawn(r, l.counters);
  if (name === null) return null;
  const is = CLASS_TEST[name];
  let c: LayoutVma | null = null;
  for (let v = l.firstIn(start, end); v !== null && v.start < end && c === null; v = l.above(v)) if (is(v.flags)) c = v;
  return violation(
    field,
    `${op} of [${hex(start)}, ${hex(end)}) would take ${r[name]} ${name} pages back but ${name}_vm holds ${l.counters[name]}` +
      `${c ? `: ${describeVma(c)} was mapped without charging them (only mmap, brk and expand_stack charge pages)` : ''}` +
      `; vms_complete_munmap_vmas() would warn (VM_WARN_ON(vms->${name}_vm > mm->${name}_vm))`,
    c,
  );
}
