// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Schedulers: how the explorer makes each choice.  A choice is an index into
 * the list of possible next moves, ordered so that 0 is the default: at a
 * scheduling point, "let the running actor continue" (any other index is a
 * preemption), unless it is busy-waiting, when it goes last; at a load with
 * several visible stores (issue 8), "the latest store".  Every choice made
 * is recorded, so any run is replayed exactly by its schedule: a plain
 * integer array, which fast-check shrinks towards fewer and smaller
 * (= fewer preemptions, fresher values) choices.
 *
 *  - replay: take the choices from an array (modulo the number of options),
 *    then the default;
 *  - random: random preemptions, more likely before a lock-protocol step
 *    than before a plain store; a preempted actor waits until others have
 *    touched the object it was about to touch a random number of times;
 *  - PCT (Burckhardt et al., ASPLOS 2010): random distinct priorities, the
 *    highest-priority enabled actor runs; at d-1 random step numbers the
 *    running actor drops below all others.  A bug of depth d among n actors
 *    and k steps is found by one run with probability at least
 *    1/(n·k^(d-1)).  An actor that busy-waits drops to the lowest priority
 *    (loom's yield_now rule, so that PCT cannot starve the actor it waits for);
 *  - visibility choices (loads) are drawn uniformly by random and PCT.
 */

import { prng } from '../util/prng';

/** What a strategy may look at when it chooses. */
export interface ChoiceContext {
  /** Actor indices of the options at a scheduling point (first: the default); only the first n are meaningful. */
  readonly options: readonly number[];
  /** Number of options. */
  readonly n: number;
  /** The global step count. */
  readonly step: number;
  /** The actor that was running, or -1. */
  readonly running: number;
  /** Is this a visibility choice (which store a load reads) rather than a scheduling one? */
  readonly load: boolean;
  /** Does the running actor busy-wait (it is not option 0 then)? */
  readonly spinning: boolean;
  /** Is the running actor's next step a plain store (less likely to matter than a lock step)? */
  readonly plain: boolean;
  /** The object (VMA, mm, task, cache) the running actor's next step touches, or null. */
  readonly subject: unknown;
  /** Is the running actor a page-fault reader (short-lived, so worth stalling more often)? */
  readonly reader: boolean;
  /**
   * Is the running actor a reader about to touch a VMA it holds no count on
   * (it found the VMA and has not raised the count yet, or has dropped it)?
   * In that window the object may be freed and reused under it.
   */
  readonly stale: boolean;
}

/** A scheduler: makes every choice of a run. */
export interface Strategy {
  readonly name: string;
  /** Called once per run with the number of actors and their names. */
  start(actors: number, names?: readonly string[]): void;
  /** An index in [0, ctx.n). */
  pick(ctx: ChoiceContext): number;
  /**
   * Actor @actor changed the lock state of @subject (a VMA's vm_refcnt, an
   * mm's sequence, ...); @attach: the change attached the VMA (0 -> 1);
   * @waitFor: the readers a writer now waits for (it set the writer bit on a
   * VMA they hold), or null.
   */
  changed?(actor: number, subject: unknown, attach: boolean, waitFor: readonly number[] | null): void;
  /**
   * Actor @actor is freeing @obj; @others are the writers of the other mms
   * (who could allocate it next: the cache hands it out again at once).
   */
  freeing?(actor: number, obj: unknown, others: readonly number[]): void;
}

/** Take the choices from @choices, then use @then (default: always 0). */
export class ReplayStrategy implements Strategy {
  readonly name = 'replay';
  private i = 0;

  constructor(
    private readonly choices: readonly number[],
    private readonly then: Strategy | null = null,
  ) {}

  start(actors: number): void {
    this.i = 0;
    this.then?.start(actors);
  }

  pick(ctx: ChoiceContext): number {
    if (this.i < this.choices.length) {
      const c = this.choices[this.i++];
      return Math.abs(Math.trunc(c)) % ctx.n;
    }
    return this.then === null ? 0 : this.then.pick(ctx);
  }
}

/**
 * Random preemptions that wait for a conflict.  Before each step the running
 * actor may be paused (more often before a step of the lock protocol than
 * before a plain store) on the object that step touches (a VMA, an mm, a
 * task); it stays paused until other actors have changed that object's lock
 * state k times (k log-uniform in 1..@maxChanges: a change of a VMA's
 * vm_refcnt, of an mm's sequence, mmap_lock, counts, tree or writer slot),
 * then it runs next.  So a reader that has just found a VMA can sleep
 * through the VMA's detach, free, reuse and attach, and wake up exactly when
 * the object can be locked again — the stall at the right moment that races
 * on recycled memory need, which uniform random scheduling almost never
 * produces (RaceFuzzer's idea, Sen 2008, applied to objects).  A reader about
 * to touch a VMA it holds no count on (found but not yet locked, or just
 * unlocked) is paused more often, and then until the object is attached
 * again: freed and reused, which is what reuse bugs need (and when that
 * object is freed, a writer of another mm often runs next, so that the
 * object changes process).  When a writer
 * sets the writer bit on a VMA that readers hold, one of them is often run
 * next, inside the few steps before the writer decides whether to sleep.
 * Otherwise the running actor continues, with an occasional random switch.
 */
export class RandomStrategy implements Strategy {
  readonly name = 'random';
  private readonly rnd: () => number;
  private pausedOn: unknown[] = [];
  private left: number[] = [];
  /** Paused until the object is attached again (reused), not until k changes. */
  private untilAttach: boolean[] = [];
  private resumed = -1;
  /** A reader let go inside a writer's window: not paused again until it changes a count. */
  private racing = -1;

  constructor(
    seed: number,
    private readonly pLock = 0.2,
    private readonly pPlain = 0.03,
    private readonly pSwitch = 0.02,
    private readonly maxChanges = 12,
    private readonly pReader = 0.4,
    private readonly pStale = 0.3,
    private readonly pWake = 0.5,
    private readonly pSteer = 0.7,
  ) {
    this.rnd = prng(seed);
  }

  start(actors: number): void {
    this.pausedOn = new Array<unknown>(actors).fill(null);
    this.left = new Array<number>(actors).fill(0);
    this.untilAttach = new Array<boolean>(actors).fill(false);
    this.resumed = -1;
    this.racing = -1;
  }

  changed(actor: number, subject: unknown, attach: boolean, waitFor: readonly number[] | null): void {
    const p = this.pausedOn;
    if (actor === this.racing) this.racing = -1;
    if (waitFor !== null && waitFor.length && this.rnd() < this.pWake) {
      /* A writer starts waiting for readers: let one of them move now, inside the writer's window. */
      const r = waitFor[Math.floor(this.rnd() * waitFor.length)];
      p[r] = null;
      this.resumed = r;
      this.racing = r;
    }
    for (let a = 0; a < p.length; a++) {
      if (a === actor || p[a] !== subject || (this.untilAttach[a] && !attach)) continue;
      if (--this.left[a] <= 0) {
        p[a] = null;
        this.resumed = a;
      }
    }
  }

  freeing(_actor: number, obj: unknown, others: readonly number[]): void {
    if (!others.length) return;
    for (let a = 0; a < this.pausedOn.length; a++) {
      if (this.pausedOn[a] === obj && this.untilAttach[a] && this.rnd() < this.pSteer) {
        /* A reader waits for this object to be reused: let another process allocate next. */
        this.resumed = others[Math.floor(this.rnd() * others.length)];
        return;
      }
    }
  }

  pick(ctx: ChoiceContext): number {
    if (ctx.load) return Math.floor(this.rnd() * ctx.n);
    const o = ctx.options;
    const run = ctx.running;
    const continues = run >= 0 && o[0] === run && !ctx.spinning;
    if (run === this.racing) {
      /* Let it reach its decrement before the writer decides to sleep. */
    } else if (continues && ctx.stale && this.rnd() < this.pStale) {
      /* A reader holding a bare pointer: let the object be freed and reused under it. */
      this.pausedOn[run] = ctx.subject;
      this.left[run] = 1;
      this.untilAttach[run] = true;
    } else if (continues && ctx.subject !== null && this.rnd() < (ctx.plain ? this.pPlain : ctx.reader ? this.pReader : this.pLock)) {
      this.pausedOn[run] = ctx.subject;
      this.left[run] = Math.max(1, Math.floor(Math.exp(this.rnd() * Math.log(this.maxChanges + 1))));
      this.untilAttach[run] = false;
    }
    const paused = this.pausedOn;
    /* An actor whose wait for a conflict is over goes first. */
    if (this.resumed >= 0) {
      let k = ctx.n - 1;
      while (k >= 0 && o[k] !== this.resumed) k--;
      this.resumed = -1;
      if (k >= 0 && paused[o[k]] === null) return k;
    }
    if (continues && paused[run] === null && (run === this.racing || this.rnd() >= this.pSwitch)) return 0;
    let eligible = 0;
    for (let k = 0; k < ctx.n; k++) if (paused[o[k]] === null && !(continues && k === 0)) eligible++;
    if (eligible > 0) {
      let x = Math.floor(this.rnd() * eligible);
      for (let k = 0; k < ctx.n; k++) {
        if (paused[o[k]] === null && !(continues && k === 0) && x-- === 0) return k;
      }
    }
    if (continues && paused[run] === null) return 0;
    /*
     * Everyone able to run is paused: the one closest to its conflict runs
     * (and is no longer paused); an actor waiting for a reuse only when
     * nobody else can go.
     */
    let best = -1;
    for (let k = 0; k < ctx.n; k++) {
      const a = o[k];
      if (best < 0) best = k;
      else {
        const b = o[best];
        const better = this.untilAttach[a] !== this.untilAttach[b] ? this.untilAttach[b] : this.left[a] < this.left[b];
        if (better) best = k;
      }
    }
    paused[o[best]] = null;
    this.untilAttach[o[best]] = false;
    return best;
  }
}

/**
 * Replay by actor: at the i-th scheduling choice pick the actor named
 * @picks[i] if it can run, else the default; a number is a load choice.
 * Used while shrinking the program: removing an actor keeps the other
 * actors' choices meaningful (an index into the options would not be).
 */
export class NameReplayStrategy implements Strategy {
  readonly name = 'replay-by-actor';
  private i = 0;
  private names: readonly string[] = [];

  constructor(private readonly picks: readonly (string | number)[]) {}

  start(_actors: number, names?: readonly string[]): void {
    this.i = 0;
    this.names = names ?? [];
  }

  pick(ctx: ChoiceContext): number {
    if (this.i >= this.picks.length) return 0;
    const p = this.picks[this.i++];
    if (typeof p === 'number') return ctx.load ? p % ctx.n : 0;
    if (ctx.load) return 0;
    for (let k = 0; k < ctx.n; k++) if (this.names[ctx.options[k]] === p) return k;
    return 0;
  }
}

/** Probabilistic concurrency testing with depth @depth over about @steps steps. */
export class PctStrategy implements Strategy {
  readonly name: string;
  private readonly rnd: () => number;
  private prio: number[] = [];
  private changes: number[] = [];
  private nextChange = 0;
  private low = 0;

  constructor(
    seed: number,
    readonly depth: number,
    private readonly steps: number,
  ) {
    this.name = `pct(d=${depth})`;
    this.rnd = prng(seed);
  }

  start(actors: number): void {
    /* Distinct priorities d .. d+n-1 in random order; change points take d-1 .. 1. */
    const order = Array.from({ length: actors }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(this.rnd() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    this.prio = new Array<number>(actors);
    order.forEach((a, k) => (this.prio[a] = this.depth + k));
    this.changes = [];
    for (let i = 0; i < this.depth - 1; i++) this.changes.push(1 + Math.floor(this.rnd() * this.steps));
    this.changes.sort((a, b) => a - b);
    this.nextChange = 0;
    this.low = 0;
  }

  pick(ctx: ChoiceContext): number {
    if (ctx.load) return Math.floor(this.rnd() * ctx.n);
    if (ctx.spinning && ctx.running >= 0) this.prio[ctx.running] = --this.low;
    while (this.nextChange < this.changes.length && ctx.step >= this.changes[this.nextChange]) {
      if (ctx.running >= 0) this.prio[ctx.running] = this.depth - 1 - this.nextChange;
      this.nextChange++;
    }
    let best = 0;
    for (let k = 1; k < ctx.n; k++) if (this.prio[ctx.options[k]] > this.prio[ctx.options[best]]) best = k;
    return best;
  }
}
