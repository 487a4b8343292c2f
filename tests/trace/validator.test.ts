// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The state-aware validator (src/trace/rules over src/trace/layout.ts):
 *  - every input of issue 9's list, and the other state-dependent
 *    preconditions, is bad input naming the step, the field and the VMA
 *    it conflicts with, and the port never sees the step;
 *  - the replayer's layout agrees with the port after every step of every
 *    oracle trace (VMAs, ranges, attributes, the page counters, wrapped
 *    ones included, and the fault switches), although it never reads the
 *    tree nor the mm's counters;
 *  - no step the validator lets through, among fast-check's hostile but
 *    plausible steps, makes the port throw, warn or break an invariant.
 */

import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseTrace } from '../../src/trace/parse';
import { replayText } from '../../src/trace/replay';
import { checkStep } from '../../src/trace/rules';
import { TraceWorld } from '../../src/trace/world';
import { toHex } from '../../src/trace/hex';
import { vma_registry } from '../../src/vma_internal/registry';
import { fault_armed, get_fail_prealloc } from '../../src/vma_internal/fault_inject';
import { INJECT_POINTS, type TraceStep } from '../../src/trace/types';
import { VM_LOCKED } from '../../src/vma_internal/constants';
import { hostileStepsArbitrary, runHostileSteps } from '../../src/fuzz/hostile_steps';
import { HOSTILE_STATE_INPUTS } from '../util/hostile_inputs';

const oracle = join(__dirname, '..', '..', 'fixtures', 'oracle');
const project = join(__dirname, '..', '..', 'fixtures', 'project');

const trace = (name: string, steps: readonly unknown[]): string => JSON.stringify({ format: 'vma-trace/1', kernel: 'v6.15', name, steps });

describe('state-dependent bad input: exit 2 naming step, field and the conflicting VMA', () => {
  test.each(HOSTILE_STATE_INPUTS.map((h) => [h.name, h] as const))('%s', (_name, h) => {
    const r = replayText(trace(h.name, h.steps), `${h.name}.json`);
    expect(r.status).toBe('bad-input');
    expect(r.step).toBe(h.steps.length - 1);
    expect(r.message).toMatch(h.message);
    /* Nothing of the port ran for the step: the steps before it all did. */
    expect(r.stepsRun).toBe(h.steps.length - 1);
  });

  test('without the last step, every one of them is good input', () => {
    for (const h of HOSTILE_STATE_INPUTS.filter((x) => x.steps.length > 1)) {
      const r = replayText(trace(h.name, h.steps.slice(0, -1)), `${h.name}.json`);
      expect(`${h.name}: ${r.status} ${r.message ?? ''}`).toBe(`${h.name}: pass `);
    }
  });

  test('copy_vma with a len larger than its source is good input (the oracle traces do it 71 times)', () => {
    const steps = [
      { op: 'alloc_and_link', start: '0x100000', end: '0x102000', pgoff: '0x100', flags: '0x33' },
      { op: 'copy_vma', vma: 1, addr: '0x110000', len: '0x8000', pgoff: '0x100' },
    ];
    expect(replayText(trace('long-copy', steps), 'long-copy.json').status).toBe('pass');
  });

  test('the known v6.15 defect is refused, unless the fuzzer probes for it', () => {
    const world = new TraceWorld();
    try {
      const steps: TraceStep[] = [
        { op: 'alloc_and_link', start: 0x100000, end: 0x102000, pgoff: 0x100, flags: 0x11n },
        { op: 'alloc_and_link', start: 0x104000, end: 0x106000, pgoff: 0x104, flags: 0x11n },
        { op: 'set_ops', vma: 1, ops: 'none' },
        { op: 'set_ops', vma: 2, ops: 'none' },
        { op: 'set_anon', vma: 2, anon: 3, chain: 1 },
        { op: 'inject', point: 'anon_vma_clone', count: 1, after: 0 },
      ];
      for (const s of steps) world.run(s);
      const mmap: TraceStep = { op: 'mmap', addr: 0x102000, len: 0x2000, flags: 0x11n, pgoff: 0x102, file: null };
      expect(() => world.check(mmap)).toThrow(/fills the hole between VMA 1 \[0x100000, 0x102000\) and VMA 2 \[0x104000, 0x106000\) while anon_vma_clone is armed/);
      expect(checkStep(world.layout, mmap, { allowKnownDefects: true })).toBeNull();
      /* Armed to let the first clone pass, the merge's clone (the mmap's first) succeeds: good input. */
      world.run({ op: 'inject', point: 'anon_vma_clone', count: 1, after: 1 });
      expect(checkStep(world.layout, mmap)).toBeNull();
    } finally {
      world.dispose();
    }
  });
});

describe('mlockall: what the validator accepts', () => {
  const locked = { op: 'alloc_and_link', start: '0x100000', end: '0x102000', pgoff: '0x100', flags: '0x2033' };
  test.each([
    ['munlockall killed waiting for the lock (nothing is unlocked)', [locked, { op: 'inject', point: 'mmap_write_lock_killable', count: 1, after: 0 }, { op: 'mlockall', flags: 0 }]],
    ['munlockall beside an uncharged VM_IO VMA (left alone)', [{ ...locked, flags: '0x6033' }, { op: 'mlockall', flags: 0 }]],
    ['MCL_FUTURE, then brk (charged as locked), then munlockall', [{ op: 'mlockall', flags: 2 }, { op: 'brk', start_brk: '0x110000', addr: '0x110000', len: '0x2000', flags: '0x0' }, { op: 'mlockall', flags: 0 }]],
    ['MCL_CURRENT locks an uncharged VMA and charges it', [{ ...locked, flags: '0x33' }, { op: 'mlockall', flags: 1 }, { op: 'mlockall', flags: 0 }]],
    ['MCL_FUTURE | MCL_ONFAULT, no walk', [locked, { op: 'mlockall', flags: 6 }]],
  ])('%s', (_name, steps) => {
    const r = replayText(trace('ok', steps), 'ok.json');
    expect(`${r.status} ${r.message ?? ''}`).toBe('pass ');
  });

  test("v6.15's commit_merge() OOM defect is not bad input: the port shows the maple-state misuse it is (exit 1)", () => {
    const steps = [
      { ...locked },
      { ...locked, start: '0x102000', end: '0x104000', pgoff: '0x102', flags: '0x33' },
      { op: 'fail_prealloc', value: true },
      { op: 'mlockall', flags: 1 },
    ];
    const r = replayText(trace('oom', steps), 'oom.json');
    expect(r.status).toBe('maple-check');
    expect(r.message).toMatch(/maple-state misuse in mas_find \(vma_next <- apply_mlockall_flags <- sys_mlockall\)/);
  });
});

