// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `vma-harness replay [--timing] [--verbose] <file-or-dir>...`
 *
 * Replays each trace, prints the first mismatch of every failing one, and
 * ends with "N passed, M failed".  Exit status: 0 when every trace passed,
 * 2 when some input was malformed (bad JSON, unknown op, unknown VMA id, ...),
 * 1 otherwise.  With --timing, stdout carries only one line per trace,
 * "timing: ops N elapsed_ns T", T being the time spent in the operations
 * alone; mismatches and the summary then go to stderr.
 */

import { collectTraceFiles, describeResult, replayFile, type TraceResult } from '../trace/replay';

export interface ReplaySummary {
  readonly results: TraceResult[];
  readonly passed: number;
  readonly failed: number;
  readonly badInput: number;
}

export interface ReplayCommandOptions {
  readonly timing: boolean;
  readonly verbose: boolean;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export function runReplay(paths: readonly string[], opts: ReplayCommandOptions): ReplaySummary {
  const files = collectTraceFiles(paths);
  const results: TraceResult[] = [];
  let passed = 0;
  let failed = 0;
  let badInput = 0;
  for (const f of files) {
    const r = replayFile(f);
    results.push(r);
    if (opts.timing && r.status !== 'bad-input') {
      opts.out(`timing: ops ${r.stepsRun} elapsed_ns ${r.elapsedNs}`);
    }
    if (r.status === 'pass') {
      passed++;
      if (opts.verbose) opts.out(describeResult(r));
    } else {
      failed++;
      if (r.status === 'bad-input') {
        badInput++;
        opts.err(describeResult(r));
      } else if (opts.timing) {
        /* With --timing, stdout carries only the timing lines. */
        opts.err(describeResult(r));
      } else {
        opts.out(describeResult(r));
      }
    }
  }
  return { results, passed, failed, badInput };
}

export function replayExitCode(s: ReplaySummary): number {
  if (s.badInput > 0) return 2;
  return s.failed > 0 ? 1 : 0;
}

export function replayMain(argv: readonly string[]): number {
  let timing = false;
  let verbose = false;
  const paths: string[] = [];
  for (const a of argv) {
    if (a === '--timing') timing = true;
    else if (a === '--verbose' || a === '-v') verbose = true;
    else if (a.startsWith('-')) {
      process.stderr.write(`vma-harness replay: unknown option '${a}'\n`);
      return 2;
    } else paths.push(a);
  }
  if (paths.length === 0) {
    process.stderr.write('vma-harness replay: no trace file or directory given\n');
    return 2;
  }
  const out = (l: string): void => void process.stdout.write(`${l}\n`);
  const err = (l: string): void => void process.stderr.write(`${l}\n`);
  const summary = runReplay(paths, { timing, verbose, out, err });
  (timing ? err : out)(`${summary.passed} passed, ${summary.failed} failed`);
  return replayExitCode(summary);
}
