// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Replay vma-trace/1 traces against the port and report the first
 * difference of each.  A maple-tree check that fires (a misuse of a maple
 * state, or one of the tree's own debug checks) fails the trace at that
 * step even though `warnings` does not count it: the original harness,
 * built with the real maple tree, would have hit it there.
 */

import { isUtf8 } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { KernelBug } from '../vma_internal';
import { maple_check_count, maple_check_summary } from '../vma_internal/maple_state_check';
import { escapeControl } from '../util/escape';
import { compareExpect, type FieldMismatch } from './compare';
import { TraceFormatError } from './errors';
import { decodeTraceText, DEFAULT_MAX_TRACE_BYTES, findTraceFiles, readTraceFile, TraceFileError } from './files';
import { type LazyTrace, parseTrace, parseTraceLazily } from './parse';
import { LayoutDriftError } from './layout';
import { TraceInputError } from './preconditions';
import type { Trace, TraceStep } from './types';
import { TraceWorld } from './world';

export type TraceStatus = 'pass' | 'mismatch' | 'maple-check' | 'crash' | 'bad-input';

export interface TraceResult {
  /** The trace's name (or the file name when it could not be read). */
  readonly name: string;
  readonly source: string;
  readonly status: TraceStatus;
  /** Steps executed (all of them when it passed). */
  readonly stepsRun: number;
  /** The first difference, or what went wrong, with where. */
  readonly step: number | null;
  readonly op: string | null;
  readonly mismatch: FieldMismatch | null;
  readonly message: string | null;
  /** Nanoseconds spent in the operations themselves (the port). */
  readonly elapsedNs: bigint;
  /** Nanoseconds spent checking preconditions and keeping the validator's layout in step. */
  readonly validateNs: bigint;
}

/* Milliseconds (a double: no allocation per step) to whole nanoseconds. */
function msToNs(ms: number): bigint {
  return BigInt(Math.round(ms * 1e6));
}

/**
 * Replay a parsed trace.  elapsedNs is the time of the port's operations
 * alone (world.execute() times them), validateNs the rest of check() and
 * execute() (the validator and its layout); the comparisons are not timed.
 * performance.now() reads the same monotonic clock as process.hrtime.bigint()
 * without allocating a bigint per step.
 */
export function replayTrace(trace: Trace, source: string): TraceResult {
  return replaySteps(trace.name, source, trace.steps);
}

/** The steps of a trace, held or read one at a time (see parseTraceLazily()). */
interface StepSource {
  readonly length: number;
  readonly [index: number]: TraceStep;
}

/*
 * The two times of a replay so far.  A module function, not a closure made
 * by each replay: a new closure is a new call target, and V8 would throw
 * away the replay loop it compiled for the last one.
 */
function timesOf(world: TraceWorld, stepped: number): { elapsedNs: bigint; validateNs: bigint } {
  return { elapsedNs: msToNs(world.opMs), validateNs: msToNs(stepped - world.opMs) };
}

/* Where a replay loop is: the step it runs, the time spent in check() and execute() so far, the difference that stopped it. */
class LoopState {
  i = 0;
  /* The port's share of it is world.opMs, the rest is the validator's. */
  stepped = 0;
  mismatch: FieldMismatch | null = null;
}

/* What stopped a replay loop before the end. */
const LOOP_DONE = 0;
const LOOP_MAPLE_CHECK = 1;
const LOOP_MISMATCH = 2;

/*
 * Run steps from at.i to the end or to the first that stops the replay
 * (at.i is then that step); a thrown error leaves at.i on its step.  A
 * function of its own, entered once per replay: V8 compiles the loop, and
 * the code around it that runs once per replay (making the world, the
 * result) stays out of it, where a site that had run only once, before V8
 * gave the function its feedback, made it throw the compiled loop away at
 * every replay's start and end.
 */
function replayLoop(world: TraceWorld, steps: StepSource, at: LoopState): number {
  for (; at.i < steps.length; at.i++) {
    const step = steps[at.i];
    /*
     * The resets between steps, before every step rather than only before
     * a compared one (TRACE_FORMAT.md allows either; nothing the port
     * runs reads what they reset): the free and write logs then never
     * hold more than one step's worth.
     */
    world.endStep();
    const t0 = performance.now();
    world.check(step);
    const out = world.execute(step);
    at.stepped += performance.now() - t0;
    if (maple_check_count() !== 0) return LOOP_MAPLE_CHECK;
    if (step.expect) {
      at.mismatch = compareExpect(step.expect, world.observe(step, out));
      if (at.mismatch) return LOOP_MISMATCH;
    }
  }
  return LOOP_DONE;
}

function replaySteps(name: string, source: string, steps: StepSource): TraceResult {
  const world = new TraceWorld();
  world.timing = true;
  const at = new LoopState();
  const base = { name, source };
  try {
    const stop = replayLoop(world, steps, at);
    const i = at.i;
    if (stop === LOOP_MAPLE_CHECK) {
      return { ...base, status: 'maple-check', stepsRun: i + 1, step: i, op: steps[i].op, mismatch: null, message: maple_check_summary(), ...timesOf(world, at.stepped) };
    }
    if (stop === LOOP_MISMATCH) {
      return { ...base, status: 'mismatch', stepsRun: i + 1, step: i, op: steps[i].op, mismatch: at.mismatch, message: null, ...timesOf(world, at.stepped) };
    }
  } catch (err) {
    const i = at.i;
    const op = steps[i]?.op ?? null;
    if (err instanceof TraceInputError) {
      return { ...base, status: 'bad-input', stepsRun: i, step: i, op, mismatch: null, message: err.message, ...timesOf(world, at.stepped) };
    }
    const message =
      err instanceof KernelBug
        ? err.message
        : err instanceof LayoutDriftError
          ? `the port left the address space inconsistent: ${err.message}`
          : `${err instanceof Error ? err.name : 'error'}: ${err instanceof Error ? err.message : String(err)}`;
    return { ...base, status: 'crash', stepsRun: i + 1, step: i, op, mismatch: null, message, ...timesOf(world, at.stepped) };
  } finally {
    world.dispose();
  }
  return { ...base, status: 'pass', stepsRun: steps.length, step: null, op: null, mismatch: null, message: null, ...timesOf(world, at.stepped) };
}

/** A result for input that could not be read or parsed (bad input, exit status 2). */
export function badInput(source: string, step: number | null, op: string | null, message: string): TraceResult {
  return { name: source, source, status: 'bad-input', stepsRun: 0, step, op, mismatch: null, message, elapsedNs: 0n, validateNs: 0n };
}

/*
 * From this size on (about 300,000 steps), a trace's steps are read one at a
 * time as they are replayed rather than all held (see parseTraceLazily()):
 * the replay of a 1,000,000-step trace then holds its bytes and one step.
 */
const LAZY_TRACE_BYTES = 32 << 20;

/** Parse and replay the text of one trace; parse errors become bad-input results. */
export function replayText(text: string, source: string): TraceResult {
  let trace: Trace | LazyTrace;
  try {
    trace = (text.length >= LAZY_TRACE_BYTES ? parseTraceLazily(text, source) : null) ?? parseTrace(text, source);
  } catch (err) {
    if (err instanceof TraceFormatError) return badInput(source, err.step, err.op, err.message);
    throw err;
  }
  return replaySteps(trace.name, source, trace.steps);
}

/** Bytes handed over to replayBytes(), which empties the holder once it no longer needs them. */
export interface HeldBytes {
  bytes: Buffer;
}

const NO_BYTES = Buffer.alloc(0);

/**
 * Replay the bytes of one trace.  A long one that is valid UTF-8 and
 * plainly laid out is replayed from its bytes, a step at a time, never
 * decoded whole; anything else is decoded (the holder is emptied then, so
 * the bytes can go before the replay) and parsed as text, which names any
 * error.  The caller keeps no other reference to the bytes.
 */
export function replayBytes(held: HeldBytes, source: string): TraceResult {
  if (held.bytes.length >= LAZY_TRACE_BYTES && isUtf8(held.bytes)) {
    const lazy = parseTraceLazily(held.bytes, source);
    if (lazy !== null) return replaySteps(lazy.name, source, lazy.steps);
  }
  /*
   * No local here holds the bytes while the text is replayed: V8 counts a
   * live Buffer as external memory, and a few MiB of it held through a
   * replay made the collector run more often during the timed operations
   * (measured: fresh build-up replays 10-25 % slower).
   */
  const text = decodeHeld(held, source);
  return typeof text === 'string' ? replayText(text, source) : text;
}

/* The text of the bytes in @held, which it empties; or a bad-input result saying why there is none. */
function decodeHeld(held: HeldBytes, source: string): string | TraceResult {
  const buf = held.bytes;
  held.bytes = NO_BYTES;
  try {
    return decodeTraceText(buf);
  } catch (err) {
    if (err instanceof TraceFileError) return badInput(source, null, null, `${err.message}`);
    throw err;
  }
}

/**
 * Read, parse and replay one file (regular files of at most @p maxBytes
 * only); unreadable or malformed input becomes a bad-input result.
 * @p source names the file in messages (defaults to @p path).
 */
export function replayFile(path: string, source: string = path, maxBytes: number = DEFAULT_MAX_TRACE_BYTES): TraceResult {
  const held: HeldBytes = { bytes: NO_BYTES };
  try {
    held.bytes = readTraceFile(path, maxBytes);
  } catch (err) {
    if (err instanceof TraceFileError) return badInput(source, null, null, `${err.message}`);
    throw err;
  }
  return replayBytes(held, source);
}

/**
 * The trace files named by paths: files as given, directories searched for
 * *.json; entries that cannot be traces are left out (see findTraceFiles()
 * for the list of what was skipped and why).
 */
export function collectTraceFiles(paths: readonly string[]): string[] {
  return findTraceFiles(paths, process.cwd()).entries.flatMap((e) => (e.path === null ? [] : [e.path]));
}

/** One line describing a result, every control character from the input escaped. */
export function describeResult(r: TraceResult): string {
  const where = r.step === null ? '' : ` step ${r.step}${r.op ? ` (${escapeControl(r.op)})` : ''}:`;
  const name = escapeControl(r.name);
  const source = escapeControl(r.source);
  const message = escapeControl(r.message ?? '');
  switch (r.status) {
    case 'pass':
      return `PASS ${name}`;
    case 'mismatch': {
      const m = r.mismatch as FieldMismatch;
      return `FAIL ${name} [${source}]:${where} field '${escapeControl(m.field)}': expected ${escapeControl(m.expected)}, actual ${escapeControl(m.actual)}`;
    }
    case 'maple-check':
      return `FAIL ${name} [${source}]:${where} maple-tree check fired: ${message}`;
    case 'crash':
      return `FAIL ${name} [${source}]:${where} ${message}`;
    case 'bad-input':
      if (r.message && r.message.startsWith(r.source)) return `ERROR ${message}`;
      return `ERROR ${source}:${where} ${message}`;
  }
}
