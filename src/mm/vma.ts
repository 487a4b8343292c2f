// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Port of mm/vma.c as of Linux v6.15: the VMA merge, split, munmap and mmap
 * machinery.  Functions appear in the order of the C file and keep its names,
 * so the two can be read side by side.  Everything the kernel would call
 * outside this file comes from the stub layer (src/vma_internal), as in the
 * original userland harness.
 *
 * Translation conventions:
 *  - pointers to pointers and bool out-parameters are Ref<T> objects;
 *  - ERR_PTR() returns are ErrPtr values, unsigned long error returns are
 *    negative numbers;
 *  - goto-based error unwinding is written as nested blocks or early
 *    returns that run the same cleanup in the same order;
 *  - validate_mm() and the CONFIG_DEBUG_VM_MAPLE_TREE blocks run only when
 *    that option is switched on (kconfig), as they are compiled out of the
 *    harness.
 */

import {
  AS_MM_ALL_LOCKS,
  EACCES,
  EFAULT,
  EINTR,
  EINVAL,
  ENOMEM,
  EPERM,
  FIRST_USER_ADDRESS,
  GFP_KERNEL,
  __GFP_NOFAIL,
  offset_in_page,
  PAGE_ALIGN,
  PAGE_MASK_ALIGN_DOWN,
  PAGE_SHIFT,
  PAGE_SIZE,
  PHYS_PFN,
  RLIMIT_STACK,
  TASK_SIZE,
  ULONG_MAX,
  USER_PGTABLES_CEILING,
  VM_ACCESS_FLAGS,
  VM_ACCOUNT,
  VM_GROWSDOWN,
  VM_GROWSUP,
  VM_LOCKED,
  VM_LOCKED_MASK,
  VM_MAYWRITE,
  VM_NORESERVE,
  VM_PFNMAP,
  VM_SHARED,
  VM_SOFTDIRTY,
  VM_SPECIAL,
  VM_STARTGAP_FLAGS,
  VM_WRITE,
  type pgoff_t,
  type pgprot_t,
  type unsigned_long,
  type vm_flags_t,
} from '../vma_internal/constants';
import {
  BUG,
  BUG_ON,
  VM_BUG_ON_MM,
  VM_BUG_ON_VMA,
  VM_WARN_ON,
  VM_WARN_ON_ONCE,
  VM_WARN_ON_ONCE_MM,
  VM_WARN_ON_VMG,
  WARN_ON,
  WARN_ON_ONCE,
} from '../vma_internal/bug';
import {
  list_for_each_entry,
  list_is_singular,
} from '../vma_internal/list';
import {
  mmu_gather,
  mutex,
  type address_space,
  type anon_vma,
  type anon_vma_chain,
  type anon_vma_name_t,
  type file,
  type mempolicy,
  type mm_struct,
  type vm_area_struct,
  type vm_operations_struct,
  type vm_unmapped_area_info,
  type vm_userfaultfd_ctx,
} from '../vma_internal/structs';
import {
  ERR_PTR,
  type ErrPtr,
} from '../vma_internal/err';
import {
  kconfig,
} from '../vma_internal/kconfig';
import {
  __mt_destroy,
  MA_STATE,
  ma_state,
  maple_tree,
  mas_find,
  mas_for_each,
  mas_init,
  mas_next,
  mas_set,
  mas_set_range,
  mt_dump,
  MT_FLAGS_LOCK_MASK,
  mt_init_flags,
  mt_on_stack,
  mt_validate,
} from '../vma_internal/maple_tree';
import {
  mas_store_gfp,
} from '../vma_internal/maple_store';
import {
  vma_assert_write_locked,
  vma_mark_attached,
  vma_mark_detached,
  vma_start_write,
} from '../vma_internal/vma_lock';
import {
  vm_area_alloc,
  vm_area_dup,
  vm_area_free,
} from '../vma_internal/vma_alloc';
import {
  find_vma_intersection,
  find_vma_prev,
  for_each_vma,
  vma_find,
  vma_iter_clear_gfp,
  vma_iter_free,
  vma_iter_init,
  vma_iter_next_range,
  vma_iter_set,
  VMA_ITERATOR,
  vma_next,
  vma_prev,
  type Ref,
  type vma_iterator,
} from '../vma_internal/vma_iter';
import {
  anon_vma_clone,
  anon_vma_interval_tree_insert,
  anon_vma_interval_tree_remove,
  anon_vma_interval_tree_verify,
  anon_vma_lock_read,
  anon_vma_lock_write,
  anon_vma_merge,
  anon_vma_name,
  anon_vma_name_eq,
  anon_vma_prepare,
  anon_vma_unlock_read,
  anon_vma_unlock_write,
  unlink_anon_vmas,
} from '../vma_internal/anon_vma';
import {
  __test_and_clear_bit,
  __test_and_set_bit,
  current,
  current_mm,
  is_file_hugepages,
  is_shared_maywrite,
  map_deny_write_exec,
  mapping_allow_writable,
  mapping_can_writeback,
  mapping_map_writable,
  mapping_unmap_writable,
  may_expand_vm,
  mlock_future_ok,
  mmap_assert_write_locked,
  mmap_min_addr,
  mmap_read_unlock,
  mmap_write_downgrade,
  mmap_write_lock_killable,
  mmap_write_unlock,
  rlimit,
  security_vm_enough_memory_mm,
  stack_guard_gap,
  sysctl_max_map_count,
  test_bit,
  ulong_gt,
  update_hiwater_rss,
  update_hiwater_vm,
  VM_DATA_DEFAULT_FLAGS,
  vm_stat_account,
  vm_unacct_memory,
} from '../vma_internal/mm_stubs';
import {
  is_hugepage_only_range,
  link_vma_wants_writenotify,
  mpol_equal,
  mpol_put,
  pgprot_val,
  vm_end_gap,
  vm_flags_clear,
  vm_flags_init,
  vm_flags_set,
  vm_get_page_prot,
  vm_start_gap,
  vma_dup_policy,
  vma_is_accessible,
  vma_is_anonymous,
  vma_is_shared_maywrite,
  vma_pages,
  vma_policy,
  vma_set_anonymous,
  vma_set_page_prot,
  vma_set_range,
} from '../vma_internal/vma_helpers';
import {
  arch_validate_flags,
  down_write_nest_lock,
  dump_stack,
  dump_vma,
  fixup_hugetlb_reservations,
  flush_dcache_mmap_lock,
  flush_dcache_mmap_unlock,
  fput,
  free_pgtables,
  get_file,
  get_gate_vma,
  i_mmap_lock_write,
  i_mmap_unlock_write,
  is_mergeable_vm_userfaultfd_ctx,
  is_vm_hugetlb_page,
  khugepaged_enter_vma,
  ksm_add_vma,
  might_sleep,
  mmap_file,
  mutex_is_locked,
  mutex_lock,
  mutex_unlock,
  perf_event_mmap,
  pr_emerg,
  shmem_zero_setup,
  signal_pending,
  tlb_finish_mmu,
  tlb_gather_mmu,
  unmap_vmas,
  uprobe_mmap,
  uprobe_munmap,
  userfaultfd_unmap_complete,
  userfaultfd_unmap_prep,
  userfaultfd_wp,
  vma_adjust_trans_huge,
  vma_close,
  vma_interval_tree_insert,
  vma_interval_tree_remove,
  vma_is_dax,
  vma_soft_dirty_enabled,
} from '../vma_internal/noops';
import {
  VMA_MERGE_ERROR_NOMEM,
  VMA_MERGE_NOMERGE,
  VMA_MERGE_START,
  VMA_MERGE_SUCCESS,
  VMG_STATE,
  VMG_VMA_STATE,
  can_modify_vma,
  is_data_mapping,
  is_exec_mapping,
  is_stack_mapping,
  unlink_vma_file_batch,
  vm_pgprot_modify,
  vma_iter_addr,
  vma_iter_area_highest,
  vma_iter_area_lowest,
  vma_iter_clear,
  vma_iter_config,
  vma_iter_end,
  vma_iter_load,
  vma_iter_next_range_limit,
  vma_iter_next_rewind,
  vma_iter_prealloc,
  vma_iter_prev_range,
  vma_iter_prev_range_limit,
  vma_iter_reset,
  vma_iter_store_gfp,
  vma_iter_store_new,
  vma_iter_store_overwrite,
  vma_merge_struct,
  vma_munmap_struct,
  vma_prepare_t,
  vmg_nomem,
} from './vma_h';

/* State of one mmap_region() call. */
export class mmap_state {
  mm: mm_struct;
  vmi: vma_iterator;

  addr: unsigned_long;
  end: unsigned_long;
  pgoff: pgoff_t;
  pglen: unsigned_long;
  flags: vm_flags_t;
  file: file | null;

  charged: unsigned_long = 0;
  retry_merge = false;

  prev: vm_area_struct | null = null;
  next: vm_area_struct | null = null;

  /* Unmapping state. */
  vms: vma_munmap_struct = new vma_munmap_struct();
  mt_detach: maple_tree<vm_area_struct> = new maple_tree<vm_area_struct>();
  mas_detach: ma_state<vm_area_struct> = MA_STATE(this.mt_detach, 0, 0);

  constructor(
    mm: mm_struct,
    vmi: vma_iterator,
    addr: unsigned_long,
    len: unsigned_long,
    pgoff: pgoff_t,
    flags: vm_flags_t,
    file: file | null,
  ) {
    this.mm = mm;
    this.vmi = vmi;
    this.addr = addr;
    this.end = addr + len;
    this.pgoff = pgoff;
    this.pglen = PHYS_PFN(len);
    this.flags = flags;
    this.file = file;
  }
}

/** MMAP_STATE(name, mm, vmi, addr, len, pgoff, flags, file) */
export function MMAP_STATE(
  mm: mm_struct,
  vmi: vma_iterator,
  addr: unsigned_long,
  len: unsigned_long,
  pgoff: pgoff_t,
  flags: vm_flags_t,
  file: file | null,
): mmap_state {
  return new mmap_state(mm, vmi, addr, len, pgoff, flags, file);
}

/** VMG_MMAP_STATE(name, map, vma) */
export function VMG_MMAP_STATE(map: mmap_state, vma: vm_area_struct | null): vma_merge_struct {
  return new vma_merge_struct({
    mm: map.mm,
    vmi: map.vmi,
    start: map.addr,
    end: map.end,
    flags: map.flags,
    pgoff: map.pgoff,
    file: map.file,
    prev: map.prev,
    middle: vma,
    next: vma ? null : map.next,
    state: VMA_MERGE_START,
  });
}

/* Can the proposed range merge with next (merge_next) or prev, attribute-wise? */
function is_mergeable_vma(vmg: vma_merge_struct, merge_next: boolean): boolean {
  const vma = (merge_next ? vmg.next : vmg.prev) as vm_area_struct;

  if (!mpol_equal(vmg.policy, vma_policy(vma))) return false;
  /* A differing soft-dirty bit alone must not prevent a merge. */
  if (((vma.vm_flags ^ vmg.flags) & ~VM_SOFTDIRTY) !== 0n) return false;
  if (vma.vm_file !== vmg.file) return false;
  if (!is_mergeable_vm_userfaultfd_ctx(vma, vmg.uffd_ctx)) return false;
  if (!anon_vma_name_eq(anon_vma_name(vma), vmg.anon_name)) return false;
  return true;
}

/*
 * v6.15's rule: a missing anon_vma on either side is fine as long as @vma (if
 * given) has a single anon_vma_chain entry, i.e. was not forked with
 * un-COWed parents; otherwise the two must be the same.
 */
export function is_mergeable_anon_vma(
  anon_vma1: anon_vma | null,
  anon_vma2: anon_vma | null,
  vma: vm_area_struct | null,
): boolean {
  if ((!anon_vma1 || !anon_vma2) && (!vma || list_is_singular(vma.anon_vma_chain))) return true;
  return anon_vma1 === anon_vma2;
}

/* Could the two VMAs' anon_vmas coexist in one VMA? */
function are_anon_vmas_compatible(vma1: vm_area_struct, vma2: vm_area_struct): boolean {
  return is_mergeable_anon_vma(vma1.anon_vma, vma2.anon_vma, null);
}

