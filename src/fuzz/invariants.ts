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
 * snapshotVmas() for a command that starts where the checks of the last
 * one passed (or on an empty world): the live VMAs are then exactly those
 * in the tree (no leak), so they are read from its few entries rather than
 * from the registry's slot of every id ever handed out.  In the same order
 * (allocation, that is id, order).
 */
export function snapshotTree(mm: mm_struct): VmaSnapshot[] {
  const entries = snapScratch;
  const n = mm.mm_mt.ranges.collect(entries);
  const out: VmaSnapshot[] = [];
  for (let i = 0; i < n; i++) {
    const vma = (entries[i] as RangeEntry<vm_area_struct>).value;
    entries[i] = null;
    const s: VmaSnapshot = { vma, start: vma.vm_start, end: vma.vm_end, pgoff: vma.vm_pgoff, flags: vma.vm_flags };
    /* Insertion by id (a handful of VMAs, mostly in order already). */
    let k = out.length;
    out.push(s);
    while (k > 0 && out[k - 1].vma.__id > vma.__id) {
      out[k] = out[k - 1];
      k--;
    }
    out[k] = s;
  }
  return out;
}
const snapScratch: (RangeEntry<vm_area_struct> | null)[] = [];

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
  checkInvariantsInto(mm, before, actual, errs);
  return errs;
}

/**
 * checkInvariants(), adding the messages to @p errs and returning the VMAs
 * of the tree, each once, in its order (for a caller that compares them
 * with a layout of its own next).
 */
export function checkInvariantsInto(mm: mm_struct, before: readonly VmaSnapshot[], actual: TraceExpect, errs: string[]): vm_area_struct[] {
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

  /* Whatever changed range, pgoff or flags must have been write-locked. */
  for (let i = 0; i < before.length; i++) {
    const s = before[i];
    const v = s.vma;
    /* Write-locked this step: free to change (tested first, it is the common case). */
    if (v.vm_lock_seq !== UINT_MAX || v.__freed || !inTree.includes(v)) continue;
    if (v.vm_start !== s.start || v.vm_end !== s.end || v.vm_pgoff !== s.pgoff || v.vm_flags !== s.flags) {
      errs.push(
        `vma#${v.__id} changed from [${hex(s.start)}, ${hex(s.end)}) pgoff ${hex(s.pgoff)} flags 0x${s.flags.toString(16)}` +
          ` to [${hex(v.vm_start)}, ${hex(v.vm_end)}) pgoff ${hex(v.vm_pgoff)} flags 0x${v.vm_flags.toString(16)}` +
          ' without vma_start_write()',
      );
    }
  }

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
  return inTree;
}

export * from './invariants_tree';
export * from './invariants_lock';
