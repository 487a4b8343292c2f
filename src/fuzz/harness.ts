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
import type { Trace, TraceExpect, TraceStep, VmaRow } from '../trace/types';
import { toHex } from '../trace/hex';
import { UINT_MAX, type vm_area_struct } from '../vma_internal';
import { formatStep, formatTrace } from '../trace/write';
import { TraceWorld } from '../trace/world';
import { TraceInputError } from '../trace/preconditions';
import { MergeCoverage } from './coverage';
import { drawLayouts, stepRange } from './diagram';
import { mappedIntentArbitrary, resolveIntent, type Intent } from './intents';
import { checkCommandInvariants, checkIteratorAfterAbort, MAPLE_CHECKS_FIRED, SNAP_SLOTS, snapshotTree, type TreeSnapshot } from './invariants';
import { VmaModel, type ValidateOptions } from './model';
import { KNOWN_DEFECT_PATHS } from './model/validate';
import { defectPath, recogniseKnownDefect } from './defects';
import { knownDefectTitle, type KnownDefect } from '../known_defects';
import { boundaryDiff, pageDiff } from './pages';
import { expectsAgree } from './expect_agree';
import { mergeScenarioArbitrary, scenarioSteps, type MergeScenario } from './scenarios';

/** Counters shared by the runs of a campaign. */
export class FuzzStats {
  runs = 0;
  commands = 0;
  /** Individual checks made (fields compared plus invariants). */
  checks = 0;
  /** Commands that reached a known v6.15 defect (only a probe lets them run). */
  defectsReached = 0;
  readonly coverage = new MergeCoverage();
}

/**
 * A command disagreed with the model or broke an invariant.  Its layout
 * diagrams, and so its message, are drawn when first read: shrinking a
 * failure meets it again on many candidate sequences and reports one.
 */
export class FuzzFailure extends Error {
  private drawn: string | (() => string);
  private text: string | null = null;

  constructor(
    readonly step: TraceStep,
    readonly index: number,
    readonly mismatch: FieldMismatch | null,
    readonly violations: readonly string[],
    diagram: string | (() => string),
  ) {
    super();
    this.drawn = diagram;
    this.name = 'FuzzFailure';
  }

  /** The layouts before and after the command, port and model. */
  get diagram(): string {
    if (typeof this.drawn !== 'string') this.drawn = this.drawn();
    return this.drawn;
  }

  /* The message (Error's own property, defined as an accessor below). */
  describe(): string {
    return (this.text ??= describeFailure(this.step, this.index, this.mismatch, this.violations, this.diagram));
  }
}
/* An accessor where Error keeps a data property (TypeScript will not let a class redeclare it so). */
Object.defineProperty(FuzzFailure.prototype, 'message', {
  get(this: FuzzFailure): string {
    return this.describe();
  },
  configurable: true,
});

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
 * the mm's page counters, warnings), tree shape, refcount of reachable
 * VMAs, detached frees, no leak, write-locking of changed VMAs,
 * validate_mm(), map_count, no WARN, no maple-tree check (misuse of a maple
 * state), and after a merge's abort path the iterator's position.
 */
export const INVARIANT_FAMILIES = 11;

/*
 * A merge that failed on vma_merge_existing_range()'s abort path must leave
 * the trace's iterator on the VMA being modified, so that the next VMA it
 * yields is the one after it (in the model's layout after the step).
 */
function iteratorAfterAbort(step: TraceStep, model: VmaModel, w: TraceWorld): string | null {
  if (!model.paths.includes('err:vma_merge_existing_range:abort')) return null;
  if (!('start' in step) || !('vma' in step)) return null;
  const middle = model.containing(step.start);
  if (!middle) return null;
  const next = model.after(middle.end);
  return checkIteratorAfterAbort(w.vmi, next === null ? null : next.id);
}

/*
 * Does the port's layout agree with the model's, row for row, as the
 * vma-trace/1 rows of both would (id, range, pgoff, flags, anon_vma, file,
 * vm_ops, refcount 1, write mark)?  Compares the values themselves, without
 * writing the rows out: the rows are made only when something differs, to
 * report it.  The anon_vma and the file are compared as objects, the
 * model's ids turned into the trace's objects (one array look-up, where
 * the port's objects turned into ids were two map look-ups): an object the
 * trace does not know never equals one of them, so such a VMA disagrees,
 * and the rows made to report it throw what the port's side of observe()
 * throws.  @inTree: the tree's VMAs in order, as the invariant checks
 * found them (exactly the tree's entries whenever those checks pass; when
 * they fail, the command fails whatever this says).
 */
