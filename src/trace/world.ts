// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The world a vma-trace/1 trace runs in: one fresh mm (the current task's),
 * one persistent VMA iterator, eight anon_vmas and four files, and the
 * mapping between those objects and the ids the trace uses.  run() performs
 * one step the way TRACE_FORMAT.md says the harness does; observe() records
 * the state after it as a TraceExpect; endStep() applies the resets the
 * harness does between checks.
 */

import { performance } from 'node:perf_hooks';
import {
  AS_MM_ALL_LOCKS,
  PAGE_SIZE,
  UINT_MAX,
} from '../vma_internal/constants';
import {
  warn_count,
  warn_reset,
} from '../vma_internal/bug';
import {
  INIT_LIST_HEAD,
  list_add_tail,
} from '../vma_internal/list';
import {
  address_space,
  anon_vma,
  anon_vma_chain,
  file,
  mm_struct,
  NULL_VM_UFFD_CTX,
  vm_unmapped_area_info,
  VM_UNMAPPED_AREA_TOPDOWN,
  type anon_vma_name_t,
  type mempolicy,
  type vm_area_struct,
  type vm_operations_struct,
} from '../vma_internal/structs';
import {
  IS_ERR,
  IS_ERR_VALUE,
  type ErrPtr,
} from '../vma_internal/err';
import {
  fault_inject,
  set_fail_prealloc,
} from '../vma_internal/fault_inject';
import {
  vma_registry,
} from '../vma_internal/registry';
import {
  maple_check_reset,
} from '../vma_internal/maple_state_check';
import {
  vma_start_write,
  vma_write_log_enable,
  vma_write_log_reset,
} from '../vma_internal/vma_lock';
import {
  vma_dummy_vm_ops,
} from '../vma_internal/vma_alloc';
import {
  vma_find,
  vma_iter_init,
  vma_iter_set,
  VMA_ITERATOR,
  type Ref,
  type vma_iterator,
} from '../vma_internal/vma_iter';
import {
  current,
  set_sysctl_max_map_count,
  stack_guard_gap,
} from '../vma_internal/mm_stubs';
import { test_bit } from '../vma_internal/mm_stubs';
import { VMG_VMA_STATE, vma_merge_struct, vma_prev_limit, VMA_MERGE_ERROR_NOMEM, VMA_MERGE_NOMERGE, VMA_MERGE_START, VMA_MERGE_SUCCESS } from '../mm/vma_h';
import {
  __vm_munmap,
  copy_vma,
  do_brk_flags,
  do_vmi_munmap,
  expand_downwards,
  find_mergeable_anon_vma,
  mm_drop_all_locks,
  mm_take_all_locks,
  mmap_region,
  split_vma,
  unmapped_area,
  unmapped_area_topdown,
  vma_expand,
  vma_merge_existing_range,
  vma_merge_extend,
  vma_modify_flags,
  vma_modify_flags_name,
  vma_modify_flags_uffd,
  vma_modify_policy,
  vma_shrink,
} from '../mm/vma';
import { alloc_and_link_vma, dummy_close, harness_reset, merge_new, vmg_set_range } from '../harness/helpers';
import { sys_mlockall, sys_munlockall } from '../harness/mlock';
import { toHex } from './hex';
import { checkPreconditions, TraceInputError } from './preconditions';
import { LayoutDriftError, TraceLayout, type LayoutReader, type LayoutRecord } from './layout';
import { LayoutLearner } from './layout_sync';
import { NO_RULE_OPTIONS, type RuleOptions } from './rules';
import type {
  AllocAndLinkStep,
  AnonFlags,
  AnonId,
  BrkStep,
  CopyVmaStep,
  ExpandStackStep,
  ExpandStep,
  FailPreallocStep,
  FileId,
  FindMergeableAnonVmaStep,
  InjectStep,
  LockedSets,
  MergeExistingStep,
  MergeExtendStep,
  MergeNewStep,
  MergeStateName,
  MlockallStep,
  MmapStep,
  ModifyFlagsStep,
  ModifyFlagsUffdStep,
  ModifyNameStep,
  ModifyPolicyStep,
  MunmapStep,
  NameId,
  SetAnonStep,
  SetFileStep,
  SetMaxMapCountStep,
  SetOpsStep,
  ShrinkStep,
  SplitStep,
  TakeAllLocksStep,
  TraceExpect,
  TraceStep,
  VmaRow,
  VmMunmapStep,
  VmOpsKind,
  VmUnmappedAreaStep,
} from './types';

