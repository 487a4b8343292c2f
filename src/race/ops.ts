// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The operations a writer actor runs: the fuzzer's kinds of command, each
 * an intent of small numbers resolved against the mm's current layout just
 * before it runs (so that any numbers give a valid call, and a shrunk
 * program stays runnable), then executed synchronously by the port of
 * mm/vma.c under the mmap write lock, as the system call would:
 *
 *   mmap      mmap_region() of a range in the window (may unmap what it covers)
 *   munmap    __vm_munmap(), which takes the lock itself; with `unlock` it
 *             downgrades the lock before freeing (vms_complete_munmap_vmas())
 *   mprotect  vma_modify_flags() on part of a VMA, then the new flags
 *   split     split_vma() inside a VMA
 *   extend    vma_merge_extend() into the gap after a VMA (brk)
 *   copy      copy_vma() of part of a VMA into a gap (mremap's first half)
 *   munmap!   munmap with its Nth maple-tree preallocation failing: the
 *             error paths that re-attach what was gathered
 *
 * Flags come from a small palette that includes VM_SEALED (munmap then fails
 * with -EPERM after gathering, another re-attach path) and VM_GROWSDOWN (a
 * fault just below such a VMA grows it from the fallback path).
 */

import {
  PAGE_SIZE,
  VM_ACCOUNT,
  VM_GROWSDOWN,
  VM_MAYREAD,
  VM_MAYWRITE,
  VM_READ,
  VM_SEALED,
  VM_WRITE,
} from '../vma_internal/constants';
import { IS_ERR } from '../vma_internal/err';
import { mas_walk } from '../vma_internal/maple_tree';
import { address_space, file, type mm_struct, type vm_area_struct } from '../vma_internal/structs';
import { vma_start_write } from '../vma_internal/vma_lock';
import { vm_stat_account } from '../vma_internal/mm_stubs';
import { vma_iter_set, VMA_ITERATOR, vma_prev, type Ref } from '../vma_internal/vma_iter';
import type * as port_module from '../mm/vma';

/** The functions of the port the writers call (the real port, or a planted copy). */
export type RacePort = Pick<
  typeof port_module,
  'mmap_region' | '__vm_munmap' | 'vma_modify_flags' | 'split_vma' | 'vma_merge_extend' | 'copy_vma'
>;

/** Where every mm's VMAs live: a small window, so that addresses collide. */
export const RACE_BASE = 0x100000;
/** Every mm maps within the same window of this many pages, so that VMAs collide and recycle. */
export const RACE_PAGES = 16;
const P = PAGE_SIZE;
const WINDOW_END = RACE_BASE + RACE_PAGES * P;

const RW = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;

/** Flag words of new mappings and mprotect (index 0 is what shrinking prefers). */
export const RACE_FLAGS: readonly bigint[] = [RW, RW | VM_ACCOUNT, VM_READ | VM_MAYREAD | VM_MAYWRITE, RW | VM_SEALED, RW | VM_GROWSDOWN];

/** The writer operations (munmap!: munmap with a failing preallocation). */
export const OP_KINDS = ['mmap', 'munmap', 'mprotect', 'split', 'extend', 'copy', 'munmap!'] as const;
/** One writer operation kind. */
export type OpKind = (typeof OP_KINDS)[number];

/** An operation as the program states it: a kind and four small numbers. */
export interface OpIntent {
  readonly kind: OpKind;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
}

/** What a writer needs to run operations on its mm. */
export interface WriterWorld {
  readonly mm: mm_struct;
  readonly files: readonly file[];
}

/** Two files per mm, so that some mappings are file-backed. */
export function makeFiles(): file[] {
  return [new file(new address_space()), new file(new address_space())];
}

/** An operation resolved against the layout: run it, describe it. */
export interface ResolvedOp {
  readonly text: string;
  /** Does the call take the mmap lock itself (a system call entry)? */
  readonly locksItself: boolean;
  /** Fail the Nth maple-tree preallocation (0: none). */
  readonly failNth: number;
  /** Run it (mmap write lock held unless locksItself); returns the result code. */
  run(port: RacePort): number;
}

const hex = (v: number): string => `0x${v.toString(16)}`;

function vmas(mm: mm_struct): vm_area_struct[] {
  const out: vm_area_struct[] = [];
  for (const e of mm.mm_mt.ranges.entries()) out.push(e.value);
  return out;
}

function flagName(f: bigint): string {
  const i = RACE_FLAGS.indexOf(f);
  return ['rw', 'rw,account', 'ro', 'rw,sealed', 'rw,growsdown'][i] ?? hex(Number(f));
}

/* The VMA before @vma, found with an iterator of our own. */
function vmaBefore(mm: mm_struct, vma: vm_area_struct): vm_area_struct | null {
  const it = VMA_ITERATOR(mm, vma.vm_start);
  mas_walk(it.mas);
  return vma_prev(it);
}

/* The free gap at or after page @page of the window, or null. */
function gapFrom(mm: mm_struct, page: number): [number, number] | null {
  const list = vmas(mm);
  let at = RACE_BASE + (page % RACE_PAGES) * P;
  for (const v of list) if (v.vm_start <= at && at < v.vm_end) at = v.vm_end;
  if (at >= WINDOW_END) return null;
  let end = WINDOW_END;
  for (const v of list) if (v.vm_start >= at && v.vm_start < end) end = v.vm_start;
  return end > at ? [at, end] : null;
}

/** Resolve @op for the current layout of @w's mm, or null when it does not apply. */
export function resolveOp(op: OpIntent, w: WriterWorld): ResolvedOp | null {
  const mm = w.mm;
  const list = vmas(mm);
  const pick = (): vm_area_struct | null => (list.length ? list[op.a % list.length] : null);
  switch (op.kind) {
    case 'mmap': {
      const addr = RACE_BASE + (op.a % RACE_PAGES) * P;
      const len = Math.min(1 + (op.b % 4), (WINDOW_END - addr) / P) * P;
      const flags = RACE_FLAGS[op.c % RACE_FLAGS.length];
      const f = op.d % 4 === 3 ? w.files[op.d % w.files.length] : null;
      const pgoff = op.d % 3 === 1 ? addr / P + 0x40 : addr / P;
      return {
        text: `mmap [${hex(addr)}, ${hex(addr + len)}) ${flagName(flags)}${f ? ' file' : ''}`,
        locksItself: false,
        failNth: 0,
        run: (port) => port.mmap_region(f, addr, len, flags, pgoff, null),
      };
    }
    case 'munmap':
    case 'munmap!': {
      const v = pick();
      const start = v && op.b % 2 ? v.vm_start + (op.c % ((v.vm_end - v.vm_start) / P)) * P : RACE_BASE + (op.c % RACE_PAGES) * P;
      const len = (1 + (op.d % 4)) * P;
      const unlock = op.b % 4 >= 2;
      const failNth = op.kind === 'munmap!' ? 1 + (op.a % 3) : 0;
      return {
        text: `munmap [${hex(start)}, ${hex(start + len)})${unlock ? ' (downgrade)' : ''}${failNth ? ` (preallocation ${failNth} fails)` : ''}`,
        locksItself: true,
        failNth,
        run: (port) => port.__vm_munmap(start, len, unlock),
      };
    }
    case 'mprotect': {
      const v = pick();
      if (!v) return null;
      const n = (v.vm_end - v.vm_start) / P;
      const s = op.b % 3 === 1 ? op.c % n : 0;
      const e = op.b % 3 === 2 ? 1 + (op.c % n) : n;
      if (s >= e) return null;
      const start = v.vm_start + s * P;
      const end = v.vm_start + e * P;
      const flags = RACE_FLAGS[op.d % RACE_FLAGS.length];
      return {
        text: `mprotect [${hex(start)}, ${hex(end)}) ${flagName(flags)}`,
        locksItself: false,
        failNth: 0,
        run: (port) => {
          const prev = start > v.vm_start ? v : vmaBefore(mm, v);
          const vmi = VMA_ITERATOR(mm, start);
          const res = port.vma_modify_flags(vmi, prev, v, start, end, flags);
          if (IS_ERR(res)) return res.err;
          /* What mprotect_fixup() does with the result. */
          const oldflags = v.vm_flags;
          const nrpages = (end - start) / P;
          vm_stat_account(mm, oldflags, -nrpages);
          vm_stat_account(mm, flags, nrpages);
          vma_start_write(res);
          res.__vm_flags = flags;
          return 0;
        },
      };
    }
    case 'split': {
      const v = pick();
      if (!v || v.vm_end - v.vm_start < 2 * P) return null;
      const n = (v.vm_end - v.vm_start) / P;
      const addr = v.vm_start + (1 + (op.b % (n - 1))) * P;
      const below = op.c % 2;
      return {
        text: `split ${hex(v.vm_start)} at ${hex(addr)}${below ? ' (new below)' : ''}`,
        locksItself: false,
        failNth: 0,
        run: (port) => {
          const vmi = VMA_ITERATOR(mm, v.vm_start);
          return port.split_vma(vmi, v, addr, below);
        },
      };
    }
    case 'extend': {
      const v = pick();
      if (!v) return null;
      const gap = gapFrom(mm, (v.vm_end - RACE_BASE) / P);
      if (!gap || gap[0] !== v.vm_end) return null;
      const delta = (1 + (op.b % ((gap[1] - gap[0]) / P))) * P;
      return {
        text: `extend ${hex(v.vm_start)} by ${hex(delta)}`,
        locksItself: false,
        failNth: 0,
        run: (port) => {
          const vmi = VMA_ITERATOR(mm, v.vm_end);
          vma_iter_set(vmi, v.vm_end);
          const flags = v.vm_flags;
          if (!port.vma_merge_extend(vmi, v, delta)) return -12;
          /* What brk does on success. */
          vm_stat_account(mm, flags, delta / P);
          return 0;
        },
      };
    }
    case 'copy': {
      const v = pick();
      if (!v) return null;
      const gap = gapFrom(mm, op.b);
      if (!gap) return null;
      const len = Math.min((v.vm_end - v.vm_start) / P, (gap[1] - gap[0]) / P, 1 + (op.c % 3)) * P;
      const addr = op.d % 2 ? gap[1] - len : gap[0];
      const pgoff = v.vm_pgoff;
      return {
        text: `copy ${hex(v.vm_start)} to [${hex(addr)}, ${hex(addr + len)})`,
        locksItself: false,
        failNth: 0,
        run: (port) => {
          const vmap: Ref<vm_area_struct> = { value: v };
          const need: Ref<boolean> = { value: false };
          const flags = v.vm_flags;
          if (!port.copy_vma(vmap, addr, len, pgoff, need)) return -12;
          /* move_vma() accounts the new range (and would unmap the old one). */
          vm_stat_account(mm, flags, len / P);
          return 0;
        },
      };
    }
  }
}
