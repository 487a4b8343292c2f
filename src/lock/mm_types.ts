// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The lock-related parts of include/linux/mm_types.h in kernel mode:
 * VMA_LOCK_OFFSET and VMA_REF_LIMIT, struct vm_area_struct as it lives in
 * the SLAB_TYPESAFE_BY_RCU cache, and struct mm_struct with mmap_lock,
 * mm_lock_seq, vma_writer_wait and its two counts.
 *
 * slab_vm_area_struct has every member src/mm uses (so the port runs on it
 * unchanged), but the fields a page-fault reader or the lock protocol share
 * are Cells (`vma.mem`): vm_start/vm_end (the union with vm_freeptr, which
 * the allocator overwrites on free), vm_mm, the flags, vm_lock_seq,
 * anon_vma, vm_ops, vm_pgoff, vm_file, and vm_refcnt (a refcount_t).  The
 * port reads and writes them through accessors; a plain store is an atomic
 * step of its own, so a reader can run between any two stores the port
 * makes.  The object keeps its identity (its slab slot) across frees;
 * __id, given by the allocation registry at each allocation, is the
 * incarnation.
 */

import { KernelBug } from '../vma_internal/bug';
import { UINT_MAX, type pgoff_t, type unsigned_long, type vm_flags_t } from '../vma_internal/constants';
import { list_head } from '../vma_internal/list';
import { RangeTree } from '../vma_internal/range_tree';
import {
  mm_struct,
  NULL_VM_UFFD_CTX,
  type anon_vma,
  type anon_vma_chain,
  type file,
  type vm_area_struct,
  type vm_operations_struct,
  type vm_userfaultfd_ctx,
} from '../vma_internal/structs';
import { Cell, LOAD, rcu_assign_pointer, STORE, type atomic_t } from './atomic';
import { refcount_t } from './refcount';
import { rcuwait } from './rcuwait';
import { rw_semaphore } from './rwsem';
import { sched_point, step, type Step } from './step';

/** Added to vm_refcnt by a writer while it excludes readers (bit 30). */
export const VMA_LOCK_OFFSET = 0x40000000;
/** Readers may only raise vm_refcnt while it stays at or below this. */
export const VMA_REF_LIMIT = VMA_LOCK_OFFSET - 1;

/** seqcount_t: the sequence alone (no lockdep map). */
export class seqcount_t {
  readonly sequence: Cell<number>;

  constructor(owner: object, name: string) {
    this.sequence = new Cell<number>(owner, `${name}.sequence`, 0);
  }
}

/** The shared fields of a VMA: each one a memory location. */
export interface vma_mem {
  readonly vm_start: Cell<unsigned_long>;
  readonly vm_end: Cell<unsigned_long>;
  readonly vm_mm: Cell<mm_struct>;
  readonly __vm_flags: Cell<vm_flags_t>;
  readonly vm_lock_seq: Cell<number>;
  readonly anon_vma: Cell<anon_vma | null>;
  readonly vm_ops: Cell<vm_operations_struct | null>;
  readonly vm_pgoff: Cell<pgoff_t>;
  readonly vm_file: Cell<file | null>;
  /** vm_refcnt, on its own cache line in the kernel. */
  readonly vm_refcnt: refcount_t;
}

/** The plain-store step of each shared VMA field. */
const S_STORE = {
  vm_start: step('(store)', 'vma->vm_start = ...'),
  vm_end: step('(store)', 'vma->vm_end = ...'),
  vm_mm: step('(store)', 'vma->vm_mm = ...'),
  __vm_flags: step('(store)', 'vma->__vm_flags = ...'),
  vm_lock_seq: step('(store)', 'vma->vm_lock_seq = ...'),
  anon_vma: step('(store)', 'vma->anon_vma = ...'),
  vm_ops: step('(store)', 'vma->vm_ops = ...'),
  vm_pgoff: step('(store)', 'vma->vm_pgoff = ...'),
  vm_file: step('(store)', 'vma->vm_file = ...'),
  vm_refcnt: step('(store)', 'vma->vm_refcnt = ... (plain)'),
} as const;

function store<T>(s: Step, vma: slab_vm_area_struct, c: Cell<T>, v: T): void {
  sched_point(s, vma);
  STORE(c, v);
}