/* The layout's VMAs and the port's rows agree in the first eight columns (JSON-equal: every cell is a primitive). */
function sameRows(vmas: ReturnType<TraceWorld['layout']['vmas']>, rows: ReturnType<TraceWorld['vmaRows']>): boolean {
  if (vmas.length !== rows.length) return false;
  for (let k = 0; k < vmas.length; k++) {
    const v = vmas[k];
    const r = rows[k];
    if (v.id !== r[0] || toHex(v.start) !== r[1] || toHex(v.end) !== r[2] || toHex(v.pgoff) !== r[3] || toHex(v.flags) !== r[4]) return false;
    if (v.anon !== r[5] || v.file !== r[6] || v.ops !== r[7]) return false;
  }
  return true;
}

describe('the layout agrees with the port after every step of every oracle trace and of fixtures/project', () => {
  const names = readdirSync(oracle).filter((f) => f.endsWith('.json'));
  const projectNames = readdirSync(project).filter((f) => f.endsWith('.json'));
  test.each(['random', 'ext', 'fault', 'project'])('%s-*', (set) => {
    const files = set === 'project' ? projectNames.map((n) => join(project, n)) : names.filter((n) => n.startsWith(`${set}-`)).map((n) => join(oracle, n));
    if (set === 'project') expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const name = basename(file);
      const t = parseTrace(readFileSync(file, 'utf8'), name);
      const w = new TraceWorld();
      try {
        t.steps.forEach((s, i) => {
          w.run(s);
          const where = (): string => `${name} step ${i} (${s.op})`;
          /*
           * Compared in place first (31,000 steps): on any difference, the
           * lists are built and compared as they always were, and the
           * matcher shows them.
           */
          const vmas = w.layout.vmas();
          const rows = w.vmaRows();
          if (!sameRows(vmas, rows)) {
            const layout = vmas.map((v) => [v.id, toHex(v.start), toHex(v.end), toHex(v.pgoff), toHex(v.flags), v.anon, v.file, v.ops]);
            const port = rows.map((r) => r.slice(0, 8));
            if (JSON.stringify(layout) !== JSON.stringify(port)) expect({ where: where(), layout }).toEqual({ where: where(), layout: port });
          }
          const c = w.layout.counters;
          const m = w.mm;
          if (c.total !== m.total_vm || c.locked !== m.locked_vm || c.data !== m.data_vm || c.exec !== m.exec_vm || c.stack !== m.stack_vm) {
            const counters = [c.total, c.locked, c.data, c.exec, c.stack];
            const mm = [m.total_vm, m.locked_vm, m.data_vm, m.exec_vm, m.stack_vm];
            if (counters.join() !== mm.join()) expect({ where: where(), counters }).toEqual({ where: where(), counters: mm });
          }
          if (!INJECT_POINTS.every((p) => (w.layout.faults.armedAt(p) !== null) === fault_armed(p)) || w.layout.faults.failPrealloc !== get_fail_prealloc()) {
            const armed = INJECT_POINTS.filter((p) => w.layout.faults.armedAt(p) !== null);
            const stub = INJECT_POINTS.filter((p) => fault_armed(p));
            if (armed.join() !== stub.join() || w.layout.faults.failPrealloc !== get_fail_prealloc()) {
              expect({ where: where(), armed, failPrealloc: w.layout.faults.failPrealloc }).toEqual({ where: where(), armed: stub, failPrealloc: get_fail_prealloc() });
            }
          }
          if (w.layout.allocated !== vma_registry.allocated) expect({ where: where(), allocated: w.layout.allocated }).toEqual({ where: where(), allocated: vma_registry.allocated });
          if ((w.layout.defFlags & VM_LOCKED) !== (w.mm.def_flags & VM_LOCKED)) expect({ where: where(), defFlags: w.layout.defFlags }).toEqual({ where: where(), defFlags: w.mm.def_flags & VM_LOCKED });
        });
      } finally {
        w.dispose();
      }
    }
  });
});

test('hostile but plausible steps: whatever the validator lets through, the port runs without a throw, a warning or a broken invariant', () => {
  let accepted = 0;
  let refused = 0;
  fc.assert(
    fc.property(hostileStepsArbitrary(40), (intents) => {
      const r = runHostileSteps(intents);
      accepted += r.accepted;
      refused += r.refused;
      if (r.failure !== null) throw new Error(`${r.failure}\nsteps: ${r.steps}`);
    }),
    { seed: Number(process.env.FUZZ_SEED ?? 20261130), numRuns: Number(process.env.VALIDATOR_FUZZ_RUNS ?? 150) },
  );
  /* Both sides are exercised: most steps run, many are refused. */
  expect(accepted).toBeGreaterThan(refused);
  expect(refused).toBeGreaterThan(0);
});
