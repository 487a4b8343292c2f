// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The machine-readable report that `--json` prints: one JSON document on
 * stdout, schema "vma-harness/report/1".  The README documents every field;
 * fields are only ever added, never renamed or removed, within a schema
 * version.  Names and messages are plain JSON strings (control characters
 * are escaped by JSON itself).
 */

import { VERSION } from '../version';
import type { TraceResult } from '../trace/replay';
import type { SkippedEntry } from '../trace/files';

/** The schema identifier every report carries. */
export const REPORT_SCHEMA = 'vma-harness/report/1';

/** The first thing that went wrong in a trace. */
export interface TraceFailureJson {
  /**
   * "mismatch" (the port disagrees with expect), "maple-check" (a maple-tree
   * check fired: a misuse of a maple state, or the tree's own debug check),
   * "crash" (the port threw), "bad-input".
   */
  readonly kind: 'mismatch' | 'maple-check' | 'crash' | 'bad-input';
  /** Step index (0-based), or null for a problem with the whole file. */
  readonly step: number | null;
  readonly op: string | null;
  /** For a mismatch: the field (e.g. "vmas[2][2] (end)"), expected and actual values as printed. */
  readonly field: string | null;
  readonly expected: string | null;
  readonly actual: string | null;
  /** The one-line message the text output prints. */
  readonly message: string;
}

/** One replayed trace. */
export interface TraceJson {
  /** The trace's "name" (the file name when it could not be parsed). */
  readonly name: string;
  /** The file, as given on the command line (joined with names found under a directory); "-" for stdin. */
  readonly file: string;
  readonly status: 'pass' | 'mismatch' | 'maple-check' | 'crash' | 'bad-input';
  readonly passed: boolean;
  /** Steps executed (all of them when it passed). */
  readonly steps_run: number;
  readonly failure: TraceFailureJson | null;
  /** Only with --timing: operations run and nanoseconds spent in them alone. */
  readonly timing?: { readonly ops: number; readonly elapsed_ns: number };
}

/** A file named or found that was not replayed. */
export interface SkippedJson {
  readonly file: string;
  readonly reason: string;
  /** True when it counts as bad input (exit status 2). */
  readonly error: boolean;
}

/** The result of replaying a set of traces. */
export interface ReplayJson {
  readonly traces: TraceJson[];
  readonly skipped: SkippedJson[];
  readonly passed: number;
  readonly failed: number;
  /** Traces (and skipped entries) that were bad input. */
  readonly bad_input: number;
  /** Traces found but not replayed because of an interrupt. */
  readonly not_run: number;
}

/** One fuzzing failure. */
export interface FuzzFailureJson {
  readonly phase: 'scenarios' | 'sequences' | 'fault-sweep';
  readonly seed: number;
  /** fast-check's path to the counterexample, or null (fault sweep). */
  readonly path: string | null;
  /** fc.commands' replay path (command sequences), or null. */
  readonly replay_path: string | null;
  /** The shrunk steps, one vma-trace/1 step per element, as compact JSON text. */
  readonly steps: string[];
  /** The full report, as printed (diagrams included). */
  readonly message: string;
  /** The regression trace written, or null (not written, or writing failed). */
  readonly regression_file: string | null;
  /** Why the regression trace could not be written, or null. */
  readonly regression_error: string | null;
  /** Replays the regression trace, or null. */
  readonly replay_command: string | null;
  /** Re-runs the failing case of the campaign, or null. */
  readonly reproduce_command: string | null;
}

/** A fuzz campaign: its parameters and what it did. */
export interface FuzzJson {
  readonly seed: number;
  /** Runs asked for, per phase (0: phase not run). */
  readonly requested: { readonly scenarios: number; readonly sequences: number; readonly max_commands: number; readonly sweep_layouts: number };
  /** Runs done (merge scenarios + command sequences). */
  readonly runs: number;
  readonly commands: number;
  readonly checks: number;
  readonly fault_sweep_runs: number;
  /** How often each merge path was taken, keyed "merge_new:left" and so on. */
  readonly merge_cases: Record<string, number>;
  /** How often each other path (brk, stack, gap search, each error path) was taken. */
  readonly paths: Record<string, number>;
  /** Merge cases and paths never taken. */
  readonly merge_cases_missing: string[];
  /** Findings recognised as known v6.15 defects (they do not fail the campaign). */
  readonly known_defects: { readonly id: string; readonly message: string }[];
  readonly failures: FuzzFailureJson[];
  readonly elapsed_s: number;
}

