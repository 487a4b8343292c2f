// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Litmus tests M1–M5 (LOCK_MODEL.md a.9): the five ordering pairs the v6.15
 * VMA lock rests on, each as two actors running the ported lock functions on
 * a hand-built state, explored exhaustively (every interleaving and every
 * visible store of every load, under the LKMM visibility model) by a small
 * explorer of its own.  Each test names the forbidden outcome and the
 * equivalent test of tools/memory-model with herd7's verdict; with the
 * kernel's orderings the outcome must never appear, and with the ordering
 * weakened in a copy of the model (litmusWeakenings) it must.
 */

import type { Gen, Step, task_struct } from '../lock';
import { dfsExplore } from './dfs';
import type { RaceKernel, RunResult } from './explorer';
import type { PlantSpec } from './plant';
import { ReplayStrategy, type Strategy } from './strategy';
import { Visibility } from './visibility';

/** What a litmus test's actors leave behind. */
export type Observations = Record<string, unknown>;

/** A litmus test: how to build the state and the actors, and what is forbidden. */
export interface LitmusTest {
  readonly id: 'M1' | 'M2' | 'M3' | 'M4' | 'M5';
  readonly title: string;
  /** The equivalent test of tools/memory-model/litmus-tests and herd7's verdict for it. */
  readonly herd: { readonly test: string; readonly verdict: 'Never' | 'Sometimes' };
  /** Build the state; returns the actors' programs (their tasks are given). */
  build(K: RaceKernel, tasks: readonly task_struct[], obs: Observations): ((K: RaceKernel) => Gen<void>)[];
  /** Is this final state (deadlock: no actor could go on) the forbidden one? */
  forbidden(obs: Observations, deadlock: boolean): boolean;
  /** The final state in words. */
  outcome(obs: Observations, deadlock: boolean): string;
}

/* One run of a litmus test under a strategy. */
class LitmusRun {
  private readonly gens: Gen<void>[];
  private readonly pending: Step[];
  private readonly subject: unknown[];
  private readonly done: boolean[];
  private readonly onStack: boolean[];
  private readonly stack: number[] = [];
  private cur = -1;
  private last = -1;
  private readonly vis: Visibility;
  readonly decisions: number[] = [];
  readonly choiceMeta: number[] = [];
  deadlock = false;
  private readonly start: Step;

  constructor(
    private readonly K: RaceKernel,
    private readonly tasks: readonly task_struct[],
    programs: ((K: RaceKernel) => Gen<void>)[],
    private readonly strategy: Strategy,
  ) {
    const n = programs.length;
    this.start = K.step('(litmus)', 'start');
    this.gens = programs.map((p) => p(K));
    this.pending = new Array<Step>(n).fill(this.start);
    this.subject = new Array<unknown>(n).fill(null);
    this.done = new Array<boolean>(n).fill(false);
    this.onStack = new Array<boolean>(n).fill(false);
    this.vis = new Visibility({ running: () => this.cur, chooseLoad: (k) => this.chooseLoad(k) }, n);
  }

  run(): void {
    const K = this.K;
    const vis = this.vis;
    K.sched_install({ point: (s, subj) => this.point(s, subj) });
    K.mem_install({
      load: (c, ord) => vis.load(c, ord, false),
      store: (c, v, ord) => vis.store(c, v, ord),
      cmpxchg: (c, e, n, ord) => vis.cmpxchg(c, e, n, ord),
      fetch_add: (c, d, ord) => vis.fetch_add(c, d, ord),
      fence: (k) => vis.fence(k),
    });
    this.strategy.start(this.gens.length);
    try {
      while (this.done.some((d) => !d)) {
        const a = this.choose(-1);
        if (a < 0) {
          this.deadlock = true;
          break;
        }
        this.exec(a);
      }
    } finally {
      K.sched_install(null);
      K.mem_install(null);
      K.set_current(K.init_task);
    }
  }

  private blocked(a: number): boolean {
    const s = this.pending[a];
    return s.blocked !== null && s.blocked(this.subject[a]);
  }

  private choose(me: number): number {
    const opts: number[] = [];
    let continues = false;
    const run = this.last;
    if (run >= 0 && !this.done[run] && (run === me || !this.onStack[run]) && !this.blocked(run) && !this.pending[run].spin) {
      opts.push(run);
      continues = true;
    }
    for (let a = 0; a < this.gens.length; a++) {
      if (a === run && continues) continue;
      if (this.done[a] || (this.onStack[a] && a !== me) || this.blocked(a)) continue;
      opts.push(a);
    }
    if (opts.length === 0) return -1;
    if (opts.length === 1) return opts[0];
    const k = this.strategy.pick({
      options: opts,
      n: opts.length,
      step: 0,
      running: run,
      load: false,
      spinning: false,
      plain: false,
      subject: null,
      reader: false,
      stale: false,
    });
    this.decisions.push(k);
    this.choiceMeta.push(continues ? opts.length : -opts.length);
    return opts[k];
  }

