// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `vma-harness race`: the race campaign against the real v6.15 VMA lock.
 *
 * Writers running the port's operations, page-fault readers and process
 * exit, on several mms sharing one VMA cache, interleaved one atomic step
 * at a time with every lock invariant checked after every step (src/race).
 * A finding is shrunk, printed as a column report with the command that
 * replays it (--program/--schedule), and saved as a regression file under
 * fixtures/race (or DIR).  A finding recognised as a known v6.15 defect
 * (src/known_defects.ts) is printed as such and does not fail the command.
 *
 * Exit status: 0 nothing but known v6.15 defects; 1 any other finding;
 * 2 bad options or an unusable --regressions directory; 130 interrupted.
 */

import { InvalidArgumentError, Option, type Command } from 'commander';
import { isAbsolute, resolve } from 'node:path';
import { UPSTREAM_FIXES } from '../lock/fixes';
import { describeKnown } from '../known_defects';
import { DEFAULT_RACE, type RaceCampaignOptions, type RaceCampaignResult, type SchedulerName } from '../race/campaign';
import { runRaceCampaignThreaded } from '../race/parallel';
import type { MemoryModel } from '../race/explorer';
import { raceFixturesDir } from '../race/regressions';
import { MAX_SCENARIO } from '../race/scenario';
import type { CliContext, Sink } from './context';
import { checkRegressionDir } from './fuzz_cmd';
import { intInRange, MAX_SEED } from './options';
import { defineCommand, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, jsonOption, type ExitSetter } from './program';
import { progressLine } from './progress';
import { reportJson, type RaceJson } from './report';

const ALL_STATES = [
  '0 (detached)',
  '1 (attached)',
  '2..O-1 (attached, readers)',
  'O (detaching writer, no reader)',
  'O+1 (write-locking writer, no reader)',
  'O+n (writer waiting for readers)',
];

/* A comma-separated list of non-negative integers (a program or a schedule, as a report prints it). */
function intList(value: string): number[] {
  if (!/^[0-9]{1,10}(,[0-9]{1,10})*$/.test(value)) {
    throw new InvalidArgumentError(`Expected comma-separated non-negative integers such as "1,0,3" (printed with a report), got ${JSON.stringify(value)}.`);
  }
  return value.split(',').map(Number);
}

/* An upstream fix the model can apply; repeatable. */
function upstreamFix(value: string, previous: string[] | undefined): string[] {
  if (!UPSTREAM_FIXES.some((f) => f.commit === value)) {
    throw new InvalidArgumentError(`unknown upstream fix '${value}' (known: ${UPSTREAM_FIXES.map((f) => `${f.commit} "${f.subject}"`).join('; ')}).`);
  }
  const out = [...(previous ?? [])];
  if (!out.includes(value)) out.push(value);
  return out;
}

/** The JSON form of a campaign. */
export function raceJson(o: RaceCampaignOptions, r: RaceCampaignResult): RaceJson {
  return {
    seed: o.seed,
    scheduler: o.scheduler,
    memory_model: o.memoryModel,
    fixes: [...o.fixes],
    shape: { ...o.shape },
    runs: r.runs,
    steps: r.steps,
    checks: r.checks,
    runs_cut_short: r.nestingLimited,
    refcount_states: Object.fromEntries(ALL_STATES.map((s) => [s, r.coverage.refcountStates.get(s) ?? 0])),
    reader_outcomes: Object.fromEntries([...r.coverage.readerOutcomes].sort()),
    operations: Object.fromEntries([...r.coverage.ops].sort()),
    known_defects: r.findings
      .filter((f) => f.known !== null)
      .map((f) => ({ id: (f.known as NonNullable<typeof f.known>).id, fix: (f.known as NonNullable<typeof f.known>).fix, message: f.finding.message })),
    failures: r.findings
      .filter((f) => f.known === null)
      .map((f) => ({
        kind: f.finding.kind,
        message: f.finding.message,
        run: f.run,
        program: f.program,
        schedule: f.schedule,
        report: f.report,
        regression_file: f.file,
        replay_command: replayCommand(o, f.program, f.schedule),
      })),
    elapsed_s: Math.round(r.elapsedMs / 100) / 10,
  };
}