export const ANON_VMA_COUNT = 8;
export const FILE_COUNT = 4;
export const NAME_COUNT = 4;

const STATE_NAMES: Record<number, MergeStateName> = {
  [VMA_MERGE_START]: 'START',
  [VMA_MERGE_ERROR_NOMEM]: 'ERROR_NOMEM',
  [VMA_MERGE_NOMERGE]: 'NOMERGE',
  [VMA_MERGE_SUCCESS]: 'SUCCESS',
};

/** What an operation returned, before it is turned into expectations. */
export interface StepOutcome {
  /** For operations returning a VMA pointer: the VMA, NULL or an error pointer. */
  vma?: vm_area_struct | ErrPtr | null;
  /** For operations returning an int (and failed mmaps). */
  err?: number;
  /** A successful mmap's address. */
  addr?: number;
  /** vmg.state for merge_new, merge_existing and expand. */
  state?: number;
  /** copy_vma's out-parameters. */
  vmap?: vm_area_struct;
  need_rmap_locks?: boolean;
  /** find_mergeable_anon_vma's result. */
  anon_vma?: anon_vma | null;
  /** take_all_locks: what was marked when mm_take_all_locks() returned. */
  locked?: LockedSets;
  /** The merge state used, for operations that build one (coverage counting). */
  vmg?: vma_merge_struct;
}

/**
 * A VMA in the replayer's layout: its range as the layout last recorded it
 * (the layout's index keys), its other attributes read from the VMA object
 * (they only change when a step touches the VMA, and the layout re-reads
 * those), ids of the anon_vma, file and ops as the trace names them.
 */
class VmaRecord implements LayoutRecord {
  start = 0;
  end = 0;
  lower: LayoutRecord | null = null;
  upper: LayoutRecord | null = null;
  constructor(
    private readonly vma: vm_area_struct,
    private readonly world: TraceWorld,
  ) {}
  get id(): number {
    return this.vma.__id;
  }
  get pgoff(): number {
    return this.vma.vm_pgoff;
  }
  get flags(): bigint {
    return this.vma.vm_flags;
  }
  get anon(): AnonId | null {
    return this.world.knownAnonId(this.vma.anon_vma);
  }
  get file(): FileId | null {
    return this.world.fileId(this.vma.vm_file);
  }
  get ops(): VmOpsKind {
    return this.world.opsKind(this.vma.vm_ops);
  }
  get chain(): number {
    return this.vma.anon_vma_chain.items.length;
  }
  get chainAnon(): AnonId | null {
    const items = this.vma.anon_vma_chain.items;
    return items.length === 0 ? null : this.world.knownAnonId(items[0].anon_vma);
  }
}

/* Where the layout reads a VMA's record from (see LayoutReader). */
class VmaReader implements LayoutReader {
  constructor(private readonly world: TraceWorld) {}

  /* The layout's record of VMA @id with its range as it now is, or null when the VMA is freed or detached. */
  record(id: number, into: LayoutRecord | null): LayoutRecord | null {
    const v = vma_registry.lookup(id);
    if (v === undefined || v.vm_refcnt === 0) return null;
    const r = into ?? new VmaRecord(v, this.world);
    r.start = v.vm_start;
    r.end = v.vm_end;
    return r;
  }
}

/* An anon_vma's fields other than root as anon_vma's constructor leaves them. */
function resetAnonVmaFields(av: anon_vma): void {
  av.rb_root.rb_root.rb_node = 0;
  av.was_cloned = false;
  av.was_unlinked = false;
}

