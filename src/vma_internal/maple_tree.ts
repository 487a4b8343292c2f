// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A stand-in for the maple tree (lib/maple_tree.c), limited to the part of its
 * API that mm/vma.c, mm/vma.h and the harness use.
 *
 * What it reproduces
 * ------------------
 * The maple tree maps ranges [index, last] to entries and treats the space
 * between entries as NULL ranges ("gaps").  A NULL store is merged with the
 * NULL ranges next to it, and the real tree never lets a gap straddle two leaf
 * nodes (the last slot of a leaf is non-NULL unless the leaf is the rightmost),
 * so a walk sees every gap as exactly one slot running from the end of one
 * entry to the start of the next.  Storing over part of an entry keeps the
 * remainders pointing at the old entry.
 *
 * A maple state (struct ma_state) carries index, last, a status and a position
 * (node + offset in C).  mm/vma.c depends on where each call leaves the state,
 * so every function below follows the control flow of its C counterpart:
 * mas_find() returns the entry at index on its first call but the next one
 * afterwards, mas_next_range()/mas_prev_range() step onto gaps, mas_prev()
 * underflows without moving index, a store leaves the state on the stored
 * range (on the merged gap for a NULL store), a failed preallocation resets
 * the state, and so on.
 *
 * How it is built
 * ---------------
 * The entries live in a B+ tree of ranges (range_tree.ts), so each lookup,
 * step and store costs O(log n).  Because every gap is one slot, a position
 * is fully described by the first index of its slot; that number plays the
 * role of (node, offset) and is kept in ma_state.node (-1 stands for a NULL
 * node).  A single leaf spanning [0, ULONG_MAX] is the model of the node
 * layout: the node-boundary cases of mas_next_slot()/mas_prev_slot() reduce to
 * the same results there, because gaps never cross nodes.
 *
 * Not reproduced: RCU, locking, node allocation (preallocation always
 * succeeds unless fault injection says otherwise), root-pointer trees (an
 * entry stored at [0, 0] is kept as a one-index range, which walks alike).
 *
 * What it checks
 * --------------
 * Because a range store lands on its range wherever the state points, the
 * stand-in would forgive stores and walks from a mispositioned state that
 * the real tree gets wrong.  maple_state_check.ts holds the rules and the
 * records; each entry point here tells it, in one line, where the state now
 * is (mas_track_*) or what it is about to do (mas_check_*).
 */

import { ENOMEM, EBUSY, EINVAL, ULONG_MAX, type gfp_t } from './constants';
import { KernelBug } from './bug';
import { RangeTree } from './range_tree';
import { prealloc_should_fail } from './fault_inject';
import * as status from './maple_status';
import {
  NOWHERE,
  mas_check_empty_area,
  mas_check_set_range,
  mas_check_store,
  mas_check_store_prealloc,
  mas_check_walk,
  mas_track_destroy,
  mas_track_none,
  mas_track_prealloc,
  mas_track_slot,
  mas_track_stored,
} from './maple_state_check';

/*
 * enum maple_status (maple_status.ts), exported again as plain constants:
 * a re-export would be a getter on the port's hot path.
 */
export const ma_active = status.ma_active;
export const ma_start = status.ma_start;
export const ma_root = status.ma_root;
export const ma_none = status.ma_none;
export const ma_pause = status.ma_pause;
export const ma_overflow = status.ma_overflow;
export const ma_underflow = status.ma_underflow;
export const ma_error = status.ma_error;
export const maple_status_name = status.maple_status_name;
export type maple_status = status.maple_status;

export const MT_FLAGS_ALLOC_RANGE = 0x01;
export const MT_FLAGS_USE_RCU = 0x02;
export const MT_FLAGS_LOCK_EXTERN = 0x300;
export const MT_FLAGS_LOCK_MASK = 0x300;
export const MM_MT_FLAGS = MT_FLAGS_ALLOC_RANGE | MT_FLAGS_LOCK_EXTERN | MT_FLAGS_USE_RCU;

