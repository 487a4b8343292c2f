// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The race part of the main job: replay the saved race regressions
 * (fixtures/race/*.race), then a bounded race campaign.  Known v6.15 defects
 * are printed as such and keep the job green; anything else fails it.
 */

import { relative } from 'node:path';
import { DEFAULT_RACE } from '../race/campaign';
import { raceFixturesDir, regressionFiles } from '../race/regressions';
import { replayRegression } from '../race/regression_replay';
import { raceCampaignMain } from './race_cmd';

/** How long the main job's race campaign runs. */
export const MAIN_JOB_RACE_SECONDS = 35;

export interface MainJobRace {
  readonly failures: number;
  readonly known: number;
  readonly badInput: number;
}

export function mainJobRace(write: (s: string) => void, tty: boolean): MainJobRace {
  const dir = raceFixturesDir();
  const files = regressionFiles(dir);
  let failures = 0;
  let badInput = 0;
  write(`Replaying ${files.length} race regression(s) from ${relative(process.cwd(), dir) || dir}\n`);
  for (const f of files) {
    const r = replayRegression(f);
    if (r.status === 'pass') continue;
    if (r.status === 'bad-input') badInput++;
    else failures++;
    write(`  ${relative(process.cwd(), f)}: ${r.message}\n`);
  }
  const o = { ...DEFAULT_RACE, timeLimitMs: MAIN_JOB_RACE_SECONDS * 1000, regressionDir: dir };
  write(`Race campaign: seed ${o.seed}, scheduler ${o.scheduler}, up to ${o.shape.mms} mms, ${o.timeLimitMs / 1000} s\n`);
  const c = raceCampaignMain(o, write, tty);
  return {
    failures: failures + c.result.findings.filter((x) => x.known === null).length,
    known: c.result.findings.filter((x) => x.known !== null).length,
    badInput,
  };
}