/** struct vm_area_struct as an object of vm_area_cachep. */
export class slab_vm_area_struct implements vm_area_struct {
  /** Allocation registry identity: the incarnation (not a kernel field). */
  __id = 0;
  /** Set while the object is free (not a kernel field). */
  __freed = false;
  /** The slab slot: the object's identity across incarnations (not a kernel field). */
  readonly __slot: number;
  /** The shared fields (see vma_mem). */
  readonly mem: vma_mem;

  vm_page_prot = 0n;
  anon_vma_chain: list_head<anon_vma_chain> = new list_head<anon_vma_chain>();
  vm_private_data: unknown = null;
  vm_userfaultfd_ctx: vm_userfaultfd_ctx = NULL_VM_UFFD_CTX;

  constructor(slot: number, mm: mm_struct) {
    this.__slot = slot;
    this.mem = {
      vm_start: new Cell<unsigned_long>(this, 'vm_start', 0),
      vm_end: new Cell<unsigned_long>(this, 'vm_end', 0),
      vm_mm: new Cell<mm_struct>(this, 'vm_mm', mm),
      __vm_flags: new Cell<vm_flags_t>(this, '__vm_flags', 0n),
      vm_lock_seq: new Cell<number>(this, 'vm_lock_seq', UINT_MAX),
      anon_vma: new Cell<anon_vma | null>(this, 'anon_vma', null),
      vm_ops: new Cell<vm_operations_struct | null>(this, 'vm_ops', null),
      vm_pgoff: new Cell<pgoff_t>(this, 'vm_pgoff', 0),
      vm_file: new Cell<file | null>(this, 'vm_file', null),
      vm_refcnt: new refcount_t(this, 'vm_refcnt', 0),
    };
  }

  get vm_start(): unsigned_long {
    return LOAD(this.mem.vm_start);
  }
  set vm_start(v: unsigned_long) {
    store(S_STORE.vm_start, this, this.mem.vm_start, v);
  }
  get vm_end(): unsigned_long {
    return LOAD(this.mem.vm_end);
  }
  set vm_end(v: unsigned_long) {
    store(S_STORE.vm_end, this, this.mem.vm_end, v);
  }
  get vm_mm(): mm_struct {
    return LOAD(this.mem.vm_mm);
  }
  set vm_mm(v: mm_struct) {
    store(S_STORE.vm_mm, this, this.mem.vm_mm, v);
  }
  get __vm_flags(): vm_flags_t {
    return LOAD(this.mem.__vm_flags);
  }
  set __vm_flags(v: vm_flags_t) {
    store(S_STORE.__vm_flags, this, this.mem.__vm_flags, v);
  }
  get vm_lock_seq(): number {
    return LOAD(this.mem.vm_lock_seq);
  }
  set vm_lock_seq(v: number) {
    store(S_STORE.vm_lock_seq, this, this.mem.vm_lock_seq, v);
  }
  get anon_vma(): anon_vma | null {
    return LOAD(this.mem.anon_vma);
  }
  set anon_vma(v: anon_vma | null) {
    store(S_STORE.anon_vma, this, this.mem.anon_vma, v);
  }
  get vm_ops(): vm_operations_struct | null {
    return LOAD(this.mem.vm_ops);
  }
  set vm_ops(v: vm_operations_struct | null) {
    store(S_STORE.vm_ops, this, this.mem.vm_ops, v);
  }
  get vm_pgoff(): pgoff_t {
    return LOAD(this.mem.vm_pgoff);
  }
  set vm_pgoff(v: pgoff_t) {
    store(S_STORE.vm_pgoff, this, this.mem.vm_pgoff, v);
  }
  get vm_file(): file | null {
    return LOAD(this.mem.vm_file);
  }
  set vm_file(v: file | null) {
    store(S_STORE.vm_file, this, this.mem.vm_file, v);
  }
  /** The value of vm_refcnt (the harness's view of the field). */
  get vm_refcnt(): number {
    return LOAD(this.mem.vm_refcnt.refs);
  }
  /** A plain store to the count (no kernel code does this; a bug would). */
  set vm_refcnt(v: number) {
    store(S_STORE.vm_refcnt, this, this.mem.vm_refcnt.refs, v);
  }

  /** The read-only view of the flags. */
  get vm_flags(): vm_flags_t {
    return this.__vm_flags;
  }

