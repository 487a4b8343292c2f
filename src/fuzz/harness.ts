// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The model-based property: fast-check generates command sequences
 * (fc.commands); each command is resolved into a vma-trace/1 step, run on
 * the port and on the reference model, and after every command the port
 * must agree with the model exactly (layout page by page, returned values,
 * identities, refcounts, write marks, frees, anon_vma marks, no warnings)
 * and pass the direct invariant checks.
 *
 * When a sequence fails, fast-check shrinks it; the minimal sequence is
 * replayed once more to get its steps, written as a vma-trace/1 regression
 * whose expectations are the model's, and drawn as layout diagrams.
 */

import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareExpect, type FieldMismatch } from '../trace/compare';
import type { Trace, TraceExpect, TraceStep } from '../trace/types';
import { formatStep, formatTrace } from '../trace/write';
import { TraceWorld } from '../trace/world';
import { MergeCoverage } from './coverage';
import { drawLayouts, stepRange } from './diagram';
import { intentArbitrary, resolveIntent, type Intent } from './intents';
import { checkInvariants, MAPLE_CHECKS_FIRED, snapshotVmas } from './invariants';
import { VmaModel } from './model';
import { boundaryDiff, pageDiff } from './pages';
import { mergeScenarioArbitrary, scenarioSteps, type MergeScenario } from './scenarios';

/** Counters shared by the runs of a campaign. */
export class FuzzStats {
  runs = 0;
  commands = 0;
  /** Individual checks made (fields compared plus invariants). */
  checks = 0;
  readonly coverage = new MergeCoverage();
}

/** A command disagreed with the model or broke an invariant. */
export class FuzzFailure extends Error {
  constructor(
    readonly step: TraceStep,
    readonly index: number,
    readonly mismatch: FieldMismatch | null,
    readonly violations: readonly string[],
    readonly diagram: string,
  ) {
    super(describeFailure(step, index, mismatch, violations, diagram));
    this.name = 'FuzzFailure';
  }
}

function describeFailure(
  step: TraceStep,
  index: number,
  mismatch: FieldMismatch | null,
  violations: readonly string[],
  diagram: string,
): string {
  const lines = [`command ${index}: ${formatStep({ ...step, expect: undefined })}`];
  if (mismatch) lines.push(`  port disagrees with the model on '${mismatch.field}': model ${mismatch.expected}, port ${mismatch.actual}`);
  for (const v of violations) lines.push(`  invariant: ${v}`);
  lines.push(diagram);
  return lines.join('\n');
}

/*
 * Invariant families checked after every command: agreement with the model
 * (layout, values, identities, refcounts, write marks, frees, anon marks,
 * warnings), tree shape, refcount of reachable VMAs, detached frees, no
 * leak, write-locking of changed VMAs, validate_mm(), map_count, no WARN,
 * no maple-tree check (misuse of a maple state).
 */
export const INVARIANT_FAMILIES = 10;

/** The port under test, with the steps it has run. */
export class FuzzSystem {
  readonly world = new TraceWorld();
  readonly steps: TraceStep[] = [];
  /** What the port produced for the last step. */
  lastExpect: TraceExpect | null = null;

  constructor(private readonly stats: FuzzStats) {}

  /** Run one step on the port and the model; throws FuzzFailure on any difference. */
  run(step: TraceStep, model: VmaModel): void {
    const w = this.world;
    w.endStep();
    const before = snapshotVmas();
    const rowsBefore = w.vmaRows();
    const index = this.steps.length;
    this.steps.push(step);

    let actual: TraceExpect;
    try {
      const out = w.execute(step);
      actual = w.observe(step, out);
      if (out.vmg) this.stats.coverage.record(step.op, out.vmg);
    } catch (err) {
      const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new FuzzFailure(step, index, null, [`the port threw ${msg}`], '');
    }
    this.lastExpect = actual;
    const expected = model.apply(step);
    const violations = checkInvariants(w.mm, before, actual);
    const mismatch = compareExpect(expected, actual);
    if (mismatch) {
      /* Say whether the memory differs page by page, or only its cut into VMAs. */
      const pages = pageDiff(expected.vmas ?? [], actual.vmas ?? []);
      if (pages) violations.push(`address space differs: ${pages}`);
      const cuts = boundaryDiff(expected.vmas ?? [], actual.vmas ?? []);
      if (cuts) violations.push(`merges differ: ${cuts}`);
    }
    this.stats.commands++;
    this.stats.checks += INVARIANT_FAMILIES;
    if (mismatch || violations.length) {
      const range = stepRange(step, rowsBefore);
      const diagram = [
        'before:',
        drawLayouts([{ label: 'port', rows: rowsBefore }], range, step.op),
        'after:',
        drawLayouts(
          [
            { label: 'port', rows: actual.vmas ?? [] },
            { label: 'model', rows: expected.vmas ?? [] },
          ],
          range,
          step.op,
        ),
      ].join('\n');
      throw new FuzzFailure(step, index, mismatch, violations, diagram);
    }
  }

