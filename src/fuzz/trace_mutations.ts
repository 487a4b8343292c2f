// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A fuzz target for the replayer itself: fast-check takes valid traces and
 * mutates them (steps dropped, duplicated or swapped, keys removed or
 * added, values retyped, numbers and ids perturbed, hex text bent, the op
 * renamed, expectations dropped, the text truncated or a byte changed),
 * and every mutated trace must end as a result of the replayer (pass,
 * mismatch, crash of the port or bad input: exit 0, 1 or 2) within a time
 * bound, never with an exception escaping it.
 *
 * A hang cannot be caught from inside a synchronous replay, so the target
 * is meant to run in a process of its own (see tests/cli/replay_fuzz.test.ts):
 * it writes each input to a file before replaying it, so that whoever
 * kills it after a timeout can say which input hung.
 */

import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { describeResult, replayText, type TraceStatus } from '../trace/replay';

/** One mutation: a kind and three numbers that pick where and what. */
export interface TraceMutation {
  readonly kind: MutationKind;
  readonly a: number;
  readonly b: number;
  readonly c: number;
}

const KINDS = [
  'drop',
  'duplicate',
  'swap',
  'delete-key',
  'add-key',
  'retype',
  'number',
  'hex',
  'rename-op',
  'drop-expect',
  'truncate',
  'byte',
] as const;

export type MutationKind = (typeof KINDS)[number];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const OPS = ['alloc_and_link', 'merge_new', 'merge_existing', 'modify_flags', 'expand', 'shrink', 'split', 'munmap', 'mmap', 'merge_extend', 'copy_vma', 'brk', 'frob'];
const NUMBERS = [0, 1, -1, 2, 7, 9, 255, 4096, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 1e308, 1.5, -0.5];
const HEX = ['0x0', '0x1', '0x1000', '0xfff', '0x7ffffffff000', '0x800000000000', '0x1fffffffffffff', '0x20000000000000', '0xffffffffffffffff', '0x10000000000000000', '0x', '-0x1000', '0X1000', '0x1000 ', '0x01000', 'garbage'];
const VALUES: Json[] = [null, true, false, 0, -1, 'x', [], {}, [1, 2], { a: 1 }];

/** The arbitrary of mutation lists (one to three mutations). */
export function mutationsArbitrary(): fc.Arbitrary<TraceMutation[]> {
  const m = fc.record({
    kind: fc.constantFrom(...KINDS),
    a: fc.nat({ max: 1 << 20 }),
    b: fc.nat({ max: 1 << 20 }),
    c: fc.nat({ max: 1 << 20 }),
  });
  return fc.array(m, { minLength: 1, maxLength: 3 });
}

function pick<T>(xs: readonly T[], n: number): T {
  return xs[n % xs.length];
}

