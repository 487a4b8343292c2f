// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What every precondition rule shares: the harness's limits as
 * TRACE_FORMAT.md states them, the verdict type, and the checks of
 * addresses and ranges (page-aligned, non-empty, inside
 * [mmap_min_addr, TASK_SIZE], no arithmetic past 2^53, free, inside a VMA).
 * Each check returns a Violation naming the field at fault and, where one
 * is involved, the VMA it conflicts with; null means it holds.
 */

import { PAGE_SIZE } from '../../vma_internal/constants';
import type { LayoutView, LayoutVma } from '../layout';

/** The harness's mmap_min_addr. */
export const MMAP_MIN_ADDR = 0x10000;
/** The harness's TASK_SIZE: (1 << 47) - 0x1000. */
export const TASK_SIZE = 2 ** 47 - PAGE_SIZE;
/** The harness's stack_guard_gap (256 pages). */
export const STACK_GUARD_GAP = 256 * PAGE_SIZE;
/** The default sysctl_max_map_count. */
export const DEFAULT_MAX_MAP_COUNT = 0x1000000;
/** The largest page offset a VMA may reach (its last page included): values stay exact numbers. */
export const PGOFF_MAX = Number.MAX_SAFE_INTEGER;

/** A broken precondition: the argument at fault and why, naming the VMA it conflicts with. */
export interface Violation {
  readonly field: string;
  readonly detail: string;
  /** The id of the VMA the step conflicts with, when there is one. */
  readonly vma?: number;
}

/** A verdict: the violation, or null when the step may run. */
export type Verdict = Violation | null;

/** Lowercase 0x%x. */
export const hex = (v: number): string => `0x${v.toString(16)}`;

/** "VMA 3 [0x100000, 0x102000)". */
export function describeVma(v: LayoutVma): string {
  return `VMA ${v.id} [${hex(v.start)}, ${hex(v.end)})`;
}

/** A violation of @field. */
export function violation(field: string, detail: string, vma?: LayoutVma | null): Violation {
  return vma ? { field, detail, vma: vma.id } : { field, detail };
}

/** @v must be a multiple of PAGE_SIZE. */
export function aligned(field: string, v: number): Verdict {
  return v % PAGE_SIZE === 0 ? null : violation(field, `${hex(v)} is not page-aligned`);
}

/**
 * [start, start + len) as a new or grown mapping: page-aligned, non-empty,
 * and inside [mmap_min_addr, TASK_SIZE], for every operation alike.  The end
 * is compared without being computed, so nothing passes 2^53.
 */
export function userRange(startField: string, start: number, lenField: string, len: number, what = 'the range'): Verdict {
  const bad = aligned(startField, start) ?? aligned(lenField, len);
  if (bad) return bad;
  if (len <= 0) return violation(lenField, `${what} is empty`);
  if (start < MMAP_MIN_ADDR) return violation(startField, `${hex(start)} is below mmap_min_addr (${hex(MMAP_MIN_ADDR)})`);
  if (start >= TASK_SIZE) return violation(startField, `${hex(start)} is not below TASK_SIZE (${hex(TASK_SIZE)})`);
  if (len > TASK_SIZE - start) {
    return violation(lenField, `${what} starting at ${hex(start)} with length ${hex(len)} ends past TASK_SIZE (${hex(TASK_SIZE)})`);
  }
  return null;
}

/** [start, end) given by its ends: the same checks as userRange(). */
export function userSpan(startField: string, start: number, endField: string, end: number): Verdict {
  const bad = aligned(startField, start) ?? aligned(endField, end);
  if (bad) return bad;
  if (start >= end) return violation(endField, `empty range [${hex(start)}, ${hex(end)})`);
  /* The span's text is made only for a message (most steps pass; hex() per step was garbage). */
  if (userRange(startField, start, endField, end - start) === null) return null;
  return userRange(startField, start, endField, end - start, `[${hex(start)}, ${hex(end)})`);
}

/** A page offset for @bytes of mapping: its last page must stay an exact number. */
export function pgoffFits(field: string, pgoff: number, bytes: number): Verdict {
  const pages = Math.floor(bytes / PAGE_SIZE);
  if (pgoff > PGOFF_MAX - pages) {
    return violation(field, `page offset ${hex(pgoff)} plus ${hex(pages)} pages passes 2^53 (${hex(PGOFF_MAX)}), which no trace value may reach`);
  }
  return null;
}

/**
 * [start, end) must hold no VMA (an address range the caller made free),
 * @a and @b apart.  A walk over the neighbour links: no closure, no array,
 * on the replay's hot path.
 */
export function free(l: LayoutView, field: string, start: number, end: number, a: LayoutVma | null = null, b: LayoutVma | null = null): Verdict {
  let v = l.firstIn(start, end);
  /* Bounded: each pass moves up one VMA, and only a and b are passed over. */
  while (v !== null && v.start < end && (v === a || v === b)) v = l.above(v);
  if (v === null || v.start >= end) return null;
  return violation(field, `[${hex(start)}, ${hex(end)}) is not free: it overlaps ${describeVma(v)}`, v);
}

/** The live VMA @id names, or the violation of @field. */
export function live(l: LayoutView, field: string, id: number): LayoutVma | Violation {
  const v = l.byId(id);
  if (v !== undefined) return v;
  return violation(field, `VMA ${id} ${l.wasAllocated(id) ? 'was freed' : 'was never allocated'}`);
}

/** Tells a VMA from a violation. */
export function isViolation(x: LayoutVma | Violation): x is Violation {
  return 'field' in x;
}

/** [start, end) must be a non-empty page-aligned range inside @v. */
export function inside(v: LayoutVma, startField: string, start: number, endField: string, end: number): Verdict {
  const bad = aligned(startField, start) ?? aligned(endField, end);
  if (bad) return bad;
  if (start >= end) return violation(endField, `empty range [${hex(start)}, ${hex(end)})`);
  if (start < v.start || end > v.end) {
    return violation(start < v.start ? startField : endField, `[${hex(start)}, ${hex(end)}) is not inside ${describeVma(v)}`, v);
  }
  return null;
}