  private chooseLoad(n: number): number {
    const k = this.strategy.pick({ options: [], n, step: 0, running: this.cur, load: true, spinning: false, plain: false, subject: null, reader: false, stale: false });
    this.decisions.push(k);
    this.choiceMeta.push(-n);
    return k;
  }

  private switchTo(a: number): void {
    this.cur = a;
    this.K.set_current(a >= 0 ? this.tasks[a] : this.K.init_task);
  }

  private exec(a: number): void {
    this.stack.push(a);
    this.onStack[a] = true;
    this.switchTo(a);
    const r = this.gens[a].next();
    this.stack.pop();
    this.onStack[a] = false;
    if (r.done) this.done[a] = true;
    else {
      this.pending[a] = r.value;
      this.subject[a] = this.K.get_step_subject();
    }
    this.last = a;
    this.switchTo(this.stack.length ? this.stack[this.stack.length - 1] : -1);
  }

  private point(s: Step, subj: unknown): void {
    const me = this.stack[this.stack.length - 1];
    if (me === undefined) return;
    this.pending[me] = s;
    this.subject[me] = subj;
    this.last = me;
    for (;;) {
      const a = this.choose(me);
      if (a === me) break;
      if (a < 0) {
        /* The actor inside cannot go on and nobody else can: a deadlock inside a step. */
        this.deadlock = true;
        throw new LitmusDeadlock();
      }
      this.exec(a);
    }
    this.switchTo(me);
  }
}

class LitmusDeadlock extends Error {}

/** The result of exploring one litmus test exhaustively. */
export interface LitmusResult {
  readonly id: string;
  /** Executions explored (distinct complete schedules, loads' choices included). */
  readonly executions: number;
  /** The preemption bound (Infinity: none). */
  readonly bound: number;
  /** Outcomes reached, with how many executions reached each. */
  readonly outcomes: Map<string, number>;
  /** Was the forbidden outcome reached, and by which schedule? */
  readonly forbiddenReached: boolean;
  readonly witness: number[] | null;
  /** Every execution was explored (no budget cut). */
  readonly complete: boolean;
}

/**
 * Explore @t on the lock port @K: every schedule with at most @bound
 * preemptions (Infinity: all of them) and, in each, every visible store of
 * every load.
 */
export function exploreLitmus(K: RaceKernel, t: LitmusTest, bound = Infinity, budget = 2000000): LitmusResult {
  const outcomes = new Map<string, number>();
  let witness: number[] | null = null;
  let executions = 0;
  const runOne = (schedule: number[]): RunResult => {
    K.lock_model_reset();
    const obs: Observations = {};
    const tasks = [new K.task_struct(1, 'P0'), new K.task_struct(2, 'P1')];
    const programs = t.build(K, tasks, obs);
    const r = new LitmusRun(K, tasks, programs, new ReplayStrategy(schedule));
    try {
      r.run();
    } catch (e) {
      if (!(e instanceof LitmusDeadlock)) throw e;
    }
    const out = t.outcome(obs, r.deadlock);
    outcomes.set(out, (outcomes.get(out) ?? 0) + 1);
    if (witness === null && t.forbidden(obs, r.deadlock)) witness = [...r.decisions];
    executions++;
    return {
      finding: null,
      steps: 0,
      checks: 0,
      decisions: r.decisions,
      choiceMeta: r.choiceMeta,
      picks: [],
      trace: null,
      actors: [],
      coverage: { refcountStates: new Map(), readerOutcomes: new Map(), ops: new Map() },
      nestingLimited: false,
    };
  };
  const d = dfsExplore(runOne, Number.isFinite(bound) ? bound : 1 << 20, () => undefined, budget, Number.isFinite(bound) ? bound : null);
  return { id: t.id, executions, bound, outcomes, forbiddenReached: witness !== null, witness, complete: d.complete };
}

/* The state most tests share: one mm whose mmap lock P0 holds for write, one attached VMA. */
function lockedMm(K: RaceKernel, writer: task_struct): InstanceType<RaceKernel['lock_mm_struct']> {
  const mm = K.mm_alloc();
  mm.mmap_lock.count.v = -1;
  mm.mmap_lock.owner = writer;
  mm.mm_lock_seq.sequence.v = 1;
  return mm;
}

function vmaOf(K: RaceKernel, mm: InstanceType<RaceKernel['lock_mm_struct']>, refcnt: number, lockSeq: number): InstanceType<RaceKernel['slab_vm_area_struct']> {
  const v = new K.slab_vm_area_struct(0, mm);
  const m = v.mem;
  m.vm_start.v = 0x200000;
  m.vm_end.v = 0x201000;
  m.__vm_flags.v = 0x73n;
  m.vm_lock_seq.v = lockSeq;
  m.vm_refcnt.refs.v = refcnt;
  return v;
}