/*
 * Fill @vp for an operation on @vma; @vmg, when given, says which VMAs the
 * merge removes and which neighbour has its start moved.
 */
function init_multi_vma_prep(vp: vma_prepare_t, vma: vm_area_struct, vmg: vma_merge_struct | null): void {
  let adjust: vm_area_struct | null;

  vp.vma = vma;
  vp.adj_next = null;
  vp.file = null;
  vp.mapping = null;
  vp.anon_vma = vma.anon_vma;
  vp.insert = null;
  vp.remove = null;
  vp.remove2 = null;

  /* remove points at the next free removal slot: middle first, then next. */
  let remove: 'remove' | 'remove2' = 'remove';
  if (vmg && vmg.__remove_middle) {
    vp[remove] = vmg.middle;
    remove = 'remove2';
  }
  if (vmg && vmg.__remove_next) vp[remove] = vmg.next;

  if (vmg && vmg.__adjust_middle_start) adjust = vmg.middle;
  else if (vmg && vmg.__adjust_next_start) adjust = vmg.next;
  else adjust = null;

  vp.adj_next = adjust;
  if (!vp.anon_vma && adjust) vp.anon_vma = adjust.anon_vma;

  VM_WARN_ON(
    !!vp.anon_vma && !!adjust && !!adjust.anon_vma && vp.anon_vma !== adjust.anon_vma,
    'vp->anon_vma && adjust && adjust->anon_vma && vp->anon_vma != adjust->anon_vma',
  );

  vp.file = vma.vm_file;
  if (vp.file) vp.mapping = vma.vm_file!.f_mapping;
}

/*
 * May the proposed range be placed immediately before (below) vmg->next,
 * taking over its file offset alignment?  next may be removed by the merge.
 */
function can_vma_merge_before(vmg: vma_merge_struct): boolean {
  const pglen = PHYS_PFN(vmg.end - vmg.start);
  const next = vmg.next as vm_area_struct;

  if (is_mergeable_vma(vmg, /* merge_next = */ true) && is_mergeable_anon_vma(vmg.anon_vma, next.anon_vma, next)) {
    if (next.vm_pgoff === vmg.pgoff + pglen) return true;
  }
  return false;
}

/*
 * May the proposed range be placed immediately after (above) vmg->prev,
 * continuing its file offsets?  prev itself is never removed.
 */
function can_vma_merge_after(vmg: vma_merge_struct): boolean {
  const prev = vmg.prev as vm_area_struct;

  if (is_mergeable_vma(vmg, /* merge_next = */ false) && is_mergeable_anon_vma(vmg.anon_vma, prev.anon_vma, prev)) {
    if (prev.vm_pgoff + vma_pages(prev) === vmg.pgoff) return true;
  }
  return false;
}

function __vma_link_file(vma: vm_area_struct, mapping: address_space): void {
  if (vma_is_shared_maywrite(vma)) mapping_allow_writable(mapping);

  flush_dcache_mmap_lock(mapping);
  vma_interval_tree_insert(vma, mapping.i_mmap);
  flush_dcache_mmap_unlock(mapping);
}

/* Caller holds the mapping's i_mmap_rwsem. */
function __remove_shared_vm_struct(vma: vm_area_struct, mapping: address_space): void {
  if (vma_is_shared_maywrite(vma)) mapping_unmap_writable(mapping);

  flush_dcache_mmap_lock(mapping);
  vma_interval_tree_remove(vma, mapping.i_mmap);
  flush_dcache_mmap_unlock(mapping);
}

/*
 * A VMA with an anon_vma sits in that anon_vma's interval trees: it must be
 * taken out before its range or pgoff change and put back afterwards, under
 * the mmap lock and the root anon_vma's lock.
 */
function anon_vma_interval_tree_pre_update_vma(vma: vm_area_struct): void {
  list_for_each_entry(vma.anon_vma_chain, (avc: anon_vma_chain) =>
    anon_vma_interval_tree_remove(avc, avc.anon_vma?.rb_root ?? null),
  );
}

function anon_vma_interval_tree_post_update_vma(vma: vm_area_struct): void {
  list_for_each_entry(vma.anon_vma_chain, (avc: anon_vma_chain) =>
    anon_vma_interval_tree_insert(avc, avc.anon_vma?.rb_root ?? null),
  );
}

/* Take the locks and unlink from the rmap trees before VMAs are changed. */
function vma_prepare(vp: vma_prepare_t): void {
  const vma = vp.vma as vm_area_struct;

  if (vp.file) {
    uprobe_munmap(vma, vma.vm_start, vma.vm_end);

    if (vp.adj_next) uprobe_munmap(vp.adj_next, vp.adj_next.vm_start, vp.adj_next.vm_end);

    i_mmap_lock_write(vp.mapping as address_space);
    if (vp.insert && vp.insert.vm_file) {
      /*
       * The new VMA joins the file's interval tree at once, so that cache
       * flushing sees its pages; the address-space tree waits until the
       * old VMA's range has been updated.
       */
      __vma_link_file(vp.insert, vp.insert.vm_file.f_mapping);
    }
  }

  if (vp.anon_vma) {
    anon_vma_lock_write(vp.anon_vma);
    anon_vma_interval_tree_pre_update_vma(vma);
    if (vp.adj_next) anon_vma_interval_tree_pre_update_vma(vp.adj_next);
  }

  if (vp.file) {
    const mapping = vp.mapping as address_space;
    flush_dcache_mmap_lock(mapping);
    vma_interval_tree_remove(vma, mapping.i_mmap);
    if (vp.adj_next) vma_interval_tree_remove(vp.adj_next, mapping.i_mmap);
  }
}

/*
 * Undo vma_prepare() after the change: relink into the rmap trees, store a
 * VMA that split_vma() inserted, and free the VMAs a merge removed.
 */
function vma_complete(vp: vma_prepare_t, vmi: vma_iterator, mm: mm_struct): void {
  const vma = vp.vma as vm_area_struct;

  if (vp.file) {
    const mapping = vp.mapping as address_space;
    if (vp.adj_next) vma_interval_tree_insert(vp.adj_next, mapping.i_mmap);
    vma_interval_tree_insert(vma, mapping.i_mmap);
    flush_dcache_mmap_unlock(mapping);
  }

  if (vp.remove && vp.file) {
    __remove_shared_vm_struct(vp.remove, vp.mapping as address_space);
    if (vp.remove2) __remove_shared_vm_struct(vp.remove2, vp.mapping as address_space);
  } else if (vp.insert) {
    /* The split-off part (below or above vma) goes into the tree now. */
    vma_iter_store_new(vmi, vp.insert);
    mm.map_count++;
  }

  if (vp.anon_vma) {
    anon_vma_interval_tree_post_update_vma(vma);
    if (vp.adj_next) anon_vma_interval_tree_post_update_vma(vp.adj_next);
    anon_vma_unlock_write(vp.anon_vma);
  }

  if (vp.file) {
    i_mmap_unlock_write(vp.mapping as address_space);
    uprobe_mmap(vma);

    if (vp.adj_next) uprobe_mmap(vp.adj_next);
  }

  if (vp.remove) {
    for (;;) {
      const remove: vm_area_struct = vp.remove;
      vma_mark_detached(remove);
      if (vp.file) {
        uprobe_munmap(remove, remove.vm_start, remove.vm_end);
        fput(vp.file);
      }
      if (remove.anon_vma) anon_vma_merge(vma, remove);
      mm.map_count--;
      mpol_put(vma_policy(remove));
      if (!vp.remove2) WARN_ON_ONCE(vma.vm_end < remove.vm_end, 'vp->vma->vm_end < vp->remove->vm_end', remove);
      vm_area_free(remove);

      /* Both middle and next go when a merge spans all three VMAs. */
      if (!vp.remove2) break;
      vp.remove = vp.remove2;
      vp.remove2 = null;
    }
  }
  if (vp.insert && vp.file) uprobe_mmap(vp.insert);
}

/* vma_prepare setup for an operation on @vma alone. */
function init_vma_prep(vp: vma_prepare_t, vma: vm_area_struct): void {
  init_multi_vma_prep(vp, vma, null);
}

/* Can the proposed range merge with prev, given where it starts? */
function can_vma_merge_left(vmg: vma_merge_struct): boolean {
  return !!vmg.prev && vmg.prev.vm_end === vmg.start && can_vma_merge_after(vmg);
}

/*
 * Can the proposed range merge with next, given where it ends?  When it can
 * also merge with prev, prev's and next's anon_vmas must suit each other too.
 */
function can_vma_merge_right(vmg: vma_merge_struct, can_merge_left: boolean): boolean {
  if (!vmg.next || vmg.end !== vmg.next.vm_start || !can_vma_merge_before(vmg)) return false;

  if (!can_merge_left) return true;

  /*
   * Each neighbour being compatible with the proposed range does not make
   * them compatible with each other.
   */
  return are_anon_vmas_compatible(vmg.prev as vm_area_struct, vmg.next);
}

/* Close a VMA and free it. */
export function remove_vma(vma: vm_area_struct): void {
  might_sleep();
  vma_close(vma);
  if (vma.vm_file) fput(vma.vm_file);
  mpol_put(vma_policy(vma));
  vm_area_free(vma);
}

/* Tear down the page tables of a region (mmap lock held). */
export function unmap_region(
  mas: ma_state<vm_area_struct>,
  vma: vm_area_struct,
  prev: vm_area_struct | null,
  next: vm_area_struct | null,
): void {
  const mm = vma.vm_mm;
  const tlb = new mmu_gather();

  tlb_gather_mmu(tlb, mm);
  update_hiwater_rss(mm);
  unmap_vmas(tlb, mas, vma, vma.vm_start, vma.vm_end, vma.vm_end, /* mm_wr_locked = */ true);
  mas_set(mas, vma.vm_end);
  free_pgtables(
    tlb,
    mas,
    vma,
    prev ? prev.vm_end : FIRST_USER_ADDRESS,
    next ? next.vm_start : USER_PGTABLES_CEILING,
    /* mm_wr_locked = */ true,
  );
  tlb_finish_mmu(tlb);
}

/*
 * Split @vma at @addr, allocating a new VMA for the part below (new_below)
 * or above it.  No map_count check: callers did it or must not fail.  On
 * success the iterator points at @vma.
 */
export function __split_vma(vmi: vma_iterator, vma: vm_area_struct, addr: unsigned_long, new_below: number): number {
  const vp = new vma_prepare_t();
  let err: number;

  WARN_ON(vma.vm_start >= addr, 'vma->vm_start >= addr', vma);
  WARN_ON(vma.vm_end <= addr, 'vma->vm_end <= addr', vma);

  if (vma.vm_ops && vma.vm_ops.may_split) {
    err = vma.vm_ops.may_split(vma, addr);
    if (err) return err;
  }

  const neu = vm_area_dup(vma);
  if (!neu) return -ENOMEM;

  if (new_below) {
    neu.vm_end = addr;
  } else {
    neu.vm_start = addr;
    neu.vm_pgoff += PHYS_PFN(addr - vma.vm_start);
  }

  err = -ENOMEM;
  vma_iter_config(vmi, neu.vm_start, neu.vm_end);
  if (vma_iter_prealloc(vmi, neu)) {
    /* out_free_vma */
    vm_area_free(neu);
    return err;
  }

  err = vma_dup_policy(vma, neu);
  if (err) {
    /* out_free_vmi, out_free_vma */
    vma_iter_free(vmi);
    vm_area_free(neu);
    return err;
  }

  err = anon_vma_clone(neu, vma);
  if (err) {
    /* out_free_mpol, out_free_vmi, out_free_vma */
    mpol_put(vma_policy(neu));
    vma_iter_free(vmi);
    vm_area_free(neu);
    return err;
  }

  if (neu.vm_file) get_file(neu.vm_file);

  if (neu.vm_ops && neu.vm_ops.open) neu.vm_ops.open(neu);

  vma_start_write(vma);
  vma_start_write(neu);

  init_vma_prep(vp, vma);
  vp.insert = neu;
  vma_prepare(vp);
  vma_adjust_trans_huge(vma, vma.vm_start, addr, null);

  if (new_below) {
    vma.vm_start = addr;
    vma.vm_pgoff += PHYS_PFN(addr - neu.vm_start);
  } else {
    vma.vm_end = addr;
  }

  /* vma_complete() stores the new VMA. */
  vma_complete(vp, vmi, vma.vm_mm);
  validate_mm(vma.vm_mm);

  /* Success: leave the iterator on vma. */
  if (new_below) vma_next(vmi);
  else vma_prev(vmi);

  return 0;
}