function layoutAgrees(w: TraceWorld, model: VmaModel, inTree: readonly vm_area_struct[]): boolean {
  const segs = model.segs;
  if (inTree.length !== segs.length) return false;
  /* Most commands write-lock nothing: no look-up in an empty set then. */
  const written = model.written;
  const anyWritten = written.size !== 0;
  for (let i = 0; i < segs.length; i++) {
    const v = inTree[i];
    const s = segs[i];
    if (
      v.__id !== s.id ||
      v.vm_start !== s.start ||
      v.vm_end !== s.end ||
      v.vm_pgoff !== s.pgoff ||
      v.vm_flags !== s.flags ||
      v.anon_vma !== w.anon(s.anon) ||
      v.vm_file !== w.file(s.file) ||
      w.opsKind(v.vm_ops) !== s.ops ||
      v.vm_refcnt !== 1 ||
      (v.vm_lock_seq !== UINT_MAX) !== (anyWritten && written.has(s.id))
    ) {
      return false;
    }
  }
  return true;
}

/*
 * The layout before a command, from its snapshot (at a command's start the
 * live VMAs are exactly those in the tree), for the "before" diagram of a
 * failure.  Diagrams draw ids and ranges only; the columns a snapshot does
 * not keep are left at their defaults.
 */
function snapshotRows(snap: TreeSnapshot): VmaRow[] {
  const rows: { start: number; row: VmaRow }[] = [];
  for (let i = 0; i < snap.length; i += SNAP_SLOTS) {
    const v = snap[i] as vm_area_struct;
    const start = snap[i + 1] as number;
    const row: VmaRow = [v.__id, toHex(start), toHex(snap[i + 2] as number), toHex(snap[i + 3] as number), toHex(snap[i + 4] as bigint), null, null, 'dummy', 1, false];
    rows.push({ start, row });
  }
  return rows.sort((a, b) => a.start - b.start).map((r) => r.row);
}

/** The port under test, with the steps it has run. */
export class FuzzSystem {
  readonly world: TraceWorld;
  readonly steps: TraceStep[] = [];
  /** What the port produced for the last step (its layout only when the step failed). */
  lastExpect: TraceExpect | null = null;

  /**
   * @world: a world to run in, reset here to the state of a new one (a
   * campaign reuses one world from run to run); a new world when left out.
   */
  constructor(
    private readonly stats: FuzzStats,
    world?: TraceWorld,
  ) {
    if (world === undefined) {
      this.world = new TraceWorld();
    } else {
      world.reset();
      this.world = world;
    }
  }

