// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The race part of the main job: replay the saved race regressions
 * (fixtures/race/*.race), then a bounded race campaign.  Known v6.15 defects
 * are printed as such and keep the job green; anything else fails it.
 */

import { relative } from 'node:path';
import { DEFAULT_RACE, type RaceCampaignOptions } from '../race/campaign';
import { raceFixturesDir, regressionFiles } from '../race/regressions';
import { replayRegression } from '../race/regression_replay';
import type { CliContext } from './context';
import { EXIT_OK } from './program';
import type { RaceJson } from './report';
import { raceCampaignMain } from './race_cmd';

/** How long the main job's race campaign runs. */
export const MAIN_JOB_RACE_SECONDS = 35;

/** The main job's race campaign (saving findings under fixtures/race). */
export const MAIN_JOB_RACE: Readonly<RaceCampaignOptions> = {
  ...DEFAULT_RACE,
  timeLimitMs: MAIN_JOB_RACE_SECONDS * 1000,
  regressionDir: raceFixturesDir(),
};

/** What the race phase of the main job did. */
export interface MainJobRace {
  /** Failing regressions plus findings that are not known defects. */
  readonly failures: number;
  /** Known v6.15 defects found. */
  readonly known: number;
  /** Regression files that could not be read. */
  readonly badInput: number;
  readonly interrupted: boolean;
  readonly report: RaceJson;
}

/**
 * Replay the race regressions under @dir, then run @o; prints (unless
 * @json) what it finds and the summary.
 */
export async function mainJobRace(ctx: CliContext, json: boolean, o: Readonly<RaceCampaignOptions> = MAIN_JOB_RACE, dir: string = raceFixturesDir()): Promise<MainJobRace> {
  const write = (s: string): void => {
    if (!json) ctx.out.write(s);
  };
  const files = regressionFiles(dir);
  const failed: { file: string; message: string }[] = [];
  let badInput = 0;
  write(`Replaying ${files.length} race regression(s) from ${relative(ctx.cwd, dir) || dir}\n`);
  for (const f of files) {
    const r = replayRegression(f);
    if (r.status === 'pass') continue;
    if (r.status === 'bad-input') badInput++;
    failed.push({ file: f, message: r.message });
    write(`  ${relative(ctx.cwd, f)}: ${r.message}\n`);
  }
  write(`Race campaign: seed ${o.seed}, scheduler ${o.scheduler}, up to ${o.shape.mms} mms, ${o.timeLimitMs ? `${o.timeLimitMs / 1000} s` : `${o.runs} runs`}\n`);
  const c = await raceCampaignMain({ ...o, shape: { ...o.shape }, fixes: [...o.fixes] }, ctx, json);
  const findings = c.result.findings;
  return {
    failures: failed.length - badInput + (c.exitCode === EXIT_OK ? 0 : findings.filter((x) => x.known === null).length),
    known: findings.filter((x) => x.known !== null).length,
    badInput,
    interrupted: c.result.interrupted,
    report: { ...c.report, regressions: { replayed: files.length, failed } },
  };
}
