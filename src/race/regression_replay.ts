// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Replaying a saved race regression against the current code: it passes
 * when the run shows no failure, or, for a file that records a known v6.15
 * defect, exactly that defect again.
 */

import { knownRaceDefect } from '../known_defects';
import { DEFAULT_RACE, replay } from './campaign';
import { summary } from './report';
import { loadRegression, RaceInputError } from './regressions';

/** The outcome of replaying one regression file. */
export interface RegressionResult {
  readonly status: 'pass' | 'fail' | 'bad-input';
  readonly message: string;
}

/** Replay a saved race regression: it must show no failure, or exactly the known defect it records. */
export function replayRegression(file: string): RegressionResult {
  let reg;
  try {
    reg = loadRegression(file);
  } catch (e) {
    if (e instanceof RaceInputError) return { status: 'bad-input', message: e.message };
    throw e;
  }
  const o = { ...DEFAULT_RACE, fixes: reg.fixes, memoryModel: reg.memoryModel };
  const r = replay(o, reg.program, reg.schedule);
  const found = r.finding === null ? null : summary(r.finding);
  if (reg.expectKnown === null) {
    return found === null ? { status: 'pass', message: 'no failure' } : { status: 'fail', message: `fails again: ${found}` };
  }
  const k = found === null ? null : knownRaceDefect(found);
  if (k !== null && k.id === reg.expectKnown) return { status: 'pass', message: `shows known defect ${k.id}` };
  return { status: 'fail', message: `expected known defect ${reg.expectKnown}, got ${found ?? 'no failure'}` };
}
