// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The race part of `npm run bench`: atomic steps per second of the default
 * race campaign with every invariant on, with and without the LKMM
 * visibility model (wall clock and per CPU second, as the machine may be
 * shared), against the 1,000,000 steps/s target; the same campaign over
 * two worker threads (parallel.ts); and the time the default campaign
 * needs to find each historic bug planted in a copy of the model, and the
 * known v6.15 use-after-free.  Every measurement runs in a fresh process.
 *
 *   node dist/bench/race.js [--runs N]
 *   node dist/bench/race.js --fingerprint [RUNS]   (the campaign fingerprints, see fingerprint())
 */

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { DEFAULT_RACE, runRaceCampaign, type RaceCampaignOptions } from '../race/campaign';
import { runRaceCampaignThreaded } from '../race/parallel';
import type { MemoryModel, RaceKernel } from '../race/explorer';
import type { RacePort } from '../race/ops';
import { plantCleanup, plantedCopy } from '../race/plant';
import { HISTORIC_BUGS, ORDERING_BUGS } from '../race/planted';

interface Throughput {
  runs: number;
  steps: number;
  wallMs: number;
  cpuMs: number;
}

interface FirstFinding {
  found: boolean;
  run: number;
  ms: number;
  kind: string;
}

function throughput(runs: number, model: MemoryModel): void {
  const o: RaceCampaignOptions = { ...DEFAULT_RACE, runs, timeLimitMs: 0, stopAtFirst: false, memoryModel: model, shrinkTimeMs: 0, shrinkBudget: 0 };
  /* Warm up the JIT first, as a campaign of any length would be. */
  runRaceCampaign({ ...o, runs: Math.min(300, runs), seed: 1 });
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = runRaceCampaign(o);
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cu = process.cpuUsage(c0);
  const t: Throughput = { runs: r.runs, steps: r.steps, wallMs, cpuMs: (cu.user + cu.system) / 1000 };
  process.stdout.write(JSON.stringify(t));
}

/*
 * The same campaign over @threads worker threads, timed from the start
 * (each worker loads and warms up on its own); the process's CPU time
 * includes every thread's.
 */
async function threaded(runs: number, model: MemoryModel, threads: number): Promise<void> {
  const o: RaceCampaignOptions = { ...DEFAULT_RACE, runs, timeLimitMs: 0, stopAtFirst: false, memoryModel: model, shrinkTimeMs: 0, shrinkBudget: 0, threads };
  const stop = { requested: false, pause: (): Promise<void> => new Promise((r) => setImmediate(r)) };
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = await runRaceCampaignThreaded(o, stop);
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cu = process.cpuUsage(c0);
  const t: Throughput = { runs: r.runs, steps: r.steps, wallMs, cpuMs: (cu.user + cu.system) / 1000 };
  process.stdout.write(JSON.stringify(t));
}

/*
 * The fingerprint of a campaign: everything it decides and reports (runs,
 * steps, checks, coverage, every finding with its shrunk program, schedule
 * and report), hashed.  A change made for speed must leave it unchanged
 * (compare `--fingerprint` before and after, for seeds 7, 99 and 20261121,
 * sc and lkmm).  Shrinking is bounded by replays, not time, so that the
 * result does not depend on the machine's load.
 */
function fingerprint(model: MemoryModel, runs: number, seed: number): void {
  const o: RaceCampaignOptions = { ...DEFAULT_RACE, seed, runs, timeLimitMs: 0, stopAtFirst: false, stopAtKnown: false, memoryModel: model, shrinkTimeMs: 1e9, shrinkBudget: 200 };
  const r = runRaceCampaign(o);
  const cov: Record<string, [string, number][]> = {};
  for (const k of ['refcountStates', 'readerOutcomes', 'ops'] as const) cov[k] = [...r.coverage[k]].sort();
  const all = {
    runs: r.runs,
    steps: r.steps,
    checks: r.checks,
    nest: r.nestingLimited,
    cov,
    f: r.findings.map((f) => [f.run, f.finding.kind, f.finding.message, f.schedule.join(','), f.program.join(','), f.report]),
  };
  const hash = createHash('sha1').update(JSON.stringify(all)).digest('hex').slice(0, 12);
  process.stdout.write(`${model} seed ${seed}: ${r.runs} runs, ${r.steps} steps, ${r.findings.length} finding(s), fingerprint ${hash}\n`);
}

/** The issue's target: atomic steps per second with every invariant on. */
export const RACE_STEPS_TARGET = 1_000_000;

