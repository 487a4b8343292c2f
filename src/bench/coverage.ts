// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `npm run coverage`: which functions of the port (src/mm/vma.ts and
 * src/mm/vma_h.ts) the replay of the oracle traces reaches, and which the
 * default fuzz campaign reaches, with the functions no trace can reach in
 * the harness and why.
 *
 *   node dist/bench/coverage.js [--replay-only] [--all]
 *
 * Measured with V8's precise coverage (node:inspector, Profiler
 * .startPreciseCoverage with call counts, function granularity) on whatever
 * code runs the port: the compiled dist/ here, the ts-jest modules in the
 * test suite.  The list of functions is read from the source of each module
 * (every top-level `function` declaration), so a function that never ran
 * still shows up.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The port's modules, as require() paths relative to this file. */
export const PORT_MODULES = ['../mm/vma', '../mm/vma_h'] as const;

/**
 * Functions of the port that nothing in the harness can call, and why.  A
 * function listed here must not be reached (the list stays honest); every
 * other function must be reached by the oracle replay.
 */
export const UNREACHABLE: Readonly<Record<string, string>> = {
  expand_upwards: 'CONFIG_STACK_GROWSUP only (PA-RISC); compiled out of the harness, no operation calls it',
  vma_iter_prev_range_limit: 'mm/vma.h helper whose only caller is expand_upwards()',
  unlink_file_vma_batch_init: "no caller in mm/vma.c: free_pgtables() (mm/memory.c) uses the batch, and it is a stub here",
  unlink_file_vma_batch_add: 'no caller in mm/vma.c (free_pgtables(), a stub here)',
  unlink_file_vma_batch_final: 'no caller in mm/vma.c (free_pgtables(), a stub here)',
  unlink_file_vma_batch_process: 'called only by unlink_file_vma_batch_add()/_final()',
  unlink_file_vma: 'no caller in mm/vma.c (its callers are elsewhere in mm/)',
  vma_needs_dirty_tracking: 'no caller in mm/vma.c (mprotect and the fault path use it)',
  vma_wants_manual_pte_write_upgrade: 'mm/vma.h helper with no caller in mm/vma.c (mprotect and the fault path use it)',
  vma_iter_bulk_alloc: "mm/vma.h helper with no caller in mm/vma.c (fork's dup_mmap() uses it)",
  can_modify_vma_madv: 'mm/vma.h helper with no caller in mm/vma.c (madvise uses it)',
  vma_merge_state_name:
    "the port's diagnostic: names vmg->state when a VM_WARN_ON_VMG() fires or a harness check fails: no oracle trace does, the fuzzer does when it reaches a known v6.15 defect that warns",
};

/** One function of the port and the calls each measured run made to it. */
export interface FunctionReach {
  /** The module's file name (vma.ts or vma_h.ts). */
  readonly file: string;
  readonly name: string;
  /** Calls per run, in the order of the runs measured. */
  readonly calls: number[];
}

interface CoverageFunction {
  functionName: string;
  ranges: { startOffset: number; endOffset: number; count: number }[];
}
interface ScriptCoverage {
  url: string;
  functions: CoverageFunction[];
}

/** The source path of each port module, as this process loads it. */
function portPaths(): string[] {
  return PORT_MODULES.map((m) => require.resolve(m));
}

/** The top-level function declarations of a module's source, in source order. */
export function declaredFunctions(source: string): string[] {
  const names: string[] = [];
  const re = /^(?:export\s+)?function\s+([A-Za-z_$][\w$]*)/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(source)) !== null) names.push(m[1]);
  return names;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1).replace(/\.js$/, '.ts');
}

/**
 * A precise-coverage session over the port's modules.  start() before the
 * code to measure runs; each take() returns the calls made since the
 * previous one (V8 resets its counters when they are taken).
 */
export class PortCoverage {
  private readonly session = new Session();
  private readonly paths = portPaths();
  /** Per path: the module's functions, and the calls of each measured run. */
  private readonly functions = new Map<string, string[]>();
  private readonly runs: Map<string, Map<string, number>>[] = [];

  private post<T>(method: string, params: object = {}): Promise<T> {
    return new Promise((resolve, reject) => {
      this.session.post(method, params, (err, res) => (err ? reject(err) : resolve(res as T)));
    });
  }

  /** Connect and start precise coverage (call counts, function granularity). */
  async start(): Promise<void> {
    this.session.connect();
    await this.post('Profiler.enable');
    await this.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });
    for (const p of this.paths) this.functions.set(p, declaredFunctions(readFileSync(p, 'utf8')));
  }

  /** Record the calls made since start() or the previous take() as one run. */
  async take(): Promise<void> {
    const { result } = await this.post<{ result: ScriptCoverage[] }>('Profiler.takePreciseCoverage');
    const run = new Map<string, Map<string, number>>();
    for (const p of this.paths) run.set(p, new Map());
    for (const script of result) {
      const path = script.url.startsWith('file:') ? fileURLToPath(script.url) : script.url;
      const counts = run.get(path);
      if (counts === undefined) continue;
      for (const f of script.functions) {
        /* With detailed: false the first range is the whole function and carries its call count. */
        const n = f.ranges[0]?.count ?? 0;
        counts.set(f.functionName, (counts.get(f.functionName) ?? 0) + n);
      }
    }
    this.runs.push(run);
  }

  /** Stop measuring and disconnect. */
  async stop(): Promise<void> {
    await this.post('Profiler.stopPreciseCoverage');
    await this.post('Profiler.disable');
    this.session.disconnect();
  }

  /** Every function of the port with its calls in each run taken so far. */
  report(): FunctionReach[] {
    const out: FunctionReach[] = [];
    for (const p of this.paths) {
      for (const name of this.functions.get(p) ?? []) {
        out.push({ file: baseName(p), name, calls: this.runs.map((r) => r.get(p)?.get(name) ?? 0) });
      }
    }
    return out;
  }
}

