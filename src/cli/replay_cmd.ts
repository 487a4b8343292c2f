// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `vma-harness replay [options] <file-or-dir|->...`
 *
 * Replays each trace, prints the first mismatch of every failing one, and
 * ends with "N passed, M failed".  Exit status: 0 when every trace passed,
 * 2 when some input was bad (malformed trace, unreadable or odd file, no
 * trace found), 1 otherwise; 130 when interrupted.  With --timing, stdout
 * carries only one timing line per trace and everything else goes to
 * stderr; with --json, stdout carries only the JSON report.
 */

import { Option, type Command } from 'commander';
import { DEFAULT_MAX_TRACE_BYTES, findTraceFiles, readTraceFile, TraceFileError, type TraceFileEntry, type TraceFileList } from '../trace/files';
import { badInput, describeResult, replayBytes, type HeldBytes, type TraceResult } from '../trace/replay';
import { escapeControl, quote } from '../util/escape';
import type { CliContext } from './context';
import { intInRange } from './options';
import { defineCommand, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, jsonOption, type ExitSetter } from './program';
import { progressLine } from './progress';
import { reportJson, skippedJson, traceJson, type ReplayJson, type TraceJson } from './report';

/** How a set of traces is replayed and reported. */
export interface ReplayOptions {
  readonly timing: boolean;
  readonly verbose: boolean;
  readonly json: boolean;
  readonly maxSize: number;
  /** Draw a progress bar on stderr/stdout when it is a terminal (the main job). */
  readonly progress: boolean;
}

/** What a replay did. */
export interface ReplayOutcome {
  readonly report: ReplayJson;
  readonly interrupted: boolean;
  /** 0, 1 or 2 (the interrupt is the caller's to add). */
  readonly exitCode: number;
}

/** The timing line of one trace (names quoted as JSON strings). */
export function timingLine(r: TraceResult, file: string): string {
  return `timing: ops ${r.stepsRun} elapsed_ns ${r.elapsedNs} name ${quote(r.name)} file ${quote(file)}`;
}

/** Exit status for a replay: bad input wins over failures. */
export function replayExitCode(r: Pick<ReplayJson, 'bad_input' | 'failed'>): number {
  if (r.bad_input > 0) return EXIT_BAD_INPUT;
  return r.failed > 0 ? EXIT_FAILED : EXIT_OK;
}

const EMPTY = Buffer.alloc(0);

/* Read and replay one entry ("-": standard input). */
async function replayEntry(e: TraceFileEntry, o: ReplayOptions, ctx: CliContext): Promise<TraceResult> {
  /* Handed over to replayBytes(), which lets the bytes go once they are text (a long trace's file is large). */
  const held: HeldBytes = { bytes: EMPTY };
  try {
    held.bytes = e.path === null ? await ctx.readStdin(o.maxSize) : readTraceFile(e.path, o.maxSize);
  } catch (err) {
    if (err instanceof TraceFileError) return badInput(e.display, null, null, err.message);
    throw err;
  }
  return replayBytes(held, e.display);
}

/**
 * Replay the entries of @p list, writing text (or nothing but errors, with
 * --json) to the context's streams; stops early when interrupted.
 */
export async function replayList(list: TraceFileList, o: ReplayOptions, ctx: CliContext): Promise<ReplayOutcome> {
  const text = !o.json;
  /* With --timing, stdout carries only the timing lines. */
  const main = o.timing ? ctx.err : ctx.out;
  const line = (sink: { write(s: string): void }, s: string): void => sink.write(`${s}\n`);
  const bar = o.progress ? (o.json ? ctx.err : ctx.out) : null;
  const drawBar = bar !== null && bar.isTTY;

  const traces: TraceJson[] = [];
  let passed = 0;
  let failed = 0;
  let badInput = 0;
  for (const s of list.skipped) {
    if (s.error) badInput++;
    line(ctx.err, `${s.error ? 'ERROR' : 'skipped'} ${escapeControl(s.display)}: ${s.reason}`);
  }
  let done = 0;
  for (const e of list.entries) {
    await ctx.interrupt.pause();
    if (ctx.interrupt.requested) break;
    const r = await replayEntry(e, o, ctx);
    /* Ctrl-C while standard input was being read: that trace was not replayed. */
    if (ctx.interrupt.requested && e.path === null) break;
    done++;
    const desc = describeResult(r);
    traces.push(traceJson(r, e.display, desc, o.timing));
    if (drawBar) bar.write('\r\x1b[K');
    if (o.timing && r.status !== 'bad-input' && text) ctx.out.write(`${timingLine(r, e.display)}\n`);
    if (r.status === 'pass') {
      passed++;
      if (o.verbose && text) line(main, desc);
    } else {
      failed++;
      if (r.status === 'bad-input') {
        badInput++;
        line(ctx.err, desc);
      } else if (text) {
        line(main, desc);
      }
    }
    if (drawBar) bar.write(`\r${progressLine(done, list.entries.length, `${passed} passed, ${failed} failed`)}`);
  }
  if (drawBar && done > 0) bar.write('\r\x1b[K');
  const interrupted = done < list.entries.length;
  const report: ReplayJson = {
    traces,
    skipped: list.skipped.map(skippedJson),
    passed,
    failed,
    bad_input: badInput,
    not_run: list.entries.length - done,
  };
  return { report, interrupted, exitCode: replayExitCode(report) };
}

