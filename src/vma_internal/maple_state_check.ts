// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Checks on how callers use a maple state: the maple tree's own debug
 * checks on the state and the range, and the misuse the real tree punishes
 * but the stand-in (maple_tree.ts) would otherwise forgive.
 *
 * Why the stand-in needs them
 * ---------------------------
 * The stand-in stores and walks by range: wherever a state points, a store
 * of [index, last] lands on [index, last].  The real tree (lib/maple_tree.c)
 * does not.  A state that is ma_active keeps the node and the slot offset it
 * last walked to, and every store and walk continues from there:
 *
 * - The write setup (mas_wr_prealloc_setup(), behind mas_preallocate() and
 *   mas_store_gfp()) keeps an active state where it is unless last runs past
 *   the node's maximum (or a NULL store would end exactly at it); paused,
 *   none, overflow and underflow states are reset to the root, start states
 *   walk from the root.  The node walk of a kept state (mas_wr_node_walk())
 *   only moves forward from the current offset, so a store starting below
 *   the slot the state is on is written into that slot: the wrong slot, and
 *   the wrong node when the slot is the node's first.  A store that starts
 *   inside or after the slot is fine: either the node holds it, or last runs
 *   past the node and the setup resets.
 * - mas_preallocate() computes the store type (exact fit, append, node
 *   store, split, spanning store, ...) and leaves the state on the slot it
 *   walked to; mas_store_prealloc() does not redo that: it re-walks the
 *   current node from the current offset and applies the store type worked
 *   out for the preallocated range.  A store of another range, or after the
 *   state was moved, paused or reset (its node is then NULL), or after
 *   mas_destroy() dropped the nodes, corrupts the tree or crashes.  With no
 *   preallocation at all the store type is wr_invalid (MT_BUG_ON).  One
 *   use without a pending preallocation is tolerated: overwriting exactly
 *   the slot a walk left the state on, which any store type that needs no
 *   new node writes correctly (the harness's test_simple_modify does it).
 * - mas_next*(), mas_prev*() and mas_find*() from an active state (and from
 *   overflow/underflow when the limit moved) step from the current slot, but
 *   read index and last at node edges and limits; if __mas_set_range() or a
 *   preallocation moved index/last off the slot, where the walk ends depends
 *   on node boundaries.
 * - mas_empty_area()/mas_empty_area_rev() search from the root only from
 *   ma_start; from any other status they continue from the current node and
 *   offset (skipping slots, or whole nodes, before them).
 * - mas_walk() always restarts from the root; mas_reset(), mas_set(),
 *   mas_set_range() and mas_pause() discard the position; __mas_set_range()
 *   keeps it (and so keeps whatever the next store or walk relies on).
 *
 * The real tree catches part of this itself: __mas_set_range() warns
 * (MAS_WARN_ON) when an active state is given a range that does not start
 * inside [index, last] as they stand, mas_store_prealloc() has
 * MAS_WR_BUG_ON(mas_is_err()) and the store-type switch MT_BUG_ON(wr_invalid),
 * and mm/vma.h's vma_iter_store_overwrite() adds two MAS_WARN_ON()s under
 * CONFIG_DEBUG_VM_MAPLE_TREE.  The original harness is built with
 * CONFIG_DEBUG_MAPLE_TREE, where these print and carry on.
 *
 * What is tracked
 * ---------------
 * Node boundaries depend on the real tree's shape, which the stand-in does
 * not reproduce.  So each state carries its confinement [conf_lo, conf_hi]:
 * the slot (entry or NULL range) the real state is known to be on after each
 * call.  That slot lies inside the real node whatever the node's extent, and
 * its start is exactly where a forward write walk stops being correct, so:
 * a store from an active state starting below conf_lo could go to the wrong
 * node and is a misuse; one starting at or above it is correct in every
 * tree shape.  Where the stand-in moves the state (walks, stores,
 * preallocation, gap searches) it records the slot; where it discards the
 * position (reset, pause, set, init, errors) conf_lo becomes NOWHERE.  A
 * preallocation also records the range and entry it walked for.
 *
 * Every hit is recorded (which check, which call, the kernel callers, the
 * state, the range), apart from the WARN count of bug.ts: vma-trace/1's
 * `warnings` excludes maple-tree checks.  Nothing here changes what the
 * stand-in does.
 */

import type { ma_state } from './maple_tree';
import { ma_active, ma_error, ma_start, maple_status_name } from './maple_status';

/**
 * conf_lo/pre_index value of a state that holds no position (or no
 * preallocation).  Below every index, and not a small integer, so that the
 * fields it starts are doubles from the start (addresses up to ULONG_MAX
 * are stored in them later; a representation change would deoptimise).
 */
export const NOWHERE = Number.MIN_SAFE_INTEGER;

/* Same sentinel as constants.ts's ULONG_MAX (kept local: no import cycle). */
const ULONG_MAX = Number.MAX_SAFE_INTEGER;

/** Which check fired. */
export type MapleCheck = 'MAS_WARN_ON' | 'MAS_WR_BUG_ON' | 'MT_BUG_ON' | 'maple-state misuse';

export interface MapleCheckRecord {
  /** The check: one of the tree's own, or a misuse of the state. */
  readonly check: MapleCheck;
  /** The maple-state entry point (mas_store_prealloc, __mas_set_range, ...). */
  readonly call: string;
  /** The condition that held, or the rule that was broken. */
  readonly what: string;
  /** The state: status, index/last, the slot it is on, what was preallocated. */
  readonly state: string;
  /** The range the call operates on. */
  readonly range: string;
  /** The kernel-side callers, innermost first ("vma_iter_config <- __mmap_new_vma"). */
  readonly site: string;
}

const MAX_KEPT_RECORDS = 256;

let checkCount = 0;
let records: MapleCheckRecord[] = [];
const verbose = typeof process !== 'undefined' && process.env.VMA_HARNESS_VERBOSE === '1';

/* Position tracking (the hooks maple_tree.ts calls) ------------------------- */

/** The state moved onto the slot [lo, hi]; any preallocated walk is gone. */
export function mas_track_slot<T>(mas: ma_state<T>, lo: number, hi: number): void {
  mas.conf_lo = lo;
  mas.conf_hi = hi;
  mas.pre_index = NOWHERE;
}

/** The state no longer holds a position (start, pause, none, error). */
export function mas_track_none<T>(mas: ma_state<T>): void {
  mas.conf_lo = NOWHERE;
  mas.conf_hi = NOWHERE;
  mas.pre_index = NOWHERE;
}

/**
 * mas_preallocate() walked to the slot [lo, hi] for a store of @entry over
 * the state's current [index, last].
 */
export function mas_track_prealloc<T>(mas: ma_state<T>, entry: T | null, lo: number, hi: number): void {
  mas.conf_lo = lo;
  mas.conf_hi = hi;
  mas.pre_index = mas.index;
  mas.pre_last = mas.last;
  mas.pre_null = entry === null;
  mas.prealloc_seen = true;
}

/** A store finished: an active state is on the stored range (merged NULL range for NULL). */
export function mas_track_stored<T>(mas: ma_state<T>): void {
  if (mas.status === ma_active) mas_track_slot(mas, mas.index, mas.last);
  else mas_track_none(mas);
}

/** mas_destroy(): the preallocated nodes are gone. */
export function mas_track_destroy<T>(mas: ma_state<T>): void {
  mas.pre_index = NOWHERE;
}

/*
 * The checks ----------------------------------------------------------------
 *
 * Each check is a small test that the hot path runs (and inlines); the
 * reporting is out of line, in a *_failed() function.
 */

/** __mas_set_range()'s MAS_WARN_ON: an active state's new range must start in [index, last]. */
export function mas_check_set_range<T>(mas: ma_state<T>, start: number, last: number): void {
  if (mas.status === ma_active && (mas.index > start || mas.last < start)) mas_check_set_range_failed(mas, start, last);
}

function mas_check_set_range_failed<T>(mas: ma_state<T>, start: number, last: number): void {
  record('MAS_WARN_ON', '__mas_set_range', 'mas_is_active(mas) && (mas->index > start || mas->last < start)', mas, start, last);
}

/**
 * mas_preallocate() and mas_store_gfp(): an active state keeps its position,
 * so the store must not start below the slot it is on.
 */
export function mas_check_store<T>(mas: ma_state<T>, call: string): void {
  const s = mas.status;
  if (s === ma_active ? mas.conf_lo === NOWHERE || mas.index < mas.conf_lo : s === ma_error) mas_check_store_failed(mas, call);
}

function mas_check_store_failed<T>(mas: ma_state<T>, call: string): void {
  const s = mas.status;
  if (s === ma_active) {
    if (mas.conf_lo === NOWHERE) {
      misuse(call, 'store from an active state that holds no position', mas, mas.index, mas.last);
    } else if (mas.index < mas.conf_lo) {
      misuse(
        call,
        'store starts below the slot the active state is on: the write walk only moves forward from it (wrong slot, possibly wrong node)',
        mas,
        mas.index,
        mas.last,
      );
    }
  } else if (s === ma_error) {
    misuse(call, 'store from a state in ma_error (the write setup neither resets it nor has a node to walk from)', mas, mas.index, mas.last);
  }
}

/**
 * mas_store_prealloc(): the store must be the one mas_preallocate() walked
 * for, from where that walk left the state.
 */
export function mas_check_store_prealloc<T>(mas: ma_state<T>, entry: T | null): void {
  if (
    mas.pre_index !== mas.index ||
    mas.pre_last !== mas.last ||
    mas.pre_null !== (entry === null) ||
    mas.pre_index === NOWHERE ||
    mas.status === ma_error
  ) {
    mas_check_store_prealloc_failed(mas, entry);
  }
}

function mas_check_store_prealloc_failed<T>(mas: ma_state<T>, entry: T | null): void {
  if (mas.status === ma_error) {
    record('MAS_WR_BUG_ON', 'mas_store_prealloc', 'mas_is_err(mas)', mas, mas.index, mas.last);
  }
  if (!mas.prealloc_seen) {
    record('MT_BUG_ON', 'mas_store_prealloc', 'store type wr_invalid: no mas_preallocate() on this state', mas, mas.index, mas.last);
  } else if (mas.pre_index === NOWHERE) {
    /*
     * The store type of an earlier preallocation is still set.  Writing
     * exactly over the slot the state is on comes out right with any store
     * type that needs no new node (the harness's test_simple_modify clears
     * slots so); anything else depends on what that earlier store was.
     */
    if (mas.conf_lo === NOWHERE || mas.status !== ma_active || mas.index !== mas.conf_lo || mas.last !== mas.conf_hi) {
      misuse(
        'mas_store_prealloc',
        'no preallocated walk to store from (the state was moved, reset, paused, stored through or destroyed since mas_preallocate()), and the store is not an exact overwrite of the slot the state is on',
        mas,
        mas.index,
        mas.last,
      );
    }
  } else if (mas.index !== mas.pre_index || mas.last !== mas.pre_last) {
    misuse(
      'mas_store_prealloc',
      `range is not the one mas_preallocate() walked for ${hexRange(mas.pre_index, mas.pre_last)}: the store type and slot worked out for that range are applied to this one`,
      mas,
      mas.index,
      mas.last,
    );
  } else if ((entry === null) !== mas.pre_null) {
    misuse(
      'mas_store_prealloc',
      `stores ${entry === null ? 'NULL' : 'an entry'} but mas_preallocate() walked for ${mas.pre_null ? 'NULL' : 'an entry'}`,
      mas,
      mas.index,
      mas.last,
    );
  }
}

/**
 * A walk (mas_next*, mas_prev*, mas_find*) continues from the state's
 * position; its range must still lie on the slot it is on.
 */
export function mas_check_walk<T>(mas: ma_state<T>, call: string): void {
  if (mas.conf_lo === NOWHERE || mas.index < mas.conf_lo || mas.last > mas.conf_hi) mas_check_walk_failed(mas, call);
}

function mas_check_walk_failed<T>(mas: ma_state<T>, call: string): void {
  if (mas.conf_lo === NOWHERE) {
    misuse(call, 'walk continues from a state that holds no position', mas, mas.index, mas.last);
  } else if (mas.index < mas.conf_lo || mas.last > mas.conf_hi) {
    misuse(
      call,
      'walk continues from the slot the state is on, but index/last no longer lie on it (__mas_set_range() or a preallocation moved them): where the real walk ends depends on node boundaries',
      mas,
      mas.index,
      mas.last,
    );
  }
}

/** mas_empty_area()/mas_empty_area_rev() search from the root only from ma_start. */
export function mas_check_empty_area<T>(mas: ma_state<T>, call: string, min: number, max: number): void {
  if (mas.status !== ma_start) mas_check_empty_area_failed(mas, call, min, max);
}

function mas_check_empty_area_failed<T>(mas: ma_state<T>, call: string, min: number, max: number): void {
  misuse(call, 'gap search from a state not at ma_start continues from the node and offset it holds, skipping what lies before', mas, min, max);
}

/**
 * MAS_WARN_ON(mas, cond) of a caller of the maple tree (mm/vma.h's
 * CONFIG_DEBUG_VM_MAPLE_TREE checks): recorded here, with the range [start, last].
 */
export function MAS_WARN_ON<T>(mas: ma_state<T>, cond: boolean, what: string, start: number, last: number): boolean {
  if (cond) record('MAS_WARN_ON', callerName(), what, mas, start, last);
  return cond;
}

/* Records -------------------------------------------------------------------- */

function misuse<T>(call: string, what: string, mas: ma_state<T>, start: number, last: number): void {
  record('maple-state misuse', call, what, mas, start, last);
}

function record<T>(check: MapleCheck, call: string, what: string, mas: ma_state<T>, start: number, last: number): void {
  checkCount++;
  if (records.length >= MAX_KEPT_RECORDS) return;
  const rec: MapleCheckRecord = { check, call, what, state: describeState(mas), range: hexRange(start, last), site: kernelCallers() };
  records.push(rec);
  if (verbose) process.stderr.write(`MAPLE: ${maple_check_line(rec)}\n`);
}

/** How many maple-tree checks fired since the last reset. */
export function maple_check_count(): number {
  return checkCount;
}

/** The recorded hits since the last reset (at most 256 are kept). */
export function maple_check_records(): readonly MapleCheckRecord[] {
  return records;
}

/** Forget the recorded hits. */
export function maple_check_reset(): void {
  checkCount = 0;
  if (records.length) records = [];
}

/** One line describing a hit. */
export function maple_check_line(r: MapleCheckRecord): string {
  return `${r.check} in ${r.call} (${r.site}): ${r.what}; range ${r.range}; state ${r.state}`;
}

/** One line per recorded hit, for failure messages ('' when none). */
export function maple_check_summary(): string {
  const lines = records.map(maple_check_line);
  if (checkCount > records.length) lines.push(`(${checkCount - records.length} more not kept)`);
  return lines.join('\n');
}

/* Formatting ----------------------------------------------------------------- */

function hex(v: number): string {
  if (v === ULONG_MAX) return 'ULONG_MAX';
  return Number.isSafeInteger(v) && v >= 0 ? `0x${v.toString(16)}` : String(v);
}

function hexRange(lo: number, hi: number): string {
  return `[${hex(lo)}, ${hex(hi)}]`;
}

/** The state as a message shows it. */
export function describeState<T>(mas: ma_state<T>): string {
  let s = `${maple_status_name(mas.status)} index ${hex(mas.index)} last ${hex(mas.last)}`;
  s += mas.conf_lo === NOWHERE ? ', no position' : `, on slot ${hexRange(mas.conf_lo, mas.conf_hi)}`;
  if (mas.pre_index !== NOWHERE) s += `, preallocated for ${mas.pre_null ? 'NULL' : 'an entry'} over ${hexRange(mas.pre_index, mas.pre_last)}`;
  return s;
}

/* Function names on the stack outside the maple tree, innermost first. */
const SKIP_FILES = /[\\/]vma_internal[\\/](maple_tree|maple_state_check)\.[jt]s/;
const KERNEL_FILES = /[\\/](mm|vma_internal|harness)[\\/][^\\/]+\.[jt]s/;
const TEST_FILES = /\.test\.[jt]s/;

function kernelCallers(): string {
  const names: string[] = [];
  for (const f of (new Error().stack ?? '').split('\n').slice(1)) {
    if (SKIP_FILES.test(f) || !KERNEL_FILES.test(f) || TEST_FILES.test(f)) continue;
    const m = /^\s*at (?:new )?([^\s(<]+) \(/.exec(f);
    if (!m) continue;
    names.push(m[1].replace(/^Object\./, ''));
    if (names.length === 3) break;
  }
  return names.length ? names.join(' <- ') : '<unknown>';
}

/* The calling function's name (for MAS_WARN_ON in a caller of the tree). */
function callerName(): string {
  const site = kernelCallers();
  return site.split(' <- ')[0];
}
