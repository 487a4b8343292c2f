// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Empty arrays of the element kind V8 will end up giving them, and page
 * counts whose fields are doubles from the start.  The
 * replayer makes its validator's structures afresh for every trace, and a
 * new empty array starts as one of small integers: the first address past
 * 2^30 or the first object stored into it changes its kind, and V8 then
 * throws away the code it compiled for the arrays of the last trace
 * (measured: deoptimisations in passes 2-4 of one process replaying a
 * trace four times, each followed by a recompilation).
 */

/** An empty array of numbers held as doubles from the start. */
export function doubleArray(): number[] {
  const a = [0.5];
  a.pop();
  return a;
}

/** An empty array of object references (never of small integers). */
export function objectArray<T>(): T[] {
  const a: (T | undefined)[] = [undefined];
  a.pop();
  return a as T[];
}

/** Page counts by class: the layout's counters and an unmap's refund (accounting.ts). */
export interface PageCounts {
  total: number;
  locked: number;
  exec: number;
  stack: number;
  data: number;
}

/**
 * Zeroed page counts whose fields V8 holds as doubles from the start.  The
 * counts are sums of page numbers worked out from addresses, which optimised
 * code carries as doubles: made with small-integer fields, every object of
 * this shape had them widened to doubles in the first trace of a process,
 * and the objects each new trace makes went through that again, throwing
 * away the validator's compiled code that reads them (measured: the
 * learner's charge(), apply(), addUnmapped(), begin() and end() and the
 * rules' checkMunmap() and checkStep() deoptimised at the start of the
 * second trace of one process, then compiled again).
 */
export function pageCounts(): PageCounts {
  const c = { total: 0.5, locked: 0.5, exec: 0.5, stack: 0.5, data: 0.5 };
  c.total = c.locked = c.exec = c.stack = c.data = 0;
  return c;
}
