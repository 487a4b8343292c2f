// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Empty arrays of the element kind V8 will end up giving them.  The
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