/** The command that replays @program with @schedule under the options of @o. */
export function replayCommand(o: RaceCampaignOptions, program: readonly number[], schedule: readonly number[]): string {
  const fixes = o.fixes.map((f) => ` --fix ${f}`).join('');
  return `vma-harness race --program ${program.join(',')} --schedule ${schedule.join(',') || '0'} --memory-model ${o.memoryModel}${fixes}`;
}

/** Print a campaign's summary. */
export function printRaceSummary(o: RaceCampaignOptions, r: RaceCampaignResult, write: (s: string) => void): void {
  const secs = r.elapsedMs / 1000;
  const memory = o.memoryModel === 'sc' ? 'sequentially consistent' : 'LKMM';
  write(`\nRace summary (${secs.toFixed(1)} s, ${memory} memory${o.fixes.length ? `, fixes ${o.fixes.join(', ')}` : ', v6.15 as released'})${r.interrupted ? ', INTERRUPTED: partial counts' : ''}:\n`);
  write(`  schedules run: ${r.runs}   atomic steps: ${r.steps}   invariant checks: ${r.checks}   (${Math.round(r.steps / Math.max(secs, 1e-3))} steps/s)\n`);
  if (r.nestingLimited) write(`  runs cut short by the LIFO nesting of writers: ${r.nestingLimited}\n`);
  write('  vm_refcnt states reached:\n');
  for (const s of ALL_STATES) write(`    ${s.padEnd(40)} ${r.coverage.refcountStates.get(s) ?? 'NOT REACHED'}\n`);
  write('  reader outcomes:\n');
  for (const [k, n] of [...r.coverage.readerOutcomes].sort()) write(`    ${k.padEnd(54)} ${n}\n`);
  write(`  operations: ${[...r.coverage.ops].sort().map(([k, n]) => `${k} ${n}`).join(', ')}\n`);
  const failures = r.findings.filter((f) => f.known === null);
  for (const f of r.findings.filter((x) => x.known !== null)) {
    write(`  ${describeKnown(f.known as NonNullable<typeof f.known>)}: ${f.finding.message}\n`);
  }
  write(`  failures: ${failures.length}\n`);
  for (const f of failures) if (f.file) write(`  regression written: ${f.file}\n`);
}

/** What a campaign run from the command line did. */
export interface RaceOutcome {
  readonly result: RaceCampaignResult;
  readonly report: RaceJson;
  /** 0 or 1 (the interrupt is the caller's to add). */
  readonly exitCode: number;
}

/**
 * Run a campaign with progress (on @out, or on stderr with --json; drawn
 * only on a terminal), the reports of its findings and its summary (unless
 * @json); stops early when interrupted.
 */
export async function raceCampaignMain(o: RaceCampaignOptions, ctx: CliContext, json: boolean): Promise<RaceOutcome> {
  const write = (s: string): void => {
    if (!json) ctx.out.write(s);
  };
  const bar: Sink = json ? ctx.err : ctx.out;
  let last = Date.now();
  const total = o.timeLimitMs || 0;
  const r = await runRaceCampaignThreaded(o, ctx.interrupt, (p) => {
    const now = Date.now();
    if (bar.isTTY && now - last > 200) {
      last = now;
      const done = total ? p.elapsedMs : p.runs;
      bar.write(`\r${progressLine(Math.min(done, total || o.runs), total || o.runs, `${p.runs} schedules, ${p.steps} steps${p.findings ? `, ${p.findings} finding(s)` : ''}`)}`);
    } else if (!bar.isTTY && !json && now - last > 5000) {
      last = now;
      write(`  ${p.runs} schedules, ${p.steps} steps, ${(p.elapsedMs / 1000).toFixed(0)} s\n`);
    }
  });
  if (bar.isTTY) bar.write('\r\x1b[K');
  for (const f of r.findings) write(`\n${f.report}\n`);
  printRaceSummary(o, r, write);
  return { result: r, report: raceJson(o, r), exitCode: r.findings.some((f) => f.known === null) ? EXIT_FAILED : EXIT_OK };
}

