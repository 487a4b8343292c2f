// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Checks a step against the preconditions of the kernel caller it stands
 * for, before it runs.  The C code would not check them (it would corrupt
 * the tree, hang or crash), so a step that breaks one is rejected as bad
 * input, naming the field that is wrong and the VMA it conflicts with, and
 * the port never sees it.
 *
 * The rules themselves live in rules/ (one place, shared with the
 * reference model); they are checked against the replayer's own layout of
 * the trace's state (layout.ts), never against the port's tree.
 */

import type { LayoutView } from './layout';
import { checkStep, NO_RULE_OPTIONS, type RuleOptions } from './rules';
import type { TraceStep } from './types';

/** A step that breaks a precondition, naming the argument at fault. */
export class TraceInputError extends Error {
  constructor(
    readonly field: string,
    readonly detail: string,
    /** The VMA the step conflicts with, if any. */
    readonly vma: number | null = null,
  ) {
    super(`field '${field}': ${detail}`);
    this.name = 'TraceInputError';
  }
}

/** Throw a TraceInputError for the first precondition @step breaks in state @layout. */
export function checkPreconditions(layout: LayoutView, step: TraceStep, opts: RuleOptions = NO_RULE_OPTIONS): void {
  const v = checkStep(layout, step, opts);
  if (v !== null) throw new TraceInputError(v.field, v.detail, v.vma ?? null);
}