export class TraceWorld {
  /* reset() replaces the mm, the iterator, the layout and its learner. */
  mm: mm_struct;
  vmi: vma_iterator;
  /** anon_vmas 1..8 (index 0 unused). */
  readonly anonVmas: anon_vma[];
  /** files 1..4 (index 0 unused). */
  readonly files: file[];
  /** anon_vma_names 1..4 (index 0 unused), for modify_name. */
  readonly names: anon_vma_name_t[];
  /** The one non-NULL mempolicy modify_policy installs. */
  readonly policy: mempolicy = Object.freeze({});
  /** The ops table whose close hook is set ("close"). */
  readonly closeOps: vm_operations_struct = Object.freeze({ close: dummy_close });
  /**
   * The validator's own picture of the trace's state (layout.ts): what the
   * precondition rules are checked against, kept apart from the port.
   */
  layout = new TraceLayout();
  private readonly anonIds = new Map<anon_vma, number>();
  private readonly fileIds = new Map<file, number>();
  /** When set, execute() adds the time the port's operations take (not the validator's bookkeeping) to opNs. */
  timing = false;
  /** Milliseconds (a double: no bigint per step) spent in the port's operations while timing was set. */
  opMs = 0;
  private readonly reader = new VmaReader(this);
  private learner = new LayoutLearner(this.layout, this.reader);

  constructor() {
    harness_reset();
    vma_write_log_enable(true);
    this.mm = new mm_struct();
    current.mm = this.mm;
    this.vmi = VMA_ITERATOR(this.mm, 0);
    this.anonVmas = [new anon_vma()];
    this.files = [new file(new address_space())];
    for (let i = 1; i <= ANON_VMA_COUNT; i++) {
      const av = new anon_vma();
      /* Each is its own root, as anon_vma_alloc() makes it (only mm_take_all_locks() looks). */
      av.root = av;
      this.anonVmas.push(av);
      this.anonIds.set(av, i);
    }
    for (let i = 1; i <= FILE_COUNT; i++) {
      const f = new file(new address_space());
      this.files.push(f);
      this.fileIds.set(f, i);
    }
    this.names = [{ name: '' }];
    for (let i = 1; i <= NAME_COUNT; i++) this.names.push(Object.freeze({ name: `name${i}` }));
  }

  /**
   * Make this world what a new TraceWorld() would be, without building the
   * anon_vmas, files, names and id maps again (a fuzz campaign starts a
   * world per run): the harness's globals reset, a new mm, iterator, layout
   * and learner, the anon_vma and file fields as constructed, timing off.  tests/trace/world_reset.test.ts checks that a reset
   * world behaves as a new one.
   */
  reset(): void {
    harness_reset();
    vma_write_log_enable(true);
    this.mm = new mm_struct();
    current.mm = this.mm;
    this.vmi = VMA_ITERATOR(this.mm, 0);
    const spare = this.anonVmas[0];
    spare.root = null;
    resetAnonVmaFields(spare);
    for (let i = 1; i <= ANON_VMA_COUNT; i++) {
      const av = this.anonVmas[i];
      av.root = av;
      resetAnonVmaFields(av);
    }
    for (let i = 0; i <= FILE_COUNT; i++) {
      const mapping = this.files[i].f_mapping;
      mapping.i_mmap = {};
      mapping.flags = 0;
      mapping.i_mmap_writable = 0;
    }
    /*
     * A new layout rather than an emptied one: a world outlives many runs and
     * is soon an old object, and a layout of its own would then point at
     * every run's young VMA records, which makes each scavenge dearer.
     */
    this.layout = new TraceLayout();
    this.learner = new LayoutLearner(this.layout, this.reader);
    this.timing = false;
    this.opMs = 0;
  }

  /** Stop logging writes (call when the world is no longer used). */
  dispose(): void {
    vma_write_log_enable(false);
  }