  dispose(): void {
    this.world.dispose();
  }
}

interface FuzzReal {
  readonly sys: FuzzSystem;
}
interface FuzzModelState {
  readonly model: VmaModel;
}

/** One fast-check command: an intent resolved against the model when it runs. */
export class OpCommand implements fc.Command<FuzzModelState, FuzzReal> {
  private resolved: TraceStep | null = null;

  constructor(readonly intent: Intent) {}

  check(m: Readonly<FuzzModelState>): boolean {
    return resolveIntent(this.intent, m.model) !== null;
  }

  run(m: FuzzModelState, r: FuzzReal): void {
    const step = resolveIntent(this.intent, m.model);
    if (step === null) throw new Error('command no longer applies');
    this.resolved = step;
    r.sys.run(step, m.model);
  }

  toString(): string {
    return this.resolved ? formatStep(this.resolved) : `${this.intent.op}(${this.intent.a},${this.intent.b},${this.intent.c},${this.intent.d},${this.intent.flags})`;
  }
}

export interface FuzzOptions {
  readonly runs: number;
  readonly commands: number;
  readonly seed: number;
  /** fast-check replay path (with the seed of the failing campaign). */
  readonly path?: string;
  /** fc.commands' own replay path, needed with `path` to replay a sequence. */
  readonly replayPath?: string;
  /** Where to write a regression trace on failure (null: do not write). */
  readonly regressionDir: string | null;
  /** Called after each run. */
  readonly onRun?: (stats: FuzzStats) => void;
}

export interface FuzzFailureReport {
  readonly seed: number;
  readonly path: string;
  /** The minimal failing sequence, as steps. */
  readonly steps: TraceStep[];
  readonly message: string;
  /** The regression trace written, if any. */
  readonly regressionFile: string | null;
  readonly trace: Trace;
}

export interface FuzzResult {
  readonly stats: FuzzStats;
  readonly failure: FuzzFailureReport | null;
}

/** The fast-check property over command sequences. */
export function fuzzProperty(
  stats: FuzzStats,
  commands: number,
  onRun?: (stats: FuzzStats) => void,
  replayPath?: string,
): fc.IPropertyWithHooks<[Iterable<fc.Command<FuzzModelState, FuzzReal>>]> {
  const cmdArb = intentArbitrary().map((i) => new OpCommand(i) as fc.Command<FuzzModelState, FuzzReal>);
  return fc.property(fc.commands([cmdArb], { maxCommands: commands, size: 'max', replayPath }), (cmds) => {
    const sys = new FuzzSystem(stats);
    try {
      fc.modelRun(() => ({ model: { model: new VmaModel() }, real: { sys } }), cmds);
    } finally {
      sys.dispose();
      stats.runs++;
      onRun?.(stats);
    }
  });
}

/** Re-run a (shrunk) command sequence to collect its steps and the failure. */
function replayCommands(cmds: Iterable<fc.Command<FuzzModelState, FuzzReal>>): { steps: TraceStep[]; error: unknown } {
  const stats = new FuzzStats();
  const sys = new FuzzSystem(stats);
  const state: FuzzModelState = { model: new VmaModel() };
  let error: unknown = null;
  try {
    for (const c of cmds) {
      if (!c.check(state)) continue;
      c.run(state, { sys });
    }
  } catch (err) {
    error = err;
  } finally {
    sys.dispose();
  }
  return { steps: sys.steps, error };
}

/** The steps with the model's expectations on every one: what a correct port does. */
export function regressionTrace(name: string, steps: readonly TraceStep[]): Trace {
  const model = new VmaModel();
  const out: TraceStep[] = steps.map((s) => {
    const plain = { ...s, expect: undefined };
    return { ...plain, expect: model.apply(plain) } as TraceStep;
  });
  return { format: 'vma-trace/1', kernel: 'v6.15', name, steps: out };
}

