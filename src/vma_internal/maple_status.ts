// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * enum maple_status: what a maple state is doing.  Shared by the stand-in
 * (maple_tree.ts) and by the checks on how callers use a state
 * (maple_state_check.ts); maple_tree.ts re-exports it.
 */

/** Positioned on a slot of a node (index/last describe it, or a sub-range of it). */
export const ma_active = 0;
/** Not positioned: the next walk starts from the root. */
export const ma_start = 1;
/** The tree is a single root pointer. */
export const ma_root = 2;
/** Walked, and the tree was empty. */
export const ma_none = 3;
/** Paused by mas_pause(): the next iteration restarts after last. */
export const ma_pause = 4;
/** A forward walk ran past its limit; the position is kept. */
export const ma_overflow = 5;
/** A backward walk ran below its limit; the position is kept. */
export const ma_underflow = 6;
/** An error is recorded in the state. */
export const ma_error = 7;
/** A value of enum maple_status. */
export type maple_status = number;

const STATUS_NAMES = ['ma_active', 'ma_start', 'ma_root', 'ma_none', 'ma_pause', 'ma_overflow', 'ma_underflow', 'ma_error'];

/** The enumerator's name, for messages. */
export function maple_status_name(s: maple_status): string {
  return STATUS_NAMES[s] ?? `status(${s})`;
}
