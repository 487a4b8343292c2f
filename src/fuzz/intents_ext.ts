// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Intents for the operations beyond the fifteen merge-era ones: brk, the
 * gap search, stack expansion, the vma_modify family (userfaultfd,
 * madvise/anon names, mempolicy), the anon_vma query, vm_munmap,
 * take_all_locks, fault injection (inject, set_max_map_count), and this
 * project's own mlockall.
 *
 * As in intents.ts, each intent is resolved against the model's current
 * layout, leaning towards the boundaries the rules care about: a heap VMA
 * whose flags match brk's or not, an address exactly at a stack's guard
 * gap, limits and alignments that make the gap search retry, userfaultfd
 * and madvise flag changes that make a neighbour mergeable, map count
 * limits right at the current count, injection points the next operations
 * reach, mlockall flags that lock, unlock or only set the default.
 */

import { PAGE_SIZE, VM_EXEC, VM_GROWSDOWN, VM_LOCKED, VM_MAYREAD, VM_MAYWRITE, VM_READ, VM_SEALED, VM_WRITE } from '../vma_internal/constants';
import { INJECT_POINTS, type AnonId, type InjectPointName, type NameId, type TraceStep } from '../trace/types';
import { DEFAULT_MAX_MAP_COUNT } from './model/faults';
import { STACK_GUARD_GAP } from './model/growth';
import { SPECIAL } from './model/merge';
import { VM_DONTCOPY, VM_DONTDUMP, VM_RAND_READ, VM_SEQ_READ, VM_UFFD_MISSING, VM_UFFD_WP } from './model/validate';
import type { Seg, VmaModel } from './model';

const P = PAGE_SIZE;

/** The generic choices of an intent (see intents.ts). */
export interface Choices {
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
  readonly flags: number;
}

/** Where the fuzzer's window lies, and the stack area above it. */
export interface Window {
  readonly base: number;
  readonly end: number;
  /** Stacks are mapped here, a guard gap and a few pages above the window. */
  readonly stackArea: number;
}

const pick = <T>(xs: readonly T[], n: number): T => xs[n % xs.length];
const vmaPages = (s: Seg): number => (s.end - s.start) / P;

/* A subrange of a VMA: all, its left part, its right part, or inside. */
function subrange(v: Seg, i: Choices): [number, number] {
  const n = vmaPages(v);
  let s = 0;
  let e = n;
  switch (i.b % 4) {
    case 1:
      e = 1 + (i.c % n);
      break;
    case 2:
      s = i.c % n;
      break;
    case 3:
      s = i.c % n;
      e = s + 1 + (i.d % (n - s));
      break;
  }
  return [v.start + s * P, v.start + e * P];
}

/* The flags a neighbour of [start, end) has, if it differs from v's only in `bits`. */
function neighbourFlags(model: VmaModel, v: Seg, start: number, end: number, bits: bigint, i: Choices): bigint | null {
  const n = i.d % 2 ? model.segs.find((s) => s.start === end) : model.segs.find((s) => s.end === start);
  if (!n || ((n.flags ^ v.flags) & ~bits) !== 0n) return null;
  return n.flags;
}

const UFFD_CHANGES: readonly bigint[] = [VM_UFFD_MISSING, VM_UFFD_WP, VM_UFFD_MISSING | VM_UFFD_WP];
const MADVISE_CHANGES: readonly bigint[] = [0n, VM_DONTCOPY, VM_DONTDUMP, VM_SEQ_READ, VM_RAND_READ];
const ALIGN_MASKS: readonly number[] = [0, 0, P, 3 * P, 7 * P];
const ALIGN_OFFSETS: readonly number[] = [0, P, 2 * P, 5 * P];
const START_GAPS: readonly number[] = [0, 0, P, 2 * P];
const BRK_FLAGS: readonly bigint[] = [0n, 0n, VM_EXEC, VM_LOCKED];
/* mlockall's MCL_* flags: MCL_CURRENT and munlockall() (0) most, then the other combinations mlockall() accepts. */
const MCL_CHOICES: readonly number[] = [1, 0, 1, 0, 3, 5, 7, 2, 6];

/** Injection points, the ones most operations reach first. */
const POINTS: readonly InjectPointName[] = [
  'anon_vma_clone',
  'anon_vma_clone',
  'vm_area_dup',
  'vm_area_alloc',
  'may_expand_vm',
  'security_vm_enough_memory_mm',
  'mas_store_gfp',
  'vma_iter_clear_gfp',
  ...INJECT_POINTS,
];