/* Split @vma at @addr, unless the mm already has too many VMAs. */
export function split_vma(vmi: vma_iterator, vma: vm_area_struct, addr: unsigned_long, new_below: number): number {
  if (vma.vm_mm.map_count >= sysctl_max_map_count) return -ENOMEM;

  return __split_vma(vmi, vma, addr, new_below);
}

/*
 * When a merge lets @dst take over pages of @src and only @src has an
 * anon_vma, @dst must get it too.  *dup is set to @dst when that happened.
 */
function dup_anon_vma(dst: vm_area_struct, src: vm_area_struct, dup: Ref<vm_area_struct | null>): number {
  /*
   * Moving a boundary (mprotect) can hand anonymous pages to the growing VMA,
   * which then needs the shrinking one's anon_vma.
   */
  if (src.anon_vma && !dst.anon_vma) {
    vma_assert_write_locked(dst);
    dst.anon_vma = src.anon_vma;
    const ret = anon_vma_clone(dst, src);
    if (ret) return ret;

    dup.value = dst;
  }

  return 0;
}

/*
 * Check that the tree and the VMAs agree and that map_count is right.  Built
 * only with CONFIG_DEBUG_VM_MAPLE_TREE; see kconfig in the stub layer.
 */
export function validate_mm(mm: mm_struct): void {
  if (!kconfig.CONFIG_DEBUG_VM_MAPLE_TREE) return;

  let bug = false;
  let i = 0;
  const vmi = VMA_ITERATOR(mm, 0);

  mt_validate(mm.mm_mt);
  let vma: vm_area_struct | null;
  while ((vma = vma_next(vmi)) !== null) {
    const anon_vma = vma.anon_vma;
    const vmi_start = vma_iter_addr(vmi);
    const vmi_end = vma_iter_end(vmi);
    let warn = false;

    if (VM_WARN_ON_ONCE_MM(vma.vm_end !== vmi_end, mm, 'vma->vm_end != vmi_end')) warn = true;

    if (VM_WARN_ON_ONCE_MM(vma.vm_start !== vmi_start, mm, 'vma->vm_start != vmi_start')) warn = true;

    if (warn) {
      pr_emerg(`issue in ${current.comm}`);
      dump_stack();
      dump_vma(vma);
      pr_emerg(`tree range: vma#${vma.__id} start ${vmi_start.toString(16)} end ${(vmi_end - 1).toString(16)}`);
      pr_emerg(mt_dump(mm.mm_mt, (v) => v.describe()));
    }

    if (kconfig.CONFIG_DEBUG_VM_RB && anon_vma) {
      anon_vma_lock_read(anon_vma);
      list_for_each_entry(vma.anon_vma_chain, (avc) => anon_vma_interval_tree_verify(avc));
      anon_vma_unlock_read(anon_vma);
    }
    /* Guard against a walk that never ends. */
    if (++i > mm.map_count + 10) {
      i = -1;
      break;
    }
  }
  if (i !== mm.map_count) {
    pr_emerg(`map_count ${mm.map_count} vma iterator ${i}`);
    bug = true;
  }
  VM_BUG_ON_MM(bug, mm, `map_count ${mm.map_count} vma iterator ${i}`);
}

/*
 * Give middle (when its start moves up) or next (when its start moves down)
 * its new range, derived from vmg->end.
 */
function vmg_adjust_set_range(vmg: vma_merge_struct): void {
  let adjust: vm_area_struct;
  let pgoff: pgoff_t;

  if (vmg.__adjust_middle_start) {
    adjust = vmg.middle as vm_area_struct;
    pgoff = adjust.vm_pgoff + PHYS_PFN(vmg.end - adjust.vm_start);
  } else if (vmg.__adjust_next_start) {
    adjust = vmg.next as vm_area_struct;
    pgoff = adjust.vm_pgoff - PHYS_PFN(adjust.vm_start - vmg.end);
  } else {
    return;
  }

  vma_set_range(adjust, vmg.end, adjust.vm_end, pgoff);
}

/*
 * Carry out a merge that vmg describes.  Nothing is changed before the
 * preallocation has succeeded, so a failure leaves every VMA as it was.
 * Returns 0 or -ENOMEM.
 */
function commit_merge(vmg: vma_merge_struct): number {
  let vma: vm_area_struct;
  const vp = new vma_prepare_t();
  const vmi = vmg.vmi as vma_iterator;

  if (vmg.__adjust_next_start) {
    /* middle shrinks; next, the target, grows down into the freed range. */
    vma = vmg.middle as vm_area_struct;
    vma_iter_config(vmi, vmg.end, (vmg.next as vm_area_struct).vm_end);
  } else {
    vma = vmg.target as vm_area_struct;
    /* The iterator must already be at vmg->start. */
    vma_iter_config(vmi, vmg.start, vmg.end);
  }

  init_multi_vma_prep(vp, vma, vmg);

  if (vma_iter_prealloc(vmi, vma)) return -ENOMEM;

  vma_prepare(vp);
  /* Transparent huge pages may need splitting when middle's start moves up. */
  vma_adjust_trans_huge(vma, vmg.start, vmg.end, vmg.__adjust_middle_start ? vmg.middle : null);
  vma_set_range(vma, vmg.start, vmg.end, vmg.pgoff);
  vmg_adjust_set_range(vmg);
  vma_iter_store_overwrite(vmi, vmg.target as vm_area_struct);

  vma_complete(vp, vmi, vma.vm_mm);

  return 0;
}

/* A merge may only remove a VMA that has no close hook. */
function can_merge_remove_vma(vma: vm_area_struct): boolean {
  return !vma.vm_ops || !vma.vm_ops.close;
}

/*
 * vmg->middle is having [vmg->start, vmg->end) modified (flags, policy, ...).
 * See whether the modified range can merge with prev and/or next, and do it.
 * Returns the merged VMA, or NULL with vmg->state saying why not.
 *
 * Callers set middle and prev (prev == middle when the range starts inside
 * middle), leave next unset, and position the iterator inside middle.  On
 * success vmg's range fields describe the merged VMA.
 */
export function vma_merge_existing_range(vmg: vma_merge_struct): vm_area_struct | null {
  const middle = vmg.middle;
  const prev = vmg.prev;
  let next: vm_area_struct | null;
  const anon_dup: Ref<vm_area_struct | null> = { value: null };
  const start = vmg.start;
  const end = vmg.end;
  const left_side = !!middle && start === middle.vm_start;
  const right_side = !!middle && end === middle.vm_end;
  let err = 0;
  let merge_left: boolean;
  let merge_right: boolean;
  let merge_both: boolean;
  const vmi = vmg.vmi as vma_iterator;

  mmap_assert_write_locked(vmg.mm as mm_struct);
  /* The caller names the VMA being modified... */
  VM_WARN_ON_VMG(!middle, vmg, '!middle');
  /* ...and leaves next to us. */
  VM_WARN_ON_VMG(!!vmg.next, vmg, 'vmg->next');
  VM_WARN_ON_VMG(!!prev && start <= prev.vm_start, vmg, 'prev && start <= prev->vm_start');
  VM_WARN_ON_VMG(start >= end, vmg, 'start >= end');

  /* Starting inside middle requires prev == middle; the range ends inside it. */
  VM_WARN_ON_VMG(
    !!middle && ((middle !== prev && vmg.start !== middle.vm_start) || vmg.end > middle.vm_end),
    vmg,
    'middle && ((middle != prev && vmg->start != middle->vm_start) || vmg->end > middle->vm_end)',
  );
  /* The iterator must be inside middle. */
  VM_WARN_ON_VMG(
    !!middle && !(vma_iter_addr(vmi) >= middle.vm_start && vma_iter_addr(vmi) < middle.vm_end),
    vmg,
    '!(vma_iter_addr(vmg->vmi) >= middle->vm_start && vma_iter_addr(vmg->vmi) < middle->vm_end)',
  );

  vmg.state = VMA_MERGE_NOMERGE;

  /* Special mappings never merge, and a range touching neither edge cannot. */
  if ((vmg.flags & VM_SPECIAL) !== 0n || (!left_side && !right_side)) return null;

  if (left_side) merge_left = can_vma_merge_left(vmg);
  else merge_left = false;

  if (right_side) {
    next = vmg.next = vma_iter_next_range(vmi);
    vma_iter_prev_range(vmi);

    merge_right = can_vma_merge_right(vmg, merge_left);
  } else {
    merge_right = false;
    next = null;
  }

  if (merge_left) {
    /* Merging with prev: move the iterator onto it. */
    vma_prev(vmi);
  } else if (!merge_right) {
    /* Nothing to merge with. */
    return null;
  }

  merge_both = merge_left && merge_right;
  /* A merge of a range covering all of middle removes middle. */
  vmg.__remove_middle = left_side && right_side;

  /* If middle would have to go but cannot, give up. */
  if (vmg.__remove_middle && !can_merge_remove_vma(middle as vm_area_struct)) return null;

  /* Merging on both sides removes next as well. */
  vmg.__remove_next = merge_both;

  /* If next cannot be removed, fall back to merging prev and middle only. */
  if (vmg.__remove_next && !can_merge_remove_vma(next as vm_area_struct)) {
    vmg.__remove_next = false;
    merge_right = false;
    merge_both = false;
  }

  /* middle is changed whatever happens. */
  vma_start_write(middle as vm_area_struct);

  if (merge_right) {
    vma_start_write(next as vm_area_struct);
    vmg.target = next;
  }

  if (merge_left) {
    vma_start_write(prev as vm_area_struct);
    vmg.target = prev;
  }

  if (merge_both) {
    /*
     * Both neighbours: prev grows over middle and next, which both go.
     *
     *   before:  [ prev ][ middle ][ next ]
     *   after:   [ prev                   ]
     */
    const p = prev as vm_area_struct;
    const n = next as vm_area_struct;

    vmg.start = p.vm_start;
    vmg.end = n.vm_end;
    vmg.pgoff = p.vm_pgoff;

    /*
     * Compatibility was checked above; prev needs an anon_vma only if it
     * lacks one, taken from next if next has one, else from middle.
     */
    err = dup_anon_vma(p, n.anon_vma ? n : (middle as vm_area_struct), anon_dup);
  } else if (merge_left) {
    /*
     * Left: prev grows over the range; middle keeps what is left of it, or
     * goes when the range covered all of it.
     *
     *   before:  [ prev ][ range | rest ]     [ prev ][ range = middle ]
     *   after:   [ prev          ][rest ]     [ prev                   ]
     */
    const p = prev as vm_area_struct;

    vmg.start = p.vm_start;
    vmg.pgoff = p.vm_pgoff;

    if (!vmg.__remove_middle) vmg.__adjust_middle_start = true;

    err = dup_anon_vma(p, middle as vm_area_struct, anon_dup);
  } else {
    /* merge_right */
    /*
     * Right: next grows down over the range; middle keeps what is left of
     * it, or goes when the range covered all of it.
     *
     *   before:  [ rest | range ][ next ]     [ range = middle ][ next ]
     *   after:   [ rest ][          next ]    [                   next ]
     */
    const m = middle as vm_area_struct;
    const n = next as vm_area_struct;
    const pglen = PHYS_PFN(vmg.end - vmg.start);

    VM_WARN_ON_VMG(!merge_right, vmg, '!merge_right');
    /* Starting inside middle implies prev is middle. */
    VM_WARN_ON_VMG(
      vmg.start > m.vm_start && !!prev && m !== prev,
      vmg,
      'vmg->start > middle->vm_start && prev && middle != prev',
    );

    if (vmg.__remove_middle) {
      vmg.end = n.vm_end;
      vmg.pgoff = n.vm_pgoff - pglen;
    } else {
      /* middle shrinks, next grows down. */
      vmg.__adjust_next_start = true;
      vmg.start = m.vm_start;
      vmg.end = start;
      vmg.pgoff = m.vm_pgoff;
    }

    err = dup_anon_vma(n, m, anon_dup);
  }

  if (!err) {
    err = commit_merge(vmg);
    if (err) {
      VM_WARN_ON(err !== -ENOMEM, 'err != -ENOMEM');

      if (anon_dup.value) unlink_anon_vmas(anon_dup.value);

      /* Unless the caller would rather not hear of it, report the OOM. */
      if (!vmg.give_up_on_oom) vmg.state = VMA_MERGE_ERROR_NOMEM;
      return null;
    }

    khugepaged_enter_vma(vmg.target as vm_area_struct, vmg.flags);
    vmg.state = VMA_MERGE_SUCCESS;
    return vmg.target;
  }

  /* abort: */
  vma_iter_set(vmi, start);
  vma_iter_load(vmi);
  if (!vmg.give_up_on_oom) vmg.state = VMA_MERGE_ERROR_NOMEM;
  return null;
}