  /** The live VMA with this id; throws a TraceInputError naming @field. */
  vma(id: number, field: string): vm_area_struct {
    const vma = vma_registry.lookup(id);
    if (vma === undefined) {
      const why = vma_registry.isFreed(id) ? 'was freed' : 'was never allocated';
      throw new TraceInputError(field, `VMA ${id} ${why}`);
    }
    return vma;
  }

  anon(id: AnonId | null): anon_vma | null {
    return id === null ? null : this.anonVmas[id];
  }

  file(id: FileId | null): file | null {
    return id === null ? null : this.files[id];
  }

  ops(kind: VmOpsKind): vm_operations_struct | null {
    switch (kind) {
      case 'dummy':
        return vma_dummy_vm_ops;
      case 'close':
        return this.closeOps;
      case 'none':
        return null;
    }
  }

  opsKind(ops: vm_operations_struct | null): VmOpsKind {
    if (ops === null) return 'none';
    if (ops === vma_dummy_vm_ops) return 'dummy';
    return ops.close ? 'close' : 'dummy';
  }

  /** The trace's id of an anon_vma; LayoutDriftError for one that is not one of the eight. */
  knownAnonId(av: anon_vma | null): AnonId | null {
    if (av === null) return null;
    const id = this.anonIds.get(av);
    if (id === undefined) throw new LayoutDriftError('a VMA points at an anon_vma that is not one of the eight');
    return id as AnonId;
  }

  anonId(av: anon_vma | null): AnonId | null {
    if (av === null) return null;
    const id = this.anonIds.get(av);
    if (id === undefined) throw new Error('a VMA points at an anon_vma the trace does not know');
    return id as AnonId;
  }

  name(id: NameId | null): anon_vma_name_t | null {
    return id === null ? null : this.names[id];
  }

  /** What mm_take_all_locks() marked: files with AS_MM_ALL_LOCKS, anon_vmas with bit 0 of rb_node. */
  lockedSets(): LockedSets {
    const files: FileId[] = [];
    const anon: AnonId[] = [];
    for (let i = 1; i <= FILE_COUNT; i++) {
      if (test_bit(AS_MM_ALL_LOCKS, this.files[i].f_mapping.flags)) files.push(i as FileId);
    }
    for (let i = 1; i <= ANON_VMA_COUNT; i++) {
      if (test_bit(0, this.anonVmas[i].rb_root.rb_root.rb_node)) anon.push(i as AnonId);
    }
    return { files, anon };
  }

  fileId(f: file | null): FileId | null {
    if (f === null) return null;
    const id = this.fileIds.get(f);
    if (id === undefined) throw new Error('a VMA points at a file the trace does not know');
    return id as FileId;
  }

  /**
   * The VMA before @vma in the tree, found without touching the trace's
   * iterator: what mas_walk() to vm_start followed by vma_prev() return (the
   * entry before the slot holding vm_start), read from the tree directly so
   * that no iterator is allocated per step.
   */
  private vmaBefore(vma: vm_area_struct): vm_area_struct | null {
    const ranges = this.mm.mm_mt.ranges;
    ranges.locate(vma.vm_start);
    const floor = ranges.locatedFloor;
    if (floor === null) return null;
    /* vm_start lies in a gap: the entry before the gap. */
    if (floor.last < vma.vm_start) return floor.value;
    /* vm_start lies in an entry: the one before that entry. */
    const before = ranges.locatedPrev;
    return before === null ? null : before.value;
  }

  /** prev as the merge_existing/modify_flags callers choose it. */
  private prevFor(vma: vm_area_struct, start: number): vm_area_struct | null {
    return start > vma.vm_start ? vma : this.vmaBefore(vma);
  }

  /** Run one step; throws TraceInputError for input that breaks preconditions. */
  run(step: TraceStep): StepOutcome {
    this.check(step);
    return this.execute(step);
  }

  /**
   * Check a step's preconditions against the layout (TraceInputError if
   * one is broken, naming the field and the VMA it conflicts with); changes
   * nothing, and never touches the port.
   */
  check(step: TraceStep, opts: RuleOptions = NO_RULE_OPTIONS): void {
    checkPreconditions(this.layout, step, opts);
  }

