// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `npm run bench`: the port's replay throughput on the three trace shapes of
 * issue 12 (20,000 steps each: a small window of ~25 VMAs, a build-up to
 * ~5,000 VMAs, a build-up to ~20,000 VMAs), beside the figures of the
 * original v6.15 C code compiled -O2 (from the issue, measured on the same
 * 2-core machine), then the fuzzer's commands per second, the heap per VMA
 * (the port's state alone, and the replayer's trace world), the peak RSS of
 * `vma-harness replay` itself on a 1,000,000-step trace, and the race
 * explorer (race.ts).  Only the operations are timed, as
 * `vma-harness replay --timing` does:
 *
 *   fresh  a new process per replay, through the command launcher
 *          (bin/vma-harness.js, V8 flags included); median of --fresh N;
 *   warm   `vma-harness replay --timing F F F F` through the launcher: one
 *          process reads and replays the trace four times, the first is the
 *          warm-up, the figure is the best of runs 2-4; median of
 *          --warm-runs N processes;
 *   parsed once: a child process (the launcher's V8 flags, not cliMain()'s
 *          heap-growth limit) parses the trace once and replays that four
 *          times, best of runs 2-4.
 *
 * Beside them, the validator's own time per step in the parsed-once runs
 * (checking preconditions and keeping its layout in step): not part of the
 * timed operations, but part of a replay's wall time.
 *
 *   node dist/bench/main.js [--trace FILE]... [--fresh N] [--warm-runs N] [--keep DIR]
 *        [--fuzz-runs N] [--no-fuzz] [--no-million] [--race-runs N] [--no-race] [--race-only]
 *
 * With --trace, only the given traces are timed (no C figures).
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { formatTrace } from '../trace/write';
import { parseTrace } from '../trace/parse';
import { TraceFormatError } from '../trace/errors';
import type { Trace } from '../trace/types';
import { describeResult, replayTrace } from '../trace/replay';
import { generateBenchTrace } from './gen';
import { TraceWorld } from '../trace/world';
import { PAGE_SIZE } from '../vma_internal/constants';
import { mm_struct } from '../vma_internal/structs';
import { alloc_and_link_vma, harness_reset } from '../harness/helpers';
import { DEFAULT_RACE } from '../race/campaign';
import { RACE_BENCH_BUGS, raceBench } from './race';
import { applyProcessV8Flags } from '../v8_flags';

/** One of the issue's trace shapes, with the C code's time for it. */
interface Shape {
  readonly id: string;
  readonly label: string;
  readonly targetVmas: number;
  readonly mode: 'churn' | 'buildup';
  /** v6.15 compiled -O2, operations only, from issue 12. */
  readonly cMs: number;
}

const SHAPES: readonly Shape[] = [
  { id: 'small', label: 'small window ~25 VMAs', targetVmas: 25, mode: 'churn', cMs: 8.6 },
  { id: '5k', label: 'build-up to ~5,000 VMAs', targetVmas: 5000, mode: 'buildup', cMs: 23.8 },
  { id: '20k', label: 'build-up to ~20,000 VMAs', targetVmas: 20000, mode: 'buildup', cMs: 67.1 },
];

/** Steps per shape trace (as in the issue). */
const SHAPE_STEPS = 20000;
/** Targets of issue 12: ratios to the C code. */
const WARM_TARGET = 2;
const FRESH_TARGET = 5;

const here = __filename;
const launcher = resolve(__dirname, '..', '..', 'bin', 'vma-harness.js');

