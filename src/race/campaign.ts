// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A race campaign: many runs of generated programs under a scheduler, every
 * invariant checked after every atomic step; a finding is shrunk with
 * fast-check (program and schedule are plain integer arrays), replayed with a
 * trace for the report, matched against the known v6.15 defects, and saved
 * as a regression file.
 *
 * Schedulers: 'random' and 'pct' (strategy.ts); 'mix' (the default: seven
 * random runs to one PCT run of depth 2, 3 or 4; half the programs small,
 * half of every size up to the shape); 'dfs': for each program, every schedule with at most b
 * preemptions, b = 0, 1, … up to the bound, reporting the smallest b at
 * which a finding appears (iterative context bounding, as CHESS does).
 */

import * as lock_module from '../lock';
import * as port_module from '../mm/vma';
import { describeKnown, knownRaceDefect, type KnownDefect } from '../known_defects';
import { Explorer, mergeCoverage, newCoverage, type Finding, type MemoryModel, type RaceKernel, type RunCoverage, type RunResult } from './explorer';
import type { RacePort } from './ops';
import { formatReport, summary } from './report';
import { decodeProgram, randomProgram, type ScenarioShape } from './scenario';
import { PctStrategy, RandomStrategy, ReplayStrategy, type Strategy } from './strategy';
import { dfsExplore } from './dfs';
import { sameFailure, shrinkRace, type Shrunk } from './shrink';
import { saveRegression } from './regressions';

/** The schedulers a campaign can use. */
export type SchedulerName = 'mix' | 'random' | 'pct' | 'dfs';

/** The parameters of a race campaign. */
export interface RaceCampaignOptions {
  seed: number;
  /** Runs (programs × schedules) to try; for dfs, programs. */
  runs: number;
  /** Stop after this many milliseconds even if runs remain (0: no limit). */
  timeLimitMs: number;
  shape: ScenarioShape;
  scheduler: SchedulerName;
  /** PCT depth (pct), or the largest preemption bound (dfs). */
  depth: number;
  bound: number;
  fixes: string[];
  memoryModel: MemoryModel;
  maxSteps: number;
  /** How many replays, and how many milliseconds, shrinking may use. */
  shrinkBudget: number;
  shrinkTimeMs: number;
  /** Stop at the first finding that is not a known defect. */
  stopAtFirst: boolean;
  /** Stop at the first known defect too. */
  stopAtKnown?: boolean;
  /** Where shrunk findings are saved (null: not saved). */
  regressionDir: string | null;
  /** Reports show every step (not only those around the failing actor). */
  fullTrace?: boolean;
  /** Replay exactly this program (and schedule) instead of generating. */
  program?: number[];
  schedule?: number[];
  /** The lock port and the mm/vma port to run (defaults: src/lock, src/mm/vma). */
  kernel?: RaceKernel;
  port?: RacePort;
  /**
   * Worker threads for the runs (runRaceCampaignThreaded() in parallel.ts;
   * default 1: none).  The result does not depend on it.
   */
  threads?: number;
}

/** The default campaign of `vma-harness race` and of the main job. */
export const DEFAULT_RACE: RaceCampaignOptions = {
  seed: 20261121,
  runs: 40000,
  timeLimitMs: 40000,
  shape: { mms: 3, readers: 3, ops: 4, faults: 4 },
  scheduler: 'mix',
  depth: 3,
  bound: 3,
  fixes: [],
  memoryModel: 'lkmm',
  maxSteps: 50000,
  shrinkBudget: 1500,
  shrinkTimeMs: 4000,
  stopAtFirst: true,
  regressionDir: null,
};

/** A finding of the campaign, shrunk and described. */
export interface CampaignFinding {
  readonly finding: Finding;
  readonly known: KnownDefect | null;
  readonly program: number[];
  readonly schedule: number[];
  readonly report: string;
  /** The run index and time at which it was first seen. */
  readonly run: number;
  readonly elapsedMs: number;
  /** dfs: the smallest preemption bound at which it appeared. */
  readonly bound: number | null;
  readonly file: string | null;
}

/** What a campaign did. */
export interface RaceCampaignResult {
  readonly runs: number;
  readonly steps: number;
  readonly checks: number;
  readonly elapsedMs: number;
  readonly findings: CampaignFinding[];
  readonly coverage: RunCoverage;
  /** Runs cut short by the LIFO nesting of two writers. */
  readonly nestingLimited: number;
  /** Stopped early on request (Ctrl-C): the counts are partial. */
  readonly interrupted: boolean;
}

/** A request to stop (Ctrl-C), and a way to let the event loop deliver it. */
export interface StopRequest {
  readonly requested: boolean;
  pause(): Promise<void>;
}