const OLD = 0x100000;
const NEW = 0x200000;

/** M1–M5. */
export const LITMUS_TESTS: readonly LitmusTest[] = [
  {
    id: 'M1',
    title: 'a recycled VMA is initialised, then attached with release; a reader that wins the count with acquire sees the new contents',
    herd: { test: 'MP+pooncerelease+poacquireonce', verdict: 'Never' },
    build(K, tasks, obs) {
      /* The object held mm#1's VMA at OLD before it was freed; P0 (mm#2's writer) now reuses it. */
      const mm1 = K.mm_alloc();
      mm1.mm_lock_seq.sequence.v = 2;
      const mm2 = lockedMm(K, tasks[0]);
      const v = vmaOf(K, mm1, 0, 0);
      v.mem.vm_start.v = OLD;
      obs.mm1 = mm1;
      return [
        function* P0() {
          v.vm_mm = mm2;
          v.vm_start = NEW;
          v.vm_lock_seq = 1;
          yield* K.vma_mark_attached(v);
        },
        function* P1() {
          K.rcu_read_lock();
          const r = yield* K.vma_start_read(mm1, v);
          obs.locked = r === v;
          if (r === v) {
            obs.mm = v.vm_mm;
            obs.start = v.vm_start;
          }
          K.rcu_read_unlock();
        },
      ];
    },
    forbidden: (o) => o.locked === true && (o.start === OLD || o.mm === o.mm1),
    outcome: (o) => (o.locked ? `P1 locked it, saw vm_start ${o.start === OLD ? 'OLD' : 'NEW'}, vm_mm ${o.mm === o.mm1 ? 'OLD' : 'NEW'}` : 'P1 did not lock it'),
  },
  {
    id: 'M2',
    title: 'vm_lock_seq is written before the writer bit is cleared with release; a reader whose acquire increment follows sees it',
    herd: { test: 'MP+pooncerelease+poacquireonce', verdict: 'Never' },
    build(K, tasks, obs) {
      const mm = lockedMm(K, tasks[0]);
      const v = vmaOf(K, mm, 1, 0);
      return [
        function* P0() {
          yield* K.vma_start_write(v);
          obs.writeLocked = true;
        },
        function* P1() {
          K.rcu_read_lock();
          const r = yield* K.vma_start_read(mm, v);
          obs.locked = r === v;
          K.rcu_read_unlock();
        },
      ];
    },
    forbidden: (o) => o.writeLocked === true && o.locked === true,
    outcome: (o, d) => `P0 ${o.writeLocked ? 'write-locked it' : 'waits for the reader'}, P1 ${o.locked ? 'holds a read lock' : 'did not lock it'}${d ? ' (P0 waits for P1)' : ''}`,
  },
  {
    id: 'M3',
    title: 'edits made under the mmap write lock are published by mm_lock_seqcount_end(); a reader that sees the new sequence with acquire sees them',
    herd: { test: 'MP+fencewmbonceonce+fencermbonceonce', verdict: 'Never' },
    build(K, tasks, obs) {
      const mm = lockedMm(K, tasks[0]);
      /* Write-locked by P0 in this write-hold (vm_lock_seq == mm_lock_seq). */
      const v = vmaOf(K, mm, 1, 1);
      return [
        function* P0() {
          v.__vm_flags = 0x77n;
          yield* K.mmap_write_unlock(mm);
        },
        function* P1() {
          K.rcu_read_lock();
          const r = yield* K.vma_start_read(mm, v);
          obs.locked = r === v;
          if (r === v) obs.flags = v.vm_flags;
          K.rcu_read_unlock();
        },
      ];
    },
    forbidden: (o) => o.locked === true && o.flags === 0x73n,
    outcome: (o) => (o.locked ? `P1 locked it and saw the ${o.flags === 0x73n ? 'OLD' : 'NEW'} flags` : 'P1 did not lock it'),
  },
  {
    id: 'M4',
    title: "a reader's accesses come before its release decrement; the writer that sees the count drained (full barrier, control dependency) stores after",
    herd: { test: 'LB+poreleaseonce+ctrl (cf. LB+fencembonceonce+ctrlonceonce)', verdict: 'Never' },
    build(K, tasks, obs) {
      const mm = lockedMm(K, tasks[0]);
      /* Attached, and P1 holds a reader's count. */
      const v = vmaOf(K, mm, 2, 0);
      v.mem.vm_start.v = OLD;
      const S_USE = K.step('(litmus)', 'the reader uses vma->vm_start');
      return [
        function* P0() {
          yield* K.vma_start_write(v);
          v.vm_start = NEW;
        },
        function* P1() {
          yield K.at(S_USE, v);
          obs.start = v.vm_start;
          yield* K.vma_refcount_put(v);
        },
      ];
    },
    forbidden: (o) => o.start === NEW,
    outcome: (o) => `the reader saw the ${o.start === NEW ? "writer's NEW" : 'OLD'} vm_start`,
  },
  {
    id: 'M5',
    title: 'the waiter publishes itself then reads the count, the waker drops the count then reads the slot, each with a full barrier: no lost wake-up',
    herd: { test: 'SB+fencembonceonces', verdict: 'Never' },
    build(K, tasks, obs) {
      const mm = lockedMm(K, tasks[0]);
      /* Attached, and P1 holds a reader's count. */
      const v = vmaOf(K, mm, 2, 0);
      return [
        function* P0() {
          yield* K.vma_start_write(v);
          obs.writeLocked = true;
        },
        function* P1() {
          yield* K.vma_refcount_put(v);
        },
      ];
    },
    forbidden: (_o, deadlock) => deadlock,
    outcome: (o, d) => (d ? 'P0 sleeps forever (lost wake-up)' : o.writeLocked ? 'P0 write-locked it' : 'P0 still waits'),
  },
];