/** Resolve an intent for one of the operations of this module, or null. */
export function resolveExt(op: TraceStep['op'], i: Choices, model: VmaModel, w: Window): TraceStep | null {
  const segs = model.segs;
  const anyVma = (): Seg | null => (segs.length ? segs[i.a % segs.length] : null);
  switch (op) {
    case 'brk': {
      /* Grow a VMA as a heap (its end is the old break), or start a heap in a gap. */
      const v = anyVma();
      let addr: number;
      let startBrk: number;
      if (v && i.c % 3 !== 0) {
        addr = v.end;
        startBrk = i.b % 4 === 0 ? v.end : v.start;
      } else {
        addr = w.base + (i.a % 64) * P;
        startBrk = addr;
      }
      return { op: 'brk', start_brk: startBrk, addr, len: (1 + (i.d % 3)) * P, flags: pick(BRK_FLAGS, i.flags) };
    }
    case 'vm_unmapped_area': {
      const topdown = i.a % 2 === 1;
      /* Limits at the window's edges, at a VMA's edge, or below the window. */
      const v = anyVma();
      const lows = [w.base, w.base + (i.b % 16) * P, v ? v.end : w.base, 0];
      const highs = [w.end, w.stackArea + 16 * P, v ? v.start + P : w.end, w.base + ((16 + i.c) % 64) * P];
      const low = pick(lows, i.b >> 2);
      let high = pick(highs, i.c >> 2);
      if (high <= low) high = w.end;
      return {
        op: 'vm_unmapped_area',
        length: (1 + (i.d % 4)) * P,
        low_limit: low,
        high_limit: high,
        align_mask: pick(ALIGN_MASKS, i.flags),
        align_offset: pick(ALIGN_OFFSETS, i.d >> 2),
        start_gap: pick(START_GAPS, i.a >> 1),
        topdown,
      };
    }
    case 'expand_stack': {
      /* Mostly a stack; an address at its guard gap's edge, near it, or next to the VMA below. */
      const stacks = segs.filter((s) => s.flags & VM_GROWSDOWN);
      /* With anon_vma_prepare() about to fail, a stack without anon_vma is the interesting one. */
      const prepareFails = model.faults.armedAt('anon_vma_prepare')?.after === 0;
      const bare = prepareFails ? stacks.filter((s) => s.anon === null) : [];
      const pool = bare.length ? bare : stacks;
      /* No stack yet: map one in the stack area first. */
      if (!pool.length && i.a % 4 !== 0) {
        const addr = w.stackArea + (i.c % 12) * P;
        const flags = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_GROWSDOWN | (i.flags % 3 === 0 ? VM_LOCKED : 0n);
        return { op: 'mmap', addr, len: (1 + (i.d % 4)) * P, flags, pgoff: addr / P, file: null };
      }
      const v = pool.length && i.a % 12 !== 0 ? pool[i.a % pool.length] : anyVma();
      if (!v) return null;
      /* A stack needs an anon_vma first (the harness cannot make one): give it one. */
      if (v.flags & VM_GROWSDOWN && v.anon === null && !prepareFails && i.d % 4 !== 0) {
        return { op: 'set_anon', vma: v.id, anon: (1 + (i.d % 8)) as AnonId, chain: 1 };
      }
      const below = model.below(v);
      const floor = below ? below.end : w.base;
      const edge = floor + STACK_GUARD_GAP;
      const candidates = [edge, edge - P, edge + P, v.start - (1 + (i.c % 4)) * P, floor + (i.c % 4) * P, v.start - P + 0x123];
      const addr = pick(candidates, i.b);
      if (addr >= v.start || addr < floor) return null;
      return { op: 'expand_stack', vma: v.id, addr };
    }
    case 'modify_flags_uffd': {
      const v = anyVma();
      if (!v || (v.flags & SPECIAL) !== 0n || v.flags & VM_SEALED) return null;
      const [start, end] = subrange(v, i);
      const bits = VM_UFFD_MISSING | VM_UFFD_WP;
      const flags = (i.c % 3 !== 0 ? neighbourFlags(model, v, start, end, bits, i) : null) ?? v.flags ^ pick(UFFD_CHANGES, i.flags);
      const whole = start === v.start && end === v.end;
      return { op: 'modify_flags_uffd', vma: v.id, start, end, flags, give_up_on_oom: whole && i.d % 3 !== 0 };
    }
    case 'modify_name': {
      const v = anyVma();
      if (!v || v.flags & VM_SEALED) return null;
      const [start, end] = subrange(v, i);
      const bits = VM_DONTCOPY | VM_DONTDUMP | VM_SEQ_READ | VM_RAND_READ;
      const flags = (i.c % 3 !== 0 ? neighbourFlags(model, v, start, end, bits, i) : null) ?? v.flags ^ pick(MADVISE_CHANGES, i.flags);
      const name = i.d % 5 === 0 ? null : ((1 + (i.d % 4)) as NameId);
      return { op: 'modify_name', vma: v.id, start, end, flags, name };
    }
    case 'modify_policy': {
      const v = anyVma();
      if (!v || v.flags & VM_SEALED) return null;
      const [start, end] = subrange(v, i);
      return { op: 'modify_policy', vma: v.id, start, end };
    }
    case 'find_mergeable_anon_vma': {
      const cands = segs.filter((s) => s.anon === null);
      return cands.length ? { op: 'find_mergeable_anon_vma', vma: cands[i.a % cands.length].id } : null;
    }
    case 'vm_munmap': {
      const v = anyVma();
      const start = v && i.b % 2 ? v.start + (i.c % vmaPages(v)) * P : w.base + (i.c % 64) * P;
      return { op: 'vm_munmap', start, len: (1 + (i.d % 8)) * P - (i.flags === 3 ? 0x800 : 0), unlock: i.a % 2 === 0 };
    }
    case 'take_all_locks':
      return { op: 'take_all_locks' };
    case 'inject': {
      /* Arm a point for the next calls (count 0 now and then disarms). */
      const point = pick(POINTS, i.a);
      const count = i.b % 8 === 0 ? 0 : 1 + (i.b % 2);
      return { op: 'inject', point, count, after: count ? i.c % 3 : 0 };
    }
    case 'set_max_map_count': {
      /* Right at the current count (splits refused), one above, one below, or back to the default. */
      const n = model.mapCount;
      const values = [n, DEFAULT_MAX_MAP_COUNT, n + 1, DEFAULT_MAX_MAP_COUNT, Math.max(0, n - 1), DEFAULT_MAX_MAP_COUNT];
      return { op: 'set_max_map_count', value: pick(values, i.a) };
    }
    case 'mlockall':
      return { op: 'mlockall', flags: pick(MCL_CHOICES, i.a) };
    default:
      return null;
  }
}
