// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Bugs from the history of the v6.15 VMA lock, to be planted in copies of
 * the model (plant.ts) to show that the default race campaign finds them.
 * Each names where it came from and the finding it should produce.
 */

import type { FindingKind } from './explorer';
import type { PlantSpec } from './plant';

/** A bug from the history of the lock, planted in a copy of the model or the port. */
export interface HistoricBug {
  readonly id: string;
  readonly title: string;
  /** Where in the history of the series (or upstream) the bug was. */
  readonly history: string;
  readonly spec: PlantSpec;
  /** The findings it may produce (any of them counts). */
  readonly kinds: readonly FindingKind[];
}

/** Issue 7: bugs of program order (found with sequentially consistent memory). */
export const HISTORIC_BUGS: readonly HistoricBug[] = [
  {
    id: 'dup-copies-refcnt',
    title: 'vm_area_dup() copies vm_refcnt into the (possibly recycled) new object',
    history: 'v7 -> v8 review of the series: a stale reader can raise the count of a half-built copy',
    spec: {
      dir: 'lock',
      edits: [{ file: 'fork.ts', from: '  dest.vm_mm = src.vm_mm;\n', to: '  dest.vm_refcnt = src.vm_refcnt;\n  dest.vm_mm = src.vm_mm;\n' }],
    },
    kinds: ['refcount'],
  },
  {
    id: 'exit-frees-attached',
    title: 'exit_mmap() frees VMAs that are still attached',
    history: 'fixed by fe605930f074 ("mm: mark vmas detached upon exit")',
    spec: { dir: 'lock', edits: [{ file: 'mmap.ts', from: '      yield* vma_mark_detached(vma);\n', to: '' }] },
    kinds: ['free', 'warn'],
  },
  {
    id: 'put-reads-mm-late',
    title: 'vma_refcount_put() reads vma->vm_mm after dropping its count',
    history: 'v8 -> v9 of the series: the VMA may be freed and reused by another mm in between',
    spec: {
      dir: 'lock',
      edits: [
        { file: 'mm_h.ts', from: '  yield at(S_PUT_MM, vma);\n  const mm = kmm(LOAD(vma.mem.vm_mm));\n', to: '' },
        {
          file: 'mm_h.ts',
          from: '  if (!(yield* __refcount_dec_and_test(vma.mem.vm_refcnt, oldcnt))) {\n',
          to: '  const dropped = yield* __refcount_dec_and_test(vma.mem.vm_refcnt, oldcnt);\n  yield at(S_PUT_MM, vma);\n  const mm = kmm(LOAD(vma.mem.vm_mm));\n  if (!dropped) {\n',
        },
      ],
    },
    kinds: ['misdirected-wakeup', 'use-after-free', 'lost-wakeup'],
  },
  {
    id: 'munmap-abort-no-reattach',
    title: "munmap's abort path does not re-attach the VMAs it gathered",
    history: 'v3 review of the series (reattach_vmas() error handling)',
    spec: { dir: 'mm', edits: [{ file: 'vma.ts', from: '  mas_for_each(mas_detach, ULONG_MAX, (vma) => vma_mark_attached(vma));\n', to: '' }] },
    kinds: ['tree', 'warn', 'livelock'],
  },
  {
    id: 'lvur-no-recheck',
    title: 'lock_vma_under_rcu() without its vm_mm/range re-check after the increment',
    history: 'the secondary validation a SLAB_TYPESAFE_BY_RCU reference needs (Peter Zijlstra on v9)',
    spec: {
      dir: 'lock',
      edits: [{ file: 'memory.ts', from: '    if (other_mm || address < vma.vm_start || address >= vma.vm_end) {', to: '    if (false) {' }],
    },
    kinds: ['incarnation'],
  },
];

/** Issue 8: ordering bugs (found with the LKMM visibility model). */
export const ORDERING_BUGS: readonly HistoricBug[] = [
  {
    id: 'reader-inc-relaxed',
    title: "the reader's increment is a plain (relaxed) increment: the acquire of down_read_trylock() is lost",
    history: 'v9 of the series, where down_read_trylock() became a refcount increment',
    spec: {
      dir: 'lock',
      edits: [
        {
          file: 'refcount.ts',
          from: '    if (atomic_try_cmpxchg_acquire(r.refs, old, s32(old.value + i))) break;',
          to: '    if (atomic_try_cmpxchg_relaxed(r.refs, old, s32(old.value + i))) break;',
        },
      ],
    },
    kinds: ['mutual-exclusion', 'stale-read', 'incarnation', 'use-after-free', 'kcsan'],
  },
  {
    id: 'attach-relaxed',
    title: 'vma_mark_attached() sets the count with a relaxed store',
    history: "v9 review of the series (the need for refcount_set_release(), commit 7f8ceea0c580)",
    spec: { dir: 'lock', edits: [{ file: 'mm_h.ts', from: '  refcount_set_release(vma.mem.vm_refcnt, 1);', to: '  refcount_set(vma.mem.vm_refcnt, 1);' }] },
    kinds: ['incarnation', 'stale-read', 'mutual-exclusion', 'use-after-free', 'kcsan'],
  },
  {
    id: 'mm-lock-seq-unordered',
    title: 'mm_lock_seq is ended without release and re-read without acquire',
    history: 'fixed by b1f02b95758d ("mm: fix memory ordering for mm_lock_seq and vm_lock_seq", 6.5)',
    spec: {
      dir: 'lock',
      edits: [
        { file: 'seqlock.ts', from: '  const seq = READ_ONCE(s.sequence);\n  smp_rmb();\n', to: '  const seq = READ_ONCE(s.sequence);\n' },
        { file: 'seqlock.ts', from: 'export function do_raw_write_seqcount_end(s: seqcount_t): void {\n  smp_wmb();\n', to: 'export function do_raw_write_seqcount_end(s: seqcount_t): void {\n' },
      ],
    },
    kinds: ['stale-read', 'mutual-exclusion', 'incarnation'],
  },
];