  /**
   * Perform a checked step, then let the layout learn what it did (it
   * re-reads the VMA objects the step may have touched; see layout_sync.ts).
   * Throws LayoutDriftError when the port left VMAs overlapping.
   */
  execute(step: TraceStep): StepOutcome {
    this.learner.begin(step, vma_registry.allocated);
    let out: StepOutcome;
    if (this.timing) {
      /* performance.now() reads the monotonic clock of hrtime without allocating. */
      const t0 = performance.now();
      out = this.perform(step);
      this.opMs += performance.now() - t0;
    } else {
      out = this.perform(step);
    }
    this.learner.end(out, vma_registry.allocated);
    return out;
  }

  /*
   * Run the step on the port: one method per operation, behind a switch
   * that tests the usual operations first.  Kept small on purpose: V8
   * optimises a function once it has run an amount of bytecode that grows
   * with the function's size, and when its compile queue is full it
   * drops the request until the function has run that much again; one
   * function holding every operation (3.8 KB of bytecode) was left in
   * baseline code until the third or fourth replay of a trace in one
   * process.
   */
  private perform(step: TraceStep): StepOutcome {
    switch (step.op) {
      case 'munmap':
        return this.op_munmap(step);
      case 'mmap':
        return this.op_mmap(step);
      case 'alloc_and_link':
        return this.op_alloc_and_link(step);
      case 'set_anon':
        return this.op_set_anon(step);
      case 'merge_existing':
        return this.op_merge_existing(step);
      case 'set_file':
        return this.op_set_file(step);
      case 'modify_flags':
        return this.op_modify_flags(step);
      case 'copy_vma':
        return this.op_copy_vma(step);
      case 'shrink':
        return this.op_shrink(step);
      case 'expand':
        return this.op_expand(step);
      case 'merge_new':
        return this.op_merge_new(step);
      case 'split':
        return this.op_split(step);
      case 'merge_extend':
        return this.op_merge_extend(step);
      case 'set_ops':
        return this.op_set_ops(step);
      case 'vm_munmap':
        return this.op_vm_munmap(step);
      case 'modify_flags_uffd':
        return this.op_modify_flags_uffd(step);
      case 'modify_name':
        return this.op_modify_name(step);
      case 'modify_policy':
        return this.op_modify_policy(step);
      case 'brk':
        return this.op_brk(step);
      case 'vm_unmapped_area':
        return this.op_vm_unmapped_area(step);
      case 'expand_stack':
        return this.op_expand_stack(step);
      case 'find_mergeable_anon_vma':
        return this.op_find_mergeable_anon_vma(step);
      case 'fail_prealloc':
        return this.op_fail_prealloc(step);
      case 'inject':
        return this.op_inject(step);
      case 'set_max_map_count':
        return this.op_set_max_map_count(step);
      case 'take_all_locks':
        return this.op_take_all_locks(step);
      case 'mlockall':
        return this.op_mlockall(step);
    }
  }

  private op_munmap(step: MunmapStep): StepOutcome {
    const mm = this.mm;
    const vmi = this.vmi;
    vma_iter_set(vmi, step.start);
    return { err: do_vmi_munmap(vmi, mm, step.start, step.len, null, false) };
  }

  private op_set_anon(step: SetAnonStep): StepOutcome {
    const vma = this.vma(step.vma, 'vma');
    const av = this.anon(step.anon);
    vma.anon_vma = av;
    INIT_LIST_HEAD(vma.anon_vma_chain);
    for (let i = 0; i < step.chain; i++) list_add_tail(new anon_vma_chain(av), vma.anon_vma_chain);
    return {};
  }