/*
 * A new VMA is about to occupy [vmg->start, vmg->end): instead, grow a
 * neighbour over it when their properties allow.  Grow prev, or next
 * downwards, or prev over the range and next (which then goes):
 *
 *   prev only:   [ prev ][ new ]            ->  [ prev       ]
 *   next only:           [ new ][ next ]    ->  [       next ]
 *   both:        [ prev ][ new ][ next ]    ->  [ prev              ]
 *
 * Returns the grown VMA, or NULL when no merge is possible.  vmg's range
 * widens to the merged VMA's.
 *
 * Callers hold the mmap write lock, have checked that the range is free
 * (apart from VMAs the operation will unmap), set prev and next, and placed
 * the iterator at or before the gap.
 */
export function vma_merge_new_range(vmg: vma_merge_struct): vm_area_struct | null {
  const prev = vmg.prev;
  const next = vmg.next;
  const end = vmg.end;
  let can_merge_left: boolean;
  let can_merge_right: boolean;
  const vmi = vmg.vmi as vma_iterator;

  mmap_assert_write_locked(vmg.mm as mm_struct);
  VM_WARN_ON_VMG(!!vmg.middle, vmg, 'vmg->middle');
  /* The iterator must be at or before the gap. */
  VM_WARN_ON_VMG(vma_iter_addr(vmi) > end, vmg, 'vma_iter_addr(vmg->vmi) > end');

  vmg.state = VMA_MERGE_NOMERGE;

  /* Special VMAs do not merge; nor is there anything to merge with. */
  if ((vmg.flags & VM_SPECIAL) !== 0n || (!prev && !next)) return null;

  can_merge_left = can_vma_merge_left(vmg);
  can_merge_right = !vmg.just_expand && can_vma_merge_right(vmg, can_merge_left);

  /* Merge with next: the range grows to next's end. */
  if (can_merge_right) {
    const n = next as vm_area_struct;
    vmg.end = n.vm_end;
    vmg.middle = n;
  }

  /* Merge with prev: the range grows to prev's start. */
  if (can_merge_left) {
    const p = prev as vm_area_struct;
    vmg.start = p.vm_start;
    vmg.middle = p;
    vmg.pgoff = p.vm_pgoff;

    /* next cannot go: merge prev with the new range only. */
    if (can_merge_right && !can_merge_remove_vma(next as vm_area_struct)) vmg.end = end;

    /* In expand-only mode the iterator is on prev already. */
    if (!vmg.just_expand) {
      /* Step back onto prev. */
      vma_prev(vmi);
    }
  }

  /* Expand the chosen VMA; vma_expand() removes next when both merge. */
  if (vmg.middle && !vma_expand(vmg)) {
    khugepaged_enter_vma(vmg.middle, vmg.flags);
    vmg.state = VMA_MERGE_SUCCESS;
    return vmg.middle;
  }

  return null;
}

/*
 * Grow vmg->middle to [vmg->start, vmg->end), absorbing vmg->next when the
 * range ends exactly at next's end.  Whether middle and next may merge is
 * the caller's business.  Returns 0 or -ENOMEM.
 */
export function vma_expand(vmg: vma_merge_struct): number {
  const anon_dup: Ref<vm_area_struct | null> = { value: null };
  let remove_next = false;
  const middle = vmg.middle as vm_area_struct;
  const next = vmg.next;

  mmap_assert_write_locked(vmg.mm as mm_struct);

  vma_start_write(middle);
  if (next && middle !== next && vmg.end === next.vm_end) {
    remove_next = true;
    /* The caller should have checked this. */
    VM_WARN_ON_VMG(!can_merge_remove_vma(next), vmg, '!can_merge_remove_vma(next)');
    vma_start_write(next);
    const ret = dup_anon_vma(middle, next, anon_dup);
    if (ret) return ret;
  }

  /* Overwriting part of next without absorbing it is not supported. */
  VM_WARN_ON_VMG(
    !!next && !remove_next && next !== middle && vmg.end > next.vm_start,
    vmg,
    'next && !remove_next && next != middle && vmg->end > next->vm_start',
  );
  /* Expansion only. */
  VM_WARN_ON_VMG(
    middle.vm_start < vmg.start || middle.vm_end > vmg.end,
    vmg,
    'middle->vm_start < vmg->start || middle->vm_end > vmg->end',
  );

  vmg.target = middle;
  if (remove_next) vmg.__remove_next = true;

  if (commit_merge(vmg)) {
    /* nomem: */
    if (anon_dup.value) unlink_anon_vmas(anon_dup.value);
    if (!vmg.give_up_on_oom) vmg.state = VMA_MERGE_ERROR_NOMEM;
    return -ENOMEM;
  }

  return 0;
}

/*
 * Shrink @vma to [start, end), keeping one of its ends.  Returns 0 or
 * -ENOMEM.
 */
export function vma_shrink(
  vmi: vma_iterator,
  vma: vm_area_struct,
  start: unsigned_long,
  end: unsigned_long,
  pgoff: pgoff_t,
): number {
  const vp = new vma_prepare_t();

  WARN_ON(vma.vm_start !== start && vma.vm_end !== end, '(vma->vm_start != start) && (vma->vm_end != end)', vma);

  if (vma.vm_start < start) vma_iter_config(vmi, vma.vm_start, start);
  else vma_iter_config(vmi, end, vma.vm_end);

  if (vma_iter_prealloc(vmi, null)) return -ENOMEM;

  vma_start_write(vma);

  init_vma_prep(vp, vma);
  vma_prepare(vp);
  vma_adjust_trans_huge(vma, start, end, null);

  vma_iter_clear(vmi);
  vma_set_range(vma, start, end, pgoff);
  vma_complete(vp, vmi, vma.vm_mm);
  validate_mm(vma.vm_mm);
  return 0;
}

function vms_clear_ptes(vms: vma_munmap_struct, mas_detach: ma_state<vm_area_struct>, mm_wr_locked: boolean): void {
  const tlb = new mmu_gather();

  if (!vms.clear_ptes) return; /* Nothing to do. */

  const vma = vms.vma as vm_area_struct;
  /*
   * The VMAs were isolated before any lock downgrade, so the page tables can
   * go without the write lock.
   */
  mas_set(mas_detach, 1);
  tlb_gather_mmu(tlb, vma.vm_mm);
  update_hiwater_rss(vma.vm_mm);
  unmap_vmas(tlb, mas_detach, vma, vms.start, vms.end, vms.vma_count, mm_wr_locked);

  mas_set(mas_detach, 1);
  /* Without prev or next the page-table range differs from [start, end). */
  free_pgtables(tlb, mas_detach, vma, vms.unmap_start, vms.unmap_end, mm_wr_locked);
  tlb_finish_mmu(tlb);
  vms.clear_ptes = false;
}

function vms_clean_up_area(vms: vma_munmap_struct, mas_detach: ma_state<vm_area_struct>): void {
  if (!vms.nr_pages) return;

  vms_clear_ptes(vms, mas_detach, true);
  mas_set(mas_detach, 0);
  mas_for_each(mas_detach, ULONG_MAX, (vma) => vma_close(vma));
}

/*
 * Finish a munmap once the tree no longer holds the VMAs: update the mm's
 * counters, clear the page tables, free the VMAs and the detached tree, and
 * drop the lock if asked to.
 */
function vms_complete_munmap_vmas(vms: vma_munmap_struct, mas_detach: ma_state<vm_area_struct>): void {
  const mm = current_mm();

  mm.map_count -= vms.vma_count;
  mm.locked_vm -= vms.locked_vm;
  if (vms.unlock) mmap_write_downgrade(mm);

  if (!vms.nr_pages) return;

  vms_clear_ptes(vms, mas_detach, !vms.unlock);
  /* The high-water mark first, then lower total_vm. */
  update_hiwater_vm(mm);
  mm.total_vm = mm.total_vm - vms.nr_pages;
  /* The counters must cover what is being unmapped. */
  VM_WARN_ON(ulong_gt(vms.exec_vm, mm.exec_vm), 'vms->exec_vm > mm->exec_vm');
  VM_WARN_ON(ulong_gt(vms.stack_vm, mm.stack_vm), 'vms->stack_vm > mm->stack_vm');
  VM_WARN_ON(ulong_gt(vms.data_vm, mm.data_vm), 'vms->data_vm > mm->data_vm');
  mm.exec_vm -= vms.exec_vm;
  mm.stack_vm -= vms.stack_vm;
  mm.data_vm -= vms.data_vm;

  /* Free the VMAs. */
  mas_set(mas_detach, 0);
  mas_for_each(mas_detach, ULONG_MAX, (vma) => remove_vma(vma));

  vm_unacct_memory(vms.nr_accounted);
  validate_mm(mm);
  if (vms.unlock) mmap_read_unlock(mm);

  __mt_destroy(mas_detach.tree);
}

/* Undo the detaching: mark the gathered VMAs attached again, drop the tree. */
function reattach_vmas(mas_detach: ma_state<vm_area_struct>): void {
  mas_set(mas_detach, 0);
  mas_for_each(mas_detach, ULONG_MAX, (vma) => vma_mark_attached(vma));

  __mt_destroy(mas_detach.tree);
}

/*
 * Collect the VMAs inside [vms->start, vms->end) into the detached tree,
 * splitting the first and last when they stick out, and mark them detached.
 * They stay in the mm's tree until the caller overwrites or clears the range.
 * Returns 0 or an error, in which case gathered VMAs are reattached (a split
 * already done stays done).
 */
