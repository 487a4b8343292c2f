// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Replay vma-trace/1 traces against the port and report the first
 * difference of each.  A maple-tree check that fires (a misuse of a maple
 * state, or one of the tree's own debug checks) fails the trace at that
 * step even though `warnings` does not count it: the original harness,
 * built with the real maple tree, would have hit it there.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { KernelBug } from '../vma_internal';
import { maple_check_count, maple_check_summary } from '../vma_internal/maple_state_check';
import { compareExpect, type FieldMismatch } from './compare';
import { TraceFormatError } from './errors';
import { parseTrace } from './parse';
import { TraceInputError } from './preconditions';
import type { Trace } from './types';
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
  /** Nanoseconds spent in the operations themselves. */
  readonly elapsedNs: bigint;
}

/** Replay a parsed trace. */
export function replayTrace(trace: Trace, source: string): TraceResult {
  const world = new TraceWorld();
  let elapsed = 0n;
  let i = 0;
  const base = { name: trace.name, source };
  try {
    for (; i < trace.steps.length; i++) {
      const step = trace.steps[i];
      if (step.expect) world.endStep();
      world.check(step);
      const t0 = process.hrtime.bigint();
      const out = world.execute(step);
      elapsed += process.hrtime.bigint() - t0;
      if (maple_check_count() !== 0) {
        return { ...base, status: 'maple-check', stepsRun: i + 1, step: i, op: step.op, mismatch: null, message: maple_check_summary(), elapsedNs: elapsed };
      }
      if (step.expect) {
        const actual = world.observe(step, out);
        const mismatch = compareExpect(step.expect, actual);
        if (mismatch) {
          return { ...base, status: 'mismatch', stepsRun: i + 1, step: i, op: step.op, mismatch, message: null, elapsedNs: elapsed };
        }
      }
    }
  } catch (err) {
    const op = trace.steps[i]?.op ?? null;
    if (err instanceof TraceInputError) {
      return { ...base, status: 'bad-input', stepsRun: i, step: i, op, mismatch: null, message: err.message, elapsedNs: elapsed };
    }
    const message = err instanceof KernelBug ? err.message : `${err instanceof Error ? err.name : 'error'}: ${err instanceof Error ? err.message : String(err)}`;
    return { ...base, status: 'crash', stepsRun: i + 1, step: i, op, mismatch: null, message, elapsedNs: elapsed };
  } finally {
    world.dispose();
  }
  return { ...base, status: 'pass', stepsRun: trace.steps.length, step: null, op: null, mismatch: null, message: null, elapsedNs: elapsed };
}

/** Read, parse and replay one file; parse errors become bad-input results. */
export function replayFile(path: string): TraceResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return { name: path, source: path, status: 'bad-input', stepsRun: 0, step: null, op: null, mismatch: null, message: `cannot read file: ${msg}`, elapsedNs: 0n };
  }
  let trace: Trace;
  try {
    trace = parseTrace(text, path);
  } catch (err) {
    if (err instanceof TraceFormatError) {
      return { name: path, source: path, status: 'bad-input', stepsRun: 0, step: err.step, op: err.op, mismatch: null, message: err.message, elapsedNs: 0n };
    }
    throw err;
  }
  return replayTrace(trace, path);
}

/** The trace files named by paths: files as given, directories searched for *.json. */
export function collectTraceFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (name.endsWith('.json')) out.push(p);
    }
  };
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      out.push(p); /* reported as unreadable by replayFile() */
      continue;
    }
    if (st.isDirectory()) walk(p);
    else out.push(p);
  }
  return out;
}

/** One line describing a non-passing result. */
export function describeResult(r: TraceResult): string {
  const where = r.step === null ? '' : ` step ${r.step}${r.op ? ` (${r.op})` : ''}:`;
  switch (r.status) {
    case 'pass':
      return `PASS ${r.name}`;
    case 'mismatch': {
      const m = r.mismatch as FieldMismatch;
      return `FAIL ${r.name} [${r.source}]:${where} field '${m.field}': expected ${m.expected}, actual ${m.actual}`;
    }
    case 'maple-check':
      return `FAIL ${r.name} [${r.source}]:${where} maple-tree check fired: ${r.message}`;
    case 'crash':
      return `FAIL ${r.name} [${r.source}]:${where} ${r.message}`;
    case 'bad-input':
      if (r.message && r.message.startsWith(r.source)) return `ERROR ${r.message}`;
      return `ERROR ${r.source}:${where} ${r.message}`;
  }
}
