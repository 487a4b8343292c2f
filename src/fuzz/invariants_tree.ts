// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The shape of an mm's tree, checked by the fuzzer after every command and by
 * the race explorer whenever a write-hold ends.
 */

import { PAGE_SIZE } from '../vma_internal/constants';
import type { mm_struct, vm_area_struct } from '../vma_internal/structs';
import type { RangeEntry } from '../vma_internal/range_tree';

const hex = (v: number): string => `0x${v.toString(16)}`;

/**
 * The tree of @mm: sorted, non-overlapping, non-empty, page-aligned ranges
 * matching their VMAs, no freed VMA reachable, map_count equal to the number
 * of VMAs.  @refcntOk says whether a reachable VMA's vm_refcnt is right
 * (harness mode: exactly 1).  Adds messages to @errs; returns the VMAs found.
 */
export function checkTree(mm: mm_struct, errs: string[], refcntOk: (v: vm_area_struct) => string | null = harnessRefcnt): Set<vm_area_struct> {
  return new Set(treeVmas(mm, errs, refcntOk));
}

/**
 * checkTree(), returning the VMAs found as an array, each once, in the
 * order of the tree (what the set holds, in its order).  For the checks
 * after every command: the trees are small, and a linear search of a few
 * VMAs costs less than hashing each of them into a set.
 */
export function treeVmas(mm: mm_struct, errs: string[], refcntOk: (v: vm_area_struct) => string | null = harnessRefcnt): vm_area_struct[] {
  let prevEnd = -1;

  /* collect() walks the leaves without an iterator object (this runs after every command). */
  const entries = treeScratch;
  const n = mm.mm_mt.ranges.collect(entries);
  /* Its size at once (pushes would grow it twice over for a handful of VMAs); cut to what it holds. */
  const inTree = new Array<vm_area_struct>(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const r = entries[i] as RangeEntry<vm_area_struct>;
    /* Held no longer than the walk (the scratch outlives the tree's entries). */
    entries[i] = null;
    const v = r.value;
    let twice = false;
    for (let k = 0; k < m && !twice; k++) twice = inTree[k] === v;
    if (twice) errs.push(`${vmaName(v)} is stored in the tree twice`);
    else inTree[m++] = v;
    if (r.index !== v.vm_start || r.last !== v.vm_end - 1) {
      errs.push(`${vmaName(v)} [${hex(v.vm_start)}, ${hex(v.vm_end)}) is stored at [${hex(r.index)}, ${hex(r.last + 1)})`);
    }
    if (v.vm_start >= v.vm_end) errs.push(`${vmaName(v)} is empty`);
    if (v.vm_start % PAGE_SIZE || v.vm_end % PAGE_SIZE) errs.push(`${vmaName(v)} is not page-aligned`);
    if (v.vm_start < prevEnd) errs.push(`${vmaName(v)} overlaps the VMA before it`);
    prevEnd = v.vm_end;
    /* Reachable means attached and not freed. */
    if (v.__freed) errs.push(`${vmaName(v)} is reachable from the tree but was freed`);
    const bad = refcntOk(v);
    if (bad !== null) errs.push(`${vmaName(v)} is reachable from the tree with ${bad}`);
  }
  if (m < n) inTree.length = m;
  if (mm.map_count !== inTree.length) errs.push(`map_count is ${mm.map_count} but the tree holds ${inTree.length} VMAs`);
  return inTree;
}

const treeScratch: (RangeEntry<vm_area_struct> | null)[] = [];
const vmaName = (v: vm_area_struct): string => `vma#${v.__id}`;

/* Harness mode: a reachable VMA holds exactly one reference. */
function harnessRefcnt(v: vm_area_struct): string | null {
  return v.vm_refcnt === 1 ? null : `vm_refcnt ${v.vm_refcnt} (want 1)`;
}
