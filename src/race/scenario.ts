// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a race run executes (the "program"): for each mm an initial layout,
 * the operations of its writer, and its page-fault readers with the pages
 * they fault and how long they hold each VMA.  A program is a plain integer
 * array, like a schedule, so that fast-check shrinks it as any other value
 * and a report can print it for --program; decoding accepts any integers.
 *
 *   [mms, { inits, {a b c d}*, ops, {kind a b c d}*, readers, {faults, {page hold}*}* }*]
 */

import { prng } from '../util/prng';
import { OP_KINDS, RACE_PAGES, type OpIntent } from './ops';

/** One fault: the page (in the window) and how many steps the VMA is held. */
export interface FaultPlan {
  readonly page: number;
  readonly hold: number;
}

/** A page-fault reader: the pages it faults on and how long it holds each. */
export interface ReaderPlan {
  readonly faults: readonly FaultPlan[];
}

/** One mm: its initial mappings, its writer's operations, its readers. */
export interface MmPlan {
  /** mmap intents run before the race starts (nobody else is running then). */
  readonly initial: readonly OpIntent[];
  readonly ops: readonly OpIntent[];
  readonly readers: readonly ReaderPlan[];
}

/** A decoded program. */
export interface Scenario {
  readonly mms: readonly MmPlan[];
}

/* Limits that keep any decoded program small. */
export const MAX_MMS = 4;
const MAX_INIT = 6;
const MAX_OPS = 16;
const MAX_READERS = 4;
const MAX_FAULTS = 12;
const MAX_HOLD = 4;

/** The largest shape a program can have. */
export const MAX_SCENARIO: Readonly<ScenarioShape> = { mms: MAX_MMS, readers: MAX_READERS, ops: MAX_OPS, faults: MAX_FAULTS };
const SMALL = 256;

/** Turn an integer array into a program (total: any integers are accepted). */
export function decodeProgram(p: readonly number[]): Scenario {
  let i = 0;
  const next = (mod: number): number => {
    const v = i < p.length ? p[i] : 0;
    i++;
    return Math.abs(Math.trunc(v)) % mod;
  };
  const nMms = 1 + next(MAX_MMS);
  const mms: MmPlan[] = [];
  for (let m = 0; m < nMms; m++) {
    const initial: OpIntent[] = [];
    const nInit = next(MAX_INIT + 1);
    for (let k = 0; k < nInit; k++) initial.push({ kind: 'mmap', a: next(SMALL), b: next(SMALL), c: next(SMALL), d: next(SMALL) });
    const ops: OpIntent[] = [];
    const nOps = next(MAX_OPS + 1);
    for (let k = 0; k < nOps; k++) {
      ops.push({ kind: OP_KINDS[next(OP_KINDS.length)], a: next(SMALL), b: next(SMALL), c: next(SMALL), d: next(SMALL) });
    }
    const readers: ReaderPlan[] = [];
    const nReaders = next(MAX_READERS + 1);
    for (let r = 0; r < nReaders; r++) {
      const faults: FaultPlan[] = [];
      const nFaults = 1 + next(MAX_FAULTS);
      for (let f = 0; f < nFaults; f++) faults.push({ page: next(RACE_PAGES + 1), hold: next(MAX_HOLD + 1) });
      readers.push({ faults });
    }
    mms.push({ initial, ops, readers });
  }
  return { mms };
}

/** The integer array of a program (decodeProgram(encodeProgram(s)) equals s). */
export function encodeProgram(s: Scenario): number[] {
  const out: number[] = [s.mms.length - 1];
  for (const m of s.mms) {
    out.push(m.initial.length);
    for (const o of m.initial) out.push(o.a, o.b, o.c, o.d);
    out.push(m.ops.length);
    for (const o of m.ops) out.push(OP_KINDS.indexOf(o.kind), o.a, o.b, o.c, o.d);
    out.push(m.readers.length);
    for (const r of m.readers) {
      out.push(r.faults.length - 1);
      for (const f of r.faults) out.push(f.page, f.hold);
    }
  }
  return out;
}

/** The largest programs to generate (each program draws its sizes up to these). */
export interface ScenarioShape {
  /** mms (at least 2 are used when this allows, so that VMAs recycle across processes). */
  mms: number;
  /** Readers per mm (at least one reader in all). */
  readers: number;
  /** Operations per writer. */
  ops: number;
  /** Faults per reader. */
  faults: number;
}

/** Relative weights of the operation kinds in generated programs (OP_KINDS order). */
const OP_WEIGHTS = [5, 5, 3, 3, 2, 2, 2];

/** A random program no bigger than @shape. */
export function randomProgram(seed: number, shape: ScenarioShape): number[] {
  const rnd = prng(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const upTo = (max: number, min: number): number => min + int(Math.max(0, max - min) + 1);
  const total = OP_WEIGHTS.reduce((a, b) => a + b, 0);
  const kind = (): number => {
    let x = int(total);
    for (let k = 0; k < OP_WEIGHTS.length; k++) {
      if (x < OP_WEIGHTS[k]) return k;
      x -= OP_WEIGHTS[k];
    }
    return 0;
  };
  const nMms = upTo(Math.min(shape.mms, MAX_MMS), Math.min(2, shape.mms));
  const mms: MmPlan[] = [];
  let readersTotal = 0;
  for (let m = 0; m < nMms; m++) {
    const initial: OpIntent[] = [];
    const nInit = 1 + int(3);
    for (let k = 0; k < nInit; k++) initial.push({ kind: 'mmap', a: int(SMALL), b: int(SMALL), c: int(3), d: int(SMALL) });
    const ops: OpIntent[] = [];
    const nOps = upTo(Math.min(shape.ops, MAX_OPS), 1);
    for (let k = 0; k < nOps; k++) ops.push({ kind: OP_KINDS[kind()], a: int(SMALL), b: int(SMALL), c: int(SMALL), d: int(SMALL) });
    const readers: ReaderPlan[] = [];
    let nReaders = upTo(Math.min(shape.readers, MAX_READERS), 0);
    if (m === nMms - 1 && readersTotal === 0 && shape.readers > 0) nReaders = Math.max(1, nReaders);
    readersTotal += nReaders;
    for (let r = 0; r < nReaders; r++) {
      const faults: FaultPlan[] = [];
      const nFaults = upTo(Math.min(shape.faults, MAX_FAULTS), 1);
      for (let f = 0; f < nFaults; f++) faults.push({ page: int(RACE_PAGES), hold: int(MAX_HOLD + 1) });
      readers.push({ faults });
    }
    mms.push({ initial, ops, readers });
  }
  return encodeProgram({ mms });
}