const MA_STATE_PREALLOC = 4;

/** struct maple_tree: the ranges and the flags. */
export class maple_tree<T> {
  ma_flags = 0;
  /** The stored ranges (the tree's nodes, in the real thing). */
  readonly ranges: RangeTree<T> = new RangeTree<T>();
  /**
   * Checks every entry before it is stored (not part of the maple tree: the
   * mm's tree uses it to refuse a freed VMA).  Receives the storing function.
   */
  check_entry: ((entry: T, fn: string) => void) | null = null;
}

/** struct ma_state. */
export class ma_state<T> {
  tree: maple_tree<T>;
  index: number;
  last: number;
  status: maple_status = ma_start;
  /**
   * Stand-in for (node, offset): the first index of the slot the state is on,
   * or -1 when the C state's node pointer would be NULL.
   */
  node = -1;
  min = 0;
  max: number = ULONG_MAX;
  mas_flags = 0;
  /** The error code while status is ma_error. */
  error = 0;
  /*
   * For maple_state_check.ts (not in struct ma_state): the slot the real
   * state is known to be on (conf_lo NOWHERE: no position), and the store
   * the last mas_preallocate() walked for (pre_index NOWHERE: none pending).
   */
  conf_lo = NOWHERE;
  conf_hi = NOWHERE;
  pre_index = NOWHERE;
  pre_last = NOWHERE;
  pre_null = false;
  /** Some mas_preallocate() worked out a store type (else it is wr_invalid). */
  prealloc_seen = false;

  constructor(tree: maple_tree<T>, index: number, last: number) {
    this.tree = tree;
    this.index = index;
    this.last = last;
  }

  describe(): string {
    return `mas[${maple_status_name(this.status)} 0x${this.index.toString(16)}-0x${this.last.toString(16)}]`;
  }
}

/** MA_STATE(name, mt, first, end) */
export function MA_STATE<T>(mt: maple_tree<T>, first: number, end: number): ma_state<T> {
  return new ma_state<T>(mt, first, end);
}

export function mt_init_flags<T>(mt: maple_tree<T>, flags: number): void {
  mt.ma_flags = flags;
  mt.ranges.clear();
}

export function mt_init<T>(mt: maple_tree<T>): void {
  mt_init_flags(mt, 0);
}

/** Lockdep annotation only. */
export function mt_on_stack<T>(_mt: maple_tree<T>): void {}

export function mtree_empty<T>(mt: maple_tree<T>): boolean {
  return mt.ranges.size === 0;
}

/** Free every node: the tree becomes empty. */
export function __mt_destroy<T>(mt: maple_tree<T>): void {
  mt.ranges.clear();
}

export function mtree_destroy<T>(mt: maple_tree<T>): void {
  __mt_destroy(mt);
}

/* Position helpers --------------------------------------------------------- */

/* The bounds of the slot found by the last slot_at() call (no allocation). */
let slotIndex = 0;
let slotLast = 0;

/** Find the slot (entry or gap) containing addr; its bounds go to slotIndex/slotLast. */
function slot_at<T>(ranges: RangeTree<T>, addr: number): T | null {
  ranges.locate(addr);
  const e = ranges.locatedFloor;
  if (e !== null && e.last >= addr) {
    slotIndex = e.index;
    slotLast = e.last;
    return e.value;
  }
  slotIndex = e === null ? 0 : e.last + 1;
  /* addr is in a gap, so the entry after the floor is the gap's end. */
  const n = ranges.locatedNext;
  slotLast = n === null ? ULONG_MAX : n.index - 1;
  return null;
}

/* Simple state changes ----------------------------------------------------- */

export function mas_reset<T>(mas: ma_state<T>): void {
  mas.status = ma_start;
  mas.node = -1;
  mas_track_none(mas);
}

export function mas_pause<T>(mas: ma_state<T>): void {
  mas.status = ma_pause;
  mas.node = -1;
  mas_track_none(mas);
}