  /**
   * Run one step on the port and the model; throws FuzzFailure on any
   * difference.  With @input, the replayer's validator must accept the step
   * too (the fuzzer's traces are always valid input); the fault sweep, which
   * arms failures behind the trace's back, leaves it out.  @checked: the
   * model's validate() has just accepted the step in this very state (the
   * model then takes over the outcome of its trial, see applyChecked()).
   */
  run(step: TraceStep, model: VmaModel, input?: ValidateOptions, checked = false): void {
    const w = this.world;
    w.endStep();
    /* The last command passed its checks (no leak), so the live VMAs are those in the tree. */
    const before = snapshotTree(w.mm);
    const index = this.steps.length;
    this.steps.push(step);
    if (input !== undefined) {
      try {
        /* The validator's rules read allowKnownDefects alone (RuleOptions). */
        w.check(step, input);
      } catch (err) {
        if (!(err instanceof TraceInputError)) throw err;
        throw new FuzzFailure(step, index, null, [`the replayer's validator refuses a step the model accepts: ${err.message}`], '');
      }
    }

    let actual: TraceExpect;
    try {
      const out = w.execute(step);
      actual = w.observe(step, out, false);
      if (out.vmg) this.stats.coverage.record(step.op, out.vmg);
    } catch (err) {
      throw new FuzzFailure(step, index, null, [`the port threw ${threw(err)}`], '');
    }
    this.lastExpect = actual;
    const expected = checked ? model.applyChecked(step) : model.apply(step, false);
    this.stats.coverage.recordPaths(model.paths);
    if (reachesKnownDefect(model.paths)) this.stats.defectsReached++;
    const violations: string[] = [];
    const inTree = checkCommandInvariants(w.mm, before, actual, violations);
    const iter = iteratorAfterAbort(step, model, w);
    if (iter) violations.push(iter);
    /* Everything but the layout first; the layout value by value. */
    let mismatch = expectsAgree(expected, actual) ? null : compareExpect(expected, actual);
    let agrees: boolean;
    try {
      agrees = mismatch === null && layoutAgrees(w, model, inTree);
    } catch (err) {
      throw new FuzzFailure(step, index, null, [`the port threw ${threw(err)}`], '');
    }
    this.stats.commands++;
    this.stats.checks += INVARIANT_FAMILIES;
    if (agrees && violations.length === 0) return;

    /* Something differs: compare the full expectations, rows and all, to say what. */
    try {
      actual.vmas = w.vmaRows();
    } catch (err) {
      throw new FuzzFailure(step, index, null, [`the port threw ${threw(err)}`], '');
    }
    expected.vmas = model.rows();
    mismatch = compareExpect(expected, actual);
    if (mismatch) {
      /* Say whether the memory differs page by page, or only its cut into VMAs. */
      const pages = pageDiff(expected.vmas, actual.vmas);
      if (pages) violations.push(`address space differs: ${pages}`);
      const cuts = boundaryDiff(expected.vmas, actual.vmas);
      if (cuts) violations.push(`merges differ: ${cuts}`);
    }
    if (mismatch || violations.length) {
      const portRows = actual.vmas;
      const modelRows = expected.vmas;
      const diagram = (): string => {
        const rowsBefore = snapshotRows(before);
        const range = stepRange(step, rowsBefore);
        return [
          'before:',
          drawLayouts([{ label: 'port', rows: rowsBefore }], range, step.op),
          'after:',
          drawLayouts(
            [
              { label: 'port', rows: portRows },
              { label: 'model', rows: modelRows },
            ],
            range,
            step.op,
          ),
        ].join('\n');
      };
      throw new FuzzFailure(step, index, mismatch, violations, diagram);
    }
  }

  dispose(): void {
    this.world.dispose();
  }
}

/* Did the step take one of the paths of a known v6.15 defect? */
function reachesKnownDefect(paths: readonly string[]): boolean {
  for (let i = 0; i < paths.length; i++) if (KNOWN_DEFECT_PATHS.includes(paths[i])) return true;
  return false;
}

