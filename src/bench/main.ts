// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `npm run bench`: replay throughput of the port on long generated traces
 * at about 50, 5,000 and 20,000 VMAs, and peak memory.  Each size runs in
 * its own process so that memory figures do not mix.  Only the operations
 * are timed (as `vma-harness replay --timing` does); the validator's own
 * cost per step (checking preconditions, keeping its layout in step) is
 * shown beside it.
 *
 *   node dist/bench/main.js [--steps N] [--sizes 50,5000,20000] [--keep DIR]
 *                           [--race-runs N] [--no-race] [--race-only]
 *
 * Then the race explorer's numbers (race.ts).
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatTrace } from '../trace/write';
import { describeResult, replayFile } from '../trace/replay';
import { generateBenchTrace } from './gen';
import { TraceWorld } from '../trace/world';
import { PAGE_SIZE } from '../vma_internal/constants';
import { RACE_BENCH_BUGS, raceBench } from './race';

interface GenResult {
  avgVmas: number;
  maxVmas: number;
  genMs: number;
}

interface ReplayResult {
  ops: number;
  elapsedNs: string;
  validateNs: string;
  status: string;
  maxRssMiB: number;
  heapUsedMiB: number;
}

/* First child: generate the trace and write it. */
function generate(size: number, steps: number, dir: string): void {
  const t0 = Date.now();
  const { trace, vmaCounts } = generateBenchTrace({
    name: `bench-${size}`,
    targetVmas: size,
    steps,
    seed: 0x5eed + size,
    expectEvery: 10000,
  });
  const genMs = Date.now() - t0;
  writeFileSync(join(dir, `bench-${size}.json`), formatTrace(trace));
  const tail = vmaCounts.slice(Math.floor(vmaCounts.length / 4));
  process.stdout.write(
    JSON.stringify({
      avgVmas: Math.round(tail.reduce((a, b) => a + b, 0) / Math.max(1, tail.length)),
      maxVmas: Math.max(0, ...vmaCounts),
      genMs,
    }),
  );
}

/* Third child (run with --expose-gc): heap held by the port's state per VMA. */
function memory(size: number): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  const before = process.memoryUsage().heapUsed;
  const world = new TraceWorld();
  for (let i = 0; i < size; i++) {
    const start = 0x10000000 + i * 2 * PAGE_SIZE;
    world.run({ op: 'alloc_and_link', start, end: start + PAGE_SIZE, pgoff: start / PAGE_SIZE, flags: 0x33n });
  }
  world.endStep();
  gc();
  const after = process.memoryUsage().heapUsed;
  process.stdout.write(JSON.stringify({ bytesPerVma: Math.round((after - before) / size), vmas: world.mm.map_count }));
  world.dispose();
}

/* Second child: replay it in a fresh process, so peak memory is the replay's. */
function replay(size: number, dir: string): void {
  const r = replayFile(join(dir, `bench-${size}.json`));
  process.stdout.write(
    JSON.stringify({
      ops: r.stepsRun,
      elapsedNs: r.elapsedNs.toString(),
      validateNs: r.validateNs.toString(),
      status: r.status === 'pass' ? 'pass' : `${r.status}: ${describeResult(r)}`,
      maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 1048576),
    }),
  );
}

function main(argv: string[]): number {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (argv[0] === '--generate') {
    generate(Number(argv[1]), Number(argv[2]), argv[3]);
    return 0;
  }
  if (argv[0] === '--memory') {
    memory(Number(argv[1]));
    return 0;
  }
  if (argv[0] === '--replay') {
    replay(Number(argv[1]), argv[2]);
    return 0;
  }
  const raceRuns = Number(arg('--race-runs') ?? 4000);
  if (argv.includes('--race-only')) {
    raceBench(raceRuns, RACE_BENCH_BUGS, ['sc', 'lkmm']);
    return 0;
  }
  const sizes = (arg('--sizes') ?? '50,5000,20000').split(',').map(Number);
  const steps = Number(arg('--steps') ?? 200000);
  const keep = arg('--keep');
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'vma-bench-'));
  mkdirSync(dir, { recursive: true });
  process.stdout.write(`vma-harness bench: ${steps} steps per size, expectations every 10000 steps\n`);
  process.stdout.write('  VMAs (avg/max)    steps/s      ns/step   replay-time   peak RSS (replay)   gen-time  validate ns/step  status\n');
  let ok = true;
  for (const size of sizes) {
    const run = (args: string[]): string =>
      execFileSync(process.execPath, [__filename, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const g = JSON.parse(run(['--generate', String(size), String(steps), dir])) as GenResult;
    const r = { size, ...g, ...(JSON.parse(run(['--replay', String(size), dir])) as ReplayResult) };
    const ns = Number(r.elapsedNs);
    const perSec = r.ops / (ns / 1e9);
    process.stdout.write(
      `  ${`${r.avgVmas}/${r.maxVmas}`.padEnd(15)} ${Math.round(perSec).toString().padStart(10)} ${(ns / r.ops)
        .toFixed(0)
        .padStart(10)} ${(ns / 1e9).toFixed(2).padStart(10)} s ${`${r.maxRssMiB} MiB`.padStart(10)} ${(r.genMs / 1000)
        .toFixed(1)
        .padStart(8)} s  ${(Number(r.validateNs) / r.ops).toFixed(0).padStart(16)}  ${r.status}\n`,
    );
    process.stdout.write(`    timing: ops ${r.ops} elapsed_ns ${r.elapsedNs}   (trace: ${join(dir, `bench-${size}.json`)})\n`);
    if (r.status !== 'pass') ok = false;
  }
  const mem = JSON.parse(
    execFileSync(process.execPath, ['--expose-gc', __filename, '--memory', String(Math.max(...sizes))], { encoding: 'utf8' }),
  ) as { bytesPerVma: number; vmas: number };
  process.stdout.write(
    `  port state: ${mem.bytesPerVma} bytes of heap per VMA (${mem.vmas} VMAs linked: VMA objects, tree, registry)\n`,
  );
  process.stdout.write('  (peak RSS includes the parsed trace and its expectations)\n');
  if (!keep) rmSync(dir, { recursive: true, force: true });
  if (!argv.includes('--no-race')) raceBench(raceRuns, RACE_BENCH_BUGS, ['sc', 'lkmm']);
  return ok ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));

