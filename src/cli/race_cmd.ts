// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `vma-harness race`: the race campaign against the real v6.15 VMA lock.
 *
 *   vma-harness race [--mms N] [--readers N] [--ops N] [--faults N]
 *                    [--runs N] [--time SECONDS] [--seed S]
 *                    [--scheduler mix|random|pct|dfs] [--depth D] [--bound B]
 *                    [--fix COMMIT]... [--memory-model sc|lkmm] [--max-steps N]
 *                    [--program INTS [--schedule INTS]] [--regressions DIR]
 *                    [--keep-going] [--full-trace]
 *
 * Options are parsed here and nowhere else, so that they move as one piece.
 * Exit status: 0 when nothing but known v6.15 defects was found, 1 on any
 * other finding, 2 on bad input.
 */

import { UPSTREAM_FIXES } from '../lock/fixes';
import { describeKnown } from '../known_defects';
import { DEFAULT_RACE, runRaceCampaign, type RaceCampaignOptions, type RaceCampaignResult, type SchedulerName } from '../race/campaign';
import { raceFixturesDir } from '../race/regressions';
import { progressLine } from './progress';

/** Parse the options of `race` (an error message on bad input). */
export function parseRaceArgs(argv: readonly string[], base: RaceCampaignOptions = DEFAULT_RACE): RaceCampaignOptions | string {
  const o: RaceCampaignOptions = { ...base, shape: { ...base.shape }, fixes: [...base.fixes], regressionDir: raceFixturesDir() };
  const ints = (name: string, v: string | undefined): number[] | string => {
    if (v === undefined || v === '') return `${name} needs a comma-separated list of non-negative integers`;
    const out = v.split(',').map((x) => Number(x));
    if (!out.every((x) => Number.isSafeInteger(x) && x >= 0)) return `${name}: '${v}' is not a list of non-negative integers`;
    return out;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (min: number): number | string => {
      const v = Number(argv[++i]);
      return Number.isSafeInteger(v) && v >= min ? v : `${a} needs an integer >= ${min}`;
    };
    let v: number | number[] | string;
    switch (a) {
      case '--mms':
      case '--readers':
      case '--ops':
      case '--faults':
        v = num(a === '--mms' ? 1 : 0);
        if (typeof v === 'string') return v;
        o.shape[a.slice(2) as 'mms' | 'readers' | 'ops' | 'faults'] = v;
        break;
      case '--runs':
        v = num(1);
        if (typeof v === 'string') return v;
        o.runs = v;
        break;
      case '--time':
        v = num(0);
        if (typeof v === 'string') return v;
        o.timeLimitMs = v * 1000;
        break;
      case '--seed':
        v = num(0);
        if (typeof v === 'string') return v;
        o.seed = v;
        break;
      case '--depth':
        v = num(1);
        if (typeof v === 'string') return v;
        o.depth = v;
        break;
      case '--bound':
        v = num(0);
        if (typeof v === 'string') return v;
        o.bound = v;
        break;
      case '--max-steps':
        v = num(100);
        if (typeof v === 'string') return v;
        o.maxSteps = v;
        break;
      case '--scheduler': {
        const s = argv[++i];
        if (s !== 'mix' && s !== 'random' && s !== 'pct' && s !== 'dfs') return `--scheduler must be mix, random, pct or dfs (got '${s ?? ''}')`;
        o.scheduler = s as SchedulerName;
        break;
      }
      case '--fix': {
        const c = argv[++i];
        if (!UPSTREAM_FIXES.some((f) => f.commit === c)) {
          return `--fix: unknown upstream fix '${c ?? ''}' (known: ${UPSTREAM_FIXES.map((f) => `${f.commit} "${f.subject}"`).join('; ')})`;
        }
        if (!o.fixes.includes(c)) o.fixes.push(c);
        break;
      }
      case '--memory-model': {
        const m = argv[++i];
        if (m !== 'sc' && m !== 'lkmm') return `--memory-model must be sc or lkmm (got '${m ?? ''}')`;
        o.memoryModel = m;
        break;
      }
      case '--program':
        v = ints('--program', argv[++i]);
        if (typeof v === 'string') return v;
        o.program = v;
        break;
      case '--schedule':
        v = ints('--schedule', argv[++i]);
        if (typeof v === 'string') return v;
        o.schedule = v;
        break;
      case '--regressions':
        if (argv[i + 1] === undefined) return '--regressions needs a directory';
        o.regressionDir = argv[++i];
        break;
      case '--keep-going':
        o.stopAtFirst = false;
        break;
      case '--full-trace':
        o.fullTrace = true;
        break;
      default:
        return `unknown option '${a}'`;
    }
  }
  if (o.schedule !== undefined && o.program === undefined) return '--schedule needs --program (the report prints both)';
  return o;
}