/** Check the regression directory, run the campaign and print its report; returns the exit status. */
export async function raceMain(o: RaceCampaignOptions, json: boolean, ctx: CliContext): Promise<number> {
  if (o.regressionDir !== null) {
    const dirProblem = checkRegressionDir(o.regressionDir);
    if (dirProblem !== null) {
      ctx.err.write(`vma-harness race: ${dirProblem} (choose another with --regressions DIR)\n`);
      return EXIT_BAD_INPUT;
    }
  }
  const write = (s: string): void => {
    if (!json) ctx.out.write(s);
  };
  if (o.schedule !== undefined) write('Replaying one program with its schedule\n');
  else {
    write(
      `Race campaign: seed ${o.seed}, scheduler ${o.scheduler}, up to ${o.shape.mms} mms with ${o.shape.readers} reader(s) each, ` +
        `${o.shape.ops} operations per writer, ${o.runs} runs${o.timeLimitMs ? ` or ${o.timeLimitMs / 1000} s` : ''}\n`,
    );
  }
  const c = await raceCampaignMain(o, ctx, json);
  const code = c.result.interrupted ? EXIT_INTERRUPTED : c.exitCode;
  if (json) ctx.out.write(`${JSON.stringify(reportJson('race', code, c.result.interrupted, { race: c.report }), null, 2)}\n`);
  return code;
}

interface RaceCliOptions {
  readonly mms: number;
  readonly readers: number;
  readonly ops: number;
  readonly faults: number;
  readonly runs: number;
  readonly time: number;
  readonly seed: number;
  readonly scheduler: SchedulerName;
  readonly depth: number;
  readonly bound: number;
  readonly fix?: string[];
  readonly memoryModel: MemoryModel;
  readonly maxSteps: number;
  readonly threads: number;
  readonly program?: number[];
  readonly schedule?: number[];
  readonly regressions?: string;
  readonly keepGoing?: boolean;
  readonly fullTrace?: boolean;
  readonly json?: boolean;
}