  private op_merge_existing(step: MergeExistingStep): StepOutcome {
    const vmi = this.vmi;
    const vma = this.vma(step.vma, 'vma');
    const prev = this.prevFor(vma, step.start);
    vma_iter_set(vmi, step.start);
    const vmg = VMG_VMA_STATE(vmi, prev, vma, step.start, step.end);
    vmg.flags = step.flags;
    const res = vma_merge_existing_range(vmg);
    return { vma: res, state: vmg.state, vmg };
  }

  private op_set_file(step: SetFileStep): StepOutcome {
    this.vma(step.vma, 'vma').vm_file = this.file(step.file);
    return {};
  }

  private op_modify_flags(step: ModifyFlagsStep): StepOutcome {
    const vmi = this.vmi;
    const vma = this.vma(step.vma, 'vma');
    const prev = this.prevFor(vma, step.start);
    vma_iter_set(vmi, step.start);
    const res = vma_modify_flags(vmi, prev, vma, step.start, step.end, step.flags);
    if (!IS_ERR(res)) {
      /* What mprotect does with the result. */
      vma_start_write(res);
      res.__vm_flags = step.flags;
    }
    return { vma: res };
  }

  private op_copy_vma(step: CopyVmaStep): StepOutcome {
    const vmap: Ref<vm_area_struct> = { value: this.vma(step.vma, 'vma') };
    const need: Ref<boolean> = { value: false };
    const res = copy_vma(vmap, step.addr, step.len, step.pgoff, need);
    return { vma: res, vmap: vmap.value, need_rmap_locks: need.value };
  }

  private op_mmap(step: MmapStep): StepOutcome {
    const ret = mmap_region(this.file(step.file ?? null), step.addr, step.len, step.flags, step.pgoff, null);
    return IS_ERR_VALUE(ret) ? { err: ret } : { addr: ret };
  }

  private op_shrink(step: ShrinkStep): StepOutcome {
    const vmi = this.vmi;
    const vma = this.vma(step.vma, 'vma');
    vma_iter_set(vmi, vma.vm_start);
    return { err: vma_shrink(vmi, vma, step.start, step.end, step.pgoff) };
  }

  private op_expand(step: ExpandStep): StepOutcome {
    const mm = this.mm;
    const vmi = this.vmi;
    const vma = this.vma(step.vma, 'vma');
    const next = step.next === null ? null : this.vma(step.next, 'next');
    const vmg = new vma_merge_struct();
    vmg.mm = mm;
    vmg.vmi = vmi;
    vmg_set_range(vmg, step.start, step.end, step.pgoff, vma.vm_flags);
    vmg.middle = vma;
    vmg.next = next;
    const err = vma_expand(vmg);
    return { err, state: vmg.state, vmg };
  }

  private op_merge_new(step: MergeNewStep): StepOutcome {
    const mm = this.mm;
    const vmi = this.vmi;
    const vmg = new vma_merge_struct();
    vmg.mm = mm;
    vmg.vmi = vmi;
    vmg_set_range(vmg, step.start, step.end, step.pgoff, step.flags);
    vmg.anon_vma = this.anon(step.anon ?? null);
    vmg.file = this.file(step.file ?? null);
    const vma = merge_new(vmg);
    return { vma, state: vmg.state, vmg };
  }

  private op_split(step: SplitStep): StepOutcome {
    const vmi = this.vmi;
    const vma = this.vma(step.vma, 'vma');
    vma_iter_set(vmi, vma.vm_start);
    return { err: split_vma(vmi, vma, step.addr, step.new_below ? 1 : 0) };
  }

  private op_merge_extend(step: MergeExtendStep): StepOutcome {
    const vmi = this.vmi;
    const vma = this.vma(step.vma, 'vma');
    vma_iter_set(vmi, vma.vm_end);
    return { vma: vma_merge_extend(vmi, vma, step.delta) };
  }

  private op_alloc_and_link(step: AllocAndLinkStep): StepOutcome {
    const mm = this.mm;
    return { vma: alloc_and_link_vma(mm, step.start, step.end, step.pgoff, step.flags) };
  }

  private op_set_ops(step: SetOpsStep): StepOutcome {
    this.vma(step.vma, 'vma').vm_ops = this.ops(step.ops);
    return {};
  }

