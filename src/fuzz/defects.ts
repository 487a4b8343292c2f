// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Recognising a fuzz finding as one of the known v6.15 defects
 * (src/known_defects.ts).  The reference model names the path that leads
 * into each defect (validate.ts refuses steps that take it unless a probe
 * asks for them); a finding is that defect when its failing command takes
 * that path and the port differs from the model only in what the defect
 * makes it record (a warning, a maple-state misuse), nothing else.
 */

import { knownDefect, type KnownDefect } from '../known_defects';
import type { TraceStep } from '../trace/types';
import type { FieldMismatch } from '../trace/compare';
import { VmaModel } from './model';
import { KNOWN_DEFECT_PATHS } from './model/validate';

/* The model path that leads into each known defect. */
const DEFECT_OF_PATH: Readonly<Record<string, string>> = {
  'defect:mmap_expand_clone_iter': 'v6.15-mmap-expand-clone-iterator',
  'defect:mlockall_commit_merge_iter': 'v6.15-commit-merge-oom-iterator',
};

/** The model path that leads into the known defect `id`. */
export function defectPath(id: string): string | undefined {
  return Object.keys(DEFECT_OF_PATH).find((p) => DEFECT_OF_PATH[p] === id);
}

/** What a failing command reported (a FuzzFailure, see harness.ts). */
export interface CommandFailure {
  readonly index: number;
  readonly mismatch: FieldMismatch | null;
  readonly violations: readonly string[];
}

/* Differences the defect itself makes the port record. */
function onlyTheDefectsMark(f: CommandFailure): boolean {
  if (f.mismatch && f.mismatch.field !== 'warnings') return false;
  return f.violations.length > 0 || f.mismatch !== null
    ? f.violations.every((v) => /WARN|misuse|__mas_set_range/.test(v))
    : false;
}

/** The known defect a failing sequence shows (its last command failed with `failure`), or null. */
export function recogniseKnownDefect(steps: readonly TraceStep[], failure: CommandFailure | null): KnownDefect | null {
  if (!failure || failure.index !== steps.length - 1) return null;
  const model = new VmaModel();
  for (const s of steps.slice(0, -1)) model.apply(s);
  model.apply(steps[steps.length - 1]);
  const path = model.paths.find((p) => KNOWN_DEFECT_PATHS.includes(p));
  if (path === undefined || !onlyTheDefectsMark(failure)) return null;
  return knownDefect(DEFECT_OF_PATH[path] ?? '') ?? null;
}