/** Run a campaign: `runs` sequences of up to `commands` commands. */
export function runFuzz(opts: FuzzOptions): FuzzResult {
  const stats = new FuzzStats();
  const prop = fuzzProperty(stats, opts.commands, opts.onRun, opts.replayPath);
  const details = fc.check(prop, { numRuns: opts.runs, seed: opts.seed, path: opts.path });
  if (!details.failed || !details.counterexample) return { stats, failure: null };
  const [cmds] = details.counterexample;
  const { steps, error } = replayCommands(cmds);
  /* fc.commands prints its own replay path in the counterexample. */
  const rp = /replayPath=("(?:[^"\\]|\\.)*")/.exec(String(cmds));
  const replayPath = rp ? (JSON.parse(rp[1]) as string) : undefined;
  return { stats, failure: reportFailure('fuzz', details, steps, error, opts, replayPath) };
}

/** Run `runs` merge scenarios (see scenarios.ts). */
export function runScenarioFuzz(opts: FuzzOptions): FuzzResult {
  const stats = new FuzzStats();
  const prop = fc.property(mergeScenarioArbitrary(), (sc: MergeScenario) => {
    const sys = new FuzzSystem(stats);
    const model = new VmaModel();
    try {
      for (const step of scenarioSteps(sc)) sys.run(step, model);
    } finally {
      sys.dispose();
      stats.runs++;
      opts.onRun?.(stats);
    }
  });
  const details = fc.check(prop, { numRuns: opts.runs, seed: opts.seed, path: opts.path });
  if (!details.failed || !details.counterexample) return { stats, failure: null };
  const steps = scenarioSteps(details.counterexample[0]);
  const { error } = replaySteps(steps);
  return { stats, failure: reportFailure('scenario', details, steps, error, opts) };
}

/* Run steps on a fresh port and model, returning the failure (if any). */
function replaySteps(steps: readonly TraceStep[]): { error: unknown } {
  const sys = new FuzzSystem(new FuzzStats());
  const model = new VmaModel();
  try {
    for (const s of steps) sys.run(s, model);
    return { error: null };
  } catch (err) {
    return { error: err };
  } finally {
    sys.dispose();
  }
}

interface CheckDetails {
  readonly seed: number;
  readonly numRuns: number;
  readonly counterexamplePath: string | null;
  readonly errorInstance: unknown;
}

/* Write the regression trace and describe the failure. */
function reportFailure(
  kind: 'fuzz' | 'scenario',
  details: CheckDetails,
  steps: TraceStep[],
  error: unknown,
  opts: FuzzOptions,
  replayPath?: string,
): FuzzFailureReport {
  const digest = createHash('sha1')
    .update(steps.map((st) => formatStep({ ...st, expect: undefined })).join('\n'))
    .digest('hex')
    .slice(0, 8);
  const why = error instanceof Error ? error.message : String(details.errorInstance ?? 'property failed');
  /* A failure on a maple-state misuse says so in the regression's name. */
  const maple = why.includes(MAPLE_CHECKS_FIRED) ? '-maple-misuse' : '';
  const name = `${kind}-seed${details.seed}-${steps.length}steps-${digest}${maple}`;
  const trace = regressionTrace(name, steps);
  let regressionFile: string | null = null;
  if (opts.regressionDir !== null) {
    mkdirSync(opts.regressionDir, { recursive: true });
    regressionFile = join(opts.regressionDir, `${name}.json`);
    writeFileSync(regressionFile, formatTrace(trace));
  }
  const path = details.counterexamplePath ?? '';
  const message = [
    `${kind} failure (seed ${details.seed}, path "${path}") after ${details.numRuns} runs,`,
    `shrunk to ${steps.length} steps:`,
    ...steps.map((s, i) => `  ${String(i).padStart(3)} ${formatStep({ ...s, expect: undefined })}`),
    why,
    regressionFile ? `regression trace written to ${regressionFile} (replay: vma-harness replay ${regressionFile})` : '',
    kind === 'fuzz'
      ? `reproduce: vma-harness fuzz --sequences-only --commands ${opts.commands} --seed ${details.seed} --path "${path}"` +
        (replayPath ? ` --replay-path "${replayPath}"` : '')
      : `reproduce: vma-harness fuzz --scenarios-only --seed ${details.seed} --path "${path}"`,
  ]
    .filter(Boolean)
    .join('\n');
  return { seed: details.seed, path, steps, message, regressionFile, trace };
}