function vms_gather_munmap_vmas(vms: vma_munmap_struct, mas_detach: ma_state<vm_area_struct>): number {
  let next: vm_area_struct | null = null;
  let error: number;
  const vmi = vms.vmi as vma_iterator;
  const first = vms.vma as vm_area_struct;

  /* Split the first VMA now if it starts below the range. */
  if (vms.start > first.vm_start) {
    /*
     * A split of both ends could push map_count over the limit for good;
     * going over by one for a moment is fine.
     */
    if (vms.end < first.vm_end && first.vm_mm.map_count >= sysctl_max_map_count) {
      error = -ENOMEM;
      return error; /* map_count_exceeded */
    }

    /* A VMA that cannot be unmapped is not worth splitting. */
    if (!can_modify_vma(first)) {
      error = -EPERM;
      return error; /* start_split_failed */
    }

    error = __split_vma(vmi, first, vms.start, 1);
    if (error) return error; /* start_split_failed */
  }
  vms.prev = vma_prev(vmi);
  if (vms.prev) vms.unmap_start = vms.prev.vm_end;

  /* Detach each VMA of the range; next is reused as the loop variable. */
  while ((next = vma_find(vmi, vms.end)) !== null) {
    if (!can_modify_vma(next)) {
      error = -EPERM;
      reattach_vmas(mas_detach); /* modify_vma_failed */
      return error;
    }
    /* Split the last VMA if it ends above the range. */
    if (next.vm_end > vms.end) {
      error = __split_vma(vmi, next, vms.end, 0);
      if (error) {
        reattach_vmas(mas_detach); /* end_split_failed */
        return error;
      }
    }
    vma_start_write(next);
    mas_set(mas_detach, vms.vma_count++);
    error = mas_store_gfp(mas_detach, next, GFP_KERNEL);
    if (error) {
      reattach_vmas(mas_detach); /* munmap_gather_failed */
      return error;
    }

    vma_mark_detached(next);
    const nrpages = vma_pages(next);

    vms.nr_pages += nrpages;
    if (next.vm_flags & VM_LOCKED) vms.locked_vm += nrpages;

    if (next.vm_flags & VM_ACCOUNT) vms.nr_accounted += nrpages;

    if (is_exec_mapping(next.vm_flags)) vms.exec_vm += nrpages;
    else if (is_stack_mapping(next.vm_flags)) vms.stack_vm += nrpages;
    else if (is_data_mapping(next.vm_flags)) vms.data_vm += nrpages;

    if (vms.uf) {
      /*
       * Should this fail, the splits stay; undoing them is not worth it for
       * an error userland cannot expect anyway.
       */
      error = userfaultfd_unmap_prep(next, vms.start, vms.end, vms.uf);
      if (error) {
        reattach_vmas(mas_detach); /* userfaultfd_error */
        return error;
      }
    }
    if (kconfig.CONFIG_DEBUG_VM_MAPLE_TREE) {
      BUG_ON(next.vm_start < vms.start, 'next->vm_start < vms->start');
      BUG_ON(next.vm_start > vms.end, 'next->vm_start > vms->end');
    }
  }

  vms.next = vma_next(vmi);
  if (vms.next) vms.unmap_end = vms.next.vm_start;

  if (kconfig.CONFIG_DEBUG_VM_MAPLE_TREE) {
    /* Every VMA of the range must be in the detached tree, in order. */
    const test = MA_STATE(mas_detach.tree, 0, 0);
    let vma_mas: vm_area_struct | null;
    let vma_test: vm_area_struct | null;
    let test_count = 0;

    vma_iter_set(vmi, vms.start);
    vma_test = mas_find(test, vms.vma_count - 1);
    while ((vma_mas = vma_find(vmi, vms.end)) !== null) {
      BUG_ON(vma_mas !== vma_test, 'vma_mas != vma_test');
      test_count++;
      vma_test = mas_next(test, vms.vma_count - 1);
    }
    BUG_ON(vms.vma_count !== test_count, 'vms->vma_count != test_count');
  }

  while (vma_iter_addr(vmi) > vms.start) vma_iter_prev_range(vmi);

  vms.clear_ptes = true;
  return 0;
}

/* Start a munmap of [start, end) whose first VMA is @vma (may be NULL). */
function init_vma_munmap(
  vms: vma_munmap_struct,
  vmi: vma_iterator,
  vma: vm_area_struct | null,
  start: unsigned_long,
  end: unsigned_long,
  uf: unknown,
  unlock: boolean,
): void {
  vms.vmi = vmi;
  vms.vma = vma;
  if (vma) {
    vms.start = start;
    vms.end = end;
  } else {
    vms.start = vms.end = 0;
  }
  vms.unlock = unlock;
  vms.uf = uf;
  vms.vma_count = 0;
  vms.nr_pages = vms.locked_vm = vms.nr_accounted = 0;
  vms.exec_vm = vms.stack_vm = vms.data_vm = 0;
  vms.unmap_start = FIRST_USER_ADDRESS;
  vms.unmap_end = USER_PGTABLES_CEILING;
  vms.clear_ptes = false;
}

/*
 * Unmap the page-aligned [start, end), whose first VMA is @vma.  Returns 0
 * (having dropped the lock if @unlock) or an error with the lock held.
 */
export function do_vmi_align_munmap(
  vmi: vma_iterator,
  vma: vm_area_struct,
  mm: mm_struct,
  start: unsigned_long,
  end: unsigned_long,
  uf: unknown,
  unlock: boolean,
): number {
  const mt_detach = new maple_tree<vm_area_struct>();
  const mas_detach = MA_STATE(mt_detach, 0, 0);
  mt_init_flags(mt_detach, vmi.mas.tree.ma_flags & MT_FLAGS_LOCK_MASK);
  mt_on_stack(mt_detach);
  const vms = new vma_munmap_struct();
  let error: number;

  init_vma_munmap(vms, vmi, vma, start, end, uf, unlock);
  error = vms_gather_munmap_vmas(vms, mas_detach);
  if (!error) {
    error = vma_iter_clear_gfp(vmi, start, end, GFP_KERNEL);
    if (!error) {
      /* No way back from here. */
      vms_complete_munmap_vmas(vms, mas_detach);
      return 0;
    }
    /* clear_tree_failed: */
    reattach_vmas(mas_detach);
  }
  /* gather_failed: */
  validate_mm(mm);
  return error;
}

/*
 * Unmap [start, start + len), len rounded up to pages.  Returns 0 (having
 * dropped the lock if @unlock) or an error with the lock held.
 */
export function do_vmi_munmap(
  vmi: vma_iterator,
  mm: mm_struct,
  start: unsigned_long,
  len: unsigned_long,
  uf: unknown,
  unlock: boolean,
): number {
  if (offset_in_page(start) || start > TASK_SIZE || len > TASK_SIZE - start) return -EINVAL;

  const end = start + PAGE_ALIGN(len);
  if (end === start) return -EINVAL;

  /* The first VMA overlapping the range. */
  const vma = vma_find(vmi, end);
  if (!vma) {
    if (unlock) mmap_write_unlock(mm);
    return 0;
  }

  return do_vmi_align_munmap(vmi, vma, mm, start, end, uf, unlock);
}

/*
 * [start, end) of vmg->middle is getting new attributes.  Merge it with a
 * neighbour if possible; otherwise split off the parts of the VMA outside
 * the range.  Returns the merged VMA, the (split) original, or an error.
 */
function vma_modify(vmg: vma_merge_struct): vm_area_struct | ErrPtr {
  const vma = vmg.middle as vm_area_struct;
  const start = vmg.start;
  const end = vmg.end;
  const vmi = vmg.vmi as vma_iterator;

  /* A merge first. */
  const merged = vma_merge_existing_range(vmg);
  if (merged) return merged;
  if (vmg_nomem(vmg)) return ERR_PTR(-ENOMEM);

  /* A split can fail for other reasons than OOM: asking to give up on OOM
   * only makes sense when no split is needed. */
  VM_WARN_ON(
    vmg.give_up_on_oom && (vma.vm_start !== start || vma.vm_end !== end),
    'vmg->give_up_on_oom && (vma->vm_start != start || vma->vm_end != end)',
  );

  /* Split off the part before the range. */
  if (vma.vm_start < start) {
    const err = split_vma(vmi, vma, start, 1);

    if (err) return ERR_PTR(err);
  }

  /* Split off the part after the range. */
  if (vma.vm_end > end) {
    const err = split_vma(vmi, vma, end, 0);

    if (err) return ERR_PTR(err);
  }

  return vma;
}

export function vma_modify_flags(
  vmi: vma_iterator,
  prev: vm_area_struct | null,
  vma: vm_area_struct,
  start: unsigned_long,
  end: unsigned_long,
  new_flags: vm_flags_t,
): vm_area_struct | ErrPtr {
  const vmg = VMG_VMA_STATE(vmi, prev, vma, start, end);

  vmg.flags = new_flags;

  return vma_modify(vmg);
}

export function vma_modify_flags_name(
  vmi: vma_iterator,
  prev: vm_area_struct | null,
  vma: vm_area_struct,
  start: unsigned_long,
  end: unsigned_long,
  new_flags: vm_flags_t,
  new_name: anon_vma_name_t | null,
): vm_area_struct | ErrPtr {
  const vmg = VMG_VMA_STATE(vmi, prev, vma, start, end);

  vmg.flags = new_flags;
  vmg.anon_name = new_name;

  return vma_modify(vmg);
}

export function vma_modify_policy(
  vmi: vma_iterator,
  prev: vm_area_struct | null,
  vma: vm_area_struct,
  start: unsigned_long,
  end: unsigned_long,
  new_pol: mempolicy | null,
): vm_area_struct | ErrPtr {
  const vmg = VMG_VMA_STATE(vmi, prev, vma, start, end);

  vmg.policy = new_pol;

  return vma_modify(vmg);
}

export function vma_modify_flags_uffd(
  vmi: vma_iterator,
  prev: vm_area_struct | null,
  vma: vm_area_struct,
  start: unsigned_long,
  end: unsigned_long,
  new_flags: vm_flags_t,
  new_ctx: vm_userfaultfd_ctx,
  give_up_on_oom: boolean,
): vm_area_struct | ErrPtr {
  const vmg = VMG_VMA_STATE(vmi, prev, vma, start, end);

  vmg.flags = new_flags;
  vmg.uffd_ctx = new_ctx;
  vmg.give_up_on_oom = give_up_on_oom;

  return vma_modify(vmg);
}

/* Grow @vma by @delta bytes, merging with the VMA that follows if it fits. */
export function vma_merge_extend(vmi: vma_iterator, vma: vm_area_struct, delta: unsigned_long): vm_area_struct | null {
  const vmg = VMG_VMA_STATE(vmi, vma, vma, vma.vm_end, vma.vm_end + delta);

  vmg.next = vma_iter_next_rewind(vmi, null);
  vmg.middle = null; /* vma only supplied the attributes. */

  return vma_merge_new_range(vmg);
}

export function unlink_file_vma_batch_init(vb: unlink_vma_file_batch): void {
  vb.count = 0;
}

function unlink_file_vma_batch_process(vb: unlink_vma_file_batch): void {
  const mapping = (vb.vmas[0] as vm_area_struct).vm_file!.f_mapping;
  i_mmap_lock_write(mapping);
  for (let i = 0; i < vb.count; i++) {
    const v = vb.vmas[i] as vm_area_struct;
    VM_WARN_ON_ONCE(v.vm_file!.f_mapping !== mapping, 'vb->vmas[i]->vm_file->f_mapping != mapping', v);
    __remove_shared_vm_struct(v, mapping);
  }
  i_mmap_unlock_write(mapping);

  unlink_file_vma_batch_init(vb);
}

export function unlink_file_vma_batch_add(vb: unlink_vma_file_batch, vma: vm_area_struct): void {
  if (vma.vm_file === null) return;

  if ((vb.count > 0 && (vb.vmas[0] as vm_area_struct).vm_file !== vma.vm_file) || vb.count === vb.vmas.length) {
    unlink_file_vma_batch_process(vb);
  }

  vb.vmas[vb.count] = vma;
  vb.count++;
}

export function unlink_file_vma_batch_final(vb: unlink_vma_file_batch): void {
  if (vb.count > 0) unlink_file_vma_batch_process(vb);
}

/* Take a file VMA out of the file's interval tree before its page tables go. */
export function unlink_file_vma(vma: vm_area_struct): void {
  const f = vma.vm_file;

  if (f) {
    const mapping = f.f_mapping;

    i_mmap_lock_write(mapping);
    __remove_shared_vm_struct(vma, mapping);
    i_mmap_unlock_write(mapping);
  }
}

export function vma_link_file(vma: vm_area_struct): void {
  const f = vma.vm_file;

  if (f) {
    const mapping = f.f_mapping;
    i_mmap_lock_write(mapping);
    __vma_link_file(vma, mapping);
    i_mmap_unlock_write(mapping);
  }
}

/* Insert a detached VMA into @mm's tree. */
export function vma_link(mm: mm_struct, vma: vm_area_struct): number {
  const vmi = VMA_ITERATOR(mm, 0);

  vma_iter_config(vmi, vma.vm_start, vma.vm_end);
  if (vma_iter_prealloc(vmi, vma)) return -ENOMEM;

  vma_start_write(vma);
  vma_iter_store_new(vmi, vma);
  vma_link_file(vma);
  mm.map_count++;
  validate_mm(mm);
  return 0;
}

