// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Checks made directly on the port after every fuzzed command, independent
 * of the model: the tree's shape, vm_refcnt and attached/detached state,
 * leaks, write-locking of changed VMAs, validate_mm(), warnings, and the
 * maple-tree checks (misuse of a maple state included).
 *
 * The checks of the real VMA lock that the race explorer makes after every
 * atomic step are in invariants_lock.ts and exported from here too: this
 * module is the one entry point of the invariant checker.
 */

import { KernelBug, warn_summary } from '../vma_internal/bug';
import { kconfig } from '../vma_internal/kconfig';
import { maple_check_summary } from '../vma_internal/maple_state_check';
import { vma_registry } from '../vma_internal/registry';
import { UINT_MAX } from '../vma_internal/constants';
import type { mm_struct, vm_area_struct } from '../vma_internal/structs';
import { validate_mm } from '../mm/vma';
import { mas_find, type ma_state } from '../vma_internal/maple_tree';
import type { vma_iterator } from '../vma_internal/vma_iter';
import type { TraceExpect } from '../trace/types';
import type { RangeEntry } from '../vma_internal/range_tree';
import { treeVmas } from './invariants_tree';

/** What a VMA looked like before a command. */
export interface VmaSnapshot {
  readonly vma: vm_area_struct;
  readonly start: number;
  readonly end: number;
  readonly pgoff: number;
  readonly flags: bigint;
}

/** Every live VMA's range, pgoff and flags, before a command runs. */
export function snapshotVmas(): VmaSnapshot[] {
  return vma_registry.liveVmas().map((vma) => ({
    vma,
    start: vma.vm_start,
    end: vma.vm_end,
    pgoff: vma.vm_pgoff,
    flags: vma.vm_flags,
  }));
}

/**
 * What the VMAs looked like before a command, kept flat: a VMA, its start,
 * end, pgoff and flags, then the next VMA's, in the order of the tree (one
 * array per command rather than an object per VMA: this is taken before
 * every fuzzed command).
 */
export type TreeSnapshot = readonly (vm_area_struct | number | bigint)[];

/** Slots per VMA in a TreeSnapshot. */
export const SNAP_SLOTS = 5;

/**
 * snapshotVmas() for a command that starts where the checks of the last
 * one passed (or on an empty world): the live VMAs are then exactly those
 * in the tree (no leak), so they are read from its few entries rather than
 * from the registry's slot of every id ever handed out.
 */
export function snapshotTree(mm: mm_struct): TreeSnapshot {
  const entries = snapScratch;
  const n = mm.mm_mt.ranges.collect(entries);
  /* Its exact size at once (pushes would grow it twice over for a handful of VMAs). */
  const out = new Array<vm_area_struct | number | bigint>(n * SNAP_SLOTS);
  for (let i = 0, k = 0; i < n; i++, k += SNAP_SLOTS) {
    const vma = (entries[i] as RangeEntry<vm_area_struct>).value;
    entries[i] = null;
    out[k] = vma;
    out[k + 1] = vma.vm_start;
    out[k + 2] = vma.vm_end;
    out[k + 3] = vma.vm_pgoff;
    out[k + 4] = vma.vm_flags;
  }
  return out;
}
const snapScratch: (RangeEntry<vm_area_struct> | null)[] = [];

/** A TreeSnapshot as VmaSnapshots, in the registry's (id) order, as snapshotVmas() gives them. */
export function treeSnapshotVmas(snap: TreeSnapshot): VmaSnapshot[] {
  const out: VmaSnapshot[] = [];
  for (let i = 0; i < snap.length; i += SNAP_SLOTS) {
    out.push({
      vma: snap[i] as vm_area_struct,
      start: snap[i + 1] as number,
      end: snap[i + 2] as number,
      pgoff: snap[i + 3] as number,
      flags: snap[i + 4] as bigint,
    });
  }
  return out.sort((a, b) => a.vma.__id - b.vma.__id);
}

const hex = (v: number): string => `0x${v.toString(16)}`;

/** How a violation report starts when maple-tree checks fired during the command. */
export const MAPLE_CHECKS_FIRED = 'maple-tree checks fired (a misuse of a maple state, or the tree\'s own debug checks):';

/** The VMA the iterator would yield next, found on a copy of its maple state (the iterator does not move). */
export function peekNextVma(vmi: vma_iterator): vm_area_struct | null {
  const probe = Object.assign(Object.create(Object.getPrototypeOf(vmi.mas) as object) as ma_state<vm_area_struct>, vmi.mas);
  return mas_find(probe, Number.MAX_SAFE_INTEGER);
}

/**
 * After a merge gave up on its abort path, the iterator must be usable by
 * a caller that goes on iterating (mlockall(), userfaultfd's release): it
 * must yield the VMA after the one being modified.  @expectedNext is that
 * VMA's id (or null); returns a violation or null.
 */
export function checkIteratorAfterAbort(vmi: vma_iterator, expectedNext: number | null): string | null {
  const next = peekNextVma(vmi);
  const got = next === null ? null : next.__id;
  if (got === expectedNext) return null;
  const name = (id: number | null): string => (id === null ? 'nothing' : `vma#${id}`);
  return `after the merge's abort path the iterator yields ${name(got)}, not ${name(expectedNext)} (the VMA after the one being modified)`;
}

