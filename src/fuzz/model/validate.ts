// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which steps the fuzzer may generate: the precondition rules every trace
 * must respect (src/trace/rules, shared with the replayer's validator, the
 * model serving as their LayoutView), plus the fuzzer's own constraints:
 * no warning at all, no counter made to wrap, and no known v6.15 defect
 * unless the campaign probes for it.  The fuzzer generates only steps that
 * pass (see intents.ts); every step of the oracle traces passes.
 *
 * Those extra constraints depend on what the operation would do, so the
 * step is tried on a copy of the model.
 */

import type { TraceExpect, TraceStep } from '../../trace/types';
import { checkStep } from '../../trace/rules';
import { ModelRefusal } from './state';
import type { VmaModel } from '../model';

export { VM_DONTCOPY, VM_DONTDUMP, VM_RAND_READ, VM_SEQ_READ, VM_UFFD_MISSING, VM_UFFD_WP } from '../../trace/rules/modify';

/** Why a step cannot be run, or null when it can. */
export type Invalid = string | null;

/** Options of validation. */
export interface ValidateOptions {
  /** Accept steps that reach a known v6.15 defect (to let the fuzzer find it). */
  readonly allowKnownDefects?: boolean;
  /** Paths of KNOWN_DEFECT_PATHS refused even so (defects already found). */
  readonly heldBack?: readonly string[];
  /**
   * Accept unmapping more pages than total_vm or locked_vm hold (the
   * counters wrap, which v6.15 does not check).  The random-* oracle
   * traces, which record no counters, do that; the ext-* and fault-* traces
   * and the fuzzer never do (a trace cannot even write a negative counter).
   */
  readonly allowCounterWrap?: boolean;
}

/** A step whose trial reaches one of these paths is refused unless allowed. */
export const KNOWN_DEFECT_PATHS: readonly string[] = ['defect:mmap_expand_clone_iter', 'defect:mlockall_commit_merge_iter'];

/* The operations whose outcome the extra constraints depend on. */
const TRIED = new Set<TraceStep['op']>(['mmap', 'munmap', 'vm_munmap', 'copy_vma', 'expand_stack', 'mlockall']);

/** Is the step valid in this state (the shared rules, then the fuzzer's own)? */
export function validateStep(m: VmaModel, step: TraceStep, opts: ValidateOptions = {}): Invalid {
  const v = checkStep(m, step, { allowKnownDefects: opts.allowKnownDefects });
  if (v !== null) return `field '${v.field}': ${v.detail}`;
  return TRIED.has(step.op) ? trial(m, step, opts) : null;
}

/* Try the step on a copy: refused, warning, counters wrapping or a known defect make it invalid. */
function trial(m: VmaModel, step: TraceStep, opts: ValidateOptions): Invalid {
  const t = m.clone();
  let e: TraceExpect;
  try {
    e = t.apply(step, false);
    if (e.warnings) return 'would warn';
  } catch (err) {
    if (err instanceof ModelRefusal) return err.message;
    throw err;
  }
  if (!opts.allowCounterWrap && (t.counters.total < 0 || t.counters.locked < 0)) return 'would unmap uncharged pages';
  const refused = (p: string): boolean => KNOWN_DEFECT_PATHS.includes(p) && (!opts.allowKnownDefects || (opts.heldBack?.includes(p) ?? false));
  if (t.paths.some(refused)) return 'reaches a known v6.15 defect';
  /* The step is valid: the trial is what running it does (applyChecked() may take it over). */
  m.keepTrial(step, t, e);
  return null;
}
