// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * WARN-class and BUG-class checks.
 *
 * As in the original harness, a WARN-class check (WARN_ON, WARN_ON_ONCE,
 * VM_WARN_ON*, ...) reports and carries on.  Here it does not print: every hit
 * is recorded (which check, the expression, the calling function and what it
 * was about) so that tests and the trace replayer can assert how many fired.
 * A WARN_ON_ONCE is counted every time its condition holds, which is what the
 * trace format asks for.
 *
 * A BUG-class check throws a KernelBug: the C code would stop there, so the
 * port must not carry on either.
 */

export type WarnCheck =
  | 'WARN_ON'
  | 'WARN_ON_ONCE'
  | 'VM_WARN_ON'
  | 'VM_WARN_ON_ONCE'
  | 'VM_WARN_ON_VMG'
  | 'VM_WARN_ON_ONCE_MM';

export interface WarnRecord {
  /** The macro that fired. */
  readonly check: WarnCheck;
  /** The checked expression, as written at the call site. */
  readonly what: string;
  /** The function that contains the check (from the JS stack). */
  readonly site: string;
  /** What the check was about (a VMA, a merge state, an mm), if given. */
  readonly subject: string | null;
}

/** Raised by BUG_ON-class checks and by the allocation registry. */
export class KernelBug extends Error {
  constructor(readonly check: string, message: string) {
    super(`${check}: ${message}`);
    this.name = 'KernelBug';
  }
}

const MAX_KEPT_RECORDS = 256;

let warnCount = 0;
let records: WarnRecord[] = [];
let verbose = typeof process !== 'undefined' && process.env.VMA_HARNESS_VERBOSE === '1';

/** Objects that know how to describe themselves in a warning. */
export interface Describable {
  describe(): string;
}

function isDescribable(x: unknown): x is Describable {
  return typeof x === 'object' && x !== null && typeof (x as { describe?: unknown }).describe === 'function';
}

function describeSubject(subject: unknown): string | null {
  if (subject === undefined || subject === null) return null;
  if (isDescribable(subject)) return subject.describe();
  return String(subject);
}

function callerSite(): string {
  const stack = new Error().stack ?? '';
  const frames = stack.split('\n').slice(1).map((l) => l.trim());
  // Skip the frames that belong to this module.
  for (const f of frames) {
    if (f.includes('/vma_internal/bug.')) continue;
    const m = /^at (?:new )?([^\s(]+)/.exec(f);
    return m ? m[1] : f;
  }
  return '<unknown>';
}

function record(check: WarnCheck, what: string, subject: unknown): void {
  warnCount++;
  if (records.length < MAX_KEPT_RECORDS) {
    const rec: WarnRecord = { check, what, site: callerSite(), subject: describeSubject(subject) };
    records.push(rec);
    if (verbose) {
      process.stderr.write(`WARNING: ${rec.check}(${rec.what}) in ${rec.site}${rec.subject ? ` on ${rec.subject}` : ''}\n`);
    }
  }
}

export function WARN_ON(cond: boolean, what = '', subject?: unknown): boolean {
  if (cond) record('WARN_ON', what, subject);
  return cond;
}

export function WARN_ON_ONCE(cond: boolean, what = '', subject?: unknown): boolean {
  if (cond) record('WARN_ON_ONCE', what, subject);
  return cond;
}

/* The harness maps the VM_ variants straight onto WARN_ON / WARN_ON_ONCE. */
export function VM_WARN_ON(cond: boolean, what = '', subject?: unknown): boolean {
  if (cond) record('VM_WARN_ON', what, subject);
  return cond;
}

export function VM_WARN_ON_ONCE(cond: boolean, what = '', subject?: unknown): boolean {
  if (cond) record('VM_WARN_ON_ONCE', what, subject);
  return cond;
}

export function VM_WARN_ON_VMG(cond: boolean, vmg: unknown, what = ''): boolean {
  if (cond) record('VM_WARN_ON_VMG', what, vmg);
  return cond;
}

export function VM_WARN_ON_ONCE_MM(cond: boolean, mm: unknown, what = ''): boolean {
  if (cond) record('VM_WARN_ON_ONCE_MM', what, mm);
  return cond;
}

export function BUG(what = ''): never {
  throw new KernelBug('BUG', what || 'BUG() reached');
}

export function BUG_ON(cond: boolean, what = ''): void {
  if (cond) throw new KernelBug('BUG_ON', what);
}

export function VM_BUG_ON(cond: boolean, what = ''): void {
  if (cond) throw new KernelBug('VM_BUG_ON', what);
}

export function VM_BUG_ON_VMA(cond: boolean, vma: unknown, what = ''): void {
  if (cond) throw new KernelBug('VM_BUG_ON_VMA', `${what}${vma ? ` on ${describeSubject(vma) ?? ''}` : ''}`);
}

export function VM_BUG_ON_MM(cond: boolean, mm: unknown, what = ''): void {
  if (cond) throw new KernelBug('VM_BUG_ON_MM', `${what}${mm ? ` on ${describeSubject(mm) ?? ''}` : ''}`);
}

/** How many WARN-class checks fired since the last reset. */
export function warn_count(): number {
  return warnCount;
}

/** The recorded hits since the last reset (at most 256 are kept). */
export function warn_records(): readonly WarnRecord[] {
  return records;
}

/** Forget the recorded hits (the harness does this between checks). */
export function warn_reset(): void {
  warnCount = 0;
  if (records.length) records = [];
}

/** Print each hit to stderr as it happens (also VMA_HARNESS_VERBOSE=1). */
export function warn_set_verbose(on: boolean): void {
  verbose = on;
}

/** One line per recorded hit, for failure messages. */
export function warn_summary(): string {
  return records
    .map((r) => `${r.check}(${r.what}) in ${r.site}${r.subject ? ` on ${r.subject}` : ''}`)
    .join('\n');
}