const ALL_STATES = ['0 (detached)', '1 (attached)', '2..O-1 (attached, readers)', 'O (detaching writer, no reader)', 'O+1 (write-locking writer, no reader)', 'O+n (writer waiting for readers)'];

/** Print a campaign's summary. */
export function printRaceSummary(o: RaceCampaignOptions, r: RaceCampaignResult, write: (s: string) => void): void {
  const secs = r.elapsedMs / 1000;
  write(`\nRace summary (${secs.toFixed(1)} s, ${o.memoryModel === 'sc' ? 'sequentially consistent' : 'LKMM'} memory${o.fixes.length ? `, fixes ${o.fixes.join(', ')}` : ', v6.15 as released'}):\n`);
  write(`  schedules run: ${r.runs}   atomic steps: ${r.steps}   invariant checks: ${r.checks}   (${Math.round(r.steps / Math.max(secs, 1e-3))} steps/s)\n`);
  if (r.nestingLimited) write(`  runs cut short by the LIFO nesting of writers: ${r.nestingLimited}\n`);
  write('  vm_refcnt states reached:\n');
  for (const s of ALL_STATES) write(`    ${s.padEnd(40)} ${r.coverage.refcountStates.get(s) ?? 'NOT REACHED'}\n`);
  write('  reader outcomes:\n');
  for (const [k, n] of [...r.coverage.readerOutcomes].sort()) write(`    ${k.padEnd(54)} ${n}\n`);
  write(`  operations: ${[...r.coverage.ops].sort().map(([k, n]) => `${k} ${n}`).join(', ')}\n`);
  const failures = r.findings.filter((f) => f.known === null);
  for (const f of r.findings.filter((x) => x.known !== null)) {
    write(`  ${describeKnown(f.known as NonNullable<typeof f.known>)}: ${f.finding.message}\n`);
  }
  write(`  failures: ${failures.length}\n`);
  for (const f of failures) if (f.file) write(`  regression written: ${f.file}\n`);
}

/** Run a campaign with progress, reports and the summary; returns the exit status. */
export function raceCampaignMain(o: RaceCampaignOptions, write: (s: string) => void, tty: boolean): { result: RaceCampaignResult; status: number } {
  let last = 0;
  const total = o.timeLimitMs || 0;
  const r = runRaceCampaign(o, (p) => {
    const now = Date.now();
    if (tty && now - last > 200) {
      last = now;
      const done = total ? p.elapsedMs : p.runs;
      write(`\r${progressLine(Math.min(done, total || o.runs), total || o.runs, `${p.runs} schedules, ${p.steps} steps${p.findings ? `, ${p.findings} finding(s)` : ''}`)}`);
    } else if (!tty && now - last > 5000) {
      last = now;
      write(`  ${p.runs} schedules, ${p.steps} steps, ${(p.elapsedMs / 1000).toFixed(0)} s\n`);
    }
  });
  if (tty) write('\r\x1b[K');
  for (const f of r.findings) write(`\n${f.report}\n`);
  printRaceSummary(o, r, write);
  return { result: r, status: r.findings.some((f) => f.known === null) ? 1 : 0 };
}

export function raceMain(argv: readonly string[]): number {
  const o = parseRaceArgs(argv);
  if (typeof o === 'string') {
    process.stderr.write(`vma-harness race: ${o}\n`);
    return 2;
  }
  const write = (s: string): void => void process.stdout.write(s);
  const tty = Boolean(process.stdout.isTTY);
  if (o.schedule !== undefined) write('Replaying one program with its schedule\n');
  else {
    write(
      `Race campaign: seed ${o.seed}, scheduler ${o.scheduler}, up to ${o.shape.mms} mms with ${o.shape.readers} reader(s) each, ` +
        `${o.shape.ops} operations per writer, ${o.runs} runs${o.timeLimitMs ? ` or ${o.timeLimitMs / 1000} s` : ''}\n`,
    );
  }
  return raceCampaignMain(o, write, tty).status;
}
