// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The race explorer: runs one program (writers, page-fault readers, process
 * exit; see scenario.ts) under one schedule against the port of the v6.15
 * VMA lock in kernel mode, and checks the lock's invariants after every
 * atomic step.
 *
 * Execution model.  Every actor is a generator (actors.ts).  Readers and the
 * lock protocol yield before each shared access.  A writer's ported
 * operation (src/mm) is synchronous: its calls into the lock (through the
 * stub layer), its tree stores and its plain stores to shared VMA fields
 * reach point() synchronously.  point() ends the running actor's step,
 * checks, and lets the strategy choose who takes the next step; it returns
 * only when the running actor is chosen again (other actors may have run
 * meanwhile, nested on the JavaScript stack).  An actor that is already on
 * the stack cannot be chosen until the actors above it have finished their
 * current step, so two writers interleave in LIFO order: a writer nested
 * inside another's operation completes its step (at least up to its next
 * scheduling point of its own, which may be its whole operation) before
 * the outer one resumes.  A blocked step (a sleeping task, a contended
 * rwsem) is never chosen; waiting is never a busy loop.
 *
 * The explorer's LockWatch (watch.ts) observes every access through the
 * memory hooks (atomic.ts) and every stub-layer entry point of the lock, and
 * checks the lock's invariants; violations abort the run with a Finding.
 */

import { KernelBug, warn_count, warn_reset, warn_summary } from '../vma_internal/bug';
import { fault_inject_reset, fail_nth_prealloc, prealloc_attempts } from '../vma_internal/fault_inject';
import { lock_mode_set, type KernelLockOps } from '../vma_internal/lock_mode';
import { current as harness_current } from '../vma_internal/mm_stubs';
import { vma_registry } from '../vma_internal/registry';
import type { VmaSnap } from '../fuzz/invariants';
import type * as lock_module from '../lock';
import type { Gen, lock_mm_struct, slab_vm_area_struct, Step, task_struct } from '../lock';
import type { RacePort } from './ops';
import type { Scenario } from './scenario';
import type { Strategy } from './strategy';
import { startActors } from './actors';
import { LockWatch } from './watch';
import { Visibility } from './visibility';

/** The lock port the explorer runs (src/lock, or a planted copy of it). */
export type RaceKernel = typeof lock_module;

/** Kinds of finding. */
export type FindingKind =
  | 'refcount'
  | 'kcsan'
  | 'mutual-exclusion'
  | 'incarnation'
  | 'use-after-free'
  | 'free'
  | 'attach'
  | 'detach'
  | 'misdirected-wakeup'
  | 'lost-wakeup'
  | 'hang'
  | 'livelock'
  | 'tree'
  | 'stale-read'
  | 'leak'
  | 'warn'
  | 'bug'
  | 'crash';

/** A violated invariant: what, where, by whom. */
export interface Finding {
  readonly kind: FindingKind;
  /** One sentence a kernel developer can read. */
  readonly message: string;
  /** The global step at which it was detected. */
  readonly step: number;
  /** The actor whose step it was. */
  readonly actor: string;
}

/** One atomic step, for reports (only recorded when asked). */
export interface TraceRow {
  readonly step: number;
  readonly actor: number;
  readonly fn: string;
  readonly what: string;
  /** The VMA or mm the step touched, as text. */
  subject: string;
  /** The slab slot of the VMA it touched, or the mm (by id) it touched; else null. */
  slot: number | null;
  mmId: number | null;
  /** For a VMA: vm_refcnt before and after, vm_lock_seq and its mm's mm_lock_seq after. */
  refBefore: number | null;
  refAfter: number | null;
  lockSeq: number | null;
  mmSeq: number | null;
  /** The writer's operation in progress, if any. */
  op: string | null;
}

/** What one run covered (merged over a campaign). */
export interface RunCoverage {
  readonly refcountStates: Map<string, number>;
  readonly readerOutcomes: Map<string, number>;
  readonly ops: Map<string, number>;
}

/** Empty coverage counts. */
export function newCoverage(): RunCoverage {
  return { refcountStates: new Map(), readerOutcomes: new Map(), ops: new Map() };
}

