// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A model of a slab cache created with SLAB_TYPESAFE_BY_RCU (mm/slub.c's
 * contract, not its code): a freed object goes back on the cache's free list
 * at once and the very next allocation, by any task of any mm, may return
 * it.  Only the backing page would wait for an RCU grace period, so an RCU
 * reader that still holds a pointer always finds an object of the right
 * type, maybe a different incarnation.  The free list is LIFO (the most
 * recently freed object is handed out first: what the per-CPU free list of
 * SLUB does on one CPU, and the case that exposes reuse bugs soonest).
 *
 * On free the allocator writes its free-list link into the object at the
 * cache's free-pointer offset; every other byte keeps its old value.  For
 * vm_area_cachep that offset is vm_freeptr, which shares a union with
 * vm_start/vm_end, so vm_refcnt, vm_mm and vm_lock_seq survive the free.
 */

import { at, step, type Gen } from './step';

/** Cache flags of include/linux/slab.h (only SLAB_TYPESAFE_BY_RCU changes behaviour here). */
export const SLAB_HWCACHE_ALIGN = 0x00002000;
/** Panic if the cache cannot be created. */
export const SLAB_PANIC = 0x00040000;
/** Freed objects may be reused at once but stay objects of this type. */
export const SLAB_TYPESAFE_BY_RCU = 0x00080000;
/** Charge objects to the memory cgroup. */
export const SLAB_ACCOUNT = 0x04000000;

/** A free-list link value: not an address any VMA could have. */
export const FREEPTR_POISON = 0x10000000000000;

/** How a cache makes new objects and where it keeps its free pointer. */
export interface kmem_cache_args<T> {
  /** A brand-new object for slot @slot (a fresh slab page). */
  readonly create: (slot: number) => T;
  /** Store the free-list link @link into the free object (the free-pointer offset). */
  readonly set_freeptr: (obj: T, link: number) => void;
  /** The object's slot. */
  readonly slot_of: (obj: T) => number;
}

const S_ALLOC = step('kmem_cache_alloc', 'pop the free list (or a fresh slab object)');
const S_FREE = step('kmem_cache_free', 'write the free pointer into the object, push it on the free list');

/** A cache: a LIFO free list of objects of one type, each with a slot number. */
export class kmem_cache<T extends object> {
  /** The free list, most recently freed last. */
  readonly free_list: T[] = [];
  /** Every object the cache has created, by slot. */
  readonly objects: T[] = [];
  /**
   * Called with each object handed out and each object freed (bookkeeping
   * outside the kernel model, e.g. the allocation registry; not slab code).
   */
  on_alloc: ((obj: T) => void) | null = null;
  on_free: ((obj: T) => void) | null = null;
  /** Allocations and frees since the last reset (statistics). */
  allocs = 0;
  frees = 0;
  reuses = 0;

  constructor(
    readonly name: string,
    readonly flags: number,
    readonly args: kmem_cache_args<T>,
  ) {}

  /** Slab objects created so far. */
  get size(): number {
    return this.objects.length;
  }

  /** Forget every object (a fresh run): the next allocation creates slot 0. */
  reset(): void {
    this.free_list.length = 0;
    this.objects.length = 0;
    this.allocs = this.frees = this.reuses = 0;
  }

  /** Is @obj on the free list? */
  is_free(obj: T): boolean {
    return this.free_list.includes(obj);
  }
}

/** Allocate from @s: the most recently freed object, else a new one. */
export function* kmem_cache_alloc<T extends object>(s: kmem_cache<T>): Gen<T> {
  yield at(S_ALLOC, s);
  return kmem_cache_alloc_now(s);
}

/* The allocation itself (one atomic step of the allocator). */
function kmem_cache_alloc_now<T extends object>(s: kmem_cache<T>): T {
  s.allocs++;
  let obj = s.free_list.pop();
  if (obj !== undefined) s.reuses++;
  else {
    obj = s.args.create(s.objects.length);
    s.objects.push(obj);
  }
  if (s.on_alloc !== null) s.on_alloc(obj);
  return obj;
}

/** Free @obj to @s: it can be handed out again by the next allocation. */
export function* kmem_cache_free<T extends object>(s: kmem_cache<T>, obj: T): Gen<void> {
  yield at(S_FREE, obj);
  if (s.on_free !== null) s.on_free(obj);
  s.frees++;
  const fl = s.free_list;
  const next = fl.length ? fl[fl.length - 1] : null;
  s.args.set_freeptr(obj, FREEPTR_POISON + (next === null ? 0 : (s.args.slot_of(next) + 1) * 0x100));
  fl.push(obj);
}
