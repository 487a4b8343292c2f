// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Preconditions of the operations that give part of one VMA new attributes:
 * merge_existing, modify_flags and the vma_modify_*() callers of the ext
 * traces (userfaultfd, madvise/prctl names, mbind).  The range lies inside
 * one VMA; the ext callers never touch a sealed VMA and change only the
 * flag bits their own syscall owns.
 */

import { VM_SEALED } from '../../vma_internal/constants';
import type { MergeExistingStep, ModifyFlagsStep, ModifyFlagsUffdStep, ModifyNameStep, ModifyPolicyStep } from '../types';
import type { LayoutView } from '../layout';
import { describeVma, inside, isViolation, live, violation, type Verdict } from './common';
import { VM_SPECIAL } from './map';

/* Flag bits the kernel's callers of the vma_modify family change (the kernel's values). */
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
/** The bits userfaultfd registration changes. */
export const UFFD_BITS = VM_UFFD_MISSING | VM_UFFD_WP;
/** The bits the madvise() behaviours of modify_name change. */
export const MADVISE_BITS = VM_DONTCOPY | VM_DONTDUMP | VM_SEQ_READ | VM_RAND_READ;

type ModifyStep = MergeExistingStep | ModifyFlagsStep | ModifyFlagsUffdStep | ModifyNameStep | ModifyPolicyStep;

/** The range inside one VMA, and each caller's own limits. */
export function checkModify(l: LayoutView, step: ModifyStep): Verdict {
  const vma = live(l, 'vma', step.vma);
  if (isViolation(vma)) return vma;
  const bad = inside(vma, 'start', step.start, 'end', step.end);
  if (bad) return bad;
  if (step.op === 'merge_existing' || step.op === 'modify_flags') return null;
  if (vma.flags & VM_SEALED) return violation('vma', `${describeVma(vma)} is sealed: ${step.op}'s caller refuses it (-EPERM)`, vma);
  const hexBits = (b: bigint): string => `0x${b.toString(16)}`;
  switch (step.op) {
    case 'modify_flags_uffd': {
      if (vma.flags & VM_SPECIAL) return violation('vma', `${describeVma(vma)} is VM_SPECIAL: userfaultfd never registers it`, vma);
      const changed = (vma.flags ^ step.flags) & ~UFFD_BITS;
      if (changed) return violation('flags', `userfaultfd changes only VM_UFFD_MISSING/VM_UFFD_WP, not ${hexBits(changed)} of ${describeVma(vma)}`, vma);
      if (step.give_up_on_oom && (step.start !== vma.start || step.end !== vma.end)) {
        return violation('give_up_on_oom', `give_up_on_oom needs the whole of ${describeVma(vma)} (userfaultfd_clear_vma() sets it only then; vma_modify() warns otherwise)`, vma);
      }
      return null;
    }
    case 'modify_name': {
      const changed = (vma.flags ^ step.flags) & ~MADVISE_BITS;
      if (changed) return violation('flags', `madvise() changes only VM_DONTCOPY/VM_DONTDUMP/VM_SEQ_READ/VM_RAND_READ, not ${hexBits(changed)} of ${describeVma(vma)}`, vma);
      return null;
    }
    case 'modify_policy':
      return null;
  }
}
