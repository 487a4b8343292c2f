// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Shared memory of the lock model and the kernel's access primitives on it
 * (READ_ONCE/WRITE_ONCE, acquire/release, the atomic_t operations the lock
 * uses, smp_mb/smp_wmb/smp_rmb, rcu_assign_pointer/rcu_dereference).
 *
 * Every location a page-fault reader or the lock protocol shares is a Cell:
 * vm_refcnt, vm_lock_seq, vm_mm, the range and the other VMA fields a reader
 * looks at, mm_lock_seq, the rcuwait slot, mm_count.  Each primitive names
 * the kernel's ordering, so the ordering of every access is visible where it
 * is made.  With nothing installed the primitives are plain reads and writes
 * of Cell.v (sequentially consistent).  The race explorer installs
 * MemoryHooks to observe every access and, with the LKMM visibility model,
 * to let a load return an older store where the kernel's memory model
 * allows it.
 *
 * These are not the kernel's implementations (no asm-generic code is
 * ported): they state the ordering each access has in the kernel.
 */

/** A shared memory location (one field of one object). */
export class Cell<T> {
  /** The latest value stored (the value in sequentially consistent memory). */
  v: T;
  /** The object the field belongs to (a VMA, an mm, a task). */
  readonly owner: object;
  /** The field's kernel name, e.g. "vm_refcnt". */
  readonly name: string;
  /** State of the installed memory model for this location (opaque here). */
  mm: unknown = null;
  /** What the installed hooks made of this location, cached by them (opaque here; -1: not yet). */
  tag = -1;
  /** Who stored last: the explorer's actor index and global step (-1: initial). */
  last_actor = -1;
  last_step = -1;
  /**
   * Loads always see the latest store (for a location the model does not
   * weaken, e.g. the root of an RCU-walked tree, whose walk reads the
   * current tree).
   */
  sc = false;

  constructor(owner: object, name: string, v: T) {
    this.owner = owner;
    this.name = name;
    this.v = v;
  }
}

/** Any cell (for hooks that do not care about the value type). */
export type AnyCell = Cell<unknown>;

/* Orderings of a single access, as in the LKMM. */
/** A plain C access (`vma->vm_start`). */
export const ORD_PLAIN = 0;
/** READ_ONCE/WRITE_ONCE, atomic_read/atomic_set: marked, unordered. */
export const ORD_ONCE = 1;
/** smp_load_acquire, rcu_dereference, an _acquire RMW. */
export const ORD_ACQUIRE = 2;
/** smp_store_release, rcu_assign_pointer, a _release RMW. */
export const ORD_RELEASE = 3;
/** A fully ordered value-returning RMW. */
export const ORD_MB = 4;
/** A relaxed RMW (try_cmpxchg_relaxed, fetch_add_relaxed). */
export const ORD_RELAXED = 5;

/* Fences. */
/** smp_mb(): full barrier. */
export const FENCE_MB = 0;
/** smp_wmb(): orders earlier stores before later stores. */
export const FENCE_WMB = 1;
/** smp_rmb(), smp_acquire__after_ctrl_dep(): orders earlier loads before later accesses. */
export const FENCE_RMB = 2;

/** What the race explorer installs to observe accesses and model visibility. */
export interface MemoryHooks {
  /** A load; returns the value it reads. */
  load(c: AnyCell, ord: number): unknown;
  /** A store. */
  store(c: AnyCell, v: unknown, ord: number): void;
  /** compare-and-exchange: stores @neu if the value is @expected; returns the value found. */
  cmpxchg(c: Cell<number>, expected: number, neu: number, ord: number): number;
  /** fetch-and-add; returns the old value. */
  fetch_add(c: Cell<number>, delta: number, ord: number): number;
  /** A fence. */
  fence(kind: number): void;
}

let hooks: MemoryHooks | null = null;

/** Install (or remove, with null) the memory hooks. */
export function mem_install(h: MemoryHooks | null): void {
  hooks = h;
}

/** The installed hooks (the VMA field accessors test this). */
export function mem_hooks(): MemoryHooks | null {
  return hooks;
}

/** `&old` of try_cmpxchg: the expected value in, the value found out. */
export interface IntRef {
  value: number;
}

/* Loads and stores ---------------------------------------------------------- */

/** A plain load (`x`). */
export function LOAD<T>(c: Cell<T>): T {
  return hooks === null ? c.v : (hooks.load(c as AnyCell, ORD_PLAIN) as T);
}