function child(args: string[], nodeArgs: string[] = []): string {
  return execFileSync(process.execPath, [...nodeArgs, here, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
}

/* Child: generate a shape's trace into @file; print the VMA counts. */
function generate(shapeId: string, steps: number, file: string): void {
  const shape = SHAPES.find((s) => s.id === shapeId);
  const targetVmas = shape?.targetVmas ?? Number(shapeId);
  const { trace, vmaCounts } = generateBenchTrace({
    name: `bench-${shapeId}`,
    targetVmas,
    steps,
    seed: 0x5eed + targetVmas,
    expectEvery: Math.min(10000, steps),
    mode: shape?.mode ?? 'churn',
  });
  writeFileSync(file, formatTrace(trace));
  process.stdout.write(JSON.stringify({ endVmas: vmaCounts[vmaCounts.length - 1] ?? 0, maxVmas: Math.max(0, ...vmaCounts) }));
}

/* Child: parse @file once, replay it four times; print each run's operation time. */
function warm(file: string): void {
  let trace: Trace;
  try {
    trace = parseTrace(readFileSync(file, 'utf8'), file);
  } catch (err) {
    /* Bad input: the parser's message names the file, step and field. */
    if (!(err instanceof TraceFormatError) && !(err instanceof Error && 'code' in err)) throw err;
    process.stderr.write(`bench: ${err.message}\n`);
    process.exit(2);
  }
  const ms: number[] = [];
  const validateMs: number[] = [];
  let status = 'pass';
  for (let i = 0; i < 4; i++) {
    const r = replayTrace(trace, file);
    if (r.status !== 'pass') status = `${r.status}: ${describeResult(r)}`;
    ms.push(Number(r.elapsedNs) / 1e6);
    validateMs.push(Number(r.validateNs) / 1e6);
  }
  process.stdout.write(JSON.stringify({ ms, validateMs, steps: trace.steps.length, status }));
}

/*
 * Child (run with --expose-gc): heap held per VMA, @size VMAs linked, by
 * the port's state alone (VMA objects, maple tree, registry: what the
 * harness's alloc_and_link_vma() builds) and by the replayer's trace world
 * (the same, plus the validator's own layout of the address space).
 */
function memory(what: string, size: number): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const startOf = (i: number): number => 0x10000000 + i * 2 * PAGE_SIZE;
  gc();
  const before = process.memoryUsage().heapUsed;
  let vmas: number;
  let keep: unknown;
  if (what === 'port') {
    harness_reset();
    const mm = new mm_struct();
    for (let i = 0; i < size; i++) alloc_and_link_vma(mm, startOf(i), startOf(i) + PAGE_SIZE, startOf(i) / PAGE_SIZE, 0x33n);
    vmas = mm.map_count;
    keep = mm;
  } else {
    const world = new TraceWorld();
    for (let i = 0; i < size; i++) {
      world.run({ op: 'alloc_and_link', start: startOf(i), end: startOf(i) + PAGE_SIZE, pgoff: startOf(i) / PAGE_SIZE, flags: 0x33n });
    }
    world.endStep();
    world.dispose();
    vmas = world.mm.map_count;
    keep = world;
  }
  gc();
  const after = process.memoryUsage().heapUsed;
  process.stdout.write(JSON.stringify({ bytesPerVma: Math.round((after - before) / size), vmas, kept: keep !== null }));
}

/*
 * `vma-harness replay --timing` of @file in a new process, with a probe
 * preloaded that reports the process's peak RSS at exit.
 */
function peak(file: string): { ops: number; ms: number; status: string; maxRssMiB: number } {
  const probe = join(__dirname, 'peak_probe.js');
  const r = spawnSync(process.execPath, ['--require', probe, launcher, 'replay', '--timing', '--max-size', '4096', file], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  const timing = /timing: ops (\d+) elapsed_ns (\d+)/.exec(r.stdout);
  const rss = /peak-rss-kib (\d+)/.exec(r.stderr);
  if (timing === null || rss === null) throw new Error(`bench: no timing or peak from the replay of ${file}: ${r.stderr}`);
  return {
    ops: Number(timing[1]),
    ms: Number(timing[2]) / 1e6,
    status: r.status === 0 ? 'pass' : `exit status ${r.status}: ${r.stderr.split('\n')[0]}`,
    maxRssMiB: Math.round(Number(rss[1]) / 1024),
  };
}

/* The operation times of `vma-harness replay --timing` over @files, in one new process, through the launcher. */
function commandTimes(files: string[]): number[] {
  const text = execFileSync(process.execPath, [launcher, 'replay', '--timing', '--max-size', '4096', ...files], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const times = [...text.matchAll(/elapsed_ns (\d+)/g)].map((m) => Number(m[1]) / 1e6);
  if (times.length !== files.length) throw new Error(`bench: ${times.length} timing lines from replay of ${files.join(' ')}: ${text}`);
  return times;
}

/* Operation time of @file in a fresh process, through the launcher, @n times. */
function fresh(file: string, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(commandTimes([file])[0]);
  return out;
}

/* Best of runs 2-4 of `replay --timing F F F F` (the trace read and replayed four times in one process), @n processes. */
function warmCommand(file: string, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(Math.min(...commandTimes([file, file, file, file]).slice(1)));
  return out;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x: number): string => `${x.toFixed(1)} ms`;
const ratio = (x: number, c: number, target: number): string => `${(x / c).toFixed(1)}${x / c <= target ? '' : ' (over)'}`;

interface Timed {
  readonly label: string;
  readonly cMs: number | null;
  readonly fresh: number[];
  /** Best of runs 2-4 of the command, one entry per process. */
  readonly warm: number[];
  /** The four runs of the parsed-once child. */
  readonly parsedOnce: number[];
  /** The validator's time per step (ns), best parsed-once run. */
  readonly validateNsPerStep: number;
  readonly status: string;
  readonly vmas: string;
}

/** How many processes each figure takes. */
interface Repeats {
  readonly fresh: number;
  readonly warm: number;
}

function timeTrace(label: string, file: string, cMs: number | null, n: Repeats, vmas: string): Timed {
  const w = JSON.parse(child(['--warm', file])) as { ms: number[]; validateMs: number[]; steps: number; status: string };
  const validateNsPerStep = (Math.min(...w.validateMs.slice(1)) * 1e6) / w.steps;
  return { label, cMs, fresh: fresh(file, n.fresh), warm: warmCommand(file, n.warm), parsedOnce: w.ms, validateNsPerStep, status: w.status, vmas };
}

function printTimings(rows: Timed[], n: Repeats): void {
  const w = (s: string, k: number): string => s.padEnd(k);
  const spread = (xs: number[]): string => `${ms(median(xs))} [${ms(Math.min(...xs))}]`;
  process.stdout.write(
    `\nReplay, operations only (fresh: median of ${n.fresh} new processes, min in brackets; warm: \`replay --timing F F F F\`, best of runs 2-4, median of ${n.warm} processes [min];\n` +
      '  parsed once: one process parses the trace once and replays it four times, best of runs 2-4)\n',
  );
  process.stdout.write(
    `  ${w('trace', 26)} ${w('VMAs (end/max)', 15)} ${w('C -O2', 9)} ${w('fresh', 22)} ${w('ratio', 11)} ${w('warm', 22)} ${w('ratio', 11)} ${w('parsed once', 12)} ${w('validator', 11)} status\n`,
  );
  for (const r of rows) {
    const f = median(r.fresh);
    const warm = median(r.warm);
    const once = Math.min(...r.parsedOnce.slice(1));
    process.stdout.write(
      `  ${w(r.label, 26)} ${w(r.vmas, 15)} ${w(r.cMs === null ? '-' : ms(r.cMs), 9)} ${w(spread(r.fresh), 22)} ${w(
        r.cMs === null ? '-' : ratio(f, r.cMs, FRESH_TARGET),
        11,
      )} ${w(spread(r.warm), 22)} ${w(r.cMs === null ? '-' : ratio(warm, r.cMs, WARM_TARGET), 11)} ${w(ms(once), 12)} ${w(`${Math.round(r.validateNsPerStep)} ns/step`, 11)} ${r.status}\n`,
    );
  }
  if (rows.some((r) => r.cMs !== null)) {
    process.stdout.write(
      `  (C: v6.15 mm/vma.c -O2 in its harness, from issue 12, same machine; targets: fresh <= ${FRESH_TARGET}x, warm <= ${WARM_TARGET}x;\n` +
        '   validator: its own time per step in the best parsed-once run, outside the timed operations)\n',
    );
  }
}

/* The fuzzer: commands per second of the default campaign (fewer runs), every check on. */
function fuzzBench(runs: number): void {
  const regs = mkdtempSync(join(tmpdir(), 'vma-bench-regs-'));
  try {
    const args = ['fuzz', '--json', '--runs', String(runs), '--scenarios', String(runs), '--sweep', '0', '--regressions', regs];
    let text: string;
    try {
      text = execFileSync(process.execPath, [launcher, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
    } catch (err) {
      /* Exit status 1 (a failure) still prints the document. */
      text = String((err as { stdout?: string }).stdout ?? '');
    }
    const doc = JSON.parse(text) as { fuzz: { runs: number; commands: number; checks: number; elapsed_s: number; failures: unknown[] } };
    const f = doc.fuzz;
    process.stdout.write(
      `\nFuzzing (default campaign, ${runs} merge scenarios + ${runs} command sequences, no sweep, every check on):\n` +
        `  ${f.commands} commands, ${f.checks} checks in ${f.elapsed_s} s: ${Math.round(f.commands / f.elapsed_s)} commands/s` +
        `${f.failures.length ? `  (${f.failures.length} failure(s))` : ''}\n`,
    );
  } finally {
    rmSync(regs, { recursive: true, force: true });
  }
}

function main(argv: string[]): number {
  /* The parent and every child run with the command's V8 settings. */
  applyProcessV8Flags();
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const all = (name: string): string[] => argv.flatMap((a, i) => (a === name && argv[i + 1] !== undefined ? [argv[i + 1]] : []));
  switch (argv[0]) {
    case '--generate':
      generate(argv[1], Number(argv[2]), argv[3]);
      return 0;
    case '--warm':
      warm(argv[1]);
      return 0;
    case '--memory':
      memory(argv[1], Number(argv[2]));
      return 0;
  }
  /* The default race campaign's own length: a shorter one is dominated by V8 still optimising the explorer. */
  const raceRuns = Number(arg('--race-runs') ?? DEFAULT_RACE.runs);
  if (argv.includes('--race-only')) {
    raceBench(raceRuns, RACE_BENCH_BUGS, ['sc', 'lkmm']);
    return 0;
  }
  const n: Repeats = { fresh: Number(arg('--fresh') ?? 5), warm: Number(arg('--warm-runs') ?? 5) };
  const traces = all('--trace');
  const keep = arg('--keep');
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'vma-bench-'));
  mkdirSync(dir, { recursive: true });
  let ok = true;
  try {
    const rows: Timed[] = [];
    if (traces.length) {
      for (const t of traces) {
        try {
          rows.push(timeTrace(basename(t), resolve(t), null, n, '-'));
        } catch (err) {
          /* The child said why on stderr (bad input: exit status 2). */
          const status = (err as { status?: number }).status;
          process.stderr.write(`bench: cannot time ${t}${status === 2 ? '' : `: ${err instanceof Error ? err.message : String(err)}`}\n`);
          return 2;
        }
      }
    } else {
      process.stdout.write(`vma-harness bench: three trace shapes of ${SHAPE_STEPS} steps (see src/bench/gen.ts), traces in ${dir}\n`);
      for (const s of SHAPES) {
        const file = join(dir, `bench-${s.id}.json`);
        const g = JSON.parse(child(['--generate', s.id, String(SHAPE_STEPS), file])) as { endVmas: number; maxVmas: number };
        rows.push(timeTrace(s.label, file, s.cMs, n, `${g.endVmas}/${g.maxVmas}`));
      }
    }
    printTimings(rows, n);
    if (rows.some((r) => r.status !== 'pass')) ok = false;
    if (traces.length) return ok ? 0 : 1;

    if (!argv.includes('--no-fuzz')) fuzzBench(Number(arg('--fuzz-runs') ?? 10000));

    type Mem = { bytesPerVma: number; vmas: number };
    const port = JSON.parse(child(['--memory', 'port', '20000'], ['--expose-gc'])) as Mem;
    const world = JSON.parse(child(['--memory', 'world', '20000'], ['--expose-gc'])) as Mem;
    process.stdout.write(
      `\nMemory, heap per VMA (${port.vmas} VMAs linked): the port's state ${port.bytesPerVma} bytes (VMA objects, tree, registry); ` +
        `the replayer's trace world ${world.bytesPerVma} bytes (the same, plus the validator's layout)\n`,
    );
    if (!argv.includes('--no-million')) {
      const file = join(dir, 'bench-1m.json');
      const g = JSON.parse(child(['--generate', '5000', '1000000', file])) as { endVmas: number };
      const p = peak(file);
      process.stdout.write(
        `  a 1,000,000-step trace (~${g.endVmas} VMAs) replayed by \`vma-harness replay\`: peak RSS ${p.maxRssMiB} MiB, operations ${(p.ms / 1000).toFixed(2)} s, ${p.status}\n`,
      );
      if (p.status !== 'pass') ok = false;
    }
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
  if (!argv.includes('--no-race')) raceBench(raceRuns, RACE_BENCH_BUGS, ['sc', 'lkmm']);
  return ok ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