/** Change the range without moving the position (the next store uses it). */
export function __mas_set_range<T>(mas: ma_state<T>, start: number, last: number): void {
  mas_check_set_range(mas, start, last);
  mas.index = start;
  mas.last = last;
}

export function mas_set_range<T>(mas: ma_state<T>, start: number, last: number): void {
  mas_reset(mas);
  __mas_set_range(mas, start, last);
}

export function mas_set<T>(mas: ma_state<T>, index: number): void {
  mas_set_range(mas, index, index);
}

export function mas_init<T>(mas: ma_state<T>, tree: maple_tree<T>, addr: number): void {
  mas.tree = tree;
  mas.index = mas.last = addr;
  mas.max = ULONG_MAX;
  mas.min = 0;
  mas.mas_flags = 0;
  mas.error = 0;
  mas.status = ma_start;
  mas.node = -1;
  mas_track_none(mas);
}

export function mas_is_err<T>(mas: ma_state<T>): boolean {
  return mas.status === ma_error;
}

export function mas_is_active<T>(mas: ma_state<T>): boolean {
  return mas.status === ma_active;
}

/* Walks ---------------------------------------------------------------------- */

/** Walk from the root to mas->index and set index/last to the slot found. */
export function mas_walk<T>(mas: ma_state<T>): T | null {
  mas.status = ma_start;
  const ranges = mas.tree.ranges;
  if (ranges.size === 0) {
    mas.status = ma_none;
    mas.node = -1;
    mas.index = 0;
    mas.last = ULONG_MAX;
    mas_track_none(mas);
    return null;
  }
  const entry = slot_at(ranges, mas.index);
  mas.index = slotIndex;
  mas.last = slotLast;
  mas.node = slotIndex;
  mas.status = ma_active;
  mas_track_slot(mas, slotIndex, slotLast);
  return entry;
}

/*
 * Slots: the tree's ranges and, between them, maximal NULL ranges (gaps), so
 * the slot after a gap always holds an entry, or the gap runs to ULONG_MAX,
 * and the slot before a gap holds an entry, or the gap starts at 0.  Indices
 * never pass ULONG_MAX (Number.MAX_SAFE_INTEGER): above it a JavaScript
 * number no longer counts one by one, and `last + 1` would not move.
 */

/** Move to the slot after the current one; skip gaps unless @empty. */
function mas_next_slot<T>(mas: ma_state<T>, max: number, empty: boolean): T | null {
  const ranges = mas.tree.ranges;
  /* Nothing lies above ULONG_MAX, whatever limit the caller gives. */
  const limit = max < ULONG_MAX ? max : ULONG_MAX;
  slot_at(ranges, mas.node);
  if (slotLast >= limit) {
    /* Was at the limit: the next slot would start beyond it. */
    mas.status = ma_overflow;
    return null;
  }
  mas.index = slotLast + 1;
  /*
   * At most two passes: the first slot is an entry (returned) or a gap;
   * the slot after a gap is an entry, unless the gap reaches ULONG_MAX,
   * which is at or above the limit.  Each pass starts strictly above the
   * last one, at most at ULONG_MAX.
   */
  for (let pass = 0; pass < 2; pass++) {
    const entry = slot_at(ranges, mas.index);
    mas.node = slotIndex;
    mas.last = slotLast;
    mas_track_slot(mas, slotIndex, slotLast);
    if (entry !== null) return entry;
    if (empty) return null;
    if (mas.last >= limit) {
      mas.status = ma_overflow;
      return null;
    }
    mas.index = mas.last + 1;
  }
  throw new KernelBug('maple stand-in', `mas_next_slot: two gaps in a row after ${mas.index}`);
}