/** Reachable functions (not in UNREACHABLE) that run @run did not call. */
export function missed(rows: readonly FunctionReach[], run: number): FunctionReach[] {
  return rows.filter((r) => !(r.name in UNREACHABLE) && r.calls[run] === 0);
}

/** Functions listed in UNREACHABLE that run @run called after all (the list is wrong). */
export function wronglyUnreachable(rows: readonly FunctionReach[], run: number): FunctionReach[] {
  return rows.filter((r) => r.name in UNREACHABLE && r.calls[run] > 0);
}

/** UNREACHABLE entries that name no function of the port. */
export function unknownUnreachable(rows: readonly FunctionReach[]): string[] {
  const names = new Set(rows.map((r) => r.name));
  return Object.keys(UNREACHABLE).filter((n) => !names.has(n));
}

/** The printed report: per file and run, reached/total and reached/reachable, then what was missed and why. */
export function formatCoverage(rows: readonly FunctionReach[], runNames: readonly string[], all: boolean): string {
  const lines: string[] = ['Function coverage of src/mm (V8 precise coverage, function granularity)', ''];
  const files = [...new Set(rows.map((r) => r.file))];
  const pct = (a: number, b: number): string => `${b === 0 ? 100 : ((100 * a) / b).toFixed(1)} %`;
  for (const file of files) {
    const fr = rows.filter((r) => r.file === file);
    const reachable = fr.filter((r) => !(r.name in UNREACHABLE));
    lines.push(`src/mm/${file}: ${fr.length} functions, ${reachable.length} reachable in the harness`);
    runNames.forEach((run, i) => {
      const hit = fr.filter((r) => r.calls[i] > 0).length;
      const hitReachable = reachable.filter((r) => r.calls[i] > 0).length;
      lines.push(
        `  ${run.padEnd(22)} ${String(hit).padStart(3)}/${fr.length} functions (${pct(hit, fr.length)}), ` +
          `${hitReachable}/${reachable.length} reachable (${pct(hitReachable, reachable.length)})`,
      );
    });
  }
  runNames.forEach((run, i) => {
    const m = missed(rows, i);
    lines.push('', `Reachable but not reached by the ${run}: ${m.length ? '' : 'none'}`);
    for (const r of m) lines.push(`  ${r.file} ${r.name}`);
    const w = wronglyUnreachable(rows, i);
    for (const r of w) lines.push(`  (listed as unreachable, yet called ${r.calls[i]} times: ${r.file} ${r.name})`);
  });
  lines.push('', 'Unreachable in the harness:');
  for (const r of rows.filter((x) => x.name in UNREACHABLE)) lines.push(`  ${r.file} ${r.name}: ${UNREACHABLE[r.name]}`);
  for (const n of unknownUnreachable(rows)) lines.push(`  (listed as unreachable but not a function of src/mm: ${n})`);
  if (all) {
    lines.push('', `${'function'.padEnd(44)}${runNames.map((n) => n.padStart(16)).join('')}`);
    for (const r of rows) {
      lines.push(`${`${r.file} ${r.name}`.padEnd(44)}${r.calls.map((c) => String(c).padStart(16)).join('')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** `npm run coverage`: measure the oracle replay, then (unless --replay-only) the default fuzz campaign. */
export async function coverageMain(argv: readonly string[]): Promise<number> {
  const replayOnly = argv.includes('--replay-only');
  const all = argv.includes('--all');
  const unknown = argv.filter((a) => a !== '--replay-only' && a !== '--all');
  if (unknown.length) {
    process.stderr.write(`coverage: unknown argument '${unknown[0]}' (usage: coverage [--replay-only] [--all])\n`);
    return 2;
  }
  const cov = new PortCoverage();
  /* Start before the port is loaded (required lazily below), so that every call is counted. */
  await cov.start();
  const { collectTraceFiles, replayFile } = require('../trace/replay') as typeof import('../trace/replay');
  const { fixturesDir } = require('../cli/fuzz_cmd') as typeof import('../cli/fuzz_cmd');
  const runNames = ['oracle replay'];

  const oracle = collectTraceFiles([join(fixturesDir(), 'oracle')]).filter((f) => f.endsWith('.json'));
  process.stderr.write(`coverage: replaying ${oracle.length} oracle traces\n`);
  let failed = 0;
  for (const f of oracle) if (replayFile(f).status !== 'pass') failed++;
  await cov.take();

  if (!replayOnly) {
    const { DEFAULT_CAMPAIGN, runCampaign } = require('../cli/fuzz_cmd') as typeof import('../cli/fuzz_cmd');
    const { processContext } = require('../cli/context') as typeof import('../cli/context');
    const dir = mkdtempSync(join(tmpdir(), 'vma-coverage-'));
    try {
      process.stderr.write('coverage: running the default fuzz campaign\n');
      const ctx = processContext();
      const fuzz = await runCampaign({ ...DEFAULT_CAMPAIGN, regressionDir: dir }, ctx, ctx.err, false);
      failed += fuzz.exitCode;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await cov.take();
    runNames.push('default fuzz campaign');
  }
  await cov.stop();

  const rows = cov.report();
  process.stdout.write(formatCoverage(rows, runNames, all));
  if (failed) process.stdout.write(`\n${failed} trace(s) or fuzz phase(s) failed: the figures above are not meaningful.\n`);
  return failed || wronglyUnreachable(rows, 0).length || unknownUnreachable(rows).length ? 1 : 0;
}

if (require.main === module) {
  coverageMain(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