/** Add the counts of @from to @into. */
export function mergeCoverage(into: RunCoverage, from: RunCoverage): void {
  for (const k of ['refcountStates', 'readerOutcomes', 'ops'] as const) {
    for (const [s, n] of from[k]) into[k].set(s, (into[k].get(s) ?? 0) + n);
  }
}

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

/** What one run did. */
export interface RunResult {
  readonly finding: Finding | null;
  readonly steps: number;
  readonly checks: number;
  /** Every choice made (the schedule that replays this run). */
  readonly decisions: readonly number[];
  /** For each choice: how many options there were, and whether option 0 was "continue". */
  readonly choiceMeta: readonly number[];
  /** For each choice: the actor chosen (its name), or the load choice made (a number). */
  readonly picks: readonly (string | number)[];
  readonly trace: readonly TraceRow[] | null;
  readonly actors: readonly string[];
  readonly coverage: RunCoverage;
  /** The run stopped because two nested writers would have had to resume out of order. */
  readonly nestingLimited: boolean;
}

/** Sequentially consistent memory, or LKMM visibility (visibility.ts). */
export type MemoryModel = 'sc' | 'lkmm';

/** What one run executes, and how. */
export interface RunOptions {
  readonly kernel: RaceKernel;
  readonly port: RacePort;
  readonly program: Scenario;
  readonly strategy: Strategy;
  /** A run longer than this is a livelock (default 50,000 steps). */
  readonly maxSteps?: number;
  /** Upstream fixes to apply (commit ids). */
  readonly fixes?: readonly string[];
  readonly memoryModel?: MemoryModel;
  /** Record every step for a report. */
  readonly trace?: boolean;
}

/** A reader's lock on a VMA: through the VMA lock or under the mmap read lock. */
export interface Held {
  readonly vma: slab_vm_area_struct;
  readonly mm: lock_mm_struct;
  readonly addr: number;
  readonly how: 'vma' | 'mmap';
  readonly incarnation: number;
  readonly snap: VmaSnap;
  readonly since: number;
}

/** An actor: a thread of one mm. */
export class Actor {
  gen: Gen<void> | null = null;
  pending: Step;
  subject: unknown = null;
  done = false;
  onStack = false;
  /** Counts this reader holds, per VMA (from the vm_refcnt changes it made). */
  readonly holds = new Map<object, number>();
  /** mm_count references this actor took (mmgrab), per mm. */
  readonly pins = new Map<object, number>();
  held: Held | null = null;
  /** A reader whose decrement left a writer alone: the mm it must wake. */
  expectWake: object | null = null;
  /** The writer's operation in progress (for reports). */
  op: string | null = null;
  /** Fault injection of this writer's operation, while another actor runs. */
  failArmed = 0;
  /** The last VMA this actor's steps touched. */
  lastVma: slab_vm_area_struct | null = null;
  openRow: TraceRow | null = null;

  constructor(
    readonly index: number,
    readonly name: string,
    readonly kind: 'writer' | 'reader',
    readonly mm: lock_mm_struct,
    readonly task: task_struct,
    start: Step,
  ) {
    this.pending = start;
  }
}

/*
 * The choices of a run.  The buffers are reused from run to run (they only
 * grow), and the result gets exact copies: a growing array per run and per
 * kind of record was a good part of the garbage a campaign made.
 */
class ChoiceLog {
  n = 0;
  readonly decisions: number[] = [];
  readonly meta: number[] = [];
  readonly picks: (string | number)[] = [];

  add(k: number, meta: number, pick: string | number): void {
    const i = this.n++;
    this.decisions[i] = k;
    this.meta[i] = meta;
    this.picks[i] = pick;
  }
}

let spareLog: ChoiceLog | null = new ChoiceLog();

class Abort extends Error {
  constructor(readonly finding: Finding) {
    super(finding.message);
  }
}

/** A run ended by the LIFO nesting of writers (not a finding). */
class NestingLimit extends Error {}

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

