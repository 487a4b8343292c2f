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

/* Steps on an mm that matter for another actor's story: its writer slot and its lifetime. */
const MM_LIFE: ReadonlySet<string> = new Set(['prepare_to_rcuwait', 'finish_rcuwait', 'rcuwait_wake_up', 'mmput', 'mmgrab', 'mmdrop', '__mmdrop']);

/* One step; @cols names the actors with a column ('' for those without one). */
function row(cols: readonly string[], r: TraceRow, width: number): string {
  const cells: string[] = [];
  cols.forEach((c, i) => {
    if (c !== '') cells.push(i === r.actor ? fit(`${r.fn}: ${r.what}`, width) : ' '.repeat(width));
  });
  const ref = r.refBefore === null ? '' : r.refAfter === null || r.refAfter === r.refBefore ? hex(r.refBefore) : `${hex(r.refBefore)} -> ${hex(r.refAfter)}`;
  const seq = r.lockSeq === null ? '' : r.lockSeq === 0xffffffff ? 'UINT_MAX' : String(r.lockSeq);
  return [String(r.step).padStart(5), ...cells, fit(r.subject, 14), fit(ref, 25), fit(seq, 11), r.mmSeq === null ? '' : String(r.mmSeq)].join(' | ');
}

/**
 * The interleaving, one column per actor.  With @focus, only the steps of
 * the actor that failed, the steps that touch the VMAs it touched (by slab
 * slot, whatever the incarnation) and the steps on the writer slot and the
 * lifetime of the mms it touched are shown; the steps in between are summed
 * up in one line per actor and operation.
 */
export function interleaving(actors: readonly string[], rows: readonly TraceRow[], focus: string | null = null, width = 44): string[] {
  const out: string[] = [];
  const fa = focus === null ? -1 : actors.indexOf(focus);
  const slots = new Set<number>();
  const mms = new Set<number>();
  if (fa >= 0) {
    for (const r of rows) {
      if (r.actor !== fa) continue;
      if (r.slot !== null) slots.add(r.slot);
      if (r.mmId !== null) mms.add(r.mmId);
    }
  }
  const shown = (r: TraceRow): boolean =>
    fa < 0 || r.actor === fa || (r.slot !== null && slots.has(r.slot)) || (r.mmId !== null && mms.has(r.mmId) && MM_LIFE.has(r.fn));
  /* Columns only for the actors that have a step shown. */
  const cols = actors.map((_, i) => rows.some((r) => r.actor === i && shown(r)));
  const colNames = actors.map((a, i) => (cols[i] ? a : ''));
  const head = ['step'.padStart(5), ...actors.filter((_, i) => cols[i]).map((a) => fit(a, width)), fit('object', 14), fit('vm_refcnt', 25), fit('vm_lock_seq', 11), 'mm_lock_seq'];
  out.push(head.join(' | '));
  out.push(head.map((h) => '-'.repeat(h.length)).join('-+-'));
  let skipped: TraceRow[] = [];
  const flush = (): void => {
    if (!skipped.length) return;
    const parts: string[] = [];
    let i = 0;
    while (i < skipped.length) {
      const a = skipped[i].actor;
      const op = skipped[i].op;
      let j = i;
      while (j < skipped.length && skipped[j].actor === a && skipped[j].op === op) j++;
      parts.push(`${actors[a]}: ${j - i} step${j - i > 1 ? 's' : ''}${op ? ` of ${op}` : ''}`);
      i = j;
    }
    out.push(`${'…'.padStart(5)} | ${parts.join('; ')}`);
    skipped = [];
  };
  for (const r of rows) {
    if (!shown(r)) {
      skipped.push(r);
      continue;
    }
    flush();
    out.push(row(colNames, r, width));
  }
  flush();
  return out;
}

/** What a report is made from. */
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
  /** Show every step (otherwise only those around the failing actor's objects). */
  readonly full?: boolean;
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
  lines.push(i.full ? '  interleaving (every step):' : `  interleaving (the steps of ${f.actor} and those on the objects it touched; --full-trace shows all):`);
  if (i.replay.trace !== null) lines.push(...interleaving(i.replay.actors, i.replay.trace, i.full ? null : f.actor).map((l) => `  ${l}`));
  lines.push(`  replay: ${replayCommand(i)}`);
  return lines.join('\n');
}
