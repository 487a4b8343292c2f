// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `vma-harness run` (what `npm start` does): the main job.  Replays every
 * trace under fixtures/ (the oracle traces and saved fuzzing regressions),
 * then runs the default fuzz campaign, then replays the saved race
 * regressions and runs a bounded race campaign against the real v6.15 VMA
 * lock, with progress and summaries.
 */

import type { Command } from 'commander';
import { join, relative } from 'node:path';
import { DEFAULT_MAX_TRACE_BYTES, findTraceFiles } from '../trace/files';
import type { CliContext } from './context';
import { checkRegressionDir, DEFAULT_CAMPAIGN, fixturesDir, runCampaign, type FuzzCampaignOptions } from './fuzz_cmd';
import { defineCommand, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, jsonOption, type ExitSetter } from './program';
import { replayList, replaySummaryLines } from './replay_cmd';
import { reportJson } from './report';
import type { RaceCampaignOptions } from '../race/campaign';
import { MAIN_JOB_RACE, MAIN_JOB_RACE_SECONDS, mainJobRace, type MainJobRace } from './race_main';

/**
 * Run the main job; returns the exit status.  @p campaign, @p dir and
 * @p race are the default fuzz campaign, fixtures/ and the bounded race
 * campaign (tests use smaller ones; the race regressions are those under
 * @p dir/race).
 */
export async function mainJob(
  ctx: CliContext,
  json: boolean,
  campaign: Readonly<FuzzCampaignOptions> = DEFAULT_CAMPAIGN,
  dir: string = fixturesDir(),
  race: Readonly<RaceCampaignOptions> = MAIN_JOB_RACE,
): Promise<number> {
  const write = (s: string): void => {
    if (!json) ctx.out.write(s);
  };
  const dirProblem = checkRegressionDir(campaign.regressionDir);
  if (dirProblem !== null) {
    ctx.err.write(`vma-harness run: ${dirProblem}\n`);
    return EXIT_BAD_INPUT;
  }
  write('== 1. Regression corpus ==\n');
  const list = findTraceFiles([dir], ctx.cwd);
  /* The corpus's README files are expected there: do not list them. */
  const quiet = { entries: list.entries, skipped: list.skipped.filter((s) => s.error) };
  write(`Replaying ${list.entries.length} traces from ${relative(ctx.cwd, dir) || dir}\n`);
  const t0 = Date.now();
  const corpus = await replayList(quiet, { timing: false, verbose: false, json, maxSize: DEFAULT_MAX_TRACE_BYTES, progress: true }, ctx);
  const steps = corpus.report.traces.reduce((n, t) => n + t.steps_run, 0);
  write(`Regression corpus: ${corpus.report.traces.length} traces, ${steps} steps in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  for (const l of replaySummaryLines(corpus.report, corpus.interrupted)) write(`${l}\n`);

  let fuzz = null;
  if (!corpus.interrupted) {
    write('\n== 2. Fuzz campaign ==\n');
    fuzz = await runCampaign({ ...campaign }, ctx, ctx.out, json);
  }
  let races: MainJobRace | null = null;
  if (!corpus.interrupted && !(fuzz?.interrupted ?? false)) {
    write('\n== 3. Race campaign (the real v6.15 VMA lock) ==\n');
    races = await mainJobRace(ctx, json, race, join(dir, 'race'));
  }
  const interrupted = corpus.interrupted || (fuzz?.interrupted ?? false) || (races?.interrupted ?? false);
  const fuzzFailures = fuzz?.report.failures.length ?? 0;
  const raceFailures = races?.failures ?? 0;
  write(
    `\nMain job: corpus ${corpus.report.passed} passed, ${corpus.report.failed} failed; fuzzing ${fuzzFailures} failure(s); ` +
      `races ${raceFailures} failure(s)${races?.known ? `, ${races.known} known v6.15 defect(s)` : ''}${interrupted ? ' (interrupted)' : ''}\n`,
  );
  let code: number;
  if (interrupted) code = EXIT_INTERRUPTED;
  else if (corpus.exitCode === EXIT_BAD_INPUT || (races?.badInput ?? 0) > 0) code = EXIT_BAD_INPUT;
  else code = corpus.report.failed || fuzzFailures || raceFailures ? EXIT_FAILED : EXIT_OK;
  if (json) {
    const doc = reportJson('run', code, interrupted, { replay: corpus.report, ...(fuzz ? { fuzz: fuzz.report } : {}), ...(races ? { race: races.report } : {}) });
    ctx.out.write(`${JSON.stringify(doc, null, 2)}\n`);
  }
  return code;
}

/** The `run` command. */
export function runCommand(ctx: CliContext, setExit: ExitSetter): Command {
  return defineCommand('run', ctx)
    .summary('the main job (npm start): replay fixtures/, then the default fuzz and race campaigns')
    .description(
      'The main job, what `npm start` runs: replay every trace under fixtures/ (the oracle traces ' +
        'recorded from the C code and every saved fuzzing regression), then run the default fuzz ' +
        `campaign (seed ${DEFAULT_CAMPAIGN.seed}: ${DEFAULT_CAMPAIGN.scenarios} merge scenarios, ${DEFAULT_CAMPAIGN.runs} command sequences of up to ` +
        `${DEFAULT_CAMPAIGN.commands} commands, a fault sweep of ${DEFAULT_CAMPAIGN.sweep} layouts per operation), then replay the saved ` +
        `race regressions (fixtures/race) and run the default race campaign against the real v6.15 VMA lock for ${MAIN_JOB_RACE_SECONDS} s, ` +
        'with progress bars and summaries. A known v6.15 defect is reported as such and keeps the job green. Takes no arguments; see ' +
        '`vma-harness fuzz` and `vma-harness race` for other campaigns.',
    )
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExit status: 0 all passed (known v6.15 defects aside); 1 a corpus trace failed, or fuzzing or\n' +
        'the race campaign found a failure; 2 a corpus trace or race regression is bad input, or\n' +
        'fixtures/regressions is not writable; 130 interrupted (Ctrl-C).',
    )
    .action(async (opts: { json?: boolean }) => {
      setExit(await mainJob(ctx, opts.json === true));
    });
}
