// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A quick test that the model's expectation and the port's agree, for the
 * fuzzer's check after every command: the fields compared one by one by
 * name, without compareExpect()'s walk over the key list and its
 * serialisation of objects.  It answers only "certainly equal" or "ask
 * compareExpect()": whenever it says they agree, compareExpect() finds no
 * difference (tests/fuzz/fast_paths.test.ts holds it to that); when it
 * says no, compareExpect() names the difference (or finds none, for an
 * expectation shape this test does not take apart, such as a layout or
 * take_all_locks' locked sets).
 */

import type { FreedEntry, TraceExpect } from '../trace/types';

/** True only if compareExpect(expected, actual) would find no difference. */
export function expectsAgree(expected: TraceExpect, actual: TraceExpect): boolean {
  if (
    expected.vma !== actual.vma ||
    expected.err !== actual.err ||
    expected.addr !== actual.addr ||
    expected.state !== actual.state ||
    expected.vmap !== actual.vmap ||
    expected.need_rmap_locks !== actual.need_rmap_locks ||
    expected.anon_vma !== actual.anon_vma ||
    expected.map_count !== actual.map_count ||
    expected.warnings !== actual.warnings
  ) {
    return false;
  }
  /* Shapes left to compareExpect(): the layout and the locked sets. */
  if (expected.vmas !== undefined || actual.vmas !== undefined) return false;
  if (expected.locked !== undefined || actual.locked !== undefined) return false;
  /* The page counters count only where the expectation records them (as in compareExpect()). */
  const em = expected.mm;
  if (em !== undefined) {
    const am = actual.mm;
    if (
      am === undefined ||
      em.total_vm !== am.total_vm ||
      em.locked_vm !== am.locked_vm ||
      em.data_vm !== am.data_vm ||
      em.exec_vm !== am.exec_vm ||
      em.stack_vm !== am.stack_vm
    ) {
      return false;
    }
  }
  return freedAgree(expected.freed, actual.freed) && anonAgree(expected.anon, actual.anon);
}

function freedAgree(e: readonly FreedEntry[] | undefined, a: readonly FreedEntry[] | undefined): boolean {
  if (e === undefined || a === undefined) return e === a;
  if (e.length !== a.length) return false;
  for (let i = 0; i < e.length; i++) {
    const x = e[i];
    const y = a[i];
    if (x.length !== 2 || y.length !== 2 || x[0] !== y[0] || x[1] !== y[1]) return false;
  }
  return true;
}

function anonAgree(e: TraceExpect['anon'], a: TraceExpect['anon']): boolean {
  if (e === undefined || a === undefined) return e === a;
  let n = 0;
  for (const id in e) {
    const x = e[id];
    const y = a[id];
    if (y === undefined || x.length !== 2 || y.length !== 2 || x[0] !== y[0] || x[1] !== y[1]) return false;
    n++;
  }
  for (const id in a) {
    if (a[id] !== undefined) n--;
  }
  return n === 0;
}