/** The last lines of a text replay: interruption, skipped count, and "N passed, M failed". */
export function replaySummaryLines(r: ReplayJson, interrupted: boolean): string[] {
  const lines: string[] = [];
  if (interrupted) lines.push(`interrupted: ${r.traces.length} of ${r.traces.length + r.not_run} traces replayed`);
  const skipped = r.skipped.length ? `, ${r.skipped.length} skipped` : '';
  lines.push(`${r.passed} passed, ${r.failed} failed${skipped}`);
  return lines;
}

interface ReplayCliOptions {
  readonly timing?: boolean;
  readonly verbose?: boolean;
  readonly json?: boolean;
  readonly maxSize: number;
}

const MIB = 1024 * 1024;

/** The `replay` command. */
export function replayCommand(ctx: CliContext, setExit: ExitSetter): Command {
  return defineCommand('replay', ctx)
    .summary('replay vma-trace/1 traces against the port')
    .description(
      'Replay vma-trace/1 traces (docs/TRACE_FORMAT.md) against the port. For each failing trace, print ' +
        'the first mismatch (trace, step, operation, field, expected and actual value); end with ' +
        '"N passed, M failed".\n\nA directory is searched recursively for *.json files (other files there are ' +
        'listed as skipped); a file named explicitly is read whatever its name; "-" reads one trace from ' +
        'standard input. Only regular files are read (FIFOs, devices and sockets are reported and skipped).',
    )
    .argument('<paths...>', 'trace files, directories of *.json traces, or - for standard input')
    .addOption(
      new Option(
        '--timing',
        'print one line per trace on stdout, timing: ops N elapsed_ns T name "NAME" file "FILE" (T: nanoseconds spent in the operations alone; NAME and FILE as JSON strings); everything else then goes to stderr',
      ),
    )
    .addOption(new Option('-v, --verbose', 'also print a PASS line for each passing trace'))
    .addOption(jsonOption())
    .addOption(
      new Option('--max-size <MiB>', 'largest trace file read, in MiB (1 to 4096)')
        .default(DEFAULT_MAX_TRACE_BYTES / MIB)
        .argParser(intInRange(1, 4096)),
    )
    .addHelpText(
      'after',
      '\nExit status: 0 every trace passed; 1 a mismatch, a WARN or a crash of the port;\n' +
        '2 bad input (malformed trace, unreadable or odd file, no trace found: the message\n' +
        'names the file, step and field, and the other traces still run); 130 interrupted\n' +
        '(Ctrl-C: the summary so far is printed).\n' +
        '\nExamples:\n' +
        '  vma-harness replay fixtures/oracle\n' +
        '  vma-harness replay --json fixtures/oracle | jq .replay.passed\n' +
        '  cat trace.json | vma-harness replay -',
    )
    .action(async (paths: string[], opts: ReplayCliOptions) => {
      const o: ReplayOptions = {
        timing: opts.timing === true,
        verbose: opts.verbose === true,
        json: opts.json === true,
        maxSize: opts.maxSize * MIB,
        progress: false,
      };
      const list = findTraceFiles(paths, ctx.cwd);
      const { report, interrupted, exitCode: replayCode } = await replayList(list, o, ctx);
      let exitCode = replayCode;
      if (list.entries.length === 0) {
        ctx.err.write(`vma-harness replay: no trace file found in ${paths.map((p) => escapeControl(p)).join(', ')}\n`);
        exitCode = EXIT_BAD_INPUT;
      }
      if (interrupted) exitCode = EXIT_INTERRUPTED;
      if (o.json) {
        ctx.out.write(`${JSON.stringify(reportJson('replay', exitCode, interrupted, { replay: report }), null, 2)}\n`);
      } else {
        const sink = o.timing ? ctx.err : ctx.out;
        for (const l of replaySummaryLines(report, interrupted)) sink.write(`${l}\n`);
      }
      setExit(exitCode);
    });
}
