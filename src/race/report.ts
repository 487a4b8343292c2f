// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A race report a kernel developer can read: the violated invariant in one
 * sentence, the program in words, the interleaving as one column per actor
 * (each row one atomic step: the kernel function and its access, then the
 * VMA it touched with its incarnation and slab slot, vm_refcnt before and
 * after, vm_lock_seq and its mm's mm_lock_seq), and the command that
 * replays it exactly.
 */

import type { Finding, RunResult, TraceRow } from './explorer';
import { RACE_BASE } from './ops';
import type { Scenario } from './scenario';

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

/** The one-line summary known defects are matched against. */
export function summary(f: Finding): string {
  return `${f.kind}: ${f.message}`;
}

/** The program in words. */
export function describeProgram(s: Scenario): string[] {
  const out: string[] = [];
  s.mms.forEach((m, i) => {
    const ops = m.ops.map((o) => `${o.kind}(${o.a},${o.b},${o.c},${o.d})`).join(' ');
    out.push(`  mm#${i + 1}: ${m.initial.length} initial mapping(s); writer W${i + 1}: ${ops || '(no operations)'}`);
    m.readers.forEach((r, j) => {
      const faults = r.faults.map((f) => `${hex(RACE_BASE + f.page * 4096)}${f.hold ? `+${f.hold}` : ''}`).join(' ');
      out.push(`         reader R${i + 1}.${j + 1} faults at ${faults}`);
    });
  });
  return out;
}

function fit(s: string, w: number): string {
  return s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w);
}

/** The interleaving, one column per actor. */
export function interleaving(actors: readonly string[], rows: readonly TraceRow[], width = 44): string[] {
  const out: string[] = [];
  const head = ['step'.padStart(5), ...actors.map((a) => fit(a, width)), fit('object', 14), fit('vm_refcnt', 25), fit('vm_lock_seq', 11), 'mm_lock_seq'];
  out.push(head.join(' | '));
  out.push(head.map((h) => '-'.repeat(h.length)).join('-+-'));
  for (const r of rows) {
    const cells = actors.map((_, i) => (i === r.actor ? fit(`${r.fn}: ${r.what}`, width) : ' '.repeat(width)));
    const ref = r.refBefore === null ? '' : r.refAfter === null || r.refAfter === r.refBefore ? hex(r.refBefore) : `${hex(r.refBefore)} -> ${hex(r.refAfter)}`;
    const seq = r.lockSeq === null ? '' : r.lockSeq === 0xffffffff ? 'UINT_MAX' : String(r.lockSeq);
    out.push([String(r.step).padStart(5), ...cells, fit(r.subject, 14), fit(ref, 25), fit(seq, 11), r.mmSeq === null ? '' : String(r.mmSeq)].join(' | '));
  }
  return out;
}

export interface ReportInput {
  readonly finding: Finding;
  /** The (shrunk) program and schedule. */
  readonly program: readonly number[];
  readonly schedule: readonly number[];
  readonly scenario: Scenario;
  /** The replay of that program and schedule, with a trace. */
  readonly replay: RunResult;
  /** How it was found. */
  readonly seed: number;
  readonly strategy: string;
  readonly runs: number;
  readonly fixes: readonly string[];
  readonly memoryModel: string;
  /** A known defect it matches, as text, or null. */
  readonly known: string | null;
}

/** The shell command that replays a run exactly. */
export function replayCommand(i: Pick<ReportInput, 'program' | 'schedule' | 'fixes' | 'memoryModel'>): string {
  const fix = i.fixes.map((f) => ` --fix ${f}`).join('');
  const mm = i.memoryModel === 'sc' ? '' : ` --memory-model ${i.memoryModel}`;
  return `vma-harness race --program ${i.program.join(',')} --schedule ${i.schedule.length ? i.schedule.join(',') : '0'}${fix}${mm}`;
}

/** The whole report. */
export function formatReport(i: ReportInput): string {
  const f = i.finding;
  const lines: string[] = [];
  lines.push(`RACE: ${f.message}`);
  lines.push(`  invariant: ${f.kind}, detected at step ${f.step} (${f.actor})${i.known ? `   [${i.known}]` : ''}`);
  lines.push(`  found by ${i.strategy}, seed ${i.seed}, after ${i.runs} run(s); shrunk to ${i.replay.steps} steps, ${i.schedule.length} scheduling choices`);
  lines.push(`  memory model: ${i.memoryModel}${i.fixes.length ? `; upstream fixes applied: ${i.fixes.join(', ')}` : '; v6.15 as released'}`);
  lines.push('  program:');
  lines.push(...describeProgram(i.scenario));
  lines.push('  interleaving:');
  if (i.replay.trace !== null) lines.push(...interleaving(i.replay.actors, i.replay.trace).map((l) => `  ${l}`));
  lines.push(`  replay: ${replayCommand(i)}`);
  return lines.join('\n');
}