function first(id: string, model: MemoryModel): void {
  const bug = [...HISTORIC_BUGS, ...ORDERING_BUGS].find((b) => b.id === id);
  let kernel: RaceKernel | undefined;
  let port: RacePort | undefined;
  if (bug !== undefined) {
    if (bug.spec.dir === 'lock') kernel = plantedCopy<RaceKernel>(bug.spec, 'index');
    else port = plantedCopy<RacePort>(bug.spec, 'vma');
  }
  const o: RaceCampaignOptions = {
    ...DEFAULT_RACE,
    kernel,
    port,
    memoryModel: model,
    timeLimitMs: 120000,
    runs: 1e9,
    shrinkTimeMs: 0,
    shrinkBudget: 0,
    stopAtKnown: bug === undefined,
  };
  const t0 = Date.now();
  const r = runRaceCampaign(o);
  plantCleanup();
  const f = r.findings.find((x) => (bug === undefined ? x.known !== null : x.known === null));
  const res: FirstFinding = { found: f !== undefined, run: f ? f.run + 1 : r.runs, ms: f ? f.elapsedMs : Date.now() - t0, kind: f ? f.finding.kind : '' };
  process.stdout.write(JSON.stringify(res));
}

/** The historic bugs to time (issue 7's and, when given, more). */
export function raceBench(runs: number, bugs: readonly { id: string; model: MemoryModel }[], models: readonly MemoryModel[]): void {
  const run = (args: string[]): string => execFileSync(process.execPath, [__filename, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  process.stdout.write(`\nvma-harness bench: race explorer (default campaign, ${runs} schedules, every invariant after every atomic step)\n`);
  const rate = (t: Throughput): string =>
    `${t.steps} steps in ${(t.wallMs / 1000).toFixed(2)} s: ${Math.round(t.steps / (t.wallMs / 1000))} steps/s wall clock, ${Math.round(t.steps / (t.cpuMs / 1000))} steps per CPU second`;
  for (const m of models) {
    const t = JSON.parse(run(['--throughput', String(runs), m])) as Throughput;
    const wall = t.steps / (t.wallMs / 1000);
    process.stdout.write(
      `  memory model ${m.padEnd(5)} ${rate(t)}\n` +
        `    target ${RACE_STEPS_TARGET} steps/s: ${wall >= RACE_STEPS_TARGET ? 'reached' : `not reached (${Math.round((100 * wall) / RACE_STEPS_TARGET)}% of it)`}\n`,
    );
  }
  process.stdout.write('  timed from the start (no warm-up run first; a worker loads and warms up on its own):\n');
  for (const m of models) {
    for (const n of [1, 2]) {
      const t = JSON.parse(run(['--threaded', String(runs), m, String(n)])) as Throughput;
      process.stdout.write(`    memory model ${m.padEnd(5)} ${n === 1 ? 'one thread       ' : `${n} worker threads`} ${rate(t)}\n`);
    }
  }
  process.stdout.write('  time to first finding with the default campaign (seed 20261121, LKMM visibility on):\n');
  for (const b of bugs) {
    const f = JSON.parse(run(['--first', b.id, b.model])) as FirstFinding;
    process.stdout.write(
      `    ${b.id.padEnd(32)} ${f.found ? `${(f.ms / 1000).toFixed(2).padStart(7)} s  (schedule ${f.run}, ${f.kind})` : `not found in ${f.run} schedules`}\n`,
    );
  }
}

/** The known v6.15 use-after-free of the unmodified model, and every planted historic bug, with the default (LKMM) settings. */
export const RACE_BENCH_BUGS: readonly { id: string; model: MemoryModel }[] = [
  { id: 'v6.15 as released (known UAF)', model: 'lkmm' },
  ...[...HISTORIC_BUGS, ...ORDERING_BUGS].map((b) => ({ id: b.id, model: 'lkmm' as MemoryModel })),
];

if (require.main === module) {
  const argv = process.argv.slice(2);
  if (argv[0] === '--throughput') throughput(Number(argv[1]), argv[2] as MemoryModel);
  else if (argv[0] === '--threaded') void threaded(Number(argv[1]), argv[2] as MemoryModel, Number(argv[3]));
  else if (argv[0] === '--first') first(argv[1], argv[2] as MemoryModel);
  else if (argv[0] === '--fingerprint') {
    const runs = Number(argv[1] ?? 2000);
    for (const m of ['sc', 'lkmm'] as const) for (const seed of [7, 99, 20261121]) fingerprint(m, runs, seed);
  }
  else {
    const i = argv.indexOf('--runs');
    raceBench(i >= 0 ? Number(argv[i + 1]) : DEFAULT_RACE.runs, RACE_BENCH_BUGS, ['sc', 'lkmm']);
  }
}