/** Move to the slot before the current one; skip gaps unless @empty. */
function mas_prev_slot<T>(mas: ma_state<T>, min: number, empty: boolean): T | null {
  const ranges = mas.tree.ranges;
  slot_at(ranges, mas.node);
  if (slotIndex <= min) {
    mas.status = ma_underflow;
    return null;
  }
  /*
   * At most two passes, as in mas_next_slot(): the slot before a gap is an
   * entry unless the gap starts at 0, which is at or below min.  Each pass
   * starts strictly below the last one, at 0 at the lowest.
   */
  for (let pass = 0; pass < 2; pass++) {
    /* Here the current slot starts above min, hence above 0. */
    mas.last = mas.index - 1;
    const entry = slot_at(ranges, slotIndex - 1);
    mas.index = slotIndex;
    mas.node = slotIndex;
    mas_track_slot(mas, slotIndex, slotLast);
    if (entry !== null) return entry;
    if (empty) return null;
    if (mas.index <= min) {
      mas.status = ma_underflow;
      return null;
    }
  }
  throw new KernelBug('maple stand-in', `mas_prev_slot: two gaps in a row before ${mas.index}`);
}

/* Result of the *_setup() helpers: DONE means "return setupEntry". */
const CONTINUE = false;
const DONE = true;
let setupEntry: unknown = null;

function mas_next_setup<T>(mas: ma_state<T>, max: number): boolean {
  setupEntry = null;
  if (mas.last >= max) {
    mas.status = ma_overflow;
    return DONE;
  }
  switch (mas.status) {
    case ma_active:
      return CONTINUE;
    case ma_none:
    case ma_pause:
      mas.status = ma_start;
      mas_walk(mas);
      break;
    case ma_start:
      mas_walk(mas);
      break;
    case ma_overflow:
      /* Overflowed before, but the limit moved. */
      mas.status = ma_active;
      break;
    case ma_underflow: {
      /* The caller expects the state to be one before where it is. */
      mas.status = ma_active;
      const entry = mas_walk(mas);
      if (entry !== null) {
        setupEntry = entry;
        return DONE;
      }
      break;
    }
    case ma_root:
      break;
    case ma_error:
      return DONE;
  }
  if (mas.status === ma_active) return CONTINUE;
  return DONE; /* ma_none: empty tree */
}

/** The next entry after the current position, up to @max. */
export function mas_next<T>(mas: ma_state<T>, max: number): T | null {
  if (mas_next_setup(mas, max)) return setupEntry as T | null;
  mas_check_walk(mas, 'mas_next');
  return mas_next_slot(mas, max, false);
}

/** The next range (entry or gap) after the current position. */
export function mas_next_range<T>(mas: ma_state<T>, max: number): T | null {
  if (mas_next_setup(mas, max)) return setupEntry as T | null;
  mas_check_walk(mas, 'mas_next_range');
  return mas_next_slot(mas, max, true);
}

function mas_prev_setup<T>(mas: ma_state<T>, min: number): boolean {
  setupEntry = null;
  if (mas.index <= min) {
    mas.status = ma_underflow;
    return DONE;
  }
  switch (mas.status) {
    case ma_active:
      return CONTINUE;
    case ma_start:
      break;
    case ma_none:
    case ma_pause:
      mas.status = ma_start;
      break;
    case ma_underflow:
      /* Underflowed before, but the limit moved. */
      mas.status = ma_active;
      break;
    case ma_overflow: {
      /* The caller expects the state to be one after where it is. */
      mas.status = ma_active;
      const entry = mas_walk(mas);
      if (entry !== null) {
        setupEntry = entry;
        return DONE;
      }
      break;
    }
    case ma_root:
      break;
    case ma_error:
      return DONE;
  }
  if (mas.status === ma_start) mas_walk(mas);
  if (mas.status === ma_none) return DONE; /* empty tree: index is 0 */
  return CONTINUE;
}

/** The previous entry before the current position, down to @min. */
export function mas_prev<T>(mas: ma_state<T>, min: number): T | null {
  if (mas_prev_setup(mas, min)) return setupEntry as T | null;
  mas_check_walk(mas, 'mas_prev');
  return mas_prev_slot(mas, min, false);
}