/** Runs one program under one schedule. */
export class Explorer {
  readonly K: RaceKernel;
  readonly port: RacePort;
  readonly actors: Actor[] = [];
  readonly mms: lock_mm_struct[] = [];
  readonly coverage = newCoverage();
  steps = 0;
  checks = 0;
  /** The memory hooks and lock checks. */
  readonly watch: LockWatch;
  /** The actor taking a step (for the watch), and whether it is a reader. */
  cur: Actor | null = null;
  isReader = false;
  private readonly stack: Actor[] = [];
  private lastRan: Actor | null = null;
  private readonly log: ChoiceLog;
  private readonly trace: TraceRow[] | null;
  private faultOwner: Actor | null = null;
  private readonly options: number[] = [];
  private readonly maxSteps: number;
  private readonly strategy: Strategy;
  private readonly ops: KernelLockOps;
  private readonly ctx: {
    options: number[];
    n: number;
    step: number;
    running: number;
    load: boolean;
    spinning: boolean;
    plain: boolean;
    subject: unknown;
    reader: boolean;
    stale: boolean;
  };
  /* The lock port's classes and functions, looked up once (module getters are slow). */
  private readonly VmaClass: RaceKernel['slab_vm_area_struct'];
  private readonly RwsemClass: RaceKernel['rw_semaphore'];
  /** The strategy's hooks on lock-state changes and frees (for the watch). */
  readonly changed: ((actor: number, subject: unknown, attach: boolean, waitFor: readonly number[] | null) => void) | null;
  readonly freeing: ((actor: number, obj: unknown, others: readonly number[]) => void) | null;
  private readonly subjectNow: () => unknown;
  private readonly setCurrent: (t: task_struct) => void;
  private readonly initTask: task_struct;

  constructor(private readonly o: RunOptions) {
    this.K = o.kernel;
    this.port = o.port;
    this.strategy = o.strategy;
    this.maxSteps = o.maxSteps ?? 50000;
    this.trace = o.trace ? [] : null;
    this.log = spareLog ?? new ChoiceLog();
    spareLog = null;
    this.log.n = 0;
    this.ctx = { options: this.options, n: 0, step: 0, running: -1, load: false, spinning: false, plain: false, subject: null, reader: false, stale: false };
    this.VmaClass = this.K.slab_vm_area_struct;
    this.RwsemClass = this.K.rw_semaphore;
    this.changed = o.strategy.changed ? o.strategy.changed.bind(o.strategy) : null;
    this.freeing = o.strategy.freeing ? o.strategy.freeing.bind(o.strategy) : null;
    this.subjectNow = this.K.get_step_subject;
    this.setCurrent = this.K.set_current;
    this.initTask = this.K.init_task;
    const w = (this.watch = new LockWatch(this));
    const base = this.K.kernel_lock_ops;
    /* The stub layer's entry points, checked by the watch around the lock's own. */
    this.ops = {
      ...base,
      vm_area_alloc: (mm) => w.afterAlloc(base.vm_area_alloc(mm)),
      vm_area_dup: (orig) => w.afterAlloc(base.vm_area_dup(orig)),
      vm_area_free: (vma) => {
        w.beforeFree(vma);
        base.vm_area_free(vma);
      },
      vma_mark_attached: (vma) => {
        w.beforeAttach(vma);
        base.vma_mark_attached(vma);
      },
      vma_mark_detached: (vma) => {
        base.vma_mark_detached(vma);
        w.afterDetach(vma);
      },
      mmap_write_unlock: (mm) => {
        w.writeHoldEnd(mm);
        base.mmap_write_unlock(mm);
      },
      mmap_write_downgrade: (mm) => {
        w.writeHoldEnd(mm);
        base.mmap_write_downgrade(mm);
      },
    };
  }

