// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The --json report of replay, fuzz and run: one JSON document on stdout
 * and nothing else, with the documented fields (README, "The --json
 * report"), for passing, failing, bad and interrupted runs, and a fuzzing
 * failure with its regression file and commands.
 */

import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vma from '../../src/mm/vma';
import { main } from '../../src/cli';
import { mainJob } from '../../src/cli/main_job';
import { DEFAULT_RACE } from '../../src/race/campaign';
import { REPORT_SCHEMA, type ReportJson, type TraceJson } from '../../src/cli/report';
import { replayFile } from '../../src/trace/replay';
import { UINT_MAX } from '../../src/vma_internal';
import { testContext } from './context';

const oracle = join(__dirname, '..', '..', 'fixtures', 'oracle');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vma-json-'));
});
afterEach(() => {
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

async function runJson(argv: string[], stdin?: string): Promise<{ code: number; doc: ReportJson; err: string }> {
  const ctx = testContext({ stdin });
  const code = await main(argv, ctx);
  /* stdout is exactly one JSON document. */
  const doc = JSON.parse(ctx.stdout()) as ReportJson;
  expect(doc.schema).toBe(REPORT_SCHEMA);
  expect(doc.exit_code).toBe(code);
  return { code, doc, err: ctx.stderr() };
}

const KEYS_OF_TRACE = ['name', 'file', 'status', 'passed', 'steps_run', 'failure'];

describe('replay --json', () => {
  test('passing traces, with timing when asked', async () => {
    const { code, doc } = await runJson(['replay', '--json', '--timing', join(oracle, 'random-s0001.json'), join(oracle, 'random-s0002.json')]);
    expect(code).toBe(0);
    expect(doc).toMatchObject({ command: 'replay', interrupted: false, version: expect.any(String) });
    expect(doc.fuzz).toBeUndefined();
    const r = doc.replay!;
    expect(r).toMatchObject({ passed: 2, failed: 0, bad_input: 0, not_run: 0, skipped: [] });
    expect(r.traces.map((t) => t.name)).toEqual(['random-s0001', 'random-s0002']);
    const t = r.traces[0];
    expect(Object.keys(t)).toEqual([...KEYS_OF_TRACE, 'timing']);
    expect(t).toMatchObject({ status: 'pass', passed: true, steps_run: 56, failure: null, timing: { ops: 56 } });
    expect(t.file).toMatch(/random-s0001\.json$/);
    expect(t.timing!.elapsed_ns).toBeGreaterThan(0);
  });

  test('a mismatch, a bad trace and a skipped file: every field of the failure', async () => {
    const doc0 = JSON.parse(readFileSync(join(oracle, 'random-s0004.json'), 'utf8')) as { steps: { expect: { map_count: number } }[] };
    doc0.steps[5].expect.map_count = 9;
    writeFileSync(join(dir, 'a-mismatch.json'), JSON.stringify(doc0));
    writeFileSync(join(dir, 'b-bad.json'), '{"format":"vma-trace/1","kernel":"v6.15","name":"x","steps":[{"op":"munmap","start":"0x10g0","len":"0x1000"}]}');
    copyFileSync(join(oracle, 'random-s0001.json'), join(dir, 'c-good.json'));
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    const { code, doc, err } = await runJson(['replay', '--json', dir]);
    expect(code).toBe(2);
    const r = doc.replay!;
    expect(r).toMatchObject({ passed: 1, failed: 2, bad_input: 1, not_run: 0 });
    expect(r.skipped).toEqual([{ file: join(dir, 'notes.txt'), reason: 'not a *.json file', error: false }]);
    const [mismatch, bad, good] = r.traces as TraceJson[];
    expect(Object.keys(mismatch)).toEqual(KEYS_OF_TRACE);
    expect(mismatch).toMatchObject({
      name: 'random-s0004',
      file: join(dir, 'a-mismatch.json'),
      status: 'mismatch',
      passed: false,
      steps_run: 6,
      failure: { kind: 'mismatch', step: 5, op: 'alloc_and_link', field: 'map_count', expected: '9', actual: '4' },
    });
    expect(mismatch.failure!.message).toContain("field 'map_count': expected 9, actual 4");
    expect(bad).toMatchObject({ status: 'bad-input', failure: { kind: 'bad-input', step: 0, op: 'munmap', field: null } });
    expect(bad.failure!.message).toContain("field 'start': malformed hex string");
    expect(good).toMatchObject({ name: 'random-s0001', passed: true });
    /* Errors still reach stderr; nothing but the document on stdout (checked by JSON.parse above). */
    expect(err).toContain('ERROR');
  });

  test('no trace found: exit 2, an empty list in the document', async () => {
    const { code, doc, err } = await runJson(['replay', '--json', dir]);
    expect(code).toBe(2);
    expect(doc.replay).toMatchObject({ traces: [], passed: 0, failed: 0 });
    expect(err).toMatch(/no trace file found in /);
  });

  test('stdin as "-"', async () => {
    const { code, doc } = await runJson(['replay', '--json', '-'], readFileSync(join(oracle, 'random-s0002.json'), 'utf8'));
    expect(code).toBe(0);
    expect(doc.replay!.traces[0]).toMatchObject({ name: 'random-s0002', file: '-', passed: true });
  });
});

describe('fuzz --json', () => {
  test('a small campaign: its parameters, counts and merge-case counters', async () => {
    const { code, doc } = await runJson(['fuzz', '--json', '--runs', '30', '--commands', '20', '--scenarios', '30', '--sweep', '1', '--seed', '5', '--regressions', dir]);
    expect(code).toBe(0);
    expect(doc.command).toBe('fuzz');
    expect(doc.replay).toBeUndefined();
    const f = doc.fuzz!;
    expect(Object.keys(f)).toEqual([
      'seed',
      'requested',
      'runs',
      'commands',
      'checks',
      'fault_sweep_runs',
      'merge_cases',
      'paths',
      'merge_cases_missing',
      'known_defects',
      'failures',
      'elapsed_s',
    ]);
    expect(f).toMatchObject({ seed: 5, requested: { scenarios: 30, sequences: 30, max_commands: 20, sweep_layouts: 1 }, runs: 60, failures: [] });
    expect(f.commands).toBeGreaterThan(60);
    expect(f.checks).toBeGreaterThan(f.commands);
    expect(f.merge_cases['existing:left']).toEqual(expect.any(Number));
    expect(Object.keys(f.merge_cases)).toEqual(expect.arrayContaining(['new:both', 'expand:remove_next', 'existing:nomem']));
    expect(Object.keys(f.paths)).toEqual(expect.arrayContaining(['brk:expand', 'vms_abort_munmap_vmas:reattach', 'err:vma_merge_existing_range:abort']));
    expect(f.known_defects).toEqual([]);
  });

  test('a failure carries its seed, path, steps, regression file and the commands to replay and reproduce it', async () => {
    /* A planted bug: vma_merge_existing_range() forgets the write mark of its result. */
    const real = vma.vma_merge_existing_range;
    jest.spyOn(vma, 'vma_merge_existing_range').mockImplementation((vmg) => {
      const r = real(vmg);
      if (r) r.vm_lock_seq = UINT_MAX;
      return r;
    });
    const { code, doc } = await runJson(['fuzz', '--json', '--scenarios-only', '--scenarios', '2000', '--seed', '7', '--regressions', dir]);
    expect(code).toBe(1);
    const [fail] = doc.fuzz!.failures;
    expect(fail).toMatchObject({ phase: 'scenarios', seed: 7, replay_path: null, regression_error: null });
    expect(fail.path).toMatch(/^\d+(:\d+)*$/);
    expect(fail.steps.length).toBeGreaterThan(1);
    expect(JSON.parse(fail.steps[0])).toHaveProperty('op');
    expect(fail.regression_file).toMatch(new RegExp(`^${dir}/scenario-seed7-.*\\.json$`));
    expect(fail.replay_command).toBe(`vma-harness replay ${fail.regression_file}`);
    expect(fail.reproduce_command).toBe(`vma-harness fuzz --scenarios-only --seed 7 --path "${fail.path}"`);
    expect(fail.message).toContain('before:');
    /* The regression file fails on the buggy port. */
    expect(replayFile(fail.regression_file!).status).toBe('mismatch');
  });

  test('when the regression file cannot be written after all, the report keeps the whole trace', async () => {
    const real = vma.vma_merge_existing_range;
    jest.spyOn(vma, 'vma_merge_existing_range').mockImplementation((vmg) => {
      const r = real(vmg);
      if (r) r.vm_lock_seq = UINT_MAX;
      return r;
    });
    const ctx = testContext();
    /* The directory passes the check, then disappears under a file of the same name. */
    const target = join(dir, 'reg');
    const p = main(['fuzz', '--scenarios-only', '--scenarios', '2000', '--seed', '7', '--regressions', target], ctx);
    rmSync(target, { recursive: true, force: true });
    writeFileSync(target, 'in the way');
    const code = await p;
    expect(code).toBe(1);
    const out = ctx.stdout();
    expect(out).toMatch(/could not write the regression trace .*reg\/scenario-seed7-/);
    expect(out).toContain('the regression trace, to save by hand:\n{"format":"vma-trace/1"');
    expect(out).toContain('reproduce: vma-harness fuzz --scenarios-only --seed 7 --path');
    expect(out).toContain('failures: 1');
  });
});

describe('run --json', () => {
  test('corpus and campaign in one document', async () => {
    copyFileSync(join(oracle, 'random-s0001.json'), join(dir, 'a.json'));
    const ctx = testContext();
    const campaign = { runs: 10, commands: 10, seed: 3, scenarios: 10, sweep: 0, sequences: true, scenariosPhase: true, regressionDir: join(dir, 'reg') };
    const race = { ...DEFAULT_RACE, runs: 10, timeLimitMs: 0, regressionDir: join(dir, 'race') };
    const code = await mainJob(ctx, true, campaign, dir, race);
    const doc = JSON.parse(ctx.stdout()) as ReportJson;
    expect(code).toBe(0);
    expect(doc).toMatchObject({ schema: REPORT_SCHEMA, command: 'run', exit_code: 0, interrupted: false });
    expect(doc.replay).toMatchObject({ passed: 1, failed: 0 });
    expect(doc.fuzz).toMatchObject({ seed: 3, runs: 20, failures: [] });
    expect(doc.race).toMatchObject({ runs: 10, failures: [] });
  });

  test('the run command itself, interrupted at once: exit 130, a partial document', async () => {
    const ctx = testContext();
    ctx.interrupt.request();
    const code = await main(['run', '--json'], ctx);
    expect(code).toBe(130);
    const doc = JSON.parse(ctx.stdout()) as ReportJson;
    expect(doc).toMatchObject({ command: 'run', exit_code: 130, interrupted: true });
    expect(doc.replay!.not_run).toBeGreaterThanOrEqual(400);
    expect(doc.replay!.traces).toEqual([]);
    expect(doc.fuzz).toBeUndefined();
  });
});
