// SPDX-License-Identifier: GPL-2.0-or-later
// Data model of a vma-trace/1 document (see docs/TRACE_FORMAT.md).
//
// Conventions used throughout:
// - Arguments holding addresses, lengths, page offsets or deltas are plain
//   `number`s; the parser guarantees they are non-negative integers no larger
//   than Number.MAX_SAFE_INTEGER.
// - VMA flags are `bigint` because the format allows bit 63 (VM_SEALED).
// - The rows of `expect.vmas` keep their hex columns as canonical lowercase
//   strings, since the replayer compares them as strings.

import { FAULT_POINTS, type fault_point } from '../vma_internal/fault_inject';

/** The string that identifies this version of the format. */
export const TRACE_FORMAT = 'vma-trace/1';

/** What `vma->vm_ops` points at. */
export type VmOpsKind = 'dummy' | 'close' | 'none';

/** The values of `vmg.state` that a trace can report. */
export type MergeStateName = 'START' | 'ERROR_NOMEM' | 'NOMERGE' | 'SUCCESS';

/** Identity of one of the eight pre-allocated anon_vma objects. */
export type AnonId = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

/** Identity of one of the four pre-allocated struct file objects. */
export type FileId = 1 | 2 | 3 | 4;

/** How many anon_vma_chain entries `set_anon` installs. */
export type ChainLength = 0 | 1 | 2;

/** Identity of a vm_area_struct: a positive integer handed out in allocation order. */
export type VmaId = number;

/** Identity of one of the four pre-allocated anon_vma_name objects (modify_name). */
export type NameId = 1 | 2 | 3 | 4;

/** Name of one fault injection point a trace can arm: every point of the stub layer but vma_iter_prealloc, which `fail_prealloc` drives. */
export type InjectPointName = Exclude<fault_point, 'vma_iter_prealloc'>;

/** The fault injection points of the stub layer a trace arms with `inject` (TRACE_FORMAT.md, "Fault injection"). */
export const INJECT_POINTS: readonly InjectPointName[] = FAULT_POINTS.filter(
  (p): p is InjectPointName => p !== 'vma_iter_prealloc',
);

/** Names of the twenty-seven operations a step can perform. */
export type TraceOpName =
  | 'alloc_and_link'
  | 'set_anon'
  | 'set_ops'
  | 'set_file'
  | 'fail_prealloc'
  | 'merge_new'
  | 'merge_existing'
  | 'modify_flags'
  | 'expand'
  | 'shrink'
  | 'split'
  | 'munmap'
  | 'mmap'
  | 'merge_extend'
  | 'copy_vma'
  | 'brk'
  | 'vm_unmapped_area'
  | 'expand_stack'
  | 'modify_flags_uffd'
  | 'modify_name'
  | 'modify_policy'
  | 'find_mergeable_anon_vma'
  | 'vm_munmap'
  | 'take_all_locks'
  | 'inject'
  | 'set_max_map_count'
  | 'mlockall';

/**
 * One entry of `expect.vmas`:
 * `[id, start, end, pgoff, flags, anon, file, ops, refcnt, written]`.
 * The hex columns are canonical lowercase strings such as "0x1000".
 */
export type VmaRow = [
  id: VmaId,
  start: string,
  end: string,
  pgoff: string,
  flags: string,
  anon: AnonId | null,
  file: FileId | null,
  ops: VmOpsKind,
  refcnt: number,
  written: boolean,
];

/** One entry of `expect.freed`: the freed VMA's id and its refcount at that moment. */
export type FreedEntry = [id: VmaId, refcnt: number];

/** `[was_cloned, was_unlinked]` of one anon_vma. */
export type AnonFlags = [wasCloned: boolean, wasUnlinked: boolean];

/** The mm's page counters, `expect.mm`. */
export interface MmCounters {
  total_vm: number;
  locked_vm: number;
  data_vm: number;
  exec_vm: number;
  stack_vm: number;
}

/** The names of the page counters, in the order `expect.mm` writes them. */
export const MM_COUNTER_KEYS: readonly (keyof MmCounters)[] = ['total_vm', 'locked_vm', 'data_vm', 'exec_vm', 'stack_vm'];

/** `expect.locked` of take_all_locks: files and anon_vmas marked locked, ids ascending. */
export interface LockedSets {
  files: FileId[];
  anon: AnonId[];
}

/**
 * The state recorded right after a step. Every field is optional; absent
 * fields are simply not compared.
 */
