// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `vma-harness fuzz`: the fuzz campaign.
 *
 *   vma-harness fuzz [--runs N] [--commands M] [--seed S] [--scenarios K]
 *                    [--sweep K] [--path P [--replay-path R]]
 *                    [--sequences-only | --scenarios-only] [--regressions DIR]
 *
 * Three phases: merge scenarios (small layouts built around one merge
 * decision), random command sequences (fc.commands, up to M commands each,
 * N runs), and a fault sweep (each preallocating operation with its Nth
 * preallocation failing, K layouts per operation).  Every command is checked
 * against the reference model and the invariants.  A failure is shrunk,
 * written as a vma-trace/1 regression under fixtures/regressions/ (or DIR)
 * and shown with layout diagrams; the exit status is then 1.
 */

import { join } from 'node:path';
import { faultSweep, SWEEP_OPS } from '../fuzz/fault_sweep';
import { FuzzStats, runFuzz, runScenarioFuzz, type FuzzResult } from '../fuzz/harness';
import { MergeCoverage } from '../fuzz/coverage';
import { fixturesDir } from './main_job';
import { progressLine } from './progress';

export interface FuzzCampaignOptions {
  runs: number;
  commands: number;
  seed: number;
  scenarios: number;
  sweep: number;
  path?: string;
  replayPath?: string;
  sequences: boolean;
  scenariosPhase: boolean;
  regressionDir: string;
}

/** The default campaign: about a minute on the machines this project runs on. */
export const DEFAULT_CAMPAIGN: FuzzCampaignOptions = {
  runs: 70000,
  commands: 80,
  seed: 20261121,
  scenarios: 60000,
  sweep: 100,
  sequences: true,
  scenariosPhase: true,
  regressionDir: join(fixturesDir(), 'regressions'),
};

export interface CampaignSummary {
  readonly failures: string[];
  readonly regressionFiles: string[];
  readonly coverage: MergeCoverage;
}

function parseArgs(argv: readonly string[]): FuzzCampaignOptions | string {
  const o: FuzzCampaignOptions = { ...DEFAULT_CAMPAIGN };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number | null => {
      const v = Number(argv[++i]);
      return Number.isSafeInteger(v) && v >= 0 ? v : null;
    };
    switch (a) {
      case '--runs':
      case '--commands':
      case '--seed':
      case '--scenarios':
      case '--sweep': {
        const v = num();
        if (v === null) return `${a} needs a non-negative integer`;
        const key = a.slice(2) as 'runs' | 'commands' | 'seed' | 'scenarios' | 'sweep';
        o[key] = v;
        break;
      }
      case '--path':
        if (argv[i + 1] === undefined) return '--path needs a value';
        o.path = argv[++i];
        break;
      case '--replay-path':
        if (argv[i + 1] === undefined) return '--replay-path needs a value';
        o.replayPath = argv[++i];
        break;
      case '--regressions':
        if (argv[i + 1] === undefined) return '--regressions needs a directory';
        o.regressionDir = argv[++i];
        break;
      case '--sequences-only':
        o.scenariosPhase = false;
        o.sweep = 0;
        break;
      case '--scenarios-only':
        o.sequences = false;
        o.sweep = 0;
        break;
      default:
        return `unknown option '${a}'`;
    }
  }
  if (o.commands < 1) return '--commands must be at least 1';
  return o;
}

/** Run a campaign, printing progress and a summary. */
export function runCampaign(o: FuzzCampaignOptions, write: (s: string) => void, tty: boolean): CampaignSummary {
  const coverage = new MergeCoverage();
  const failures: string[] = [];
  const knownFindings: string[] = [];
  const regressionFiles: string[] = [];
  let commands = 0;
  let checks = 0;
  let runs = 0;
  const t0 = Date.now();

  const phase = (title: string, total: number, body: (onRun: (s: FuzzStats) => void) => FuzzResult): void => {
    if (total === 0) return;
    let last = 0;
    write(`${title}\n`);
    const onRun = (s: FuzzStats): void => {
      const now = Date.now();
      if (tty && (now - last > 100 || s.runs === total)) {
        last = now;
        write(`\r${progressLine(s.runs, total, `${s.commands} commands`)}`);
      } else if (!tty && total >= 10 && s.runs % Math.ceil(total / 10) === 0) {
        write(`  ${progressLine(s.runs, total, `${s.commands} commands`)}\n`);
      }
    };
    const r = body(onRun);
    if (tty) write('\r\x1b[K');
    coverage.merge(r.stats.coverage);
    commands += r.stats.commands;
    checks += r.stats.checks;
    runs += r.stats.runs;
    write(`  ${r.stats.runs} runs, ${r.stats.commands} commands${r.failure ? ', FAILED' : ''}\n`);
    for (const k of r.known) {
      knownFindings.push(k.message);
      write(`${k.message}\n`);
    }
    if (r.failure) {
      failures.push(r.failure.message);
      if (r.failure.regressionFile) regressionFiles.push(r.failure.regressionFile);
      write(`${r.failure.message}\n`);
    }
  };

  const common = { seed: o.seed, path: o.path, replayPath: o.replayPath, regressionDir: o.regressionDir };
  if (o.scenariosPhase) {
    phase(`Merge scenarios (seed ${o.seed}):`, o.scenarios, (onRun) =>
      runScenarioFuzz({ ...common, runs: o.scenarios, commands: 0, onRun }),
    );
  }
  if (o.sequences) {
    phase(`Command sequences (seed ${o.seed}, up to ${o.commands} commands each):`, o.runs, (onRun) =>
      runFuzz({ ...common, runs: o.runs, commands: o.commands, onRun, allowKnownDefects: true }),
    );
  }
  let sweepRuns = 0;
  if (o.sweep > 0) {
    write(`Fault sweep (seed ${o.seed}, ${o.sweep} layouts per operation):\n`);
    let done = 0;
    const total = o.sweep * SWEEP_OPS.length;
    const sw = faultSweep(o.seed, o.sweep, () => {
      done++;
      if (tty && done % 5 === 0) write(`\r${progressLine(done, total)}`);
    });
    if (tty) write('\r\x1b[K');
    sweepRuns = sw.faultRuns;
    coverage.merge(sw.coverage);
    write(`  ${sw.scenarios} layouts, ${sw.faultRuns} runs with an injected failure${sw.failures.length ? ', FAILED' : ''}\n`);
    for (const f of sw.failures.slice(0, 5)) {
      failures.push(f);
      write(`${f}\n`);
    }
  }

  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  write(`\nFuzz summary (${secs} s):\n`);
  write(`  runs: ${runs}   commands executed: ${commands}   invariant checks: ${checks}   fault-sweep runs: ${sweepRuns}\n`);
  write(`  merge cases hit:\n`);
  for (const [c, n] of coverage.rows()) write(`    ${c.padEnd(52)} ${n}\n`);
  const missing = coverage.missing();
  if (missing.length) write(`  merge cases NOT reached: ${missing.join(', ')}\n`);
  write(`  known v6.15 defects found: ${knownFindings.length}\n`);
  write(`  failures: ${failures.length}\n`);
  for (const f of regressionFiles) write(`  regression written: ${f}\n`);
  return { failures, regressionFiles, coverage };
}

export function fuzzMain(argv: readonly string[]): number {
  const o = parseArgs(argv);
  if (typeof o === 'string') {
    process.stderr.write(`vma-harness fuzz: ${o}\n`);
    return 2;
  }
  const s = runCampaign(o, (t) => void process.stdout.write(t), Boolean(process.stdout.isTTY));
  return s.failures.length ? 1 : 0;
}