/** The previous range (entry or gap) before the current position. */
export function mas_prev_range<T>(mas: ma_state<T>, min: number): T | null {
  if (mas_prev_setup(mas, min)) return setupEntry as T | null;
  mas_check_walk(mas, 'mas_prev_range');
  return mas_prev_slot(mas, min, true);
}

function mas_find_setup<T>(mas: ma_state<T>, max: number): boolean {
  setupEntry = null;
  switch (mas.status) {
    case ma_active:
      return mas.last < max ? CONTINUE : DONE;
    case ma_start:
      break;
    case ma_pause:
      if (mas.last >= max) return DONE;
      mas.index = ++mas.last;
      mas.status = ma_start;
      break;
    case ma_none:
      if (mas.last >= max) return DONE;
      mas.index = mas.last;
      mas.status = ma_start;
      break;
    case ma_underflow: {
      /* Pointing at the entry before, unable to go lower. */
      if (mas.index >= max) {
        mas.status = ma_overflow;
        return DONE;
      }
      mas.status = ma_active;
      const entry = mas_walk(mas);
      if (entry !== null) {
        setupEntry = entry;
        return DONE;
      }
      break;
    }
    case ma_overflow: {
      if (mas.last >= max) return DONE;
      mas.status = ma_active;
      const entry = mas_walk(mas);
      if (entry !== null) {
        setupEntry = entry;
        return DONE;
      }
      break;
    }
    case ma_root:
      break;
    case ma_error:
      return DONE;
  }

  if (mas.status === ma_start) {
    /* First run or continue. */
    if (mas.index > max) return DONE;
    const entry = mas_walk(mas);
    if (entry !== null) {
      setupEntry = entry;
      return DONE;
    }
  }
  if (mas.status === ma_none) return DONE;
  if (mas.index === max) return DONE;
  return CONTINUE;
}

/**
 * On the first call, the entry at or after mas->index up to @max; afterwards
 * the entry after the current one.  An overflow is not kept.
 */
export function mas_find<T>(mas: ma_state<T>, max: number): T | null {
  if (mas_find_setup(mas, max)) return setupEntry as T | null;
  mas_check_walk(mas, 'mas_find');
  const entry = mas_next_slot(mas, max, false);
  mas.status = ma_active;
  return entry;
}

/** Like mas_find(), but stops on gaps too. */
export function mas_find_range<T>(mas: ma_state<T>, max: number): T | null {
  if (mas_find_setup(mas, max)) return setupEntry as T | null;
  mas_check_walk(mas, 'mas_find_range');
  return mas_next_slot(mas, max, true);
}

/**
 * mas_for_each(mas, entry, max): visit each entry from the current position.
 * Bounded by the number of entries up to @max: each mas_find() returns an
 * entry starting above the last one, or NULL at the limit (its callers'
 * @fn never add entries to the tree being walked).
 */
export function mas_for_each<T>(mas: ma_state<T>, max: number, fn: (entry: T) => void): void {
  let entry: T | null;
  while ((entry = mas_find(mas, max)) !== null) fn(entry);
}

/* Stores ------------------------------------------------------------------- */

/* Bounds of the NULL range a NULL store over [index, last] merges into. */
let extIndex = 0;
let extLast = 0;

function extend_null<T>(ranges: RangeTree<T>, index: number, last: number): void {
  /* Left end: into the gap index is in, or into a gap ending just before it. */
  if (slot_at(ranges, index) === null) {
    extIndex = slotIndex;
  } else if (index === slotIndex && index > 0 && slot_at(ranges, index - 1) === null) {
    extIndex = slotIndex;
  } else {
    extIndex = index;
  }
  /* Right end: likewise, into the gap last is in or the one just after it. */
  if (slot_at(ranges, last) === null) {
    extLast = slotLast;
  } else if (last === slotLast && last < ULONG_MAX && slot_at(ranges, last + 1) === null) {
    extLast = slotLast;
  } else {
    extLast = last;
  }
}