/*
 * For an mremap move: make a copy of *vmap at [addr, addr + len) in the same
 * mm, merging it into a neighbour when possible, before the page tables move.
 */
export function copy_vma(
  vmap: Ref<vm_area_struct>,
  addr: unsigned_long,
  len: unsigned_long,
  pgoff: pgoff_t,
  need_rmap_locks: Ref<boolean>,
): vm_area_struct | null {
  let vma = vmap.value;
  const vma_start = vma.vm_start;
  const mm = vma.vm_mm;
  let new_vma: vm_area_struct | null;
  let faulted_in_anon_vma = true;
  const vmi = VMA_ITERATOR(mm, addr);
  const vmg = VMG_VMA_STATE(vmi, null, vma, addr, addr + len);

  /*
   * Anonymous memory that was never faulted has no offset to preserve: use
   * the destination's, which gives a merge a better chance.
   */
  if (vma_is_anonymous(vma) && !vma.anon_vma) {
    pgoff = PHYS_PFN(addr);
    faulted_in_anon_vma = false;
  }

  const pprev: Ref<vm_area_struct | null> = { value: vmg.prev };
  new_vma = find_vma_prev(mm, addr, pprev);
  vmg.prev = pprev.value;
  if (new_vma && new_vma.vm_start < addr + len) return null; /* cannot happen */

  vmg.middle = null; /* A new range. */
  vmg.pgoff = pgoff;
  vmg.next = vma_iter_next_rewind(vmi, null);
  new_vma = vma_merge_new_range(vmg);

  if (new_vma) {
    /* The source may have been merged into the destination. */
    if (vma_start >= new_vma.vm_start && vma_start < new_vma.vm_end) {
      /*
       * That is only possible for an unfaulted anonymous VMA whose pgoff
       * was reset above; mremap has to break pgoff linearity between source
       * and destination otherwise, and keeping it is safe only with no
       * pages mapped.
       */
      VM_BUG_ON_VMA(faulted_in_anon_vma, new_vma, 'faulted_in_anon_vma');
      vmap.value = vma = new_vma;
    }
    need_rmap_locks.value = new_vma.vm_pgoff <= vma.vm_pgoff;
  } else {
    new_vma = vm_area_dup(vma);
    if (!new_vma) return null; /* out */
    vma_set_range(new_vma, addr, addr + len, pgoff);
    if (vma_dup_policy(vma, new_vma)) {
      /* out_free_vma */
      vm_area_free(new_vma);
      return null;
    }
    if (anon_vma_clone(new_vma, vma)) {
      /* out_free_mempol, out_free_vma */
      mpol_put(vma_policy(new_vma));
      vm_area_free(new_vma);
      return null;
    }
    if (new_vma.vm_file) get_file(new_vma.vm_file);
    if (new_vma.vm_ops && new_vma.vm_ops.open) new_vma.vm_ops.open(new_vma);
    if (vma_link(mm, new_vma)) {
      /* out_vma_link */
      fixup_hugetlb_reservations(new_vma);
      vma_close(new_vma);

      if (new_vma.vm_file) fput(new_vma.vm_file);

      unlink_anon_vmas(new_vma);
      /* out_free_mempol */
      mpol_put(vma_policy(new_vma));
      /* out_free_vma */
      vm_area_free(new_vma);
      return null;
    }
    need_rmap_locks.value = false;
  }
  return new_vma;
}

/*
 * Quick test: could @a and @b share an anon_vma?  Same file and policy,
 * adjacent with linear offsets, flags differing only in access bits.  A
 * close hook does not matter here, unlike for a merge.
 */
function anon_vma_compatible(a: vm_area_struct, b: vm_area_struct): boolean {
  return (
    a.vm_end === b.vm_start &&
    mpol_equal(vma_policy(a), vma_policy(b)) &&
    a.vm_file === b.vm_file &&
    ((a.vm_flags ^ b.vm_flags) & ~(VM_ACCESS_FLAGS | VM_SOFTDIRTY)) === 0n &&
    b.vm_pgoff === a.vm_pgoff + PHYS_PFN(b.vm_start - a.vm_start)
  );
}

/*
 * May the VMA of @a/@b (in address order) that is not @old reuse @old's
 * anon_vma?  Only if they are compatible and @old's chain is singular (it
 * did not come from a fork).
 */
function reusable_anon_vma(old: vm_area_struct, a: vm_area_struct, b: vm_area_struct): anon_vma | null {
  if (anon_vma_compatible(a, b)) {
    const av = old.anon_vma;

    if (av && list_is_singular(old.anon_vma_chain)) return av;
  }
  return null;
}

/*
 * Before allocating an anon_vma for @vma, look for a neighbour's that it can
 * share, so that later mprotect()s can merge the VMAs again.
 */
export function find_mergeable_anon_vma(vma: vm_area_struct): anon_vma | null {
  let anon_vma: anon_vma | null = null;
  let prev: vm_area_struct | null;
  const vmi = VMA_ITERATOR(vma.vm_mm, vma.vm_end);

  /* next first */
  const next = vma_iter_load(vmi);
  if (next) {
    anon_vma = reusable_anon_vma(next, vma, next);
    if (anon_vma) return anon_vma;
  }

  prev = vma_prev(vmi);
  VM_BUG_ON_VMA(prev !== vma, vma, 'prev != vma');
  prev = vma_prev(vmi);
  /* then prev */
  if (prev) anon_vma = reusable_anon_vma(prev, prev, vma);

  /*
   * NULL if nothing suitable: only the immediate neighbours are worth
   * checking.
   */
  return anon_vma;
}

function vm_ops_needs_writenotify(vm_ops: vm_operations_struct | null): boolean {
  return !!vm_ops && (!!vm_ops.page_mkwrite || !!vm_ops.pfn_mkwrite);
}

function vma_is_shared_writable(vma: vm_area_struct): boolean {
  return (vma.vm_flags & (VM_WRITE | VM_SHARED)) === (VM_WRITE | VM_SHARED);
}

function vma_fs_can_writeback(vma: vm_area_struct): boolean {
  /* No managed pages to write back. */
  if (vma.vm_flags & VM_PFNMAP) return false;

  return !!vma.vm_file && !!vma.vm_file.f_mapping && mapping_can_writeback(vma.vm_file.f_mapping);
}

/* Must the folios of @vma have their dirty state tracked? */
export function vma_needs_dirty_tracking(vma: vm_area_struct): boolean {
  /* Only for shared writable VMAs... */
  if (!vma_is_shared_writable(vma)) return false;

  /* ...whose filesystem wants to hear of writes... */
  if (vm_ops_needs_writenotify(vma.vm_ops)) return true;

  /* ...or can write pages back. */
  return vma_fs_can_writeback(vma);
}

/*
 * Should the shared mapping's pages be mapped read-only so that writes can be
 * tracked (the private protection then applies)?
 */
export function vma_wants_writenotify(vma: vm_area_struct, vm_page_prot: pgprot_t): boolean {
  /* Private or read-only: writes fault anyway. */
  if (!vma_is_shared_writable(vma)) return false;

  /* The backing store asks for it. */
  if (vm_ops_needs_writenotify(vma.vm_ops)) return true;

  /* An open routine changed the protection in a way we cannot reproduce. */
  if (pgprot_val(vm_page_prot) !== pgprot_val(vm_pgprot_modify(vm_page_prot, vma.vm_flags))) return false;

  /* Soft-dirty tracking (not for hugetlb). */
  if (vma_soft_dirty_enabled(vma) && !is_vm_hugetlb_page(vma)) return true;

  /* uffd write-protect needs the write faults. */
  if (userfaultfd_wp(vma)) return true;

  /* Dirty page accounting by the mapping. */
  return vma_fs_can_writeback(vma);
}

/* The stub layer's vma_set_page_prot() calls back into this file. */
link_vma_wants_writenotify(vma_wants_writenotify);

const mm_all_locks_mutex = new mutex();

function vm_lock_anon_vma(mm: mm_struct, anon_vma: anon_vma): void {
  const root = anon_vma.root as anon_vma;
  if (!test_bit(0, root.rb_root.rb_root.rb_node)) {
    /* mm_all_locks_mutex keeps bit 0 of rb_node stable while we look. */
    down_write_nest_lock(root, mm);
    /*
     * Holding the root's rwsem, mark it taken so that another VMA sharing
     * this anon_vma does not take it again.
     */
    if (__test_and_set_bit(0, root.rb_root.rb_root, 'rb_node')) BUG('anon_vma already locked');
  }
}

function vm_lock_mapping(mm: mm_struct, mapping: address_space): void {
  if (!test_bit(AS_MM_ALL_LOCKS, mapping.flags)) {
    /* Stable under mm_all_locks_mutex, but flags is shared: set it atomically. */
    if (__test_and_set_bit(AS_MM_ALL_LOCKS, mapping, 'flags')) BUG('mapping already locked');
    down_write_nest_lock(mapping, mm);
  }
}

/*
 * Lock out every VMA, page-table and rmap operation on @mm: write-start all
 * VMAs, then take the hugetlb mappings' locks, the other mappings' locks and
 * the anon_vmas' locks, in that order (see mm/rmap.c).  The caller holds the
 * mmap write lock until mm_drop_all_locks().  Can fail with -EINTR.
 */
export function mm_take_all_locks(mm: mm_struct): number {
  const vmi = VMA_ITERATOR(mm, 0);
  let interrupted = false;

  mmap_assert_write_locked(mm);

  mutex_lock(mm_all_locks_mutex);

  /* vma_start_write() has no counterpart in mm_drop_all_locks(). */
  for_each_vma(vmi, (vma) => {
    if (interrupted) return;
    if (signal_pending(current)) {
      interrupted = true;
      return;
    }
    vma_start_write(vma);
  });

  const passes: ((vma: vm_area_struct) => void)[] = [
    (vma) => {
      if (vma.vm_file && vma.vm_file.f_mapping && is_vm_hugetlb_page(vma)) vm_lock_mapping(mm, vma.vm_file.f_mapping);
    },
    (vma) => {
      if (vma.vm_file && vma.vm_file.f_mapping && !is_vm_hugetlb_page(vma)) vm_lock_mapping(mm, vma.vm_file.f_mapping);
    },
    (vma) => {
      if (vma.anon_vma) {
        list_for_each_entry(vma.anon_vma_chain, (avc) => vm_lock_anon_vma(mm, avc.anon_vma as anon_vma));
      }
    },
  ];
  for (const pass of passes) {
    if (interrupted) break;
    vma_iter_init(vmi, mm, 0);
    for_each_vma(vmi, (vma) => {
      if (interrupted) return;
      if (signal_pending(current)) {
        interrupted = true;
        return;
      }
      pass(vma);
    });
  }

  if (!interrupted) return 0;

  /* out_unlock: */
  mm_drop_all_locks(mm);
  return -EINTR;
}

function vm_unlock_anon_vma(anon_vma: anon_vma): void {
  const root = anon_vma.root as anon_vma;
  if (test_bit(0, root.rb_root.rb_root.rb_node)) {
    /* Clear the mark before unlocking, so no reader ever sees it. */
    if (!__test_and_clear_bit(0, root.rb_root.rb_root, 'rb_node')) BUG('anon_vma not locked');
    anon_vma_unlock_write(anon_vma);
  }
}

function vm_unlock_mapping(mapping: address_space): void {
  if (test_bit(AS_MM_ALL_LOCKS, mapping.flags)) {
    i_mmap_unlock_write(mapping);
    if (!__test_and_clear_bit(AS_MM_ALL_LOCKS, mapping, 'flags')) BUG('mapping not locked');
  }
}

/* Release what mm_take_all_locks() took; the mmap lock is still held. */
export function mm_drop_all_locks(mm: mm_struct): void {
  const vmi = VMA_ITERATOR(mm, 0);

  mmap_assert_write_locked(mm);
  BUG_ON(!mutex_is_locked(mm_all_locks_mutex), '!mutex_is_locked(&mm_all_locks_mutex)');

  for_each_vma(vmi, (vma) => {
    if (vma.anon_vma) list_for_each_entry(vma.anon_vma_chain, (avc) => vm_unlock_anon_vma(avc.anon_vma as anon_vma));
    if (vma.vm_file && vma.vm_file.f_mapping) vm_unlock_mapping(vma.vm_file.f_mapping);
  });

  mutex_unlock(mm_all_locks_mutex);
}

