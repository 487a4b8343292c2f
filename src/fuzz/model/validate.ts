// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which steps are valid input: the preconditions of each operation's kernel
 * caller (TRACE_FORMAT.md, "Preconditions"), the combinations the harness
 * cannot survive, and no warning.  The fuzzer generates only steps that pass
 * (see intents.ts); every step of the oracle traces passes.
 *
 * Where a precondition depends on what the operation would do (counters
 * that would wrap or warn, a crash of the harness, a known v6.15 defect),
 * the step is tried on a copy of the model.
 */

import { PAGE_SIZE, VM_GROWSDOWN, VM_SEALED } from '../../vma_internal/constants';
import type { TraceStep } from '../../trace/types';
import { STACK_GUARD_GAP, MMAP_MIN_ADDR } from './growth';
import { SPECIAL } from './merge';
import { MCL } from './mlock';
import { ModelRefusal, type Seg } from './state';
import type { VmaModel } from '../model';

/** Why a step cannot be run, or null when it can. */
export type Invalid = string | null;

/*
 * Flag bits the kernel's own callers of the vma_modify family change, with
 * the kernel's values (the harness does not name them; mm/vma.c treats them
 * as opaque bits that only have to match for a merge).
 */
/** userfaultfd: missing-page tracking. */
export const VM_UFFD_MISSING = 0x200n;
/** userfaultfd: write protection. */
export const VM_UFFD_WP = 0x1000n;
/** madvise(MADV_SEQUENTIAL). */
export const VM_SEQ_READ = 0x8000n;
/** madvise(MADV_RANDOM). */
export const VM_RAND_READ = 0x10000n;
/** madvise(MADV_DONTFORK). */
export const VM_DONTCOPY = 0x20000n;
/** madvise(MADV_DONTDUMP). */
export const VM_DONTDUMP = 0x4000000n;
const UFFD_BITS = VM_UFFD_MISSING | VM_UFFD_WP;
const MADVISE_BITS = VM_DONTCOPY | VM_DONTDUMP | VM_SEQ_READ | VM_RAND_READ;

/** brk's flags: 0 or VM_EXEC, maybe with VM_LOCKED (mlockall's def_flags). */
const BRK_CALLER_FLAGS: readonly bigint[] = [0n, 0x4n, 0x2000n, 0x2004n];

/** Options of validation. */
export interface ValidateOptions {
  /** Accept steps that reach a known v6.15 defect (to let the fuzzer find it). */
  readonly allowKnownDefects?: boolean;
  /** Paths of KNOWN_DEFECT_PATHS refused even so (defects already found). */
  readonly heldBack?: readonly string[];
  /**
   * Accept unmapping more pages than total_vm or locked_vm hold (the
   * counters wrap).  The random-* oracle traces, which record no counters,
   * do that; the ext-* and fault-* traces and the fuzzer never do (a trace
   * cannot even write a negative counter).
   */
  readonly allowCounterWrap?: boolean;
}

/** A step whose trial reaches one of these paths is refused unless allowed. */
export const KNOWN_DEFECT_PATHS: readonly string[] = ['defect:mmap_expand_clone_iter', 'defect:mlockall_commit_merge_iter'];

const aligned = (v: number): boolean => v % PAGE_SIZE === 0;
const range = (s: number, e: number): Invalid => (!aligned(s) || !aligned(e) || s >= e ? 'bad range' : null);