/** Write @entry over [mas->index, mas->last] and leave the state on the result. */
function mas_wr_store_entry<T>(mas: ma_state<T>, entry: T | null, fn: string): void {
  const ranges = mas.tree.ranges;
  if (entry !== null) {
    if (mas.tree.check_entry !== null) mas.tree.check_entry(entry, fn);
    ranges.store(mas.index, mas.last, entry);
    mas.status = ma_active;
    mas.node = mas.index;
    return;
  }
  if (ranges.size === 0) {
    /* Nothing stored: a NULL store into an empty tree changes nothing. */
    mas.status = ma_none;
    mas.node = -1;
    return;
  }
  ranges.store(mas.index, mas.last, null);
  if (ranges.size === 0) {
    /* The whole tree became NULL: a new, empty root. */
    mas.index = 0;
    mas.last = ULONG_MAX;
    mas.status = ma_start;
    mas.node = -1;
    return;
  }
  slot_at(ranges, mas.index);
  mas.index = slotIndex;
  mas.last = slotLast;
  mas.node = slotIndex;
  mas.status = ma_active;
}

function check_store_range<T>(fn: string, mas: ma_state<T>): void {
  if (!(mas.index <= mas.last) || !Number.isSafeInteger(mas.index) || !Number.isSafeInteger(mas.last) || mas.index < 0) {
    throw new RangeError(`${fn}: invalid range [0x${mas.index.toString(16)}, 0x${mas.last.toString(16)}]`);
  }
}

/**
 * Preallocate the nodes a store of @entry over [index, last] needs.  Nothing
 * is allocated here, but the state is walked to where the store will happen,
 * as the real function does; fault injection can make it fail, in which case
 * the state is left exactly as it was (the harness never reaches the maple
 * tree when it fails a preallocation).
 */
export function mas_preallocate<T>(mas: ma_state<T>, entry: T | null, _gfp: gfp_t): number {
  if (prealloc_should_fail()) return -ENOMEM;
  check_store_range('mas_preallocate', mas);
  mas_check_store(mas, 'mas_preallocate');
  const ranges = mas.tree.ranges;
  if (ranges.size === 0) {
    mas.status = ma_none;
    mas.node = -1;
    mas_track_prealloc(mas, entry, NOWHERE, NOWHERE);
  } else {
    slot_at(ranges, mas.index);
    mas.node = slotIndex;
    mas.status = ma_active;
    let lo = slotIndex;
    let hi = slotLast;
    if (entry === null) {
      extend_null(ranges, mas.index, mas.last);
      /* Extended into the NULL range before the slot: the walk ends there. */
      if (extIndex < lo) {
        hi = lo - 1;
        lo = extIndex;
      }
      mas.index = extIndex;
      mas.last = extLast;
      mas.node = extIndex;
    }
    mas_track_prealloc(mas, entry, lo, hi);
  }
  mas.mas_flags |= MA_STATE_PREALLOC;
  return 0;
}

/** Store using the preallocated nodes. */
export function mas_store_prealloc<T>(mas: ma_state<T>, entry: T | null): void {
  check_store_range('mas_store_prealloc', mas);
  mas_check_store_prealloc(mas, entry);
  mas_wr_store_entry(mas, entry, 'mas_store_prealloc');
  mas_track_stored(mas);
  mas_destroy(mas);
}

/** Store, allocating as needed; returns 0 (allocations do not fail here). */
export function mas_store_gfp<T>(mas: ma_state<T>, entry: T | null, _gfp: gfp_t): number {
  check_store_range('mas_store_gfp', mas);
  mas_check_store(mas, 'mas_store_gfp');
  mas_wr_store_entry(mas, entry, 'mas_store_gfp');
  mas_track_stored(mas);
  mas_destroy(mas);
  return 0;
}