function threw(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

interface FuzzReal {
  readonly sys: FuzzSystem;
}
interface FuzzModelState {
  readonly model: VmaModel;
  /** How steps are validated (whether known v6.15 defects may be reached). */
  readonly validate: ValidateOptions;
}

/** One fast-check command: an intent resolved against the model when it runs. */
export class OpCommand implements fc.Command<FuzzModelState, FuzzReal> {
  private resolved: TraceStep | null = null;
  /*
   * check() and run() are called back to back on the same model state:
   * the step check() resolved (and validated, which tries it on a copy of
   * the model) is kept for run(), tagged with the model and its step count.
   */
  private checkedModel: VmaModel | null = null;
  private checkedStamp = -1;
  private checkedStep: TraceStep | null = null;

  constructor(readonly intent: Intent) {}

  check(m: Readonly<FuzzModelState>): boolean {
    const step = resolveIntent(this.intent, m.model, m.validate);
    this.checkedModel = m.model;
    this.checkedStamp = m.model.stamp;
    this.checkedStep = step;
    return step !== null;
  }

  run(m: FuzzModelState, r: FuzzReal): void {
    const fresh = this.checkedModel === m.model && this.checkedStamp === m.model.stamp;
    const step = fresh ? this.checkedStep : resolveIntent(this.intent, m.model, m.validate);
    this.checkedModel = null;
    if (step === null) throw new Error('command no longer applies');
    this.resolved = step;
    r.sys.run(step, m.model, m.validate, true);
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
  /** Lets an asynchronous campaign stop early (Ctrl-C); see runFuzzAsync(). */
  readonly stop?: FuzzStop;
  /** Let commands reach the known v6.15 defects (the probe that must find them). */
  readonly allowKnownDefects?: boolean;
  /** Shrink a failure (default); off, the first failing sequence is reported as found. */
  readonly shrink?: boolean;
}

/** How an asynchronous campaign learns that it should stop. */
export interface FuzzStop {
  /** True once a stop has been asked for. */
  readonly requested: boolean;
  /** Called before each run: a chance to let pending events (signals) in. */
  pause(): Promise<void>;
}

export interface FuzzFailureReport {
  readonly seed: number;
  readonly path: string;
  /** The minimal failing sequence, as steps. */
  readonly steps: TraceStep[];
  readonly message: string;
  /** The regression trace written, if any. */
  readonly regressionFile: string | null;
  /** Why the regression trace could not be written (the message then holds the trace itself). */
  readonly regressionError: string | null;
  readonly trace: Trace;
  /** fc.commands' replay path (command sequences only). */
  readonly replayPath: string | null;
  /** The command line that re-runs the failing case. */
  readonly reproduce: string;
  /** The known v6.15 defect the failure is, if it is one (see known_defects.ts). */
  readonly known: KnownDefect | null;
}

export interface FuzzResult {
  readonly stats: FuzzStats;
  /** A failure that is not a known v6.15 defect (the campaign fails). */
  readonly failure: FuzzFailureReport | null;
  /** Findings recognised as known v6.15 defects (the campaign still passes). */
  readonly known: FuzzFailureReport[];
  /** The campaign stopped early (FuzzOptions.stop). */
  readonly interrupted: boolean;
}

type SequenceArg = Iterable<fc.Command<FuzzModelState, FuzzReal>>;

/* The arbitrary of command sequences. */
function sequenceArbitrary(commands: number, replayPath?: string): fc.Arbitrary<SequenceArg> {
  /* intentArbitrary().map((i) => new OpCommand(i)), in one arbitrary. */
  const cmdArb = mappedIntentArbitrary<fc.Command<FuzzModelState, FuzzReal>>(
    (i) => new OpCommand(i),
    (c) => (c as OpCommand).intent,
  );
  return fc.commands([cmdArb], { maxCommands: commands, size: 'max', replayPath });
}

/* One run of the command-sequence property. */
function sequenceBody(stats: FuzzStats, onRun?: (stats: FuzzStats) => void, validate: ValidateOptions = {}): (cmds: SequenceArg) => void {
  let world: TraceWorld | undefined;
  return (cmds) => {
    const sys = new FuzzSystem(stats, world);
    world = sys.world;
    const state: FuzzModelState = { model: new VmaModel(), validate };
    const real: FuzzReal = { sys };
    try {
      /*
       * What fc.modelRun() does with synchronous commands (fast-check 4's
       * ModelRunner: each command checked, then run if it applies, in
       * order), without the closure it makes per command.
       */
      for (const c of cmds) if (c.check(state)) c.run(state, real);
    } finally {
      sys.dispose();
      stats.runs++;
      onRun?.(stats);
    }
  };
}

/** The fast-check property over command sequences. */
export function fuzzProperty(
  stats: FuzzStats,
  commands: number,
  onRun?: (stats: FuzzStats) => void,
  replayPath?: string,
  validate: ValidateOptions = {},
): fc.IPropertyWithHooks<[SequenceArg]> {
  return fc.property(sequenceArbitrary(commands, replayPath), sequenceBody(stats, onRun, validate));
}

/* Runs between two chances given to @p stop (see stoppable()). */
const PAUSE_EVERY = 8;

/*
 * The same run, asynchronous: every PAUSE_EVERY runs it first lets @p stop
 * in (Ctrl-C), and it ends the campaign when asked.  The other runs return
 * at once, without a promise of their own: fast-check awaits whatever the
 * predicate returns, and a promise per run was a measurable share of a
 * campaign (a run takes ~0.2 ms; a stop is still seen within a few ms).
 */
function stoppable<T>(arb: fc.Arbitrary<T>, body: (v: T) => void, stop: FuzzStop): fc.IAsyncPropertyWithHooks<[T]> {
  let runs = 0;
  const run = (v: T): void => {
    if (stop.requested) throw new fc.PreconditionFailure(true);
    body(v);
  };
  const predicate = (v: T): Promise<void> | void => {
    if (++runs % PAUSE_EVERY === 0) return stop.pause().then(() => run(v));
    run(v);
  };
  return fc.asyncProperty(arb, predicate as (v: T) => Promise<void>);
}

/** Re-run a (shrunk) command sequence to collect its steps and the failure. */
function replayCommands(
  cmds: Iterable<fc.Command<FuzzModelState, FuzzReal>>,
  validate: ValidateOptions,
): { steps: TraceStep[]; error: unknown } {
  const stats = new FuzzStats();
  const sys = new FuzzSystem(stats);
  const state: FuzzModelState = { model: new VmaModel(), validate };
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

/**
 * Run a campaign: `runs` sequences of up to `commands` commands.  With
 * allowKnownDefects, commands may reach the known v6.15 defects: a finding
 * that is one of them is reported as known (shrunk, with its reproducer),
 * and the rest of the campaign runs on (seed + 1, + 2, ...) with the
 * commands reaching that defect held back, so that each known defect is
 * found at most once and anything else still fails the campaign.
 */
export function runFuzz(opts: FuzzOptions): FuzzResult {
  const stats = new FuzzStats();
  const known: FuzzFailureReport[] = [];
  let o = opts;
  let heldBack: string[] = [];
  for (;;) {
    const validate: ValidateOptions = { allowKnownDefects: opts.allowKnownDefects, heldBack };
    const prop = fuzzProperty(stats, o.commands, o.onRun, o.replayPath, validate);
    const r = sequenceResult(explainRunnerErrors(() => fc.check(prop, checkParams(o))), o, validate, false);
    if (!r.failure?.known) return { stats, failure: r.failure, known, interrupted: false };
    known.push(r.failure);
    heldBack = holdBack(heldBack, r.failure.known);
    o = restOf(o, r.runs);
    if (o.runs <= 0) return { stats, failure: null, known, interrupted: false };
  }
}

/** runFuzz(), stoppable through opts.stop between runs (Ctrl-C). */
export async function runFuzzAsync(opts: FuzzOptions & { readonly stop: FuzzStop }): Promise<FuzzResult> {
  const stats = new FuzzStats();
  const known: FuzzFailureReport[] = [];
  let o: FuzzOptions = opts;
  let heldBack: string[] = [];
  for (;;) {
    const validate: ValidateOptions = { allowKnownDefects: opts.allowKnownDefects, heldBack };
    const prop = stoppable(sequenceArbitrary(o.commands, o.replayPath), sequenceBody(stats, o.onRun, validate), opts.stop);
    const details = await explainRunnerErrorsAsync(() => fc.check(prop, checkParams(o)));
    const r = sequenceResult(details, o, validate, opts.stop.requested);
    if (!r.failure?.known) return { stats, failure: r.failure, known, interrupted: opts.stop.requested };
    known.push(r.failure);
    heldBack = holdBack(heldBack, r.failure.known);
    o = restOf(o, r.runs);
    if (o.runs <= 0 || opts.stop.requested) return { stats, failure: null, known, interrupted: opts.stop.requested };
  }
}

/* The defects held back once `found` was found. */
function holdBack(heldBack: readonly string[], found: KnownDefect): string[] {
  const path = defectPath(found.id);
  return path === undefined ? [...heldBack] : [...heldBack, path];
}

/* The campaign left after a known defect was found in the first `done` runs. */
function restOf(opts: FuzzOptions, done: number): FuzzOptions {
  return { ...opts, runs: opts.runs - done, seed: opts.seed + 1, path: undefined, replayPath: undefined };
}

function checkParams<T>(opts: FuzzOptions): fc.Parameters<T> {
  return { numRuns: opts.runs, seed: opts.seed, path: opts.path, endOnFailure: opts.shrink === false };
}

/** One fc.check of the sequences: its failure, if any, and the runs it made. */
interface SequencePhase {
  readonly failure: FuzzFailureReport | null;
  readonly runs: number;
}

/* Turn fast-check's verdict on command sequences into a phase result. */
function sequenceResult(details: fc.RunDetails<[SequenceArg]>, opts: FuzzOptions, validate: ValidateOptions, interrupted: boolean): SequencePhase {
  if (!details.failed || !details.counterexample) {
    rethrowRunnerError(details, interrupted);
    return { failure: null, runs: details.numRuns };
  }
  const [cmds] = details.counterexample;
  const { steps, error } = replayCommands(cmds, validate);
  /* fc.commands prints its own replay path in the counterexample. */
  const rp = /replayPath=("(?:[^"\\]|\\.)*")/.exec(String(cmds));
  const replayPath = rp ? (JSON.parse(rp[1]) as string) : undefined;
  return { failure: reportFailure('fuzz', details, steps, error, opts, replayPath), runs: details.numRuns };
}

/** Run `runs` merge scenarios (see scenarios.ts). */
export function runScenarioFuzz(opts: FuzzOptions): FuzzResult {
  const stats = new FuzzStats();
  const prop = fc.property(mergeScenarioArbitrary(), scenarioBody(stats, opts.onRun));
  return scenarioResult(stats, explainRunnerErrors(() => fc.check(prop, checkParams(opts))), opts, false);
}

/** runScenarioFuzz(), stoppable through opts.stop between runs (Ctrl-C). */
export async function runScenarioFuzzAsync(opts: FuzzOptions & { readonly stop: FuzzStop }): Promise<FuzzResult> {
  const stats = new FuzzStats();
  const prop = stoppable(mergeScenarioArbitrary(), scenarioBody(stats, opts.onRun), opts.stop);
  const details = await explainRunnerErrorsAsync(() => fc.check(prop, checkParams(opts)));
  return scenarioResult(stats, details, opts, opts.stop.requested);
}

/* One run of the merge-scenario property. */
function scenarioBody(stats: FuzzStats, onRun?: (stats: FuzzStats) => void): (sc: MergeScenario) => void {
  let world: TraceWorld | undefined;
  return (sc) => {
    const sys = new FuzzSystem(stats, world);
    world = sys.world;
    try {
      /* Each step runs on the port and the model as soon as the scenario has chosen it. */
      scenarioSteps(sc, (step, model) => sys.run(step, model, {}, true));
    } finally {
      sys.dispose();
      stats.runs++;
      onRun?.(stats);
    }
  };
}

function scenarioResult(stats: FuzzStats, details: fc.RunDetails<[MergeScenario]>, opts: FuzzOptions, interrupted: boolean): FuzzResult {
  if (!details.failed || !details.counterexample) {
    rethrowRunnerError(details, interrupted);
    return { stats, failure: null, known: [], interrupted };
  }
  const steps = scenarioSteps(details.counterexample[0]);
  const { error } = replaySteps(steps);
  return { stats, failure: reportFailure('scenario', details, steps, error, opts), known: [], interrupted };
}

/** fast-check could not run the campaign at all (a --path that leads nowhere, say). */
export class FuzzRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FuzzRunError';
  }
}

