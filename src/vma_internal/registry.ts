// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The allocation registry: identity and lifetime of every vm_area_struct.
 *
 * Each VMA gets the next integer id (from 1) when vm_area_alloc() or
 * vm_area_dup() creates it, including objects that an error path frees again
 * at once; this is the identity vma-trace/1 uses.  The registry knows which
 * objects are live and which were freed, raises a KernelBug on a double free
 * or on a freed object handed back to the stub layer (use after free), and
 * keeps a log of the frees (with vm_refcnt at that moment) for the trace
 * replayer and the property tests.
 */

import { KernelBug } from './bug';
import type { vm_area_struct } from './structs';

/*
 * One logged free: numbers only, so that a log nobody has drained yet keeps
 * no freed object alive.
 */
export interface FreeEvent {
  readonly id: number;
  /** vm_refcnt when vm_area_free() was called (0 for a detached VMA). */
  readonly refcnt: number;
}

const NO_FREES: readonly FreeEvent[] = Object.freeze([]);

/** Ids, liveness and the free log of every VMA the stub layer allocates. */
export class VmaRegistry {
  private nextId = 1;
  /*
   * Live objects by id (ids are dense from 1, so an array beats a Map on
   * the hot path); a freed object's slot holds undefined.
   */
  private byId: (vm_area_struct | undefined)[] = [undefined];
  private live = 0;
  private freedTotal = 0;
  /*
   * The free log: the first logCount slots of two number arrays, kept for
   * the registry's life (slots past logCount are stale).  No object and no
   * new array per free or per reset: a replay resets for every trace and
   * drops the log after every step, and code V8 compiled for the arrays of
   * the last trace would be thrown away with them.
   */
  private logIds: number[] = [];
  private logRefcnts: number[] = [];
  private logCount = 0;

  /** Give a newly allocated object its identity. */
  register(vma: vm_area_struct): void {
    const id = this.nextId++;
    vma.__id = id;
    vma.__freed = false;
    this.byId.push(vma);
    this.live++;
  }

  /** Record a free; a second free of the same object is a bug. */
  release(vma: vm_area_struct, fn: string): void {
    if (vma.__freed) {
      throw new KernelBug('double free', `${fn}: vma#${vma.__id} was already freed`);
    }
    const id = vma.__id;
    if (id < 1 || id >= this.nextId || this.byId[id] !== vma) {
      throw new KernelBug('bad free', `${fn}: vma#${vma.__id} was never allocated by the registry`);
    }
    this.byId[id] = undefined;
    this.live--;
    vma.__freed = true;
    this.freedTotal++;
    const n = this.logCount++;
    if (n < this.logIds.length) {
      this.logIds[n] = id;
      this.logRefcnts[n] = vma.vm_refcnt;
    } else {
      this.logIds.push(id);
      this.logRefcnts.push(vma.vm_refcnt);
    }
  }

  /** The live object with this id, or undefined. */
  lookup(id: number): vm_area_struct | undefined {
    return Number.isInteger(id) && id >= 1 && id < this.nextId ? this.byId[id] : undefined;
  }

  isLive(id: number): boolean {
    return this.lookup(id) !== undefined;
  }

  /** True for ids that were handed out and whose object has been freed. */
  isFreed(id: number): boolean {
    return Number.isInteger(id) && id >= 1 && id < this.nextId && this.byId[id] === undefined;
  }

  /** How many objects were ever allocated. */
  get allocated(): number {
    return this.nextId - 1;
  }

  get freed(): number {
    return this.freedTotal;
  }

  /** Live objects in allocation order. */
  liveVmas(): vm_area_struct[] {
    const out: vm_area_struct[] = [];
    const byId = this.byId;
    for (let id = 1; id < byId.length; id++) {
      const v = byId[id];
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  get liveCount(): number {
    return this.live;
  }

  /** The frees logged since the last take or drop, oldest first (a shared empty array when none); empties the log. */
  takeFreed(): readonly FreeEvent[] {
    const pairs = this.takeFreedPairs();
    return pairs === null ? NO_FREES : pairs.map(([id, refcnt]) => ({ id, refcnt }));
  }

  /**
   * The frees logged since the last take or drop as [id, refcount] pairs,
   * oldest first, or null when none; empties the log (takeFreed() without
   * the event objects, for a trace's `freed` list).
   */
  takeFreedPairs(): [number, number][] | null {
    const n = this.logCount;
    if (n === 0) return null;
    const out: [number, number][] = [];
    for (let i = 0; i < n; i++) out.push([this.logIds[i], this.logRefcnts[i]]);
    this.logCount = 0;
    return out;
  }

  /** Empty the free log, as takeFreed() does, without making the list. */
  dropFreed(): void {
    this.logCount = 0;
  }

  /** Start again from id 1 with nothing live (a fresh harness run). */
  reset(): void {
    this.nextId = 1;
    this.byId = [undefined];
    this.live = 0;
    this.freedTotal = 0;
    this.logCount = 0;
  }
}

/** The registry of the running harness. */
export const vma_registry = new VmaRegistry();

/** Raise a KernelBug when a freed VMA is used again. */
export function vma_check_live(vma: vm_area_struct, fn: string): void {
  if (vma.__freed) {
    throw new KernelBug('use after free', `${fn}: vma#${vma.__id} was freed`);
  }
}
