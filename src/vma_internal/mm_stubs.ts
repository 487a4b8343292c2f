// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The current task, tunables, accounting and mm-level stubs of the harness.
 */

import {
  CAP_IPC_LOCK,
  CONFIG_DEFAULT_MMAP_MIN_ADDR,
  EINTR,
  ENOMEM,
  EPERM,
  MMF_HAS_MDWE,
  PAGE_SHIFT,
  PAGE_SIZE,
  READ_IMPLIES_EXEC,
  RLIMIT_MEMLOCK,
  ULONG_MAX,
  VM_EXEC,
  VM_LOCKED,
  VM_MAYEXEC,
  VM_MAYREAD,
  VM_MAYWRITE,
  VM_READ,
  VM_SHADOW_STACK,
  VM_SHARED,
  VM_STACK,
  VM_WRITE,
  type unsigned_long,
  type vm_flags_t,
} from './constants';
import { task_struct, type address_space, type file, type mm_struct } from './structs';
import {
  FP_MAY_EXPAND_VM,
  FP_MLOCK_FUTURE_OK,
  FP_MMAP_WRITE_LOCK_KILLABLE,
  FP_SECURITY_VM_ENOUGH_MEMORY_MM,
  fault_should_fail,
} from './fault_inject';
import { kernel_lock } from './lock_mode';

/* The harness's tunables (defined in its vma.c). */
export const mmap_min_addr: unsigned_long = CONFIG_DEFAULT_MMAP_MIN_ADDR;
export const dac_mmap_min_addr: unsigned_long = CONFIG_DEFAULT_MMAP_MIN_ADDR;
export const stack_guard_gap: unsigned_long = 256 * PAGE_SIZE;

/** The harness's default vm.max_map_count. */
export const DEFAULT_MAX_MAP_COUNT = 0x1000000;

/**
 * vm.max_map_count.  A fixed value in the v6.15 harness; settable here (the
 * trace operation set_max_map_count) so that the map-count checks can be
 * reached.  The port reads the live binding directly.
 */
export let sysctl_max_map_count = DEFAULT_MAX_MAP_COUNT;

/** Set vm.max_map_count (0 to 2^31 - 1, as the sysctl accepts). */
export function set_sysctl_max_map_count(value: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > 0x7fffffff) {
    throw new RangeError(`set_sysctl_max_map_count: bad value ${value}`);
  }
  sysctl_max_map_count = value;
}

/** The harness's one task; tests point its mm at the mm under test. */
export const current: task_struct = new task_struct();

export function get_current(): task_struct {
  return current;
}

/** current->mm, which mm/vma.c assumes is set. */
export function current_mm(): mm_struct {
  const mm = current.mm;
  if (mm === null) throw new Error('current->mm is not set');
  return mm;
}

/** Every limit is unlimited. */
export function rlimit(_limit: number): unsigned_long {
  return ULONG_MAX;
}

export function capable(_cap: number): boolean {
  return true;
}

/** test_bit() on an unsigned long bitmap held in a number (bits 0..31). */
export function test_bit(nr: number, word: number): boolean {
  return ((word >>> nr) & 1) === 1;
}

/** __test_and_set_bit() on the field @key of @holder; returns the old bit. */
export function __test_and_set_bit<K extends string>(nr: number, holder: Record<K, number>, key: K): boolean {
  const old = test_bit(nr, holder[key]);
  holder[key] = (holder[key] | (1 << nr)) >>> 0;
  return old;
}

/** __test_and_clear_bit() on the field @key of @holder; returns the old bit. */
export function __test_and_clear_bit<K extends string>(nr: number, holder: Record<K, number>, key: K): boolean {
  const old = test_bit(nr, holder[key]);
  holder[key] = (holder[key] & ~(1 << nr)) >>> 0;
  return old;
}

export const test_and_set_bit = __test_and_set_bit;
export const test_and_clear_bit = __test_and_clear_bit;

/* Accounting -------------------------------------------------------------- */

/*
 * These mirror the helpers of mm/vma.h: vma_internal.h needs them for
 * vm_stat_account() and defines private copies.
 */
function is_exec_mapping(flags: vm_flags_t): boolean {
  return (flags & (VM_EXEC | VM_WRITE | VM_STACK)) === VM_EXEC;
}
function is_stack_mapping(flags: vm_flags_t): boolean {
  return (flags & VM_STACK) === VM_STACK || (flags & VM_SHADOW_STACK) !== 0n;
}
function is_data_mapping(flags: vm_flags_t): boolean {
  return (flags & (VM_WRITE | VM_SHARED | VM_STACK)) === VM_WRITE;
}

export function vm_stat_account(mm: mm_struct, flags: vm_flags_t, npages: number): void {
  mm.total_vm = mm.total_vm + npages;
  if (is_exec_mapping(flags)) mm.exec_vm += npages;
  else if (is_stack_mapping(flags)) mm.stack_vm += npages;
  else if (is_data_mapping(flags)) mm.data_vm += npages;
}

/**
 * a > b for two unsigned long counters.  A counter that was decremented below
 * zero has wrapped in C; here it is negative, which stands for 2^64 + value.
 */