/* fast-check throws when a replay path leads nowhere: say so as a FuzzRunError. */
function asRunError(err: unknown): unknown {
  return err instanceof Error && /^Unable to replay/.test(err.message) ? new FuzzRunError(err.message) : err;
}

function explainRunnerErrors<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw asRunError(err);
  }
}

async function explainRunnerErrorsAsync<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw asRunError(err);
  }
}

/* A failed run without a counterexample is fast-check's own error, unless we interrupted it. */
function rethrowRunnerError(details: { readonly failed: boolean; readonly errorInstance?: unknown; readonly numSkips: number }, interrupted: boolean): void {
  if (!details.failed || interrupted) return;
  const e = details.errorInstance;
  throw new FuzzRunError(e instanceof Error ? e.message : `fast-check could not run the property (${details.numSkips} skipped runs)`);
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
  /* A known v6.15 defect is reported with its reproducer, not saved as a regression the port must pass. */
  const known = recogniseKnownDefect(steps, error instanceof FuzzFailure ? error : null);
  let regressionFile: string | null = null;
  let regressionError: string | null = null;
  if (opts.regressionDir !== null && !known) {
    const file = join(opts.regressionDir, `${name}.json`);
    try {
      mkdirSync(opts.regressionDir, { recursive: true });
      writeFileSync(file, formatTrace(trace));
      regressionFile = file;
    } catch (err) {
      /* The report must not be lost: it says why, and carries the trace itself. */
      regressionError = `could not write the regression trace ${file}: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  const path = details.counterexamplePath ?? '';
  const reproduce =
    kind === 'fuzz'
      ? `vma-harness fuzz --sequences-only --commands ${opts.commands} --seed ${details.seed} --path "${path}"` +
        (replayPath ? ` --replay-path "${replayPath}"` : '')
      : `vma-harness fuzz --scenarios-only --seed ${details.seed} --path "${path}"`;
  const message = [
    known ? `known v6.15 defect ${knownDefectTitle(known)}: ${known.summary}` : '',
    `${kind} failure (seed ${details.seed}, path "${path}") after ${details.numRuns} runs,`,
    `shrunk to ${steps.length} steps:`,
    ...steps.map((s, i) => `  ${String(i).padStart(3)} ${formatStep({ ...s, expect: undefined })}`),
    why,
    regressionFile ? `regression trace written to ${regressionFile} (replay: vma-harness replay ${regressionFile})` : '',
    regressionError ? `${regressionError}\nthe regression trace, to save by hand:\n${formatTrace(trace)}` : '',
    `reproduce: ${reproduce}`,
  ]
    .filter(Boolean)
    .join('\n');
  return { seed: details.seed, path, steps, message, regressionFile, regressionError, trace, replayPath: replayPath ?? null, reproduce, known };
}