/** Drop any preallocation. */
export function mas_destroy<T>(mas: ma_state<T>): void {
  mas.mas_flags &= ~MA_STATE_PREALLOC;
  mas_track_destroy(mas);
}

/** Bulk-allocation hint; nothing to do. */
export function mas_expected_entries<T>(_mas: ma_state<T>, _nr_entries: number): number {
  return 0;
}

/* Searches ----------------------------------------------------------------- */

/** Load the entry at @index. */
export function mtree_load<T>(mt: maple_tree<T>, index: number): T | null {
  const e = mt.ranges.lookup(index);
  return e === null ? null : e.value;
}

/** The first entry intersecting [index, max], or NULL. */
export function mt_find<T>(mt: maple_tree<T>, index: number, max: number): T | null {
  if (index > max) return null;
  const e = mt.ranges.lookup(index) ?? mt.ranges.ceil(index);
  if (e === null || e.index > max) return null;
  return e.value;
}

/**
 * Find the lowest gap of at least @size inside [min, max]; on success
 * index/last describe the area found.
 */
export function mas_empty_area<T>(mas: ma_state<T>, min: number, max: number, size: number): number {
  mas_check_empty_area(mas, 'mas_empty_area', min, max);
  return mas_empty_area_common(mas, min, max, size, true);
}

/** Like mas_empty_area(), for the highest such area. */
export function mas_empty_area_rev<T>(mas: ma_state<T>, min: number, max: number, size: number): number {
  mas_check_empty_area(mas, 'mas_empty_area_rev', min, max);
  return mas_empty_area_common(mas, min, max, size, false);
}

function mas_empty_area_common<T>(mas: ma_state<T>, min: number, max: number, size: number, fwd: boolean): number {
  if (min > max) return -EINVAL;
  if (size === 0 || max - min < size - 1) return -EINVAL;
  const ranges = mas.tree.ranges;
  if (ranges.size === 0) return mas_sparse_area(mas, min, max, size, fwd);
  const start = fwd ? ranges.emptyArea(min, max, size) : ranges.emptyAreaRev(min, max, size);
  if (start === null) {
    mas.status = ma_error;
    mas.error = -EBUSY;
    mas_track_none(mas);
    return -EBUSY;
  }
  mas.index = start;
  mas.last = start + size - 1;
  mas.node = slot_at(ranges, start) === null ? slotIndex : start;
  mas.status = ma_active;
  mas_track_slot(mas, slotIndex, slotLast);
  return 0;
}

/* The empty-tree case of the two searches above. */
function mas_sparse_area<T>(mas: ma_state<T>, min: number, max: number, size: number, fwd: boolean): number {
  if (mas.status !== ma_none && min === 0) {
    min++;
    if (min > max || max - min + 1 < size) return -EBUSY;
  }
  if (fwd) {
    mas.index = min;
    mas.last = min + size - 1;
  } else {
    mas.last = max;
    mas.index = max - size + 1;
  }
  return 0;
}

/** Check the stored ranges; throws on a broken invariant. */
export function mt_validate<T>(mt: maple_tree<T>): void {
  mt.ranges.check();
}

/** A printable dump of the tree's slots, gaps included. */
export function mt_dump<T>(mt: maple_tree<T>, name: (entry: T) => string = String): string {
  const lines: string[] = [];
  let next = 0;
  /* One pass over the stored entries. */
  for (const e of mt.ranges.entries()) {
    if (e.index > next) lines.push(`0x${next.toString(16)}-0x${(e.index - 1).toString(16)}: (null)`);
    lines.push(`0x${e.index.toString(16)}-0x${e.last.toString(16)}: ${name(e.value)}`);
    next = e.last + 1;
  }
  if (next <= ULONG_MAX && (lines.length === 0 || next !== 0)) {
    lines.push(`0x${next.toString(16)}-ULONG_MAX: (null)`);
  }
  return lines.join('\n');
}