/** A plain store (`x = v`). */
export function STORE<T>(c: Cell<T>, v: T): void {
  if (hooks === null) c.v = v;
  else hooks.store(c as AnyCell, v, ORD_PLAIN);
}

/** A marked relaxed load. */
export function READ_ONCE<T>(c: Cell<T>): T {
  return hooks === null ? c.v : (hooks.load(c as AnyCell, ORD_ONCE) as T);
}

/** A marked relaxed store. */
export function WRITE_ONCE<T>(c: Cell<T>, v: T): void {
  if (hooks === null) c.v = v;
  else hooks.store(c as AnyCell, v, ORD_ONCE);
}

/** A load with acquire ordering. */
export function smp_load_acquire<T>(c: Cell<T>): T {
  return hooks === null ? c.v : (hooks.load(c as AnyCell, ORD_ACQUIRE) as T);
}

/** A store with release ordering. */
export function smp_store_release<T>(c: Cell<T>, v: T): void {
  if (hooks === null) c.v = v;
  else hooks.store(c as AnyCell, v, ORD_RELEASE);
}

/** Publish a pointer (release). */
export function rcu_assign_pointer<T>(c: Cell<T>, v: T): void {
  smp_store_release(c, v);
}

/** Read an RCU-published pointer (address dependency; modelled as acquire). */
export function rcu_dereference<T>(c: Cell<T>): T {
  return smp_load_acquire(c);
}

/* atomic_t ------------------------------------------------------------------ */

/** atomic_t: an int in a cell. */
export type atomic_t = Cell<number>;

/** atomic_read(): a relaxed load of the counter. */
export function atomic_read(v: atomic_t): number {
  return READ_ONCE(v);
}

/** atomic_set(): a relaxed store to the counter. */
export function atomic_set(v: atomic_t, i: number): void {
  WRITE_ONCE(v, i);
}

/** atomic_set_release(): a store with release ordering. */
export function atomic_set_release(v: atomic_t, i: number): void {
  smp_store_release(v, i);
}

function cmpxchg(v: atomic_t, old: IntRef, neu: number, ord: number): boolean {
  let found: number;
  if (hooks === null) {
    found = v.v;
    if (found === old.value) v.v = neu;
  } else {
    found = hooks.cmpxchg(v, old.value, neu, ord);
  }
  if (found === old.value) return true;
  old.value = found;
  return false;
}

/** Store @neu if @v holds old->value; else load the value found into @old. Relaxed. */
export function atomic_try_cmpxchg_relaxed(v: atomic_t, old: IntRef, neu: number): boolean {
  return cmpxchg(v, old, neu, ORD_RELAXED);
}

/** As atomic_try_cmpxchg_relaxed(), with acquire ordering on success. */
export function atomic_try_cmpxchg_acquire(v: atomic_t, old: IntRef, neu: number): boolean {
  return cmpxchg(v, old, neu, ORD_ACQUIRE);
}

function fetch_add(v: atomic_t, delta: number, ord: number): number {
  if (hooks !== null) return hooks.fetch_add(v, delta, ord);
  const old = v.v;
  v.v = (old + delta) | 0;
  return old;
}

/** Add @i; returns the old value; no ordering. */
export function atomic_fetch_add_relaxed(i: number, v: atomic_t): number {
  return fetch_add(v, i, ORD_RELAXED);
}

/** Subtract @i; returns the old value; release ordering. */
export function atomic_fetch_sub_release(i: number, v: atomic_t): number {
  return fetch_add(v, -i, ORD_RELEASE);
}

/** atomic_inc(): relaxed, no return value. */
export function atomic_inc(v: atomic_t): void {
  fetch_add(v, 1, ORD_RELAXED);
}

/** atomic_dec_and_test(): fully ordered. */
export function atomic_dec_and_test(v: atomic_t): boolean {
  return fetch_add(v, -1, ORD_MB) - 1 === 0;
}

/* Barriers ------------------------------------------------------------------ */

export function smp_mb(): void {
  if (hooks !== null) hooks.fence(FENCE_MB);
}

/** Orders earlier stores before later stores (a release fence in the model). */
export function smp_wmb(): void {
  if (hooks !== null) hooks.fence(FENCE_WMB);
}

/** Orders earlier loads before later loads (an acquire fence in the model). */
export function smp_rmb(): void {
  if (hooks !== null) hooks.fence(FENCE_RMB);
}

/** Upgrade a control dependency to acquire ordering. */
export function smp_acquire__after_ctrl_dep(): void {
  smp_rmb();
}
