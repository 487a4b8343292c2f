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

export interface FreeEvent {
  readonly vma: vm_area_struct;
  readonly id: number;
  /** vm_refcnt when vm_area_free() was called (0 for a detached VMA). */
  readonly refcnt: number;
}

export class VmaRegistry {
  private nextId = 1;
  private readonly liveById = new Map<number, vm_area_struct>();
  private freedTotal = 0;
  private log: FreeEvent[] = [];

  /** Give a newly allocated object its identity. */
  register(vma: vm_area_struct): void {
    vma.__id = this.nextId++;
    vma.__freed = false;
    this.liveById.set(vma.__id, vma);
  }

  /** Record a free; a second free of the same object is a bug. */
  release(vma: vm_area_struct, fn: string): void {
    if (vma.__freed) {
      throw new KernelBug('double free', `${fn}: vma#${vma.__id} was already freed`);
    }
    if (!this.liveById.delete(vma.__id)) {
      throw new KernelBug('bad free', `${fn}: vma#${vma.__id} was never allocated by the registry`);
    }
    vma.__freed = true;
    this.freedTotal++;
    this.log.push({ vma, id: vma.__id, refcnt: vma.vm_refcnt });
  }

  /** The live object with this id, or undefined. */
  lookup(id: number): vm_area_struct | undefined {
    return this.liveById.get(id);
  }

  isLive(id: number): boolean {
    return this.liveById.has(id);
  }

  /** True for ids that were handed out and whose object has been freed. */
  isFreed(id: number): boolean {
    return id >= 1 && id < this.nextId && !this.liveById.has(id);
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
    return [...this.liveById.values()];
  }

  get liveCount(): number {
    return this.liveById.size;
  }

  /** The frees logged since the last call, oldest first. */
  takeFreed(): FreeEvent[] {
    const out = this.log;
    this.log = [];
    return out;
  }

  /** Start again from id 1 with nothing live (a fresh harness run). */
  reset(): void {
    this.nextId = 1;
    this.liveById.clear();
    this.freedTotal = 0;
    this.log = [];
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