  /** Run the program to the end (or the first finding). */
  run(): RunResult {
    const K = this.K;
    let finding: Finding | null = null;
    let nestingLimited = false;
    K.lock_model_reset();
    vma_registry.reset();
    warn_reset();
    fault_inject_reset();
    K.fixes_apply(this.o.fixes ?? []);
    K.sched_install(null);
    K.mem_install(null);
    lock_mode_set(this.ops);
    try {
      startActors(this, this.o.program);
      this.watch.initShadows(this.mms);
      if ((this.o.memoryModel ?? 'sc') === 'lkmm') {
        this.watch.vis = new Visibility({ running: () => (this.cur === null ? -1 : this.cur.index), chooseLoad: (n) => this.chooseLoad(n) }, this.actors.length);
      }
      K.sched_install(this);
      K.mem_install(this.watch);
      this.strategy.start(this.actors.length, this.actors.map((a) => a.name));
      while (this.anyLeft()) this.exec(this.choose(null));
      const ev = K.vma_lock_events;
      if (ev.VMA_LOCK_MISS) this.coverage.readerOutcomes.set('-EAGAIN retry (VMA_LOCK_MISS)', ev.VMA_LOCK_MISS);
      if (ev.VMA_LOCK_ABORT) this.coverage.readerOutcomes.set('lock_vma_under_rcu() gave up (VMA_LOCK_ABORT)', ev.VMA_LOCK_ABORT);
      K.sched_install(null);
      K.mem_install(null);
      this.finalChecks();
    } catch (e) {
      if (e instanceof Abort) finding = e.finding;
      else if (e instanceof NestingLimit) nestingLimited = true;
      else if (e instanceof KernelBug) finding = this.make(e.check === 'use after free' ? 'use-after-free' : 'bug', `${e.message}`);
      else finding = this.make('crash', `the port crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    } finally {
      K.sched_install(null);
      K.mem_install(null);
      if (this.watch.vis !== null) this.watch.vis.release();
      lock_mode_set(null);
      fault_inject_reset();
      K.set_current(K.init_task);
      harness_current.mm = null;
      for (const a of this.actors) {
        if (a.openRow !== null) this.closeRow(a.openRow);
        a.openRow = null;
      }
    }
    const log = this.log;
    const n = log.n;
    const decisions = log.decisions.slice(0, n);
    const picks = log.picks.slice(0, n);
    const choiceMeta = log.meta.slice(0, n);
    spareLog = log;
    return {
      finding,
      steps: this.steps,
      checks: this.checks,
      decisions,
      picks,
      choiceMeta,
      trace: this.trace,
      actors: this.actors.map((a) => a.name),
      coverage: this.coverage,
      nestingLimited,
    };
  }

  /* Actors and steps ---------------------------------------------------------- */

  /** Register an actor (actors.ts). */
  addActor(name: string, kind: 'writer' | 'reader', mm: lock_mm_struct, start: Step): Actor {
    const task = new this.K.task_struct(this.actors.length + 1, name);
    const a = new Actor(this.actors.length, name, kind, mm, task, start);
    this.actors.push(a);
    return a;
  }

  /** Scheduler interface: the running actor is about to take step @s. */
  point(s: Step, subject: unknown): void {
    const me = this.stack[this.stack.length - 1];
    if (me === undefined) return;
    this.endStep(me);
    me.pending = s;
    me.subject = subject;
    this.lastRan = me;
    for (;;) {
      const a = this.choose(me);
      if (a === me) break;
      this.exec(a);
    }
    this.switchTo(me);
    this.beginStep(me);
  }

  /* Is any actor not done yet?  (A loop: this runs before every top-level step.) */
  private anyLeft(): boolean {
    const actors = this.actors;
    for (let i = 0; i < actors.length; i++) if (!actors[i].done) return true;
    return false;
  }

  private blocked(a: Actor): boolean {
    const s = a.pending;
    return s.blocked !== null && s.blocked(a.subject);
  }

  /*
   * Choose who takes the next step.  @me is the actor on top of the stack
   * (null at the top level); the others on the stack cannot run.  Option 0
   * is the actor that took the last step, if it can go on (so the default
   * never preempts), unless it busy-waits, when it goes last.
   */
  private choose(me: Actor | null): Actor {
    const run = this.lastRan;
    /* Filled by index, never truncated (setting length = 0 would drop the backing store each time). */
    const opts = this.options;
    let n = 0;
    let spinning = false;
    let continues = false;
    if (run !== null && !run.done && (run === me || !run.onStack) && !this.blocked(run)) {
      if (run.pending.spin) spinning = true;
      else {
        opts[n++] = run.index;
        continues = true;
      }
    }
    const actors = this.actors;
    for (let i = 0; i < actors.length; i++) {
      const a = actors[i];
      if (a === run || a.done || (a.onStack && a !== me)) continue;
      const b = a.pending.blocked;
      if (b !== null && b(a.subject)) continue;
      opts[n++] = i;
    }
    if (spinning && run !== null) opts[n++] = run.index;
    if (n === 0) this.deadlock(me);
    let k = 0;
    if (n > 1) {
      const c = this.ctx;
      c.n = n;
      c.step = this.steps;
      c.running = run === null ? -1 : run.index;
      c.load = false;
      c.spinning = spinning;
      c.plain = run !== null && run.pending.fn === '(store)';
      c.subject = run !== null ? this.canonical(run.subject) : null;
      c.reader = run !== null && run.kind === 'reader';
      c.stale = c.reader && c.subject instanceof this.VmaClass && (run as Actor).holds.get(c.subject) === undefined;
      k = this.strategy.pick(c);
      this.log.add(k, continues ? n : -n, this.actors[opts[k]].name);
    }
    return this.actors[opts[k]];
  }

  /** A visibility choice among @n stores (issue 8); 0 is the latest. */
  chooseLoad(n: number): number {
    if (n <= 1) return 0;
    const c = this.ctx;
    c.n = n;
    c.step = this.steps;
    c.running = this.cur === null ? -1 : this.cur.index;
    c.load = true;
    c.spinning = false;
    const k = this.strategy.pick(c);
    this.log.add(k, -n, k); /* a visibility choice is not a preemption */
    return k;
  }

  /* Run one step of @a (which is not on the stack). */
  private exec(a: Actor): void {
    this.stack.push(a);
    a.onStack = true;
    this.switchTo(a);
    this.beginStep(a);
    const r = (a.gen as Gen<void>).next();
    this.stack.pop();
    a.onStack = false;
    this.endStep(a);
    if (r.done) a.done = true;
    else {
      a.pending = r.value;
      a.subject = this.subjectNow();
    }
    this.lastRan = a;
    this.switchTo(this.stack.length ? this.stack[this.stack.length - 1] : null);
  }

  private switchTo(a: Actor | null): void {
    const prev = this.cur;
    if (a === prev) return;
    const fo = this.faultOwner;
    if (fo !== null && prev === fo) {
      fo.failArmed = Math.max(0, fo.failArmed - prealloc_attempts());
      fail_nth_prealloc(0);
    }
    this.cur = a;
    this.isReader = a !== null && a.kind === 'reader';
    if (a !== null) {
      this.setCurrent(a.task);
      harness_current.mm = a.mm;
      if (a === fo && fo.failArmed > 0) fail_nth_prealloc(fo.failArmed);
    } else {
      this.setCurrent(this.initTask);
    }
  }

  /* The object a step is about, for strategies: an rwsem stands for its mm. */
  private canonical(s: unknown): unknown {
    if (s instanceof this.RwsemClass) return s.holder;
    return s === undefined ? null : s;
  }

  private beginStep(a: Actor): void {
    if (++this.steps > this.maxSteps) {
      throw new Abort(this.make('livelock', `no end after ${this.maxSteps} atomic steps (a busy-wait that cannot finish, or a retry loop that never succeeds)`));
    }
    const subj = a.subject;
    const vma = subj instanceof this.VmaClass ? subj : null;
    if (vma !== null) a.lastVma = vma;
    if (this.trace !== null) {
      const row: TraceRow = {
        step: this.steps,
        actor: a.index,
        fn: a.pending.fn,
        what: a.pending.what,
        subject: this.describeSubject(subj),
        slot: vma !== null ? vma.__slot : null,
        mmId: this.mmIdOf(subj),
        refBefore: vma !== null ? vma.mem.vm_refcnt.refs.v : null,
        refAfter: null,
        lockSeq: null,
        mmSeq: null,
        op: a.op,
      };
      this.trace.push(row);
      a.openRow = row;
    }
  }

  private endStep(a: Actor): void {
    this.checks++;
    if (warn_count() !== 0) throw new Abort(this.make('warn', `a WARN-class check fired: ${warn_summary().split('\n')[0]}`));
    for (const r of this.actors) if (r.held !== null) this.watch.checkHeld(r);
    if (a.openRow !== null) {
      this.closeRow(a.openRow);
      a.openRow = null;
    }
  }

  private closeRow(row: TraceRow): void {
    const a = this.actors[row.actor];
    const subj = a?.subject;
    const vma = row.refBefore !== null && a !== undefined ? a.lastVma : null;
    if (vma !== null) {
      row.refAfter = vma.mem.vm_refcnt.refs.v;
      row.lockSeq = vma.mem.vm_lock_seq.v;
      const mm = vma.mem.vm_mm.v;
      if (mm instanceof this.K.lock_mm_struct) row.mmSeq = mm.mm_lock_seq.sequence.v;
    } else if (subj instanceof this.K.lock_mm_struct) {
      row.mmSeq = subj.mm_lock_seq.sequence.v;
    }
  }

  private mmIdOf(s: unknown): number | null {
    const K = this.K;
    if (s instanceof K.lock_mm_struct) return s.__mm_id;
    if (s instanceof K.rw_semaphore && s.holder instanceof K.lock_mm_struct) return s.holder.__mm_id;
    return null;
  }

  describeSubject(s: unknown): string {
    const K = this.K;
    if (s instanceof K.slab_vm_area_struct) return `vma#${s.__id}@${s.__slot}`;
    if (s instanceof K.lock_mm_struct) return `mm#${s.__mm_id}`;
    if (s instanceof K.task_struct) return s.comm;
    if (s instanceof K.rw_semaphore) {
      const h = s.holder;
      return h instanceof K.lock_mm_struct ? `mm#${h.__mm_id}.mmap_lock` : s.name;
    }
    return '';
  }

  /* Findings ---------------------------------------------------------------- */

  make(kind: FindingKind, message: string): Finding {
    return { kind, message, step: this.steps, actor: this.cur === null ? '-' : this.cur.name };
  }

  fail(kind: FindingKind, message: string): never {
    throw new Abort(this.make(kind, message));
  }

  vmaName(v: slab_vm_area_struct): string {
    const mm = v.mem.vm_mm.v;
    return `vma#${v.__id}@slot${v.__slot}${mm instanceof this.K.lock_mm_struct ? ` of mm#${mm.__mm_id}` : ''}`;
  }

  private deadlock(me: Actor | null): never {
    const K = this.K;
    const wouldRun = this.actors.filter((a) => a !== me && !a.done && a.onStack && !this.blocked(a));
    if (wouldRun.length) throw new NestingLimit();
    const parts: string[] = [];
    let lost: string | null = null;
    for (const a of this.actors) {
      if (a.done) continue;
      const s = a.pending;
      const subj = this.describeSubject(a.subject);
      parts.push(`${a.name} waits in ${s.fn} (${s.what})${subj ? ` on ${subj}` : ''}`);
      if (s.fn === 'schedule' && a.kind === 'writer' && a.lastVma !== null) {
        const n = a.lastVma.mem.vm_refcnt.refs.v;
        if (K.is_vma_writer_only(n)) {
          lost = `${a.name} sleeps in __vma_enter_locked() on ${this.vmaName(a.lastVma)} whose vm_refcnt ${hex(n)} is its target, but nobody woke it (lost wake-up)`;
        }
      }
    }
    if (lost !== null) this.fail('lost-wakeup', `${lost}: ${parts.join('; ')}`);
    this.fail('hang', `no actor can run: ${parts.join('; ')}`);
  }

  readerOutcome(what: string): void {
    bump(this.coverage.readerOutcomes, what);
  }

  /** A writer starts an operation with its @n-th preallocation failing (0: none). */
  opStart(a: Actor, text: string, failNth: number): void {
    a.op = text;
    const sp = text.indexOf(' ');
    bump(this.coverage.ops, (sp < 0 ? text : text.slice(0, sp)) + (failNth ? '!' : ''));
    if (failNth > 0) {
      this.faultOwner = a;
      a.failArmed = failNth;
      fail_nth_prealloc(failNth);
    }
  }

  opEnd(a: Actor): void {
    a.op = null;
    if (this.faultOwner === a) {
      this.faultOwner = null;
      a.failArmed = 0;
      fault_inject_reset();
    }
  }

  registerMm(mm: lock_mm_struct): void {
    this.mms.push(mm);
  }

  /* The end ------------------------------------------------------------------- */

  private finalChecks(): void {
    for (const mm of this.mms) {
      if (!mm.__freed) this.fail('leak', `mm#${mm.__mm_id} was never freed (mm_count ${mm.mm_count.v}, mm_users ${mm.mm_users.v})`);
    }
    const live = vma_registry.liveVmas();
    if (live.length) this.fail('leak', `${live.length} VMA(s) never freed, e.g. ${this.vmaName(live[0] as slab_vm_area_struct)}`);
  }
}