export interface TraceExpect {
  /** Returned VMA id, or null for a NULL / error pointer. */
  vma?: VmaId | null;
  /** Negative errno, or 0; always an integer <= 0. */
  err?: number;
  /** Address returned by a successful mmap or vm_unmapped_area. */
  addr?: number;
  /** `vmg.state` for merge_new, merge_existing and expand. */
  state?: MergeStateName;
  /** copy_vma's `*vmap` out-parameter (a VMA id). */
  vmap?: VmaId;
  /** copy_vma's `*need_rmap_locks` out-parameter. */
  need_rmap_locks?: boolean;
  /** find_mergeable_anon_vma's result: an anon_vma id or null. */
  anon_vma?: AnonId | null;
  /** take_all_locks: what mm_take_all_locks() had marked when it returned. */
  locked?: LockedSets;
  /** `mm->map_count`. */
  map_count?: number;
  /** The mm's page counters (only in traces that record them). */
  mm?: MmCounters;
  /** Every VMA in the tree, in address order. */
  vmas?: VmaRow[];
  /** VMAs freed during the step, in order. Never empty when present. */
  freed?: FreedEntry[];
  /** anon_vmas whose flags became true, keyed by id ("1".."8"). Never empty when present. */
  anon?: Record<string, AnonFlags>;
  /** Number of WARN-class checks fired. Positive when present. */
  warnings?: number;
}

/** Fields shared by every step. */
interface StepBase {
  expect?: TraceExpect;
}

export interface AllocAndLinkStep extends StepBase {
  op: 'alloc_and_link';
  start: number;
  end: number;
  pgoff: number;
  flags: bigint;
}

export interface SetAnonStep extends StepBase {
  op: 'set_anon';
  vma: VmaId;
  anon: AnonId | null;
  chain: ChainLength;
}

export interface SetOpsStep extends StepBase {
  op: 'set_ops';
  vma: VmaId;
  ops: VmOpsKind;
}

export interface SetFileStep extends StepBase {
  op: 'set_file';
  vma: VmaId;
  file: FileId | null;
}

export interface FailPreallocStep extends StepBase {
  op: 'fail_prealloc';
  value: boolean;
}

/**
 * `anon` and `file` are optional in the document. An absent key reads as
 * null; `anonPresent` / `filePresent` record whether the key was written, so
 * that an explicit `null` survives a round trip. The writer emits the key when
 * the value is non-null or the matching flag is true (absent flag = false).
 */
export interface MergeNewStep extends StepBase {
  op: 'merge_new';
  start: number;
  end: number;
  pgoff: number;
  flags: bigint;
  anon: AnonId | null;
  file: FileId | null;
  anonPresent?: boolean;
  filePresent?: boolean;
}

export interface MergeExistingStep extends StepBase {
  op: 'merge_existing';
  vma: VmaId;
  start: number;
  end: number;
  flags: bigint;
}

export interface ModifyFlagsStep extends StepBase {
  op: 'modify_flags';
  vma: VmaId;
  start: number;
  end: number;
  flags: bigint;
}

export interface ExpandStep extends StepBase {
  op: 'expand';
  vma: VmaId;
  start: number;
  end: number;
  pgoff: number;
  next: VmaId | null;
}

export interface ShrinkStep extends StepBase {
  op: 'shrink';
  vma: VmaId;
  start: number;
  end: number;
  pgoff: number;
}

export interface SplitStep extends StepBase {
  op: 'split';
  vma: VmaId;
  addr: number;
  new_below: boolean;
}

export interface MunmapStep extends StepBase {
  op: 'munmap';
  start: number;
  len: number;
}

/** `file` is optional in the document; see MergeNewStep for the presence flag. */
export interface MmapStep extends StepBase {
  op: 'mmap';
  addr: number;
  len: number;
  flags: bigint;
  pgoff: number;
  file: FileId | null;
  filePresent?: boolean;
}

export interface MergeExtendStep extends StepBase {
  op: 'merge_extend';
  vma: VmaId;
  delta: number;
}

export interface CopyVmaStep extends StepBase {
  op: 'copy_vma';
  vma: VmaId;
  addr: number;
  len: number;
  pgoff: number;
}

export interface BrkStep extends StepBase {
  op: 'brk';
  start_brk: number;
  addr: number;
  len: number;
  flags: bigint;
}

export interface VmUnmappedAreaStep extends StepBase {
  op: 'vm_unmapped_area';
  length: number;
  low_limit: number;
  high_limit: number;
  align_mask: number;
  align_offset: number;
  start_gap: number;
  topdown: boolean;
}

export interface ExpandStackStep extends StepBase {
  op: 'expand_stack';
  vma: VmaId;
  addr: number;
}

export interface ModifyFlagsUffdStep extends StepBase {
  op: 'modify_flags_uffd';
  vma: VmaId;
  start: number;
  end: number;
  flags: bigint;
  give_up_on_oom: boolean;
}

/** `name` is optional in the document; see MergeNewStep for the presence flag. */
export interface ModifyNameStep extends StepBase {
  op: 'modify_name';
  vma: VmaId;
  start: number;
  end: number;
  flags: bigint;
  name: NameId | null;
  namePresent?: boolean;
}

export interface ModifyPolicyStep extends StepBase {
  op: 'modify_policy';
  vma: VmaId;
  start: number;
  end: number;
}

export interface FindMergeableAnonVmaStep extends StepBase {
  op: 'find_mergeable_anon_vma';
  vma: VmaId;
}

export interface VmMunmapStep extends StepBase {
  op: 'vm_munmap';
  start: number;
  len: number;
  unlock: boolean;
}