/*
 * Is the mapping charged against the commit limit?  Private writable
 * mappings without VM_NORESERVE are, except hugetlb files (accounted apart).
 */
function accountable_mapping(f: file | null, vm_flags: vm_flags_t): boolean {
  if (f && is_file_hugepages(f)) return false;

  return (vm_flags & (VM_NORESERVE | VM_SHARED | VM_WRITE)) === VM_WRITE;
}

/*
 * Undo an aborted munmap as far as possible: reattach the VMAs if their page
 * tables are intact; otherwise (vm_ops->close may have run) leave a hole
 * where they were and finish the unmap.
 */
function vms_abort_munmap_vmas(vms: vma_munmap_struct, mas_detach: ma_state<vm_area_struct>): void {
  const mas = (vms.vmi as vma_iterator).mas;

  if (!vms.nr_pages) return;

  if (vms.clear_ptes) {
    reattach_vmas(mas_detach);
    return;
  }

  /* Reopening them is not possible (open and close are not symmetric). */
  mas_set_range(mas, vms.start, vms.end - 1);
  mas_store_gfp(mas, null, GFP_KERNEL | __GFP_NOFAIL);
  /* Finish the unmap over the hole. */
  vms_complete_munmap_vmas(vms, mas_detach);
}

/*
 * Gather the VMAs the new mapping will replace, check limits, account the
 * mapping and clear the page tables of what it replaces.  Returns 0 or an
 * error.
 */
function __mmap_prepare(map: mmap_state, uf: unknown): number {
  let error: number;
  const vmi = map.vmi;
  const vms = map.vms;

  /* The first overlapping VMA, and the unmap state. */
  vms.vma = vma_find(vmi, map.end);
  init_vma_munmap(vms, vmi, vms.vma, map.addr, map.end, uf, /* unlock = */ false);

  /* Overlapping VMAs get ready for unmapping. */
  if (vms.vma) {
    mt_init_flags(map.mt_detach, vmi.mas.tree.ma_flags & MT_FLAGS_LOCK_MASK);
    mt_on_stack(map.mt_detach);
    mas_init(map.mas_detach, map.mt_detach, /* addr = */ 0);
    error = vms_gather_munmap_vmas(vms, map.mas_detach);
    if (error) {
      /* The VMAs were reattached already. */
      vms.nr_pages = 0;
      return error;
    }

    map.next = vms.next;
    map.prev = vms.prev;
  } else {
    const pprev: Ref<vm_area_struct | null> = { value: null };
    map.next = vma_iter_next_rewind(vmi, pprev);
    map.prev = pprev.value;
  }

  /* Address space limit. */
  if (!may_expand_vm(map.mm, map.flags, map.pglen - vms.nr_pages)) return -ENOMEM;

  /* Private writable: commit charge. */
  if (accountable_mapping(map.file, map.flags)) {
    map.charged = map.pglen;
    map.charged -= vms.nr_accounted;
    if (map.charged) {
      error = security_vm_enough_memory_mm(map.mm, map.charged);
      if (error) return error;
    }

    vms.nr_accounted = 0;
    map.flags |= VM_ACCOUNT;
  }

  /*
   * Clear the old page tables while the VMAs are still in the tree, so
   * rmap cannot race with their freeing; this also runs the close hooks
   * before the file's mmap hook.
   */
  vms_clean_up_area(vms, map.mas_detach);

  return 0;
}

function __mmap_new_file_vma(map: mmap_state, vma: vm_area_struct): number {
  const vmi = map.vmi;

  vma.vm_file = get_file(map.file as file);
  const error = mmap_file(vma.vm_file, vma);
  if (error) {
    fput(vma.vm_file);
    vma.vm_file = null;

    vma_iter_set(vmi, vma.vm_end);
    /* A driver may have mapped part of the range already. */
    unmap_region(vmi.mas, vma, map.prev, map.next);

    return error;
  }

  /* The driver must not move the VMA. */
  WARN_ON_ONCE(map.addr !== vma.vm_start, 'map->addr != vma->vm_start', vma);
  /* Nor grant write permission that was refused. */
  VM_WARN_ON_ONCE(
    map.flags !== vma.vm_flags && !(map.flags & VM_MAYWRITE) && (vma.vm_flags & VM_MAYWRITE) !== 0n,
    'map->flags != vma->vm_flags && !(map->flags & VM_MAYWRITE) && (vma->vm_flags & VM_MAYWRITE)',
    vma,
  );

  /* Changed, still mergeable flags: try a merge once more later. */
  map.retry_merge = vma.vm_flags !== map.flags && !(vma.vm_flags & VM_SPECIAL);
  map.flags = vma.vm_flags;

  return 0;
}

/* No merge: allocate and insert a VMA for the region (*vmap gets it). */
function __mmap_new_vma(map: mmap_state, vmap: Ref<vm_area_struct | null>): number {
  const vmi = map.vmi;
  let error = 0;

  /*
   * The range was checked and its old VMAs taken off the lists, but not yet
   * unmapped; set up the new object according to what is mapped.
   */
  const vma = vm_area_alloc(map.mm);
  if (!vma) return -ENOMEM;

  vma_iter_config(vmi, map.addr, map.end);
  vma_set_range(vma, map.addr, map.end, map.pgoff);
  vm_flags_init(vma, map.flags);
  vma.vm_page_prot = vm_get_page_prot(map.flags);

  if (vma_iter_prealloc(vmi, vma)) {
    error = -ENOMEM;
    /* free_vma */
    vm_area_free(vma);
    return error;
  }

  if (map.file) error = __mmap_new_file_vma(map, vma);
  else if (map.flags & VM_SHARED) error = shmem_zero_setup(vma);
  else vma_set_anonymous(vma);

  if (error) {
    /* free_iter_vma, free_vma */
    vma_iter_free(vmi);
    vm_area_free(vma);
    return error;
  }

  /* (CONFIG_SPARC64's arch_validate_flags() warning is not configured.) */

  /* Write-lock it: it changes after insertion. */
  vma_start_write(vma);
  vma_iter_store_new(vmi, vma);
  map.mm.map_count++;
  vma_link_file(vma);

  /* A merge calls khugepaged_enter_vma() itself; this covers a new VMA. */
  if (!vma_is_anonymous(vma)) khugepaged_enter_vma(vma, map.flags);
  ksm_add_vma(vma);
  vmap.value = vma;
  return 0;
}

/*
 * Finish the mapping: unmap what it replaced, update the counters, apply
 * mlock rules and set the soft-dirty flag and page protection.
 */
function __mmap_complete(map: mmap_state, vma: vm_area_struct): void {
  const mm = map.mm;
  const vm_flags = vma.vm_flags;

  perf_event_mmap(vma);

  /* Remove whatever was mapped here before. */
  vms_complete_munmap_vmas(map.vms, map.mas_detach);

  vm_stat_account(mm, vma.vm_flags, map.pglen);
  if (vm_flags & VM_LOCKED) {
    if ((vm_flags & VM_SPECIAL) !== 0n || vma_is_dax(vma) || is_vm_hugetlb_page(vma) || vma === get_gate_vma(mm)) {
      vm_flags_clear(vma, VM_LOCKED_MASK);
    } else {
      mm.locked_vm += map.pglen;
    }
  }

  if (vma.vm_file) uprobe_mmap(vma);

  /*
   * A new or grown VMA is always soft-dirty, so that a tracker can tell a
   * fresh mapping from the old one it replaced.
   */
  vm_flags_set(vma, VM_SOFTDIRTY);

  vma_set_page_prot(vma);
}

export function __mmap_region(
  f: file | null,
  addr: unsigned_long,
  len: unsigned_long,
  vm_flags: vm_flags_t,
  pgoff: unsigned_long,
  uf: unknown,
): unsigned_long {
  const mm = current_mm();
  let vma: vm_area_struct | null = null;
  let error: number;
  const vmi = VMA_ITERATOR(mm, addr);
  const map = MMAP_STATE(mm, vmi, addr, len, pgoff, vm_flags, f);

  error = __mmap_prepare(map, uf);
  if (!error) {
    /* Try to merge with the neighbours... */
    if (map.prev || map.next) {
      const vmg = VMG_MMAP_STATE(map, /* vma = */ null);

      vma = vma_merge_new_range(vmg);
    }

    /* ...or allocate a new VMA. */
    if (!vma) {
      const vmap: Ref<vm_area_struct | null> = { value: null };
      error = __mmap_new_vma(map, vmap);
      vma = vmap.value;
    }

    if (!error) {
      const v = vma as vm_area_struct;
      /* Changed flags may make a merge possible now. */
      if (map.retry_merge) {
        const vmg = VMG_MMAP_STATE(map, v);

        vma_iter_config(map.vmi, map.addr, map.end);
        const merged = vma_merge_existing_range(vmg);
        if (merged) vma = merged;
      }

      __mmap_complete(map, vma as vm_area_struct);

      return addr;
    }

    /* unacct_error: __mmap_prepare() did the accounting. */
    if (map.charged) vm_unacct_memory(map.charged);
  }
  /* abort_munmap: */
  vms_abort_munmap_vmas(map.vms, map.mas_detach);
  return error;
}

/*
 * Map [addr, addr + len) into current->mm with the given flags and page
 * offset (file offset, or virtual page for anonymous memory).  addr and len
 * are aligned and checked already; the mmap write lock is held.  Returns the
 * address or a negative error.
 */
export function mmap_region(
  f: file | null,
  addr: unsigned_long,
  len: unsigned_long,
  vm_flags: vm_flags_t,
  pgoff: unsigned_long,
  uf: unknown,
): unsigned_long {
  let writable_file_mapping = false;

  mmap_assert_write_locked(current_mm());

  /* Memory-deny-write-execute. */
  if (map_deny_write_exec(vm_flags, vm_flags)) return -EACCES;

  /* Architecture checks of the flags. */
  if (!arch_validate_flags(vm_flags)) return -EINVAL;

  /* Writable shared file mapping: the file must allow it (sealed memfd). */
  if (f && is_shared_maywrite(vm_flags)) {
    const error = mapping_map_writable(f.f_mapping);

    if (error) return error;
    writable_file_mapping = true;
  }

  const ret = __mmap_region(f, addr, len, vm_flags, pgoff, uf);

  /* Drop our write count, error or not. */
  if (writable_file_mapping) mapping_unmap_writable((f as file).f_mapping);

  validate_mm(current_mm());
  return ret;
}

/*
 * Grow the brk VMA @vma over [addr, addr + len) when the flags match, or
 * create a new anonymous VMA there.  Returns 0 or -ENOMEM.
 */
