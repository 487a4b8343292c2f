// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Compare what a step was expected to leave with what the port left: every
 * field of the expectation must be equal, and the port must not produce a
 * field the expectation lacks.  The first difference, in the canonical field
 * order, is reported.
 */

import { toHex } from './hex';
import { EXPECT_KEYS, MM_COUNTER_KEYS, type TraceExpect } from './types';

export interface FieldMismatch {
  /** e.g. "vma", "vmas[2][2] (end)", "freed" */
  readonly field: string;
  readonly expected: string;
  readonly actual: string;
}

const ROW_COLUMNS = ['id', 'start', 'end', 'pgoff', 'flags', 'anon', 'file', 'ops', 'refcnt', 'written'];
const ABSENT = '(absent)';

function show(v: unknown): string {
  return v === undefined ? ABSENT : JSON.stringify(v);
}

function same(a: unknown, b: unknown): boolean {
  /* Most cells are strings, numbers, booleans or null: no need to serialise them. */
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/* First differing element of two lists of tuples, e.g. vmas or freed. */
function compareRows(
  name: string,
  expected: readonly (readonly unknown[])[],
  actual: readonly (readonly unknown[])[],
  columns: readonly string[],
): FieldMismatch | null {
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    const e = expected[i];
    const a = actual[i];
    if (e === undefined || a === undefined) {
      return { field: `${name}[${i}]`, expected: show(e), actual: show(a) };
    }
    for (let c = 0; c < Math.max(e.length, a.length); c++) {
      if (!same(e[c], a[c])) {
        const col = columns[c] ? ` (${columns[c]})` : '';
        return { field: `${name}[${i}][${c}]${col}`, expected: show(e[c]), actual: show(a[c]) };
      }
    }
  }
  return null;
}

export function compareExpect(expected: TraceExpect, actual: TraceExpect): FieldMismatch | null {
  for (const key of EXPECT_KEYS) {
    const e = expected[key];
    const a = actual[key];
    if (e === undefined && a === undefined) continue;
    /* The page counters are compared only where the trace records them. */
    if (key === 'mm' && e === undefined) continue;
    if (e === undefined || a === undefined) return { field: key, expected: show(e), actual: show(a) };
    if (key === 'vmas') {
      const m = compareRows('vmas', expected.vmas ?? [], actual.vmas ?? [], ROW_COLUMNS);
      if (m) return m;
      continue;
    }
    if (key === 'freed') {
      const m = compareRows('freed', expected.freed ?? [], actual.freed ?? [], ['id', 'refcnt']);
      if (m) return m;
      continue;
    }
    if (key === 'anon') {
      const ek = Object.keys(expected.anon ?? {}).sort();
      const ak = Object.keys(actual.anon ?? {}).sort();
      for (const id of [...new Set([...ek, ...ak])].sort((x, y) => Number(x) - Number(y))) {
        const ev = expected.anon?.[id];
        const av = actual.anon?.[id];
        if (!same(ev, av)) return { field: `anon["${id}"]`, expected: show(ev), actual: show(av) };
      }
      continue;
    }
    if (key === 'mm') {
      for (const c of MM_COUNTER_KEYS) {
        const ev = expected.mm?.[c];
        const av = actual.mm?.[c];
        if (ev !== av) return { field: `mm.${c}`, expected: show(ev), actual: show(av) };
      }
      continue;
    }
    if (!same(e, a)) {
      if (key === 'addr') return { field: key, expected: toHex(e as number), actual: toHex(a as number) };
      return { field: key, expected: show(e), actual: show(a) };
    }
  }
  return null;
}