export interface TakeAllLocksStep extends StepBase {
  op: 'take_all_locks';
}

/** Arm a fault injection point: pass the next `after` qualifying calls, fail the next `count`. */
export interface InjectStep extends StepBase {
  op: 'inject';
  point: InjectPointName;
  count: number;
  after: number;
}

export interface SetMaxMapCountStep extends StepBase {
  op: 'set_max_map_count';
  value: number;
}

/**
 * mlockall(flags), or munlockall() when `flags` is 0: the MCL_* bits
 * (MCL_CURRENT 1, MCL_FUTURE 2, MCL_ONFAULT 4).  An operation of this
 * project, beyond the oracle (see PROJECT_OPS).
 */
export interface MlockallStep extends StepBase {
  op: 'mlockall';
  flags: number;
}

/** One operation of a trace, discriminated on `op`. */
export type TraceStep =
  | AllocAndLinkStep
  | SetAnonStep
  | SetOpsStep
  | SetFileStep
  | FailPreallocStep
  | MergeNewStep
  | MergeExistingStep
  | ModifyFlagsStep
  | ExpandStep
  | ShrinkStep
  | SplitStep
  | MunmapStep
  | MmapStep
  | MergeExtendStep
  | CopyVmaStep
  | BrkStep
  | VmUnmappedAreaStep
  | ExpandStackStep
  | ModifyFlagsUffdStep
  | ModifyNameStep
  | ModifyPolicyStep
  | FindMergeableAnonVmaStep
  | VmMunmapStep
  | TakeAllLocksStep
  | InjectStep
  | SetMaxMapCountStep
  | MlockallStep;

/** A whole vma-trace/1 document. */
export interface Trace {
  format: typeof TRACE_FORMAT;
  kernel: string;
  name: string;
  steps: TraceStep[];
}

/**
 * Argument names of each operation, in the order the canonical layout writes
 * them (the "arguments" column of the specification's table). Optional
 * arguments are listed too.
 */
export const OP_ARGUMENTS: { readonly [K in TraceOpName]: readonly string[] } = {
  alloc_and_link: ['start', 'end', 'pgoff', 'flags'],
  set_anon: ['vma', 'anon', 'chain'],
  set_ops: ['vma', 'ops'],
  set_file: ['vma', 'file'],
  fail_prealloc: ['value'],
  merge_new: ['start', 'end', 'pgoff', 'flags', 'anon', 'file'],
  merge_existing: ['vma', 'start', 'end', 'flags'],
  modify_flags: ['vma', 'start', 'end', 'flags'],
  expand: ['vma', 'start', 'end', 'pgoff', 'next'],
  shrink: ['vma', 'start', 'end', 'pgoff'],
  split: ['vma', 'addr', 'new_below'],
  munmap: ['start', 'len'],
  mmap: ['addr', 'len', 'flags', 'pgoff', 'file'],
  merge_extend: ['vma', 'delta'],
  copy_vma: ['vma', 'addr', 'len', 'pgoff'],
  brk: ['start_brk', 'addr', 'len', 'flags'],
  vm_unmapped_area: ['length', 'low_limit', 'high_limit', 'align_mask', 'align_offset', 'start_gap', 'topdown'],
  expand_stack: ['vma', 'addr'],
  modify_flags_uffd: ['vma', 'start', 'end', 'flags', 'give_up_on_oom'],
  modify_name: ['vma', 'start', 'end', 'flags', 'name'],
  modify_policy: ['vma', 'start', 'end'],
  find_mergeable_anon_vma: ['vma'],
  vm_munmap: ['start', 'len', 'unlock'],
  take_all_locks: [],
  inject: ['point', 'count', 'after'],
  set_max_map_count: ['value'],
  mlockall: ['flags'],
};

/**
 * Operations of this project beyond the oracle: no trace recorded from the
 * C code contains them; their expectations come from the reference model
 * (TRACE_FORMAT.md, "Operations of this project").
 */
export const PROJECT_OPS: readonly TraceOpName[] = ['mlockall'];

/** Keys of `expect`, in canonical order. */
export const EXPECT_KEYS = [
  'vma',
  'err',
  'addr',
  'state',
  'vmap',
  'need_rmap_locks',
  'anon_vma',
  'locked',
  'map_count',
  'mm',
  'vmas',
  'freed',
  'anon',
  'warnings',
] as const;

export type ExpectKey = (typeof EXPECT_KEYS)[number];

export const VM_OPS_KINDS: readonly VmOpsKind[] = ['dummy', 'close', 'none'];

export const MERGE_STATE_NAMES: readonly MergeStateName[] = ['START', 'ERROR_NOMEM', 'NOMERGE', 'SUCCESS'];

/** Type guard: is `s` the name of a fault injection point? */
export function isInjectPointName(s: string): s is InjectPointName {
  return (INJECT_POINTS as readonly string[]).includes(s);
}

/** Type guard: is `s` the name of one of the operations? */
export function isTraceOpName(s: string): s is TraceOpName {
  return Object.prototype.hasOwnProperty.call(OP_ARGUMENTS, s);
}
