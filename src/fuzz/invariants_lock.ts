// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Invariants of the real VMA lock (LOCK_MODEL.md a.10), checked by the race
 * explorer after every atomic step.  They are stated over a shadow of each
 * VMA's lock state that the explorer keeps from what it sees happen (which
 * actor changed vm_refcnt by how much, in which kernel function), not from
 * the lock's own bookkeeping, so that a wrong count is caught where it goes
 * wrong:
 *
 *  - vm_refcnt stays in its legal states: 0 ≤ count < 2·VMA_LOCK_OFFSET,
 *    never saturated;
 *  - count = attached + readers holding it + (writer bit ? VMA_LOCK_OFFSET : 0),
 *    every reader counted exactly, the writer bit set only by a writer
 *    between __vma_enter_locked() and __vma_exit_locked();
 *  - only vma_mark_attached() takes a count from 0 to 1 (and only with no
 *    reader or writer in it); no plain store changes the count otherwise;
 *  - a reader's increment never starts from 0, its decrement never drops a
 *    count it does not hold;
 *  - what a reader holds does not change under it (range, pgoff, flags,
 *    anon_vma, file);
 *  - when a write-hold ends, every VMA in the tree is attached with no
 *    writer bit, and the tree is well formed.
 */

import type { mm_struct, vm_area_struct } from '../vma_internal/structs';
import { VMA_LOCK_OFFSET } from '../lock/mm_types';
import { checkTree } from './invariants_tree';

const O = VMA_LOCK_OFFSET;

/** The lock state of one VMA as the explorer saw it come about. */
export interface LockShadow {
  /** Between vma_mark_attached() and the detaching decrement. */
  attached: boolean;
  /** Counts held by readers (transient or not). */
  readers: number;
  /** The writer (actor name) that added VMA_LOCK_OFFSET, or null. */
  writer: string | null;
}

/** A fresh shadow of a VMA lock: no reader, no writer, attached or not. */
export function newShadow(attached: boolean): LockShadow {
  return { attached, readers: 0, writer: null };
}

/** What vm_refcnt must be, given the shadow. */
export function expectedRefcount(sh: LockShadow): number {
  return (sh.attached ? 1 : 0) + sh.readers + (sh.writer !== null ? O : 0);
}

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

/** Is @v a legal vm_refcnt at all?  Null if so, else why not. */
export function refcountLegal(v: number): string | null {
  if (v < 0) return `vm_refcnt ${hex(v)} is negative (saturated or underflowed)`;
  if (v >= 2 * O) return `vm_refcnt ${hex(v)} is at or above 2 * VMA_LOCK_OFFSET`;
  return null;
}

/** The state name of a count, for coverage (LOCK_MODEL.md a.2). */
export function refcountState(v: number): string {
  if (v === 0) return '0 (detached)';
  if (v === 1) return '1 (attached)';
  if (v < O) return '2..O-1 (attached, readers)';
  if (v === O) return 'O (detaching writer, no reader)';
  if (v === O + 1) return 'O+1 (write-locking writer, no reader)';
  if (v < 2 * O) return 'O+n (writer waiting for readers)';
  return 'illegal';
}

/** Who changes the count, as far as the rules are concerned. */
export type RefActor = 'reader' | 'writer';

/**
 * Apply one change of a VMA's vm_refcnt from @old to @neu, made by @who
 * (@name) in kernel function @fn, either as an atomic read-modify-write or
 * as a plain/atomic store.  Updates @sh; returns why the change is illegal,
 * or null.  @holds is how many counts this reader held on the VMA before.
 */
export function applyRefChange(
  sh: LockShadow,
  who: RefActor,
  name: string,
  fn: string,
  how: 'rmw' | 'store',
  old: number,
  neu: number,
  holds: number,
): string | null {
  const d = neu - old;
  if (how === 'store') {
    if (old === neu) return null;
    if (fn === 'vma_mark_attached' && old === 0 && neu === 1) {
      if (sh.attached || sh.readers || sh.writer !== null) return `${name} attached a VMA that was not idle (${describeShadow(sh)})`;
      sh.attached = true;
      return null;
    }
    return `${name} overwrote vm_refcnt ${hex(old)} -> ${hex(neu)} with a store in ${fn}`;
  }
  if (d === 0) return null; /* a failed CAS */
  if (who === 'reader') {
    if (d === 1) {
      if (old === 0) return `${name} raised vm_refcnt from 0 in ${fn}: a reader locked a detached or free VMA`;
      if (old >= O) return `${name} raised vm_refcnt ${hex(old)} in ${fn} although the writer bit is set`;
      sh.readers++;
      return null;
    }
    if (d === -1) {
      if (holds <= 0) return `${name} dropped a count on vm_refcnt ${hex(old)} in ${fn} that it does not hold`;
      sh.readers--;
      return null;
    }
    return `${name} changed vm_refcnt by ${d} (${hex(old)} -> ${hex(neu)}) in ${fn}`;
  }
  if (d === O) {
    if (sh.writer !== null) return `${name} set the writer bit in ${fn} while ${sh.writer} holds it`;
    if (old === 0) return `${name} set the writer bit on a detached VMA in ${fn}`;
    sh.writer = name;
    return null;
  }
  if (d === -O) {
    if (sh.writer !== name) return `${name} cleared a writer bit in ${fn} that ${sh.writer === null ? 'nobody' : sh.writer} set`;
    sh.writer = null;
    return null;
  }
  if (d === -1) {
    if (!sh.attached) return `${name} detached (decremented) a VMA that is not attached in ${fn}`;
    sh.attached = false;
    return null;
  }
  return `${name} changed vm_refcnt by ${d} (${hex(old)} -> ${hex(neu)}) in ${fn}`;
}