/** Each test's ordering weakened in a copy of the lock model, with herd7's verdict for the weakened test. */
export const LITMUS_WEAKENINGS: Readonly<Record<LitmusTest['id'], { what: string; spec: PlantSpec; herd: { test: string; verdict: 'Never' | 'Sometimes' }; reachable: boolean }>> = {
  M1: {
    what: 'vma_mark_attached() stores the count without release (refcount_set)',
    spec: { dir: 'lock', edits: [{ file: 'mm_h.ts', from: '  refcount_set_release(vma.mem.vm_refcnt, 1);', to: '  refcount_set(vma.mem.vm_refcnt, 1);' }] },
    herd: { test: 'MP+poonceonces', verdict: 'Sometimes' },
    reachable: true,
  },
  M2: {
    what: "the reader's limited increment is relaxed (try_cmpxchg_relaxed)",
    spec: {
      dir: 'lock',
      edits: [
        {
          file: 'refcount.ts',
          from: '    if (atomic_try_cmpxchg_acquire(r.refs, old, s32(old.value + i))) break;',
          to: '    if (atomic_try_cmpxchg_relaxed(r.refs, old, s32(old.value + i))) break;',
        },
      ],
    },
    herd: { test: 'MP+pooncerelease+poonceonce', verdict: 'Sometimes' },
    reachable: true,
  },
  M3: {
    what: 'raw_read_seqcount() without its smp_rmb() (no acquire)',
    spec: { dir: 'lock', edits: [{ file: 'seqlock.ts', from: '  const seq = READ_ONCE(s.sequence);\n  smp_rmb();\n', to: '  const seq = READ_ONCE(s.sequence);\n' }] },
    herd: { test: 'MP+fencewmbonceonce+poonceonce', verdict: 'Sometimes' },
    reachable: true,
  },
  M4: {
    what: "the writer's wait accepts any count at or above its target (it proceeds while a reader is inside)",
    spec: { dir: 'lock', edits: [{ file: 'memory.ts', from: '() => refcount_read(vma.mem.vm_refcnt) === tgt_refcnt,', to: '() => refcount_read(vma.mem.vm_refcnt) >= tgt_refcnt,' }] },
    herd: { test: '(program order: the store is not after the wait)', verdict: 'Sometimes' },
    reachable: true,
  },
  M5: {
    what: 'rcuwait_wake_up() without its full barrier (B)',
    spec: { dir: 'lock', edits: [{ file: 'rcuwait.ts', from: '  smp_mb();\n  const task = rcu_dereference(w.task);', to: '  const task = rcu_dereference(w.task);' }] },
    herd: { test: 'SB+fencembonceonce+poonceonce (one barrier)', verdict: 'Sometimes' },
    reachable: true,
  },
};

/** M4 with the hardware weakening LKMM would allow (relaxed decrement): load buffering, which this model does not produce. */
export const LITMUS_M4_RELAXED: { what: string; spec: PlantSpec; herd: { test: string; verdict: 'Sometimes' } } = {
  what: "the reader's decrement is relaxed (no release)",
  spec: {
    dir: 'lock',
    edits: [
      { file: 'refcount.ts', from: '  atomic_fetch_sub_release,\n', to: '  atomic_fetch_sub_release,\n  atomic_fetch_add_relaxed,\n' },
      { file: 'refcount.ts', from: '  const old = atomic_fetch_sub_release(i, r.refs);', to: '  const old = atomic_fetch_add_relaxed(-i, r.refs);' },
    ],
  },
  herd: { test: 'LB+poonceonces', verdict: 'Sometimes' },
};