  private op_vm_munmap(step: VmMunmapStep): StepOutcome {
    return { err: __vm_munmap(step.start, step.len, step.unlock) };
  }

  private op_modify_flags_uffd(step: ModifyFlagsUffdStep): StepOutcome {
    const vmi = this.vmi;
    const vma = this.vma(step.vma, 'vma');
    const prev = this.prevFor(vma, step.start);
    vma_iter_set(vmi, step.start);
    const res = vma_modify_flags_uffd(
      vmi, prev, vma, step.start, step.end, step.flags, NULL_VM_UFFD_CTX, step.give_up_on_oom,
    );
    if (!IS_ERR(res)) {
      /* What userfaultfd_set_ctx()/userfaultfd_reset_ctx() do with the result. */
      vma_start_write(res);
      res.__vm_flags = step.flags;
    }
    return { vma: res };
  }

  private op_modify_name(step: ModifyNameStep): StepOutcome {
    const vmi = this.vmi;
    const vma = this.vma(step.vma, 'vma');
    const prev = this.prevFor(vma, step.start);
    vma_iter_set(vmi, step.start);
    const res = vma_modify_flags_name(vmi, prev, vma, step.start, step.end, step.flags, this.name(step.name));
    if (!IS_ERR(res)) {
      /* What madvise_update_vma() does with the result. */
      vma_start_write(res);
      res.__vm_flags = step.flags;
    }
    return { vma: res };
  }

  private op_modify_policy(step: ModifyPolicyStep): StepOutcome {
    const vmi = this.vmi;
    const vma = this.vma(step.vma, 'vma');
    /* do_mbind()'s page walk write-locks the VMA first. */
    vma_start_write(vma);
    const prev = this.prevFor(vma, step.start);
    vma_iter_set(vmi, step.start);
    return { vma: vma_modify_policy(vmi, prev, vma, step.start, step.end, this.policy) };
  }

  private op_brk(step: BrkStep): StepOutcome {
    const mm = this.mm;
    /* What brk() does before it calls do_brk_flags(), with its own iterator. */
    const brkvmi = VMA_ITERATOR(mm, 0);
    vma_iter_init(brkvmi, mm, step.addr);
    vma_find(brkvmi, step.addr + step.len + PAGE_SIZE + stack_guard_gap);
    const brkvma = vma_prev_limit(brkvmi, step.start_brk);
    return { err: do_brk_flags(brkvmi, brkvma, step.addr, step.len, step.flags) };
  }

  private op_vm_unmapped_area(step: VmUnmappedAreaStep): StepOutcome {
    const info = new vm_unmapped_area_info();
    info.flags = step.topdown ? VM_UNMAPPED_AREA_TOPDOWN : 0;
    info.length = step.length;
    info.low_limit = step.low_limit;
    info.high_limit = step.high_limit;
    info.align_mask = step.align_mask;
    info.align_offset = step.align_offset;
    info.start_gap = step.start_gap;
    const ret = info.flags & VM_UNMAPPED_AREA_TOPDOWN ? unmapped_area_topdown(info) : unmapped_area(info);
    return IS_ERR_VALUE(ret) ? { err: ret } : { addr: ret };
  }

  private op_expand_stack(step: ExpandStackStep): StepOutcome {
    return { err: expand_downwards(this.vma(step.vma, 'vma'), step.addr) };
  }

  private op_find_mergeable_anon_vma(step: FindMergeableAnonVmaStep): StepOutcome {
    return { anon_vma: find_mergeable_anon_vma(this.vma(step.vma, 'vma')) };
  }

  private op_fail_prealloc(step: FailPreallocStep): StepOutcome {
    set_fail_prealloc(step.value);
    return {};
  }

  private op_inject(step: InjectStep): StepOutcome {
    fault_inject(step.point, step.count, step.after);
    return {};
  }

  private op_set_max_map_count(step: SetMaxMapCountStep): StepOutcome {
    set_sysctl_max_map_count(step.value);
    return {};
  }