/*
 * No leak: every live VMA is in the tree.  When the tree holds as many VMAs
 * as the registry has live ones and each of them is the registry's live
 * object of its id, no live VMA can be missing from it; otherwise the
 * caller walks the registry to name the ones that are.  (@inTree holds
 * each VMA once.)
 */
function noLeak(inTree: readonly vm_area_struct[]): boolean {
  if (inTree.length !== vma_registry.liveCount) return false;
  for (let i = 0; i < inTree.length; i++) if (vma_registry.lookup(inTree[i].__id) !== inTree[i]) return false;
  return true;
}

/**
 * The invariants after a command; returns one message per violation.
 * @actual is what the replayer observed for the step (its freed list is used).
 */
export function checkInvariants(mm: mm_struct, before: readonly VmaSnapshot[], actual: TraceExpect): string[] {
  const errs: string[] = [];
  const inTree = checkTreeAndFrees(mm, actual, errs);
  /* Whatever changed range, pgoff or flags must have been write-locked. */
  for (let i = 0; i < before.length; i++) {
    const s = before[i];
    const bad = changedUnlocked(s.vma, s.start, s.end, s.pgoff, s.flags, inTree);
    if (bad !== null) errs.push(bad);
  }
  checkDebug(mm, errs);
  return errs;
}

/**
 * checkInvariants() with the snapshot the fuzzer takes before each command
 * (snapshotTree()): the same checks, the same messages in the same order,
 * added to @p errs; returns the VMAs of the tree, each once, in its order
 * (for the caller's comparison with the model's layout).
 */
export function checkCommandInvariants(mm: mm_struct, before: TreeSnapshot, actual: TraceExpect, errs: string[]): vm_area_struct[] {
  const inTree = checkTreeAndFrees(mm, actual, errs);
  let unlocked = false;
  for (let i = 0; i < before.length && !unlocked; i += SNAP_SLOTS) {
    const v = before[i] as vm_area_struct;
    unlocked = changedUnlocked(v, before[i + 1] as number, before[i + 2] as number, before[i + 3] as number, before[i + 4] as bigint, inTree) !== null;
  }
  if (unlocked) {
    /* Reported in the registry's (id) order, as checkInvariants() reports them. */
    for (const s of treeSnapshotVmas(before)) {
      const bad = changedUnlocked(s.vma, s.start, s.end, s.pgoff, s.flags, inTree);
      if (bad !== null) errs.push(bad);
    }
  }
  checkDebug(mm, errs);
  return inTree;
}

/* The tree's shape, the frees and leaks; returns the tree's VMAs. */
function checkTreeAndFrees(mm: mm_struct, actual: TraceExpect, errs: string[]): vm_area_struct[] {
  /* The tree: sorted, non-overlapping, non-empty, page-aligned, matching its VMAs; refcount 1. */
  const inTree = treeVmas(mm, errs);

  /* Frees: detached at the time; nothing live outside the tree (no leak). */
  const freed = actual.freed;
  if (freed !== undefined) {
    for (let i = 0; i < freed.length; i++) {
      const f = freed[i];
      if (f[1] !== 0) errs.push(`vma#${f[0]} was freed with vm_refcnt ${f[1]} (want 0: detached)`);
    }
  }
  if (!noLeak(inTree)) {
    for (const v of vma_registry.liveVmas()) {
      if (!inTree.includes(v)) errs.push(`vma#${v.__id} is live but neither in the tree nor freed (leak)`);
    }
  }
  return inTree;
}

/* A VMA still in the tree whose range, pgoff or flags changed without vma_start_write(): the message, else null. */
function changedUnlocked(v: vm_area_struct, start: number, end: number, pgoff: number, flags: bigint, inTree: readonly vm_area_struct[]): string | null {
  /* Write-locked this step: free to change. */
  if (v.vm_lock_seq !== UINT_MAX || v.__freed || !inTree.includes(v)) return null;
  if (v.vm_start === start && v.vm_end === end && v.vm_pgoff === pgoff && v.vm_flags === flags) return null;
  return (
    `vma#${v.__id} changed from [${hex(start)}, ${hex(end)}) pgoff ${hex(pgoff)} flags 0x${flags.toString(16)}` +
    ` to [${hex(v.vm_start)}, ${hex(v.vm_end)}) pgoff ${hex(v.vm_pgoff)} flags 0x${v.vm_flags.toString(16)}` +
    ' without vma_start_write()'
  );
}

/* validate_mm(), the warnings and the maple-tree checks. */
function checkDebug(mm: mm_struct, errs: string[]): void {
  /* validate_mm(), run as the debug build would (with_kconfig() without its closure and copies). */
  const debug = kconfig.CONFIG_DEBUG_VM_MAPLE_TREE;
  kconfig.CONFIG_DEBUG_VM_MAPLE_TREE = true;
  try {
    validate_mm(mm);
  } catch (err) {
    errs.push(`validate_mm: ${err instanceof KernelBug ? err.message : String(err)}`);
  } finally {
    kconfig.CONFIG_DEBUG_VM_MAPLE_TREE = debug;
  }

  const warnings = warn_summary();
  if (warnings) errs.push(`WARN-class checks fired:\n${warnings}`);

  /* Maple-tree checks: counted apart from the warnings, failing all the same. */
  const maple = maple_check_summary();
  if (maple) errs.push(`${MAPLE_CHECKS_FIRED}\n${maple}`);
}

export * from './invariants_tree';
export * from './invariants_lock';