export function ulong_gt(a: number, b: number): boolean {
  if (a < 0 !== b < 0) return a < 0;
  return a > b;
}

export function vm_acct_memory(_pages: number): void {}
export function vm_unacct_memory(pages: number): void {
  vm_acct_memory(-pages);
}

/** Always allows, unless its failure point refuses (false). */
export function may_expand_vm(_mm: mm_struct, _flags: vm_flags_t, _npages: unsigned_long): boolean {
  return !fault_should_fail(FP_MAY_EXPAND_VM);
}

/** Always allows, unless its failure point stands for __vm_enough_memory() refusing (-ENOMEM). */
export function security_vm_enough_memory_mm(_mm: mm_struct, _pages: number): number {
  return fault_should_fail(FP_SECURITY_VM_ENOUGH_MEMORY_MM) ? -ENOMEM : 0;
}

/**
 * The harness's task is capable, so locked growth is always allowed; the
 * failure point stands for a task without CAP_IPC_LOCK over RLIMIT_MEMLOCK
 * (only VM_LOCKED requests can be refused).
 */
export function mlock_future_ok(mm: mm_struct, flags: vm_flags_t, bytes: unsigned_long): boolean {
  if (!(flags & VM_LOCKED)) return true;
  if (fault_should_fail(FP_MLOCK_FUTURE_OK)) return false;
  if (capable(CAP_IPC_LOCK)) return true;
  let locked_pages = Math.floor(bytes / 2 ** PAGE_SHIFT);
  locked_pages += mm.locked_vm;
  let limit_pages = rlimit(RLIMIT_MEMLOCK);
  limit_pages = Math.floor(limit_pages / 2 ** PAGE_SHIFT);
  return locked_pages <= limit_pages;
}

/** Deny new writable+executable mappings when MDWE is on for the mm. */
export function map_deny_write_exec(old: vm_flags_t, neu: vm_flags_t): boolean {
  if (!test_bit(MMF_HAS_MDWE, current_mm().flags)) return false;
  if (!(neu & VM_EXEC)) return false;
  if (neu & VM_WRITE) return true;
  if (!(old & VM_EXEC)) return true;
  return false;
}

export function is_shared_maywrite(vm_flags: vm_flags_t): boolean {
  return (vm_flags & (VM_SHARED | VM_MAYWRITE)) === (VM_SHARED | VM_MAYWRITE);
}

/* address_space writability ------------------------------------------------ */

export function mapping_allow_writable(mapping: address_space): void {
  mapping.i_mmap_writable++;
}

/** Increment unless negative (a sealed memfd). */
export function mapping_map_writable(mapping: address_space): number {
  if (mapping.i_mmap_writable < 0) return -EPERM;
  mapping.i_mmap_writable++;
  return 0;
}

/** A no-op in the harness (the count is never dropped). */
export function mapping_unmap_writable(_mapping: address_space): void {}

export function mapping_can_writeback(_mapping: address_space): boolean {
  return true;
}

export function is_file_hugepages(_file: file): boolean {
  return false;
}

/* mmap_lock: the harness holds no locks (kernel mode: the real mmap_lock) -- */

export function mmap_assert_write_locked(mm: mm_struct): void {
  if (kernel_lock !== null) kernel_lock.mmap_assert_write_locked(mm);
}
export function mmap_write_downgrade(mm: mm_struct): void {
  if (kernel_lock !== null) kernel_lock.mmap_write_downgrade(mm);
}
export function mmap_read_unlock(mm: mm_struct): void {
  if (kernel_lock !== null) kernel_lock.mmap_read_unlock(mm);
}
export function mmap_write_unlock(mm: mm_struct): void {
  if (kernel_lock !== null) kernel_lock.mmap_write_unlock(mm);
}
/** Takes the lock (absent in harness mode), unless its failure point stands for a fatal signal (-EINTR). */
export function mmap_write_lock_killable(mm: mm_struct): number {
  if (fault_should_fail(FP_MMAP_WRITE_LOCK_KILLABLE)) return -EINTR;
  return kernel_lock !== null ? kernel_lock.mmap_write_lock_killable(mm) : 0;
}
export function can_modify_mm(_mm: mm_struct, _start: unsigned_long, _end: unsigned_long): boolean {
  return true;
}
export function arch_unmap(_mm: mm_struct, _start: unsigned_long, _end: unsigned_long): void {}
export function update_hiwater_rss(_mm: mm_struct): void {}
export function update_hiwater_vm(_mm: mm_struct): void {}

/** TASK_EXEC: VM_EXEC when the task's personality has READ_IMPLIES_EXEC. */
export function TASK_EXEC(): vm_flags_t {
  return current.personality & READ_IMPLIES_EXEC ? VM_EXEC : 0n;
}

/** VM_DATA_DEFAULT_FLAGS (VM_DATA_FLAGS_TSK_EXEC in the harness). */
export function VM_DATA_DEFAULT_FLAGS(): vm_flags_t {
  return VM_READ | VM_WRITE | TASK_EXEC() | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
}