/** One race finding that is not a known defect. */
export interface RaceFailureJson {
  /** The violated invariant's kind ("use-after-free", "mutual-exclusion", ...). */
  readonly kind: string;
  /** The violated invariant, in one sentence. */
  readonly message: string;
  /** The run of the campaign that found it. */
  readonly run: number;
  /** The shrunk program and schedule (integer arrays, as --program/--schedule take them). */
  readonly program: number[];
  readonly schedule: number[];
  /** The full column report, as printed. */
  readonly report: string;
  /** The regression file written, or null. */
  readonly regression_file: string | null;
  /** Replays the finding exactly. */
  readonly replay_command: string;
}

/** A race campaign: its parameters and what it did. */
export interface RaceJson {
  readonly seed: number;
  readonly scheduler: string;
  /** "lkmm" or "sc". */
  readonly memory_model: string;
  /** Upstream fixes applied to the model. */
  readonly fixes: string[];
  /** The largest program: mms, readers per mm, operations per writer, faults per reader. */
  readonly shape: { readonly mms: number; readonly readers: number; readonly ops: number; readonly faults: number };
  readonly runs: number;
  /** Atomic steps executed, and invariant checks made. */
  readonly steps: number;
  readonly checks: number;
  /** Runs cut short by the LIFO nesting of writers. */
  readonly runs_cut_short: number;
  /** How often each vm_refcnt state was reached (0 = never). */
  readonly refcount_states: Record<string, number>;
  /** How often each reader outcome (success, -EAGAIN retry, fallback, ...) happened. */
  readonly reader_outcomes: Record<string, number>;
  /** How often each writer operation ran. */
  readonly operations: Record<string, number>;
  /** Findings recognised as known v6.15 defects (they do not fail the campaign). */
  readonly known_defects: { readonly id: string; readonly fix: string; readonly message: string }[];
  readonly failures: RaceFailureJson[];
  /** run only: the saved race regressions replayed before the campaign (files that did not pass). */
  readonly regressions?: { readonly replayed: number; readonly failed: { readonly file: string; readonly message: string }[] };
  readonly elapsed_s: number;
}

/** The whole document. */
export interface ReportJson {
  readonly schema: typeof REPORT_SCHEMA;
  readonly version: string;
  readonly command: string;
  /** The exit status the command ends with. */
  readonly exit_code: number;
  /** True when Ctrl-C (SIGINT) cut the run short: the counts are partial. */
  readonly interrupted: boolean;
  /** replay and run: the traces replayed. */
  readonly replay?: ReplayJson;
  /** fuzz and run: the campaign. */
  readonly fuzz?: FuzzJson;
  /** race and run: the race campaign. */
  readonly race?: RaceJson;
}

/** The JSON form of one replay result. */
export function traceJson(r: TraceResult, file: string, line: string, timing: boolean): TraceJson {
  const failure: TraceFailureJson | null =
    r.status === 'pass'
      ? null
      : {
          kind: r.status,
          step: r.step,
          op: r.op,
          field: r.mismatch?.field ?? null,
          expected: r.mismatch?.expected ?? null,
          actual: r.mismatch?.actual ?? null,
          message: line,
        };
  const out: TraceJson = { name: r.name, file, status: r.status, passed: r.status === 'pass', steps_run: r.stepsRun, failure };
  return timing ? { ...out, timing: { ops: r.stepsRun, elapsed_ns: Number(r.elapsedNs) } } : out;
}

/** The JSON form of a skipped entry. */
export function skippedJson(s: SkippedEntry): SkippedJson {
  return { file: s.display, reason: s.reason, error: s.error };
}

/** Assemble the document. */
export function reportJson(
  command: string,
  exitCode: number,
  interrupted: boolean,
  parts: { replay?: ReplayJson; fuzz?: FuzzJson; race?: RaceJson },
): ReportJson {
  return { schema: REPORT_SCHEMA, version: VERSION, command, exit_code: exitCode, interrupted, ...parts };
}