/** Is the step valid in this state? */
export function validateStep(m: VmaModel, step: TraceStep, opts: ValidateOptions = {}): Invalid {
  const live = (id: number): Seg | null => m.byId(id) ?? null;
  const inside = (id: number, start: number, end: number): Invalid => {
    const s = live(id);
    if (!s) return 'no such VMA';
    return range(start, end) ?? (start >= s.start && end <= s.end ? null : 'not inside');
  };
  switch (step.op) {
    case 'alloc_and_link':
      return range(step.start, step.end) ?? (m.isFree(step.start, step.end) ? null : 'range in use');
    case 'set_anon':
    case 'set_ops':
    case 'set_file':
      return live(step.vma) ? null : 'no such VMA';
    case 'fail_prealloc':
      return step.value && m.faults.anyArmed ? 'fail_prealloc while a point is armed' : null;
    case 'inject':
      return step.count > 0 && m.faults.failPrealloc ? 'inject while fail_prealloc is set' : null;
    case 'set_max_map_count':
      return Number.isInteger(step.value) && step.value >= 0 && step.value <= 0x7fffffff ? null : 'bad value';
    case 'merge_new': {
      const bad = range(step.start, step.end) ?? (m.isFree(step.start, step.end) ? null : 'range in use');
      if (bad) return bad;
      /* Without a VMA below, the harness helper leaves the iterator past the range. */
      const next = m.after(step.start);
      if (!m.before(step.start) && next && next.start > step.end) return 'iterator would pass the range';
      return null;
    }
    case 'merge_existing':
    case 'modify_flags':
      return inside(step.vma, step.start, step.end);
    case 'modify_flags_uffd': {
      const bad = inside(step.vma, step.start, step.end);
      if (bad) return bad;
      const s = live(step.vma) as Seg;
      if (s.flags & VM_SEALED) return 'sealed';
      if ((s.flags & SPECIAL) !== 0n) return 'userfaultfd on a VM_SPECIAL VMA';
      if ((s.flags ^ step.flags) & ~UFFD_BITS) return 'userfaultfd changes only its own bits';
      if (step.give_up_on_oom && (step.start !== s.start || step.end !== s.end)) return 'give_up_on_oom needs the whole VMA';
      return null;
    }
    case 'modify_name': {
      const bad = inside(step.vma, step.start, step.end);
      if (bad) return bad;
      const s = live(step.vma) as Seg;
      if (s.flags & VM_SEALED) return 'sealed';
      return (s.flags ^ step.flags) & ~MADVISE_BITS ? 'madvise changes only its own bits' : null;
    }
    case 'modify_policy': {
      const bad = inside(step.vma, step.start, step.end);
      if (bad) return bad;
      return (live(step.vma) as Seg).flags & VM_SEALED ? 'sealed' : null;
    }
    case 'expand': {
      const s = live(step.vma);
      if (!s) return 'no such VMA';
      if (range(step.start, step.end) || step.start > s.start || step.end < s.end) return 'does not cover';
      if (step.next !== null) {
        const n = live(step.next);
        if (!n || n === s || n.start < s.end) return 'bad next';
        /* Either exactly through next (absorbing it) or up to it at most. */
        if (step.end === n.end) {
          if (n.ops === 'close') return 'next has a close hook';
        } else if (step.end > n.start) {
          return 'overwrites part of next';
        }
        const others = m.segs.filter((x) => x !== s && x !== n && x.end > step.start && x.start < step.end);
        return others.length ? 'overlaps' : null;
      }
      const others = m.segs.filter((x) => x !== s && x.end > step.start && x.start < step.end);
      return others.length ? 'overlaps' : null;
    }
    case 'shrink': {
      const s = live(step.vma);
      if (!s) return 'no such VMA';
      if (range(step.start, step.end) || step.start < s.start || step.end > s.end) return 'not inside';
      return step.start === s.start || step.end === s.end ? null : 'keeps no end';
    }
    case 'split': {
      const s = live(step.vma);
      if (!s) return 'no such VMA';
      return aligned(step.addr) && step.addr > s.start && step.addr < s.end ? null : 'not inside';
    }
    case 'mmap':
      if (!step.len || !aligned(step.addr) || !aligned(step.len)) return 'bad range';
      return trial(m, step, opts);
    case 'munmap':
    case 'vm_munmap':
      return trial(m, step, opts);
    case 'merge_extend': {
      const s = live(step.vma);
      if (!s) return 'no such VMA';
      if (!aligned(step.delta) || step.delta === 0) return 'bad delta';
      return m.isFree(s.end, s.end + step.delta) ? null : 'range in use';
    }
    case 'copy_vma': {
      const s = live(step.vma);
      if (!s) return 'no such VMA';
      if (range(step.addr, step.addr + step.len)) return 'bad range';
      if (!m.isFree(step.addr, step.addr + step.len)) return 'range in use';
      return trial(m, step, opts);
    }
    case 'brk': {
      if (!step.len || !aligned(step.addr) || !aligned(step.len) || step.start_brk > step.addr) return 'bad range';
      if (!BRK_CALLER_FLAGS.includes(step.flags)) return 'brk flags';
      const newbrk = step.addr + step.len;
      if (!m.isFree(step.addr, newbrk + PAGE_SIZE)) return 'range in use';
      /* brk() refuses to come within the guard gap of a stack above. */
      const next = m.after(step.addr);
      if (next && next.start < newbrk + PAGE_SIZE + STACK_GUARD_GAP && next.flags & VM_GROWSDOWN) {
        const gapStart = next.start > STACK_GUARD_GAP ? next.start - STACK_GUARD_GAP : 0;
        if (newbrk + PAGE_SIZE > gapStart) return 'within a stack guard gap';
      }
      return null;
    }
    case 'vm_unmapped_area': {
      const q = step;
      if (!q.length || !aligned(q.length) || !aligned(q.low_limit) || !aligned(q.high_limit)) return 'bad length or limits';
      if (q.high_limit <= q.low_limit || q.high_limit <= MMAP_MIN_ADDR) return 'bad limits';
      return aligned(q.align_mask) && aligned(q.align_offset) && aligned(q.start_gap) ? null : 'bad alignment';
    }
    case 'expand_stack': {
      const s = live(step.vma);
      if (!s) return 'no such VMA';
      const below = m.below(s);
      if (step.addr >= s.start || (below !== null && below.end > step.addr)) return 'not the first VMA above addr';
      return trial(m, step, opts);
    }
    case 'find_mergeable_anon_vma': {
      const s = live(step.vma);
      if (!s) return 'no such VMA';
      return s.anon === null ? null : 'already has an anon_vma';
    }
    case 'take_all_locks':
      return m.segs.some((s) => s.chain > 0 && s.chainAnon === null) ? 'chain entries without anon_vma' : null;
    case 'mlockall':
      /* munlockall(), or what mlockall() accepts; unlocking what was never charged would wrap locked_vm. */
      if (!Number.isInteger(step.flags) || step.flags < 0 || step.flags > 7 || step.flags === MCL.ONFAULT) return 'mlockall flags';
      return trial(m, step, opts);
  }
}

/* Try the step on a copy: refused, warning, counters wrapping or a known defect make it invalid. */
function trial(m: VmaModel, step: TraceStep, opts: ValidateOptions): Invalid {
  const t = m.clone();
  try {
    const e = t.apply(step, false);
    if (e.warnings) return 'would warn';
  } catch (err) {
    if (err instanceof ModelRefusal) return err.message;
    throw err;
  }
  if (!opts.allowCounterWrap && (t.counters.total < 0 || t.counters.locked < 0)) return 'would unmap uncharged pages';
  const refused = (p: string): boolean => KNOWN_DEFECT_PATHS.includes(p) && (!opts.allowKnownDefects || (opts.heldBack?.includes(p) ?? false));
  if (t.paths.some(refused)) return 'reaches a known v6.15 defect';
  return null;
}