  private op_take_all_locks(step: TakeAllLocksStep): StepOutcome {
    const mm = this.mm;
    const err = mm_take_all_locks(mm);
    const locked = this.lockedSets();
    if (err === 0) mm_drop_all_locks(mm);
    return { err, locked };
  }

  private op_mlockall(step: MlockallStep): StepOutcome {
    /* The system calls, with their own iterator (src/harness/mlock.ts). */
    return { err: step.flags === 0 ? sys_munlockall() : sys_mlockall(step.flags) };
  }

  /**
   * The expectations a step with this outcome carries, from the current
   * state; with @p rows false the layout (`vmas`) is left out (vmaRows()
   * gives it).  Takes the free log: call it once per step.
   */
  observe(step: TraceStep, out: StepOutcome, rows = true): TraceExpect {
    const e: TraceExpect = {};
    if ('vma' in out) {
      const v = out.vma ?? null;
      if (v !== null && IS_ERR(v)) {
        e.vma = null;
        e.err = v.err;
      } else {
        e.vma = v === null ? null : v.__id;
      }
    }
    if (out.err !== undefined) e.err = out.err;
    if (out.addr !== undefined) e.addr = out.addr;
    if (step.op === 'find_mergeable_anon_vma') e.anon_vma = this.anonId(out.anon_vma ?? null);
    if (out.locked !== undefined) e.locked = out.locked;
    if (out.state !== undefined && (step.op === 'merge_new' || step.op === 'merge_existing' || step.op === 'expand')) {
      e.state = STATE_NAMES[out.state];
    }
    if (step.op === 'copy_vma') {
      e.vmap = (out.vmap as vm_area_struct).__id;
      e.need_rmap_locks = out.need_rmap_locks ?? false;
    }
    e.map_count = this.mm.map_count;
    const mm = this.mm;
    e.mm = {
      total_vm: mm.total_vm,
      locked_vm: mm.locked_vm,
      data_vm: mm.data_vm,
      exec_vm: mm.exec_vm,
      stack_vm: mm.stack_vm,
    };
    if (rows) e.vmas = this.vmaRows();
    const freed = vma_registry.takeFreedPairs();
    if (freed !== null) e.freed = freed;
    /* The marks record only when some anon_vma has one (most steps: none). */
    let anon: Record<string, AnonFlags> | null = null;
    for (let i = 1; i <= ANON_VMA_COUNT; i++) {
      const av = this.anonVmas[i];
      if (av.was_cloned || av.was_unlinked) {
        if (anon === null) anon = {};
        anon[String(i)] = [av.was_cloned, av.was_unlinked];
      }
    }
    if (anon !== null) e.anon = anon;
    const warnings = warn_count();
    if (warnings) e.warnings = warnings;
    return e;
  }

  /** Every VMA in the tree, in address order, as trace rows. */
  vmaRows(): VmaRow[] {
    const rows: VmaRow[] = [];
    for (const r of this.mm.mm_mt.ranges.entries()) {
      const v = r.value;
      rows.push([
        v.__id,
        toHex(v.vm_start),
        toHex(v.vm_end),
        toHex(v.vm_pgoff),
        toHex(v.vm_flags),
        this.anonId(v.anon_vma),
        this.fileId(v.vm_file),
        this.opsKind(v.vm_ops),
        v.vm_refcnt,
        v.vm_lock_seq !== UINT_MAX,
      ]);
    }
    return rows;
  }

  /**
   * The resets between checks: write marks, anon_vma marks, warnings, free
   * log, and the maple-tree checks (which the replayer and the fuzzer check
   * after every step, apart from the warning count).
   */
  endStep(): void {
    vma_write_log_reset();
    for (let i = 1; i <= ANON_VMA_COUNT; i++) {
      const av = this.anonVmas[i];
      av.was_cloned = false;
      av.was_unlinked = false;
    }
    warn_reset();
    maple_check_reset();
    vma_registry.dropFreed();
  }
}