  describe(): string {
    const m = this.mem;
    return (
      `vma#${this.__id}@slot${this.__slot}[0x${m.vm_start.v.toString(16)}-0x${m.vm_end.v.toString(16)}` +
      ` pgoff 0x${m.vm_pgoff.v.toString(16)} flags 0x${m.__vm_flags.v.toString(16)} refcnt 0x${(m.vm_refcnt.refs.v >>> 0).toString(16)}` +
      ` seq ${m.vm_lock_seq.v} ${describe_mm(m.vm_mm.v)}]`
    );
  }
}

function describe_mm(mm: mm_struct): string {
  return mm instanceof lock_mm_struct ? `mm#${mm.__mm_id}` : 'mm';
}

/** The VMA as the kernel-mode object it must be (a harness VMA here is a bug of the caller). */
export function kvma(vma: vm_area_struct): slab_vm_area_struct {
  if (!(vma instanceof slab_vm_area_struct)) {
    throw new KernelBug('lock mode', `vma#${vma.__id} is not from vm_area_cachep (a harness-mode VMA in kernel mode)`);
  }
  return vma;
}

const S_TREE_STORE = step('mas_store', "store into the mm's maple tree (rcu_assign_pointer of the new nodes)");
const S_TREE_DESTROY = step('__mt_destroy', "free the mm's maple tree");

/**
 * The ranges of an mm's maple tree in RCU mode: every store is an atomic
 * step that publishes the new tree (release); a reader's walk reads the
 * current tree (see lock_vma_under_rcu()).
 */
export class rcu_range_tree extends RangeTree<vm_area_struct> {
  /** Publication point of the tree (a version number). */
  readonly rcu_root: Cell<number>;

  constructor(readonly mm: lock_mm_struct) {
    super();
    this.rcu_root = new Cell<number>(mm, 'mm_mt', 0);
    this.rcu_root.sc = true;
  }

  override store(index: number, last: number, value: vm_area_struct | null): void {
    sched_point(S_TREE_STORE, this.mm);
    super.store(index, last, value);
    rcu_assign_pointer(this.rcu_root, this.rcu_root.v + 1);
  }

  override clear(): void {
    if (this.size === 0) {
      super.clear();
      return;
    }
    sched_point(S_TREE_DESTROY, this.mm);
    super.clear();
    rcu_assign_pointer(this.rcu_root, this.rcu_root.v + 1);
  }
}

let next_mm_id = 1;

/** struct mm_struct with the per-VMA-lock fields. */
export class lock_mm_struct extends mm_struct {
  /** A small number naming the mm in reports (not a kernel field). */
  readonly __mm_id: number;
  /** Set once __mmdrop() has freed it (not a kernel field). */
  __freed = false;
  readonly mmap_lock: rw_semaphore;
  /** Odd while the mmap lock is write-held; VMAs whose vm_lock_seq equals it are write-locked. */
  readonly mm_lock_seq: seqcount_t;
  /** The one slot a VMA writer of this mm sleeps in. */
  readonly vma_writer_wait: rcuwait;
  /** Threads using the address space. */
  readonly mm_users: atomic_t;
  /** References to the struct itself (mm_users counts as one). */
  readonly mm_count: atomic_t;

  constructor(id: number = next_mm_id++) {
    super();
    this.__mm_id = id;
    this.mmap_lock = new rw_semaphore(this, 'mmap_lock');
    this.mm_lock_seq = new seqcount_t(this, 'mm_lock_seq');
    this.vma_writer_wait = new rcuwait(this, 'vma_writer_wait.task');
    this.mm_users = new Cell<number>(this, 'mm_users', 1);
    this.mm_count = new Cell<number>(this, 'mm_count', 1);
    /* The tree is in RCU mode: readers walk it without the mmap lock. */
    const ranges = new rcu_range_tree(this);
    (this.mm_mt as { ranges: RangeTree<vm_area_struct> }).ranges = ranges;
  }

  /** The RCU publication point of the tree. */
  get mm_mt_rcu(): Cell<number> {
    return (this.mm_mt.ranges as rcu_range_tree).rcu_root;
  }

  override describe(): string {
    return `mm#${this.__mm_id}(map_count=${this.map_count}${this.__freed ? ', freed' : ''})`;
  }
}

/** Start mm ids from 1 again (a fresh run). */
export function mm_ids_reset(): void {
  next_mm_id = 1;
}

/** The mm as the kernel-mode object it must be. */
export function kmm(mm: mm_struct): lock_mm_struct {
  if (!(mm instanceof lock_mm_struct)) throw new KernelBug('lock mode', 'an mm without the per-VMA lock fields in kernel mode');
  return mm;
}
