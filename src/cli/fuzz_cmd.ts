// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `vma-harness fuzz`: the fuzz campaign.
 *
 * Three phases: merge scenarios (small layouts built around one merge
 * decision), random command sequences (fc.commands, up to M commands each,
 * N runs, fault injection among the commands), and a fault sweep (every
 * operation with the Nth qualifying call of each injection point it
 * reaches failing, K layouts per operation).  Every command is checked
 * against the reference model and the invariants.  A failure is shrunk,
 * written as a vma-trace/1 regression under fixtures/regressions/ (or DIR)
 * and shown with layout diagrams; the exit status is then 1.  A finding
 * recognised as a known v6.15 defect (src/known_defects.ts) is reported
 * with its reproducer and does not fail the campaign.
 */

import { Option, type Command } from 'commander';
import { accessSync, constants, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { faultSweepAsync, SWEEP_OPS } from '../fuzz/fault_sweep';
import { FuzzRunError, FuzzStats, runFuzzAsync, runScenarioFuzzAsync, type FuzzResult } from '../fuzz/harness';
import { MergeCoverage } from '../fuzz/coverage';
import { formatStep } from '../trace/write';
import { knownDefectTitle } from '../known_defects';
import { packageRoot, type CliContext, type Sink } from './context';
import { fcPath, fcReplayPath, intInRange, MAX_SEED, nonEmpty } from './options';
import { defineCommand, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, jsonOption, type ExitSetter } from './program';
import { progressLine } from './progress';
import { reportJson, type FuzzFailureJson, type FuzzJson } from './report';

/** The parameters of a campaign. */
export interface FuzzCampaignOptions {
  runs: number;
  commands: number;
  seed: number;
  scenarios: number;
  sweep: number;
  path?: string;
  replayPath?: string;
  sequences: boolean;
  scenariosPhase: boolean;
  regressionDir: string;
}

/** The project's fixtures/ directory. */
export function fixturesDir(): string {
  return join(packageRoot(), 'fixtures');
}

/** The default campaign (the one `vma-harness run` and `npm start` use). */
export const DEFAULT_CAMPAIGN: Readonly<FuzzCampaignOptions> = {
  runs: 70000,
  commands: 80,
  seed: 20261121,
  scenarios: 60000,
  sweep: 100,
  sequences: true,
  scenariosPhase: true,
  regressionDir: join(fixturesDir(), 'regressions'),
};

/** What a campaign did. */
export interface CampaignOutcome {
  readonly report: FuzzJson;
  readonly interrupted: boolean;
  /** 0 or 1 (the interrupt is the caller's to add). */
  readonly exitCode: number;
}

/**
 * Check that @p dir can take regression traces (creating it if needed), so
 * that a failure found after a long campaign is never lost to a bad
 * directory.  Returns what is wrong, or null.
 */
export function checkRegressionDir(dir: string): string | null {
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
    accessSync(dir, constants.W_OK);
    const probe = join(dir, `.vma-harness-probe-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOTDIR' ? 'a component of the path is not a directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : err instanceof Error ? err.message : String(err);
    return `cannot write regression traces to ${dir}: ${why}`;
  }
}

/* The JSON form of a fuzzing failure. */
function failureJson(phase: FuzzFailureJson['phase'], r: NonNullable<FuzzResult['failure']>): FuzzFailureJson {
  return {
    phase,
    seed: r.seed,
    path: r.path,
    replay_path: r.replayPath,
    steps: r.steps.map((s) => formatStep({ ...s, expect: undefined })),
    message: r.message,
    regression_file: r.regressionFile,
    regression_error: r.regressionError,
    replay_command: r.regressionFile ? `vma-harness replay ${r.regressionFile}` : null,
    reproduce_command: r.reproduce,
  };
}

/**
 * Run a campaign, writing progress and (unless @p json) its text report to
 * @p out (progress goes to stderr with --json, and is drawn only on a
 * terminal); stops early when interrupted.
 */
export async function runCampaign(o: FuzzCampaignOptions, ctx: CliContext, out: Sink, json: boolean): Promise<CampaignOutcome> {
  const text = !json;
  const write = (s: string): void => {
    if (text) out.write(s);
  };
  /* Progress: on the text stream, or on stderr with --json, and drawn only on a terminal. */
  const bar: Sink = json ? ctx.err : out;
  const tty = bar.isTTY;
  const coverage = new MergeCoverage();
  const failures: FuzzFailureJson[] = [];
  const known: { id: string; message: string }[] = [];
  const knownTitles: string[] = [];
  let commands = 0;
  let checks = 0;
  let runs = 0;
  let interrupted = false;
  const t0 = Date.now();
  const stop = ctx.interrupt;

  const phase = async (
    name: FuzzFailureJson['phase'],
    title: string,
    total: number,
    body: (onRun: (s: FuzzStats) => void) => Promise<FuzzResult>,
  ): Promise<void> => {
    if (total === 0 || interrupted) return;
    let last = 0;
    write(`${title}\n`);
    const onRun = (s: FuzzStats): void => {
      const now = Date.now();
      if (tty && (now - last > 100 || s.runs === total)) {
        last = now;
        bar.write(`\r${progressLine(s.runs, total, `${s.commands} commands`)}`);
      } else if (!tty && text && total >= 10 && s.runs % Math.ceil(total / 10) === 0) {
        write(`  ${progressLine(s.runs, total, `${s.commands} commands`)}\n`);
      }
    };
    const r = await body(onRun);
    if (tty) bar.write('\r\x1b[K');
    coverage.merge(r.stats.coverage);
    commands += r.stats.commands;
    checks += r.stats.checks;
    runs += r.stats.runs;
    if (r.interrupted) interrupted = true;
    write(`  ${r.stats.runs} runs, ${r.stats.commands} commands${r.failure ? ', FAILED' : ''}${r.interrupted ? ' (interrupted)' : ''}\n`);
    for (const k of r.known) {
      known.push({ id: k.known?.id ?? '', message: k.message });
      knownTitles.push(k.known ? knownDefectTitle(k.known) : '');
      write(`${k.message}\n`);
    }
    if (r.failure) {
      failures.push(failureJson(name, r.failure));
      /* The full report goes to the terminal whatever happened to the regression file. */
      write(`${r.failure.message}\n`);
    }
  };

  const common = { seed: o.seed, path: o.path, replayPath: o.replayPath, regressionDir: o.regressionDir, stop };
  if (o.scenariosPhase) {
    await phase('scenarios', `Merge scenarios (seed ${o.seed}):`, o.scenarios, (onRun) =>
      runScenarioFuzzAsync({ ...common, runs: o.scenarios, commands: 0, onRun }),
    );
  }
  if (o.sequences) {
    await phase('sequences', `Command sequences (seed ${o.seed}, up to ${o.commands} commands each):`, o.runs, (onRun) =>
      runFuzzAsync({ ...common, runs: o.runs, commands: o.commands, onRun, allowKnownDefects: true }),
    );
  }
  let sweepRuns = 0;
  if (o.sweep > 0 && !interrupted) {
    write(`Fault sweep (seed ${o.seed}, ${o.sweep} layouts per operation):\n`);
    let done = 0;
    const total = o.sweep * SWEEP_OPS.length;
    const sw = await faultSweepAsync(o.seed, o.sweep, stop, () => {
      done++;
      if (tty && done % 5 === 0) bar.write(`\r${progressLine(done, total)}`);
    });
    if (tty) bar.write('\r\x1b[K');
    if (sw.interrupted) interrupted = true;
    sweepRuns = sw.faultRuns;
    coverage.merge(sw.coverage);
    write(`  ${sw.scenarios} layouts, ${sw.faultRuns} runs with an injected failure${sw.failures.length ? ', FAILED' : ''}${sw.interrupted ? ' (interrupted)' : ''}\n`);
    for (const f of sw.failures.slice(0, 5)) {
      failures.push({
        phase: 'fault-sweep',
        seed: o.seed,
        path: null,
        replay_path: null,
        steps: [],
        message: f,
        regression_file: null,
        regression_error: null,
        replay_command: null,
        reproduce_command: `vma-harness fuzz --seed ${o.seed} --runs 0 --scenarios 0 --sweep ${o.sweep}`,
      });
      write(`${f}\n`);
    }
  }

  const elapsed = (Date.now() - t0) / 1000;
  const report: FuzzJson = {
    seed: o.seed,
    requested: {
      scenarios: o.scenariosPhase ? o.scenarios : 0,
      sequences: o.sequences ? o.runs : 0,
      max_commands: o.commands,
      sweep_layouts: o.sweep,
    },
    runs,
    commands,
    checks,
    fault_sweep_runs: sweepRuns,
    merge_cases: Object.fromEntries(coverage.counts),
    paths: Object.fromEntries(coverage.paths),
    merge_cases_missing: coverage.missing(),
    known_defects: known,
    failures,
    elapsed_s: Math.round(elapsed * 10) / 10,
  };
  write(`\nFuzz summary (${elapsed.toFixed(1)} s)${interrupted ? ', INTERRUPTED: partial counts' : ''}:\n`);
  write(`  runs: ${runs}   commands executed: ${commands}   invariant checks: ${checks}   fault-sweep runs: ${sweepRuns}\n`);
  write(`  merge cases and paths hit:\n`);
  for (const [c, n] of coverage.rows()) write(`    ${c.padEnd(52)} ${n}\n`);
  const missing = coverage.missing();
  if (missing.length && !interrupted) write(`  merge cases and paths NOT reached: ${missing.join(', ')}\n`);
  write(`  known v6.15 defects found: ${known.length}\n`);
  for (const t of knownTitles) write(`    known defect ${t}\n`);
  write(`  failures: ${failures.length}\n`);
  for (const f of failures) {
    if (f.regression_file) write(`  regression written: ${f.regression_file}\n`);
  }
  return { report, interrupted, exitCode: failures.length ? EXIT_FAILED : EXIT_OK };
}

interface FuzzCliOptions {
  readonly runs: number;
  readonly commands: number;
  readonly seed: number;
  readonly scenarios: number;
  readonly sweep: number;
  readonly path?: string;
  readonly replayPath?: string;
  readonly sequencesOnly?: boolean;
  readonly scenariosOnly?: boolean;
  readonly regressions?: string;
  readonly json?: boolean;
}

const MAX_RUNS = 100_000_000;

/** The `fuzz` command. */
export function fuzzCommand(ctx: CliContext, setExit: ExitSetter): Command {
  const d = DEFAULT_CAMPAIGN;
  return defineCommand('fuzz', ctx)
    .summary('property-based fuzzing of the port against the reference model')
    .description(
      'Property-based fuzzing of the port against the reference model, in three phases: (1) merge ' +
        'scenarios, small prev/middle/next layouts around one merge decision; (2) command sequences, ' +
        'random sequences of all the trace operations, fault injection included (fc.commands); (3) a fault ' +
        'sweep, every operation with the Nth qualifying call of each injection point it reaches failing. ' +
        'After every command the port must agree with the model and keep every invariant.\n\nA failure is ' +
        'shrunk, printed with its seed, path, steps and layout diagrams and the command that reproduces it, ' +
        'and written as a vma-trace/1 regression trace that `vma-harness replay` (and npm test) replays. ' +
        'A finding recognised as a known v6.15 defect is reported with its reproducer and does not fail ' +
        'the campaign.',
    )
    .addOption(new Option('--runs <N>', 'command sequences to run (phase 2)').default(d.runs).argParser(intInRange(0, MAX_RUNS)))
    .addOption(new Option('--commands <M>', 'largest number of commands in one sequence').default(d.commands).argParser(intInRange(1, 10000)))
    .addOption(new Option('--seed <S>', `the campaign's seed, 0 to ${MAX_SEED}; the same seed and options give the same campaign`).default(d.seed).argParser(intInRange(0, MAX_SEED)))
    .addOption(new Option('--scenarios <K>', 'merge scenarios to run (phase 1)').default(d.scenarios).argParser(intInRange(0, MAX_RUNS)))
    .addOption(new Option('--sweep <K>', 'random layouts per operation in the fault sweep (phase 3; 0 skips it)').default(d.sweep).argParser(intInRange(0, 100000)))
    .addOption(
      new Option('--path <P>', 'start from one failing case: the fast-check path a failure printed (give its --seed and phase option too, as its reproduce line does)').argParser(fcPath),
    )
    .addOption(
      new Option('--replay-path <R>', "with --path and --sequences-only: fc.commands' replay path a failure printed, to replay the exact command sequence").argParser(fcReplayPath),
    )
    .addOption(new Option('--sequences-only', 'run only the command sequences (phase 2)').conflicts(['scenariosOnly']))
    .addOption(new Option('--scenarios-only', 'run only the merge scenarios (phase 1)').conflicts(['sequencesOnly']))
    .addOption(
      new Option('--regressions <DIR>', 'where failing cases are written as regression traces (created if missing; checked before the campaign starts)')
        .default(d.regressionDir, 'fixtures/regressions of this package')
        .argParser(nonEmpty),
    )
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExit status: 0 no failure; 1 a failure (shrunk, printed, saved); 2 bad options or an\n' +
        'unusable --regressions directory; 130 interrupted (Ctrl-C; a partial summary is printed).\n' +
        '\nExamples:\n' +
        '  vma-harness fuzz --runs 2000 --scenarios 2000 --sweep 10 --seed 7\n' +
        '  vma-harness fuzz --json --runs 500 --scenarios 500 --sweep 0 | jq .fuzz.merge_cases\n' +
        '  vma-harness fuzz --sequences-only --commands 80 --seed 5 --path "12:3" --replay-path "AAB:C"',
    )
    .action(async (opts: FuzzCliOptions, cmd: Command) => {
      const usage = (msg: string): void => {
        cmd.error(msg, { exitCode: EXIT_BAD_INPUT, code: 'vma-harness.usage' });
      };
      if (opts.replayPath !== undefined && opts.path === undefined) usage('--replay-path needs --path (the path of the same failure)');
      if (opts.replayPath !== undefined && !opts.sequencesOnly) usage('--replay-path replays a command sequence: add --sequences-only');
      if (opts.path !== undefined && !opts.sequencesOnly && !opts.scenariosOnly) {
        usage('--path names a case of one phase: add --sequences-only or --scenarios-only (as the reproduce line printed)');
      }
      const given = (name: string): boolean => cmd.getOptionValueSource(name) === 'cli';
      if (opts.sequencesOnly && given('scenarios')) usage('--scenarios has no effect with --sequences-only');
      if (opts.scenariosOnly && (given('runs') || given('commands'))) usage('--runs and --commands have no effect with --scenarios-only');
      if ((opts.sequencesOnly || opts.scenariosOnly) && given('sweep')) usage('--sweep has no effect with --sequences-only or --scenarios-only');

      const regressionDir = given('regressions') && opts.regressions !== undefined
        ? (isAbsolute(opts.regressions) ? opts.regressions : resolve(ctx.cwd, opts.regressions))
        : d.regressionDir;
      const o: FuzzCampaignOptions = {
        runs: opts.runs,
        commands: opts.commands,
        seed: opts.seed,
        scenarios: opts.scenarios,
        sweep: opts.sequencesOnly || opts.scenariosOnly ? 0 : opts.sweep,
        path: opts.path,
        replayPath: opts.replayPath,
        sequences: opts.scenariosOnly !== true,
        scenariosPhase: opts.sequencesOnly !== true,
        regressionDir,
      };
      setExit(await fuzzMain(o, opts.json === true, ctx));
    });
}

/** Check the regression directory, run the campaign and print its report; returns the exit status. */
export async function fuzzMain(o: FuzzCampaignOptions, json: boolean, ctx: CliContext): Promise<number> {
  const dirProblem = checkRegressionDir(o.regressionDir);
  if (dirProblem !== null) {
    ctx.err.write(`vma-harness fuzz: ${dirProblem} (choose another with --regressions DIR)\n`);
    return EXIT_BAD_INPUT;
  }
  let outcome: CampaignOutcome;
  try {
    outcome = await runCampaign(o, ctx, ctx.out, json);
  } catch (err) {
    if (err instanceof FuzzRunError) {
      ctx.err.write(`vma-harness fuzz: cannot replay this case: ${err.message.replace(/^Unable to replay, got (?:wrong|invalid) path=/, '--path does not lead to a case of this campaign: ')}\n` +
        '  (use the --seed, --commands and phase option printed with the failure)\n');
      return EXIT_BAD_INPUT;
    }
    throw err;
  }
  const exitCode = outcome.interrupted ? EXIT_INTERRUPTED : outcome.exitCode;
  if (json) ctx.out.write(`${JSON.stringify(reportJson('fuzz', exitCode, outcome.interrupted, { fuzz: outcome.report }), null, 2)}\n`);
  return exitCode;
}