export function do_brk_flags(
  vmi: vma_iterator,
  vma: vm_area_struct | null,
  addr: unsigned_long,
  len: unsigned_long,
  flags: vm_flags_t,
): number {
  const mm = current_mm();

  /* Address space limits, by the size of the change. */
  flags |= VM_DATA_DEFAULT_FLAGS() | VM_ACCOUNT | mm.def_flags;
  if (!may_expand_vm(mm, flags, PHYS_PFN(len))) return -ENOMEM;

  if (mm.map_count > sysctl_max_map_count) return -ENOMEM;

  if (security_vm_enough_memory_mm(mm, PHYS_PFN(len))) return -ENOMEM;

  /* Expand the old VMA when possible (only unforked ones have a singular chain). */
  let expanded = false;
  if (vma && vma.vm_end === addr) {
    const vmg = VMG_STATE(mm, vmi, addr, addr + len, flags, PHYS_PFN(addr));

    vmg.prev = vma;
    /* The iterator is on prev, as this mode expects. */
    vmg.just_expand = true;

    if (vma_merge_new_range(vmg)) {
      expanded = true;
    } else if (vmg_nomem(vmg)) {
      /* unacct_fail */
      vm_unacct_memory(PHYS_PFN(len));
      return -ENOMEM;
    }
  }

  if (!expanded) {
    if (vma) vma_iter_next_range(vmi);
    /* A new anonymous VMA. */
    vma = vm_area_alloc(mm);
    if (!vma) {
      /* unacct_fail */
      vm_unacct_memory(PHYS_PFN(len));
      return -ENOMEM;
    }

    vma_set_anonymous(vma);
    vma_set_range(vma, addr, addr + len, PHYS_PFN(addr));
    vm_flags_init(vma, flags);
    vma.vm_page_prot = vm_get_page_prot(flags);
    vma_start_write(vma);
    if (vma_iter_store_gfp(vmi, vma, GFP_KERNEL)) {
      /* mas_store_fail, unacct_fail */
      vm_area_free(vma);
      vm_unacct_memory(PHYS_PFN(len));
      return -ENOMEM;
    }

    mm.map_count++;
    validate_mm(mm);
    ksm_add_vma(vma);
  }
  /* out: */
  const v = vma as vm_area_struct;
  perf_event_mmap(v);
  mm.total_vm += PHYS_PFN(len);
  mm.data_vm += PHYS_PFN(len);
  if (flags & VM_LOCKED) mm.locked_vm += PHYS_PFN(len);
  vm_flags_set(v, VM_SOFTDIRTY);
  return 0;
}

/* (a - b) & mask on unsigned longs, wrapping like C. */
function ulong_sub_mask(a: unsigned_long, b: unsigned_long, mask: unsigned_long): unsigned_long {
  return Number((BigInt(a) - BigInt(b)) & BigInt(mask));
}

/*
 * The lowest free area in [low_limit, high_limit) of current->mm that fits
 * info->length with the requested alignment and start gap.  Returns the
 * address or -ENOMEM.
 */
export function unmapped_area(info: vm_unmapped_area_info): unsigned_long {
  let gap: unsigned_long;
  let tmp: vm_area_struct | null;
  const vmi = VMA_ITERATOR(current_mm(), 0);

  /* Search for room for the worst-case alignment overhead too. */
  const length = info.length + info.align_mask + info.start_gap;
  if (length < info.length || length > ULONG_MAX) return -ENOMEM;

  let low_limit = info.low_limit;
  if (low_limit < mmap_min_addr) low_limit = mmap_min_addr;
  const high_limit = info.high_limit;

  for (;;) {
    /* retry: */
    if (vma_iter_area_lowest(vmi, low_limit, high_limit, length)) return -ENOMEM;

    /* The start gap first, then the alignment: the least that satisfies both. */
    gap = vma_iter_addr(vmi) + info.start_gap;
    gap += ulong_sub_mask(info.align_offset, gap, info.align_mask);
    tmp = vma_next(vmi);
    if (tmp && (tmp.vm_flags & VM_STARTGAP_FLAGS) !== 0n) {
      /* Skip the prev check when possible. */
      if (vm_start_gap(tmp) < gap + length - 1) {
        low_limit = tmp.vm_end;
        vma_iter_reset(vmi);
        continue;
      }
    } else {
      tmp = vma_prev(vmi);
      if (tmp && vm_end_gap(tmp) > gap) {
        low_limit = vm_end_gap(tmp);
        vma_iter_reset(vmi);
        continue;
      }
    }

    return gap;
  }
}

/*
 * Like unmapped_area(), for the highest such area.  Returns the address or
 * -ENOMEM.
 */
export function unmapped_area_topdown(info: vm_unmapped_area_info): unsigned_long {
  let gap: unsigned_long;
  let gap_end: unsigned_long;
  let tmp: vm_area_struct | null;
  const vmi = VMA_ITERATOR(current_mm(), 0);

  /* Search for room for the worst-case alignment overhead too. */
  const length = info.length + info.align_mask + info.start_gap;
  if (length < info.length || length > ULONG_MAX) return -ENOMEM;

  let low_limit = info.low_limit;
  if (low_limit < mmap_min_addr) low_limit = mmap_min_addr;
  let high_limit = info.high_limit;

  for (;;) {
    /* retry: */
    if (vma_iter_area_highest(vmi, low_limit, high_limit, length)) return -ENOMEM;

    gap = vma_iter_end(vmi) - info.length;
    gap -= ulong_sub_mask(gap, info.align_offset, info.align_mask);
    gap_end = vma_iter_end(vmi);
    tmp = vma_next(vmi);
    if (tmp && (tmp.vm_flags & VM_STARTGAP_FLAGS) !== 0n) {
      /* Skip the prev check when possible. */
      if (vm_start_gap(tmp) < gap_end) {
        high_limit = vm_start_gap(tmp);
        vma_iter_reset(vmi);
        continue;
      }
    } else {
      tmp = vma_prev(vmi);
      if (tmp && vm_end_gap(tmp) > gap) {
        high_limit = tmp.vm_start;
        vma_iter_reset(vmi);
        continue;
      }
    }

    return gap;
  }
}

/*
 * May the stack grow to @size bytes, @grow pages more?  Checks the address
 * space, stack and mlock limits and charges the growth.  0 or an error.
 */
function acct_stack_growth(vma: vm_area_struct, size: unsigned_long, grow: unsigned_long): number {
  const mm = vma.vm_mm;

  /* Address space limit. */
  if (!may_expand_vm(mm, vma.vm_flags, grow)) return -ENOMEM;

  /* Stack limit. */
  if (size > rlimit(RLIMIT_STACK)) return -ENOMEM;

  /* mlock limit. */
  if (!mlock_future_ok(mm, vma.vm_flags, grow * 2 ** PAGE_SHIFT)) return -ENOMEM;

  /* The stack must not grow into a hugetlb-only region. */
  const new_start = vma.vm_flags & VM_GROWSUP ? vma.vm_start : vma.vm_end - size;
  if (is_hugepage_only_range(vma.vm_mm, new_start, size)) return -EFAULT;

  /* Overcommit last, as it charges the security counters. */
  if (security_vm_enough_memory_mm(mm, grow)) return -ENOMEM;

  return 0;
}

/*
 * CONFIG_STACK_GROWSUP (PA-RISC): grow @vma, the last VMA below @address, up
 * to it.  The harness is built without this option, so nothing calls it; it
 * is ported for completeness.
 */
export function expand_upwards(vma: vm_area_struct, address: unsigned_long): number {
  const mm = vma.vm_mm;
  let next: vm_area_struct | null;
  let gap_addr: unsigned_long;
  let error = 0;
  const vmi = VMA_ITERATOR(mm, vma.vm_start);

  if (!(vma.vm_flags & VM_GROWSUP)) return -EFAULT;

  mmap_assert_write_locked(mm);

  /* Stay inside the address space. */
  address = PAGE_MASK_ALIGN_DOWN(address);
  if (address >= PAGE_MASK_ALIGN_DOWN(TASK_SIZE)) return -ENOMEM;
  address += PAGE_SIZE;

  /* Keep stack_guard_gap to the next VMA... */
  gap_addr = address + stack_guard_gap;

  /* ...without running past the end. */
  if (gap_addr < address || gap_addr > TASK_SIZE) gap_addr = TASK_SIZE;

  next = find_vma_intersection(mm, vma.vm_end, gap_addr);
  if (next && vma_is_accessible(next)) {
    if (!(next.vm_flags & VM_GROWSUP)) return -ENOMEM;
    /* (Whether both stacks share an anon_vma is not checked.) */
  }

  if (next) vma_iter_prev_range_limit(vmi, address);

  vma_iter_config(vmi, vma.vm_start, address);
  if (vma_iter_prealloc(vmi, vma)) return -ENOMEM;

  /* It needs an anon_vma. */
  if (anon_vma_prepare(vma)) {
    vma_iter_free(vmi);
    return -ENOMEM;
  }

  /* Lock it against concurrent faults before growing it. */
  vma_start_write(vma);
  /* The anon_vma tree changes. */
  anon_vma_lock_write(vma.anon_vma);

  /* Someone may have grown it meanwhile. */
  if (address > vma.vm_end) {
    const size = address - vma.vm_start;
    const grow = PHYS_PFN(address - vma.vm_end);

    error = -ENOMEM;
    if (vma.vm_pgoff + PHYS_PFN(size) >= vma.vm_pgoff) {
      error = acct_stack_growth(vma, size, grow);
      if (!error) {
        if (vma.vm_flags & VM_LOCKED) mm.locked_vm += grow;
        vm_stat_account(mm, vma.vm_flags, grow);
        anon_vma_interval_tree_pre_update_vma(vma);
        vma.vm_end = address;
        /* Overwrite the old entry. */
        vma_iter_store_overwrite(vmi, vma);
        anon_vma_interval_tree_post_update_vma(vma);

        perf_event_mmap(vma);
      }
    }
  }
  anon_vma_unlock_write(vma.anon_vma);
  vma_iter_free(vmi);
  validate_mm(mm);
  return error;
}

/*
 * Grow @vma, the first VMA above @address, down to it (mmap write lock held).
 */
export function expand_downwards(vma: vm_area_struct, address: unsigned_long): number {
  const mm = vma.vm_mm;
  let error = 0;
  const vmi = VMA_ITERATOR(mm, vma.vm_start);

  if (!(vma.vm_flags & VM_GROWSDOWN)) return -EFAULT;

  mmap_assert_write_locked(mm);

  address = PAGE_MASK_ALIGN_DOWN(address);
  if (address < mmap_min_addr || address < FIRST_USER_ADDRESS) return -EPERM;

  /* Keep stack_guard_gap from the previous VMA. */
  const prev = vma_prev(vmi);
  /* (Whether both stacks share an anon_vma is not checked.) */
  if (prev) {
    /* address - prev->vm_end is unsigned: below prev's end it wraps to huge. */
    if (
      !(prev.vm_flags & VM_GROWSDOWN) &&
      vma_is_accessible(prev) &&
      address >= prev.vm_end &&
      address - prev.vm_end < stack_guard_gap
    ) {
      return -ENOMEM;
    }
  }

  if (prev) vma_iter_next_range_limit(vmi, vma.vm_start);

  vma_iter_config(vmi, address, vma.vm_end);
  if (vma_iter_prealloc(vmi, vma)) return -ENOMEM;

  /* It needs an anon_vma. */
  if (anon_vma_prepare(vma)) {
    vma_iter_free(vmi);
    return -ENOMEM;
  }

  /* Lock it against concurrent faults before growing it. */
  vma_start_write(vma);
  /* The anon_vma tree changes. */
  anon_vma_lock_write(vma.anon_vma);

  /* Someone may have grown it meanwhile. */
  if (address < vma.vm_start) {
    const size = vma.vm_end - address;
    const grow = PHYS_PFN(vma.vm_start - address);

    error = -ENOMEM;
    if (grow <= vma.vm_pgoff) {
      error = acct_stack_growth(vma, size, grow);
      if (!error) {
        if (vma.vm_flags & VM_LOCKED) mm.locked_vm += grow;
        vm_stat_account(mm, vma.vm_flags, grow);
        anon_vma_interval_tree_pre_update_vma(vma);
        vma.vm_start = address;
        vma.vm_pgoff -= grow;
        /* Overwrite the old entry. */
        vma_iter_store_overwrite(vmi, vma);
        anon_vma_interval_tree_post_update_vma(vma);

        perf_event_mmap(vma);
      }
    }
  }
  anon_vma_unlock_write(vma.anon_vma);
  vma_iter_free(vmi);
  validate_mm(mm);
  return error;
}

export function __vm_munmap(start: unsigned_long, len: unsigned_long, unlock: boolean): number {
  const mm = current_mm();
  const uf: unknown[] = []; /* LIST_HEAD(uf) */
  const vmi = VMA_ITERATOR(mm, start);

  if (mmap_write_lock_killable(mm)) return -EINTR;

  const ret = do_vmi_munmap(vmi, mm, start, len, uf, unlock);
  if (ret || !unlock) mmap_write_unlock(mm);

  userfaultfd_unmap_complete(mm, uf);
  return ret;
}