/** Progress of a running campaign. */
export interface CampaignProgress {
  readonly runs: number;
  readonly steps: number;
  readonly elapsedMs: number;
  readonly findings: number;
}

const DEFAULT_KERNEL: RaceKernel = lock_module;
const DEFAULT_PORT: RacePort = port_module;

/** One run of @program under @strategy. */
export function runOnce(o: RaceCampaignOptions, program: readonly number[], strategy: Strategy, trace = false): RunResult {
  return new Explorer({
    kernel: o.kernel ?? DEFAULT_KERNEL,
    port: o.port ?? DEFAULT_PORT,
    program: decodeProgram(program),
    strategy,
    fixes: o.fixes,
    memoryModel: o.memoryModel,
    maxSteps: o.maxSteps,
    trace,
  }).run();
}

/** Replay @program with @schedule (then the default choices). */
export function replay(o: RaceCampaignOptions, program: readonly number[], schedule: readonly number[], trace = false): RunResult {
  return runOnce(o, program, new ReplayStrategy(schedule), trace);
}

/** Shrink a failing run of @program (see shrink.ts). */
export function shrink(o: RaceCampaignOptions, program: number[], r: RunResult, f: Finding): Shrunk {
  return shrinkRace((p, st) => runOnce(o, p, st), program, r, f, o.shrinkBudget, o.seed, o.shrinkTimeMs);
}

/** The strategy of run @i of a campaign (@stepsEstimate: see CampaignBook.estimate). */
export function strategyFor(o: RaceCampaignOptions, i: number, runSeed: number, stepsEstimate: number): Strategy {
  switch (o.scheduler) {
    case 'random':
      return new RandomStrategy(runSeed);
    case 'pct':
      return new PctStrategy(runSeed, o.depth, stepsEstimate);
    default:
      return i % 8 === 7 ? new PctStrategy(runSeed, 2 + ((i >> 3) % 3), stepsEstimate) : new RandomStrategy(runSeed);
  }
}

/** Does the strategy of run @i use the running estimate of a run's length (the PCT runs)? */
export function usesEstimate(o: RaceCampaignOptions, i: number): boolean {
  return o.scheduler === 'pct' || (o.scheduler !== 'random' && i % 8 === 7);
}

/** The running estimate of a run's length after a run of @steps steps (PCT spreads its change points over it). */
export function nextEstimate(estimate: number, steps: number): number {
  return Math.round(0.9 * estimate + 0.1 * Math.max(20, steps));
}

/** The estimate before the first run. */
export const FIRST_ESTIMATE = 300;

/** The program of run @i. */
export function programFor(o: RaceCampaignOptions, i: number, runSeed: number): number[] {
  if (o.program !== undefined) return o.program;
  /* Small programs most of the time: races need few actors, and small runs are fast. */
  const s = o.shape;
  const small: ScenarioShape = { mms: Math.min(2, s.mms), readers: 1, ops: Math.min(2, s.ops), faults: Math.min(3, s.faults) };
  return randomProgram(runSeed, i % 2 === 1 ? s : small);
}

/** The seed of run @i. */
export function seedOf(o: RaceCampaignOptions, i: number): number {
  return (Math.imul(o.seed, 1000003) + Math.imul(i + 1, 0x9e3779b1)) >>> 0;
}

/** Run a campaign. */
export function runRaceCampaign(o: RaceCampaignOptions, progress?: (p: CampaignProgress) => void): RaceCampaignResult {
  const g = campaignRuns(o, progress);
  for (;;) {
    const r = g.next(false);
    if (r.done) return r.value;
  }
}

/** Run a campaign that stops early when @stop is requested (checked between runs); in this thread (parallel.ts spreads one over threads). */
export async function runRaceCampaignAsync(o: RaceCampaignOptions, stop: StopRequest, progress?: (p: CampaignProgress) => void): Promise<RaceCampaignResult> {
  const g = campaignRuns(o, progress);
  let r = g.next(stop.requested);
  while (!r.done) {
    await stop.pause();
    r = g.next(stop.requested);
  }
  return r.value;
}

/** A run's counts, as a campaign adds them up. */
export type RunTally = Pick<RunResult, 'steps' | 'checks' | 'nestingLimited' | 'coverage'>;

/**
 * The bookkeeping of a campaign: counts, coverage, findings (shrunk,
 * replayed with a trace, reported, matched against the known defects,
 * saved).  Runs are accounted in the order of their index, whoever ran
 * them (this thread, or a worker: parallel.ts).
 */
export class CampaignBook {
  readonly t0 = Date.now();
  runs = 0;
  steps = 0;
  checks = 0;
  nesting = 0;
  /** A running estimate of a run's length in steps (PCT's change points). */
  estimate = FIRST_ESTIMATE;
  readonly coverage = newCoverage();
  readonly findings: CampaignFinding[] = [];
  private readonly knownSeen = new Set<string>();