/** The shadow in words, for reports. */
export function describeShadow(sh: LockShadow): string {
  return `${sh.attached ? 'attached' : 'detached'}, ${sh.readers} reader count(s)${sh.writer !== null ? `, writer bit of ${sh.writer}` : ''}`;
}

/** Does the count agree with the shadow?  Null if so. */
export function checkRefcount(sh: LockShadow, v: number): string | null {
  const legal = refcountLegal(v);
  if (legal !== null) return legal;
  const want = expectedRefcount(sh);
  if (v !== want) return `vm_refcnt is ${hex(v)} but ${describeShadow(sh)} makes ${hex(want)}`;
  return null;
}

/** The fields a reader relies on, as they were when it got its lock. */
export interface VmaSnap {
  readonly vm_start: number;
  readonly vm_end: number;
  readonly vm_pgoff: number;
  readonly vm_flags: bigint;
  readonly anon_vma: unknown;
  readonly vm_file: unknown;
}

/** The protected fields of a VMA with a sequentially consistent view (.v of each cell). */
export interface SnapSource {
  readonly mem: {
    readonly vm_start: { readonly v: number };
    readonly vm_end: { readonly v: number };
    readonly vm_pgoff: { readonly v: number };
    readonly __vm_flags: { readonly v: bigint };
    readonly anon_vma: { readonly v: unknown };
    readonly vm_file: { readonly v: unknown };
  };
}

/** What a reader saw of a VMA when it locked it (compared at every step). */
export function snapVma(v: SnapSource): VmaSnap {
  const m = v.mem;
  return {
    vm_start: m.vm_start.v,
    vm_end: m.vm_end.v,
    vm_pgoff: m.vm_pgoff.v,
    vm_flags: m.__vm_flags.v,
    anon_vma: m.anon_vma.v,
    vm_file: m.vm_file.v,
  };
}

/** The first protected field of @v that differs from @s, or null. */
export function changedField(s: VmaSnap, v: SnapSource): string | null {
  const m = v.mem;
  if (m.vm_start.v !== s.vm_start) return 'vm_start';
  if (m.vm_end.v !== s.vm_end) return 'vm_end';
  if (m.vm_pgoff.v !== s.vm_pgoff) return 'vm_pgoff';
  if (m.__vm_flags.v !== s.vm_flags) return 'vm_flags';
  if (m.anon_vma.v !== s.anon_vma) return 'anon_vma';
  if (m.vm_file.v !== s.vm_file) return 'vm_file';
  return null;
}

/** The fields a writer may not change while a reader holds the VMA. */
export const PROTECTED_FIELDS: ReadonlySet<string> = new Set(['vm_start', 'vm_end', 'vm_pgoff', '__vm_flags', 'anon_vma', 'vm_file']);

/** The only fields a reader may touch before its increment succeeds. */
export const UNSTABLE_READER_FIELDS: ReadonlySet<string> = new Set(['vm_refcnt', 'vm_mm', 'vm_lock_seq']);

/**
 * At the end of a write-hold of @mm (unlock or downgrade): the tree is well
 * formed and every VMA in it is attached with no writer bit and no leftover
 * writer.  (A VMA left detached in the tree makes every reader retry
 * -EAGAIN until someone removes it.)
 */
export function checkWriteHoldEnd(mm: mm_struct, shadowOf: (v: vm_area_struct) => LockShadow | undefined): string[] {
  const errs: string[] = [];
  checkTree(mm, errs, (v) => {
    const sh = shadowOf(v);
    const n = v.vm_refcnt;
    if (sh === undefined) return `vm_refcnt ${hex(n)} and no lock history`;
    if (!sh.attached || n < 1) return `vm_refcnt ${hex(n)}: detached while still in the tree`;
    if (sh.writer !== null || (n & O) !== 0) return `vm_refcnt ${hex(n)}: the writer bit is still set`;
    return null;
  });
  return errs;
}