/** The `race` command. */
export function raceCommand(ctx: CliContext, setExit: ExitSetter): Command {
  const d = DEFAULT_RACE;
  return defineCommand('race', ctx)
    .summary('race explorer: the real v6.15 VMA lock under every interleaving it reaches')
    .description(
      'Race explorer for the real v6.15 VMA lock (kernel mode): per mm a writer running the port\'s ' +
        'operations under mmap_write_lock, page-fault readers (lock_vma_under_rcu(), then the mmap-lock ' +
        'fallback) and process exit, several mms sharing one SLAB_TYPESAFE_BY_RCU VMA cache; every shared ' +
        'access of the lock is one atomic step and every lock invariant is checked after every step.\n\n' +
        'A finding is shrunk, printed as columns per actor with the violated invariant and the command ' +
        'that replays it exactly (--program/--schedule), and saved under fixtures/race. A finding that is a ' +
        'known v6.15 defect is printed as such and does not fail the command.',
    )
    .addOption(new Option('--mms <N>', 'largest number of mms (processes) in a program').default(d.shape.mms).argParser(intInRange(1, MAX_SCENARIO.mms)))
    .addOption(new Option('--readers <N>', 'largest number of page-fault readers per mm').default(d.shape.readers).argParser(intInRange(0, MAX_SCENARIO.readers)))
    .addOption(new Option('--ops <N>', 'largest number of operations per writer').default(d.shape.ops).argParser(intInRange(0, MAX_SCENARIO.ops)))
    .addOption(new Option('--faults <N>', 'largest number of faults per reader').default(d.shape.faults).argParser(intInRange(0, MAX_SCENARIO.faults)))
    .addOption(new Option('--runs <N>', 'schedules to run (programs, for dfs)').default(d.runs).argParser(intInRange(1, 100_000_000)))
    .addOption(new Option('--time <S>', 'stop after S seconds even if runs remain (0: no limit)').default(d.timeLimitMs / 1000).argParser(intInRange(0, 1_000_000)))
    .addOption(new Option('--seed <S>', `the campaign's seed, 0 to ${MAX_SEED}`).default(d.seed).argParser(intInRange(0, MAX_SEED)))
    .addOption(new Option('--scheduler <name>', 'mix (random with one PCT run in eight), random, pct, or dfs (preemption-bounded exhaustive)').choices(['mix', 'random', 'pct', 'dfs']).default(d.scheduler))
    .addOption(new Option('--depth <D>', 'PCT depth (pct)').default(d.depth).argParser(intInRange(1, 100)))
    .addOption(new Option('--bound <B>', 'largest preemption bound (dfs)').default(d.bound).argParser(intInRange(0, 20)))
    .addOption(new Option('--fix <commit>', `apply an upstream fix to the model (repeatable; known: ${UPSTREAM_FIXES.map((f) => f.commit).join(', ')})`).argParser(upstreamFix))
    .addOption(new Option('--memory-model <m>', 'lkmm (weak visibility at the lock\'s acquire/release points) or sc (sequentially consistent)').choices(['sc', 'lkmm']).default(d.memoryModel))
    .addOption(new Option('--max-steps <N>', 'atomic steps after which a run counts as a livelock').default(d.maxSteps).argParser(intInRange(100, 10_000_000)))
    .addOption(
      new Option('--threads <N>', 'worker threads for the runs (mix and random schedulers; same result for any N)').default(d.threads ?? 1).argParser(intInRange(1, 64)),
    )
    .addOption(new Option('--program <ints>', 'run exactly this program (as a report prints it)').argParser(intList))
    .addOption(new Option('--schedule <ints>', 'with --program: replay exactly this schedule').argParser(intList))
    .addOption(new Option('--regressions <DIR>', 'where shrunk findings are saved (created if missing)').default(raceFixturesDir(), 'fixtures/race of this package'))
    .addOption(new Option('--keep-going', 'do not stop at the first finding'))
    .addOption(new Option('--full-trace', 'reports show every step, not only those around the failing actor'))
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExit status: 0 no finding but known v6.15 defects; 1 a finding (shrunk, printed, saved);\n' +
        '2 bad options or an unusable --regressions directory; 130 interrupted (Ctrl-C).\n' +
        '\nExamples:\n' +
        '  vma-harness race --runs 5000 --time 0 --seed 7\n' +
        '  vma-harness race --scheduler dfs --bound 2 --mms 2 --readers 1 --ops 2\n' +
        '  vma-harness race --fix 9bbffee67ffd --time 20\n' +
        '  vma-harness race --program 1,1,38,71,0,0 --schedule 0,2,0,1 --memory-model lkmm',
    )
    .action(async (opts: RaceCliOptions, cmd: Command) => {
      if (opts.schedule !== undefined && opts.program === undefined) {
        cmd.error('--schedule needs --program (the report prints both)', { exitCode: EXIT_BAD_INPUT, code: 'vma-harness.usage' });
      }
      const given = cmd.getOptionValueSource('regressions') === 'cli' && opts.regressions !== undefined;
      const regressionDir = given ? (isAbsolute(opts.regressions as string) ? (opts.regressions as string) : resolve(ctx.cwd, opts.regressions as string)) : raceFixturesDir();
      const o: RaceCampaignOptions = {
        ...d,
        seed: opts.seed,
        runs: opts.runs,
        timeLimitMs: opts.time * 1000,
        shape: { mms: opts.mms, readers: opts.readers, ops: opts.ops, faults: opts.faults },
        scheduler: opts.scheduler,
        depth: opts.depth,
        bound: opts.bound,
        fixes: opts.fix ?? [],
        memoryModel: opts.memoryModel,
        maxSteps: opts.maxSteps,
        threads: opts.threads,
        stopAtFirst: opts.keepGoing !== true,
        /* A replay shows its finding; only a search saves one. */
        regressionDir: opts.schedule !== undefined ? null : regressionDir,
        fullTrace: opts.fullTrace === true,
        program: opts.program,
        schedule: opts.schedule,
      };
      setExit(await raceMain(o, opts.json === true, ctx));
    });
}