  constructor(private readonly o: RaceCampaignOptions) {}

  /** Has the campaign's time run out? */
  timeUp(): boolean {
    return this.o.timeLimitMs > 0 && Date.now() - this.t0 > this.o.timeLimitMs;
  }

  /** Add a run's counts. */
  account(r: RunTally): void {
    this.runs++;
    this.steps += r.steps;
    this.checks += r.checks;
    if (r.nestingLimited) this.nesting++;
    mergeCoverage(this.coverage, r.coverage);
    this.estimate = nextEstimate(this.estimate, r.steps);
  }

  /** A run found something: shrink, report, save; true when the campaign should stop. */
  handle(r: RunResult, program: number[], run: number, strategy: string, bound: number | null): boolean {
    const o = this.o;
    const f = r.finding as Finding;
    const known = knownRaceDefect(summary(f));
    if (known !== null && this.knownSeen.has(known.id)) return false;
    if (known !== null) this.knownSeen.add(known.id);
    const elapsedMs = Date.now() - this.t0;
    /* A replay is reported as given; anything found by search is shrunk first. */
    const sh = strategy === 'replay' ? { program, schedule: [...(o.schedule ?? [])], evaluations: 0 } : shrink(o, program, r, f);
    const rep = replay(o, sh.program, sh.schedule, true);
    const shown = rep.finding !== null && sameFailure(rep, f) ? rep.finding : f;
    const report = formatReport({
      finding: shown,
      program: sh.program,
      schedule: sh.schedule,
      scenario: decodeProgram(sh.program),
      replay: rep,
      seed: o.seed,
      strategy,
      runs: run + 1,
      fixes: o.fixes,
      memoryModel: o.memoryModel,
      known: known === null ? null : describeKnown(known),
      full: o.fullTrace ?? false,
    });
    const file =
      o.regressionDir !== null && known === null
        ? saveRegression(o.regressionDir, {
            program: sh.program,
            schedule: sh.schedule,
            fixes: o.fixes,
            memoryModel: o.memoryModel,
            found: { kind: shown.kind, message: shown.message },
            expectKnown: null,
          })
        : null;
    this.findings.push({ finding: shown, known, program: sh.program, schedule: sh.schedule, report, run, elapsedMs, bound, file });
    return known === null ? o.stopAtFirst : o.stopAtKnown === true;
  }

  /** Progress so far. */
  progress(): CampaignProgress {
    return { runs: this.runs, steps: this.steps, elapsedMs: Date.now() - this.t0, findings: this.findings.length };
  }

  /** The campaign's result. */
  result(interrupted: boolean): RaceCampaignResult {
    return {
      runs: this.runs,
      steps: this.steps,
      checks: this.checks,
      elapsedMs: Date.now() - this.t0,
      findings: this.findings,
      coverage: this.coverage,
      nestingLimited: this.nesting,
      interrupted,
    };
  }
}

/*
 * The campaign, yielding after every run; the value sent back says whether
 * to stop.
 */
function* campaignRuns(o: RaceCampaignOptions, progress?: (p: CampaignProgress) => void): Generator<void, RaceCampaignResult, boolean> {
  const book = new CampaignBook(o);
  let interrupted = false;
  if (o.program !== undefined && o.schedule !== undefined) {
    const r = replay(o, o.program, o.schedule, false);
    book.account(r);
    if (r.finding !== null) book.handle(r, o.program, 0, 'replay', null);
  } else if (o.scheduler === 'dfs') {
    for (let i = 0; i < o.runs; i++) {
      if (book.timeUp()) break;
      const program = programFor(o, i, seedOf(o, i));
      const d = dfsExplore((sched) => runOnce(o, program, new ReplayStrategy(sched)), o.bound, (r) => book.account(r));
      if (d.failing !== null && book.handle(d.failing, program, i, `dfs (preemption bound ${d.bound})`, d.bound)) break;
      progress?.(book.progress());
      if (yield) {
        interrupted = true;
        break;
      }
    }
  } else {
    for (let i = 0; i < o.runs; i++) {
      if (book.timeUp()) break;
      const runSeed = seedOf(o, i);
      const program = programFor(o, i, runSeed);
      const strategy = strategyFor(o, i, runSeed, book.estimate);
      const r = runOnce(o, program, strategy);
      book.account(r);
      if (r.finding !== null && book.handle(r, program, i, `${strategy.name} (run ${i})`, null)) break;
      if (progress && (i & 63) === 0) progress(book.progress());
      if (yield) {
        interrupted = true;
        break;
      }
    }
  }
  return book.result(interrupted);
}
