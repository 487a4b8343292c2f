// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The structures of the v6.15 userland harness (vma_internal.h), with the
 * kernel's names for every field mm/vma.c touches.
 *
 * Two fields are not the kernel's: __id, the identity the allocation registry
 * gives every vm_area_struct (see registry.ts), and __freed, set by
 * vm_area_free() so that a later use of the object can be reported.
 */

import { list_head } from './list';
import { maple_tree } from './maple_tree';
import type { pgprot_t, unsigned_long, pgoff_t, vm_flags_t } from './constants';
import { UINT_MAX } from './constants';
import { KernelBug } from './bug';

/** struct vm_userfaultfd_ctx is empty in the harness. */
export interface vm_userfaultfd_ctx {}
export const NULL_VM_UFFD_CTX: vm_userfaultfd_ctx = Object.freeze({});

/** struct mempolicy is empty in the harness; vma_policy() is always NULL. */
export interface mempolicy {}

/** struct anon_vma_name: only ever NULL in the harness. */
export interface anon_vma_name_t {
  readonly name: string;
}

export class anon_vma {
  root: anon_vma | null = null;
  /** rb_root_cached; mm_take_all_locks() borrows bit 0 of rb_node as a flag. */
  rb_root = { rb_root: { rb_node: 0 } };
  /* Test fields set by the anon_vma_clone() / unlink_anon_vmas() stubs. */
  was_cloned = false;
  was_unlinked = false;
}

export class anon_vma_chain {
  constructor(public anon_vma: anon_vma | null = null) {}
}

export class address_space {
  /** Interval tree of mappings: the harness's tree operations are no-ops. */
  i_mmap = {};
  flags = 0;
  i_mmap_writable = 0;
}

export class file {
  constructor(public f_mapping: address_space = new address_space()) {}
}

export type vm_fault_t = number;

/** struct vm_operations_struct: the hooks mm/vma.c looks at. */
export interface vm_operations_struct {
  open?: (area: vm_area_struct) => void;
  close?: (area: vm_area_struct) => void;
  may_split?: (area: vm_area_struct, addr: unsigned_long) => number;
  mremap?: (area: vm_area_struct) => number;
  mprotect?: (vma: vm_area_struct, start: unsigned_long, end: unsigned_long, newflags: vm_flags_t) => number;
  page_mkwrite?: () => vm_fault_t;
  pfn_mkwrite?: () => vm_fault_t;
  name?: (vma: vm_area_struct) => string | null;
}

export class mm_struct {
  mm_mt: maple_tree<vm_area_struct> = new_mm_tree();
  /** number of VMAs */
  map_count = 0;
  /* Page counters; unsigned long in C (see ulong_gt() for comparisons). */
  total_vm: unsigned_long = 0;
  locked_vm: unsigned_long = 0;
  data_vm: unsigned_long = 0;
  exec_vm: unsigned_long = 0;
  stack_vm: unsigned_long = 0;
  def_flags: vm_flags_t = 0n;
  /** MMF_* bits (all below bit 32). */
  flags = 0;

  describe(): string {
    return `mm(map_count=${this.map_count})`;
  }
}

/*
 * The mm's tree refuses to store a VMA that has been freed.  One function
 * shared by every mm: a closure per mm would be a new call target for the
 * stand-in's store path with every fresh mm (a replay makes one per trace),
 * and V8 throws away code compiled for the last one.
 */
function mm_tree_check_entry(vma: vm_area_struct, fn: string): void {
  if (vma.__freed) throw new KernelBug('use after free', `${fn}: vma#${vma.__id} was freed`);
}

function new_mm_tree(): maple_tree<vm_area_struct> {
  const mt = new maple_tree<vm_area_struct>();
  mt.check_entry = mm_tree_check_entry;
  return mt;
}

export class vm_area_struct {
  /** Identity from the allocation registry (not a kernel field). */
  __id = 0;
  /** Set once vm_area_free() has run (not a kernel field). */
  __freed = false;

  /* The VMA covers [vm_start, vm_end). */
  vm_start: unsigned_long = 0;
  vm_end: unsigned_long = 0;
  vm_mm: mm_struct;
  vm_page_prot: pgprot_t = 0n;
  /** Written through vm_flags_init()/vm_flags_set()/...; read as vm_flags. */
  __vm_flags: vm_flags_t = 0n;
  /** Incremented by vma_start_write(); the harness resets it to UINT_MAX. */
  vm_lock_seq = UINT_MAX;
  anon_vma_chain: list_head<anon_vma_chain> = new list_head<anon_vma_chain>();
  anon_vma: anon_vma | null = null;
  vm_ops: vm_operations_struct | null = null;
  /** Offset within vm_file, in pages. */
  vm_pgoff: pgoff_t = 0;
  vm_file: file | null = null;
  vm_private_data: unknown = null;
  /** 0 while detached, 1 while attached (see vma_mark_attached()). */
  vm_refcnt = 0;
  vm_userfaultfd_ctx: vm_userfaultfd_ctx = NULL_VM_UFFD_CTX;

  constructor(mm: mm_struct) {
    this.vm_mm = mm;
  }

  /** The read-only view of the flags (the const member of the C union). */
  get vm_flags(): vm_flags_t {
    return this.__vm_flags;
  }

  describe(): string {
    return (
      `vma#${this.__id}[0x${this.vm_start.toString(16)}-0x${this.vm_end.toString(16)}` +
      ` pgoff 0x${this.vm_pgoff.toString(16)} flags 0x${this.__vm_flags.toString(16)} refcnt ${this.vm_refcnt}]`
    );
  }
}

export class task_struct {
  comm = '';
  pid = 0;
  mm: mm_struct | null = null;
  /** Used for emulating ABI behaviour of older kernels (READ_IMPLIES_EXEC). */
  personality = 0;
}

export class vm_unmapped_area_info {
  flags = 0;
  length: unsigned_long = 0;
  low_limit: unsigned_long = 0;
  high_limit: unsigned_long = 0;
  align_mask: unsigned_long = 0;
  align_offset: unsigned_long = 0;
  start_gap: unsigned_long = 0;
}
export const VM_UNMAPPED_AREA_TOPDOWN = 1;

/** Empty in the harness. */
export class mmu_gather {}
export class mutex {}
