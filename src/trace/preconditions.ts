// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Checks a step against the preconditions of the kernel caller it stands
 * for, before it runs.  The C code would not check them (it would corrupt
 * the tree or crash), so a step that breaks one is rejected as bad input,
 * with the field that is wrong, and the world is left untouched.
 *
 * Only what TRACE_FORMAT.md states is checked: live VMA ids, non-empty
 * page-aligned ranges, ranges inside the VMA they modify, expansions that
 * cover the VMA, shrinks that keep an end, splits strictly inside, free
 * destinations for new VMAs, and a VMA below a merge_new range unless none
 * lies above it either (without one the harness helper leaves the iterator
 * on the next VMA, past the range, and a merge with it stores from there:
 * the real tree warns and corrupts itself).  munmap is not checked:
 * unaligned or empty ranges are its callers' business and it answers
 * -EINVAL.
 */

import { PAGE_SIZE, type vm_area_struct } from '../vma_internal';
import { mlockall_flags_valid } from '../harness/mlock';
import type { TraceStep } from './types';

/** A step that breaks a precondition, naming the argument at fault. */
export class TraceInputError extends Error {
  constructor(readonly field: string, readonly detail: string) {
    super(`field '${field}': ${detail}`);
    this.name = 'TraceInputError';
  }
}

/** What the checks need from the world. */
export interface PreconditionWorld {
  vma(id: number, field: string): vm_area_struct;
  readonly mm: {
    mm_mt: {
      ranges: {
        lookup(addr: number): unknown;
        floor(addr: number): unknown;
        ceil(addr: number): { index: number } | null;
      };
    };
  };
}

const hex = (v: number): string => `0x${v.toString(16)}`;

function aligned(field: string, v: number): void {
  if (v % PAGE_SIZE !== 0) throw new TraceInputError(field, `${hex(v)} is not page-aligned`);
}

function range(startField: string, start: number, endField: string, end: number): void {
  aligned(startField, start);
  aligned(endField, end);
  if (start >= end) throw new TraceInputError(endField, `empty range [${hex(start)}, ${hex(end)})`);
}

/** [start, end) must hold no VMA. */
function free(w: PreconditionWorld, field: string, start: number, end: number): void {
  const ranges = w.mm.mm_mt.ranges;
  const first = ranges.lookup(start) !== null ? start : ranges.ceil(start)?.index;
  if (first !== undefined && first < end) {
    throw new TraceInputError(field, `[${hex(start)}, ${hex(end)}) overlaps an existing VMA at ${hex(first)}`);
  }
}

function inside(field: string, vma: vm_area_struct, start: number, end: number): void {
  if (start < vma.vm_start || end > vma.vm_end) {
    throw new TraceInputError(
      field,
      `[${hex(start)}, ${hex(end)}) is not inside VMA ${vma.__id} [${hex(vma.vm_start)}, ${hex(vma.vm_end)})`,
    );
  }
}

export function checkPreconditions(w: PreconditionWorld, step: TraceStep): void {
  switch (step.op) {
    case 'alloc_and_link':
    case 'merge_new':
      range('start', step.start, 'end', step.end);
      free(w, 'start', step.start, step.end);
      if (step.op === 'merge_new' && (step.start === 0 || w.mm.mm_mt.ranges.floor(step.start - 1) === null)) {
        const next = w.mm.mm_mt.ranges.ceil(step.end);
        if (next !== null) {
          throw new TraceInputError(
            'start',
            `no VMA below ${hex(step.start)} but one at ${hex(next.index)}: merge_new needs a VMA below start (TRACE_FORMAT.md)`,
          );
        }
      }
      return;
    case 'set_anon':
    case 'set_ops':
    case 'set_file':
      w.vma(step.vma, 'vma');
      return;
    case 'fail_prealloc':
    case 'munmap':
      return;
    case 'merge_existing':
    case 'modify_flags': {
      const vma = w.vma(step.vma, 'vma');
      range('start', step.start, 'end', step.end);
      inside('start', vma, step.start, step.end);
      return;
    }
    case 'expand': {
      const vma = w.vma(step.vma, 'vma');
      if (step.next !== null) w.vma(step.next, 'next');
      range('start', step.start, 'end', step.end);
      if (step.start > vma.vm_start || step.end < vma.vm_end) {
        throw new TraceInputError('start', `[${hex(step.start)}, ${hex(step.end)}) does not cover VMA ${vma.__id}`);
      }
      return;
    }
    case 'shrink': {
      const vma = w.vma(step.vma, 'vma');
      range('start', step.start, 'end', step.end);
      inside('start', vma, step.start, step.end);
      if (step.start !== vma.vm_start && step.end !== vma.vm_end) {
        throw new TraceInputError('start', `a shrink must keep one end of VMA ${vma.__id}`);
      }
      return;
    }
    case 'split': {
      const vma = w.vma(step.vma, 'vma');
      aligned('addr', step.addr);
      if (step.addr <= vma.vm_start || step.addr >= vma.vm_end) {
        throw new TraceInputError('addr', `${hex(step.addr)} is not strictly inside VMA ${vma.__id}`);
      }
      return;
    }
    case 'mmap':
      range('addr', step.addr, 'len', step.addr + step.len);
      return;
    case 'merge_extend': {
      const vma = w.vma(step.vma, 'vma');
      range('vma', vma.vm_end, 'delta', vma.vm_end + step.delta);
      return;
    }
    case 'copy_vma':
      w.vma(step.vma, 'vma');
      range('addr', step.addr, 'len', step.addr + step.len);
      return;
    case 'mlockall':
      /* 0 is munlockall(); anything else must pass mlockall()'s own check (else -EINVAL, before the VMA code). */
      if (step.flags !== 0 && !mlockall_flags_valid(step.flags)) {
        throw new TraceInputError('flags', `mlockall() refuses flags ${step.flags} (MCL_ONFAULT needs MCL_CURRENT or MCL_FUTURE)`);
      }
      return;
  }
}