function isObj(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/* Bend a hex string: another canonical value, a digit changed, or one of the odd ones. */
function bendHex(s: string, m: TraceMutation): string {
  switch (m.b % 3) {
    case 0:
      return pick(HEX, m.c);
    case 1: {
      const i = 2 + (m.c % Math.max(1, s.length - 2));
      return s.slice(0, i) + pick(['0', '1', 'f', 'g', '8', ''], m.c >> 3) + s.slice(i + 1);
    }
    default: {
      const v = BigInt(/^0x[0-9a-f]+$/.test(s) ? s : '0x0');
      const delta = BigInt(pick([1, 4095, 4096, 0x100000, 2 ** 40], m.c)) * (m.c & 1 ? -1n : 1n);
      const r = v + delta;
      return r < 0n ? `-0x${(-r).toString(16)}` : `0x${r.toString(16)}`;
    }
  }
}

/* Apply one mutation to the document in place (structural kinds). */
function mutateDoc(doc: { [k: string]: Json }, m: TraceMutation): void {
  const steps = Array.isArray(doc.steps) ? doc.steps : null;
  if (steps === null || steps.length === 0) return;
  const i = m.a % steps.length;
  const step = steps[i];
  switch (m.kind) {
    case 'drop':
      steps.splice(i, 1);
      return;
    case 'duplicate':
      steps.splice(i, 0, JSON.parse(JSON.stringify(step)) as Json);
      return;
    case 'swap': {
      const j = m.b % steps.length;
      [steps[i], steps[j]] = [steps[j], steps[i]];
      return;
    }
    case 'drop-expect':
      if (isObj(step)) delete step.expect;
      return;
    case 'rename-op':
      if (isObj(step)) step.op = pick(OPS, m.b);
      return;
    default:
      break;
  }
  if (!isObj(step)) return;
  const keys = Object.keys(step).filter((k) => k !== 'expect');
  const key = pick(keys, m.b);
  switch (m.kind) {
    case 'delete-key':
      delete step[key];
      return;
    case 'add-key':
      step[pick(['vma', 'next', 'len', 'extra', 'start', 'anon'], m.b)] = pick(VALUES, m.c);
      return;
    case 'retype':
      step[key] = pick(VALUES, m.c);
      return;
    case 'number': {
      /* An id or count: in the step or in its expectation. */
      const nums = keys.filter((k) => typeof step[k] === 'number');
      if (nums.length) step[pick(nums, m.b)] = pick(NUMBERS, m.c);
      else if (isObj(step.expect) && typeof step.expect.map_count === 'number') step.expect.map_count = pick(NUMBERS, m.c);
      return;
    }
    case 'hex': {
      const hexes = keys.filter((k) => typeof step[k] === 'string' && String(step[k]).startsWith('0x'));
      if (hexes.length) {
        const k = pick(hexes, m.b);
        step[k] = bendHex(String(step[k]), m);
      }
      return;
    }
    default:
      return;
  }
}

/** The text of @p base after @p mutations (structural ones on the JSON, textual ones on the text). */
export function mutateTrace(base: string, mutations: readonly TraceMutation[]): string {
  const doc = JSON.parse(base) as { [k: string]: Json };
  for (const m of mutations) if (m.kind !== 'truncate' && m.kind !== 'byte') mutateDoc(doc, m);
  let text = JSON.stringify(doc);
  for (const m of mutations) {
    if (m.kind === 'truncate') text = text.slice(0, m.a % (text.length + 1));
    if (m.kind === 'byte') {
      const i = m.a % Math.max(1, text.length);
      text = text.slice(0, i) + pick(['"', '{', ']', ',', '\\', '\u0000', '\u001b', '9', 'e', '\ud800'], m.b) + text.slice(i + 1);
    }
  }
  return text;
}

/** What a run of the replay fuzz target found. */
export interface ReplayFuzzSummary {
  readonly runs: number;
  /** How many mutated traces ended with each status. */
  readonly statuses: Record<TraceStatus, number>;
  /** The slowest replay, in milliseconds. */
  readonly slowestMs: number;
  /** Distinct crash messages that are JavaScript errors rather than a KernelBug (bad input reaching the port). */
  readonly jsErrors: string[];
  /**
   * Every distinct crash message (JavaScript error, KernelBug, a port that
   * left the layout inconsistent, a maple-tree check), with the mutated
   * trace that produced it first: on a faithful port, any of them from
   * input is a validator gap.
   */
  readonly crashes: string[];
  /** The property's failure (an exception escaped, or too slow), shrunk; null when none. */
  readonly failure: string | null;
}

/**
 * Replay @p runs mutated versions of the traces @p bases, each within
 * @p limitMs; each input is written to @p inputFile first.
 */
export function replayFuzz(bases: readonly string[], opts: { seed: number; runs: number; limitMs: number; inputFile: string }): ReplayFuzzSummary {
  const statuses: Record<TraceStatus, number> = { pass: 0, mismatch: 0, 'maple-check': 0, crash: 0, 'bad-input': 0 };
  const jsErrors = new Set<string>();
  const crashes = new Map<string, string>();
  let slowest = 0;
  let runs = 0;
  const prop = fc.property(fc.nat({ max: bases.length - 1 }), mutationsArbitrary(), (b, muts) => {
    const text = mutateTrace(bases[b], muts);
    writeFileSync(opts.inputFile, text);
    const t0 = Date.now();
    const r = replayText(text, 'mutated.json');
    const ms = Date.now() - t0;
    runs++;
    statuses[r.status]++;
    slowest = Math.max(slowest, ms);
    if (r.status === 'crash' || r.status === 'maple-check') {
      const key = (r.message ?? '').replace(/0x[0-9a-f]+/g, '0x…').replace(/\d+/g, 'N');
      if (!crashes.has(key)) crashes.set(key, `${describeResult(r)}\n  input: ${text.slice(0, 2000)}`);
      if (/^(RangeError|TypeError|Error|ReferenceError): /.test(r.message ?? '')) jsErrors.add(key);
    }
    if (ms > opts.limitMs) throw new Error(`replay took ${ms} ms (limit ${opts.limitMs} ms)`);
  });
  const details = fc.check(prop, { seed: opts.seed, numRuns: opts.runs });
  let failure: string | null = null;
  if (details.failed) {
    const ce = details.counterexample;
    const input = ce ? mutateTrace(bases[ce[0]], ce[1]) : '';
    const err = details.errorInstance instanceof Error ? details.errorInstance.stack ?? details.errorInstance.message : String(details.errorInstance);
    failure = `${err}\nseed ${details.seed}, path ${details.counterexamplePath ?? ''}\ninput: ${input.slice(0, 4000)}`;
  }
  return { runs, statuses, slowestMs: slowest, jsErrors: [...jsErrors].sort(), crashes: [...crashes.values()], failure };
}
