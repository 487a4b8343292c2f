// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Weak memory for the race explorer: which store each load may return,
 * following the Linux-kernel memory model (LKMM) for the primitives the lock
 * uses.  An operational, view-based model (in the spirit of the C11
 * operational models loom and CDSChecker explore):
 *
 *  - every location keeps its stores in modification order (the latest few);
 *  - every actor has a vector clock (what happens before its next step) and,
 *    per location, the newest store it has read or written (coherence);
 *  - a load may return any store not older than both: the newest store that
 *    happens before it and the newest it has already seen; which one is a
 *    choice of the schedule (0 = the latest), so it shrinks and replays;
 *  - a release store (smp_store_release, refcount_set_release, the
 *    fetch_sub_release of refcount_sub_and_test, up_*) carries the writer's
 *    clock; an acquire load or RMW (smp_load_acquire, try_cmpxchg_acquire,
 *    rcu_dereference, down_*) that reads it takes that clock in;
 *  - a read-modify-write always reads the latest store and continues the
 *    release sequence of the store it read;
 *  - smp_wmb() makes later stores carry the clock of the fence (a release
 *    fence); smp_rmb() and smp_acquire__after_ctrl_dep() take in the clocks
 *    of the stores read before it (an acquire fence); smp_mb() does both and
 *    is totally ordered with every other smp_mb() (a global clock that each
 *    full barrier joins and updates), which forbids store buffering;
 *  - fully ordered RMWs (atomic_dec_and_test) are smp_mb(); RMW; smp_mb().
 *
 * What is not modelled: load buffering (a load never returns a store that
 * has not been executed yet), so the LB family of outcomes, which LKMM
 * forbids with a control dependency or a release and allows without, is
 * never produced; plain accesses are treated as relaxed (LKMM's data-race
 * rules are not checked); smp_wmb() and smp_rmb() are modelled as full
 * release and acquire fences (slightly stronger than LKMM's store-store and
 * load-load barriers).  Locations flagged `sc` (the root of an RCU-walked
 * tree) always read the latest store.
 */

import { FENCE_MB, FENCE_RMB, FENCE_WMB, ORD_ACQUIRE, ORD_MB, ORD_RELEASE, type AnyCell, type Cell } from '../lock/atomic';

/** What the model needs from whoever runs the actors. */
export interface VisibilityHost {
  /** The running actor (an index < actors), or -1 outside any actor. */
  running(): number;
  /** Choose among @n visible stores; 0 is the latest. */
  chooseLoad(n: number): number;
}

/*
 * A store in a location's history.  The records of a location are reused
 * (a ring of KEEP, overwritten in place when the oldest drops out, and
 * pooled from run to run), so a store allocates nothing but its message
 * clock.
 */
interface Store {
  v: unknown;
  /** The storing actor, or -1 for a store made before the run (setup). */
  actor: number;
  /** The actor's own clock at the store. */
  clock: number;
  /** The clock a reader with acquire ordering takes in, or null (never changed once stored). */
  msg: Clock | null;
  /** Position in the location's modification order. */
  mo: number;
}

/*
 * The state of one location in one run: its latest stores (at most KEEP, in
 * modification order: the oldest at ring[start], the latest at
 * ring[(start + len - 1) % KEEP]), and per actor the newest store (mo) it
 * read or wrote.
 */
interface Loc {
  /** The run (Visibility.epoch) and the cell this state is for: anything else means it is not (or no longer) theirs. */
  epoch: number;
  cell: AnyCell | null;
  readonly ring: Store[];
  start: number;
  len: number;
  seen: Clock;
}

/*
 * A vector clock: one small integer per actor.  A plain array of small
 * integers, not an Int32Array: the model copies clocks on every release
 * store and RMW, and copying a small packed array is much cheaper than
 * making a typed array.
 */
type Clock = number[];

const ZEROS: Clock = [];
for (let i = 0; i < 64; i++) ZEROS.push(0);

/* A zero clock of @n actors (a slice of a packed array: one allocation of the exact size). */
function newClock(n: number): Clock {
  if (n <= ZEROS.length) return ZEROS.slice(0, n);
  const c: Clock = [];
  for (let i = 0; i < n; i++) c.push(0);
  return c;
}

/** How many stores of one location stay visible (a power of two: the ring's index is masked). */
const KEEP = 8;
const RING = KEEP - 1;

function join(into: Clock, from: Clock | null): void {
  if (from === null) return;
  for (let i = 0; i < into.length; i++) if (from[i] > into[i]) into[i] = from[i];
}

/* What a read-modify-write stores: compare-and-exchange, or add. */
const RMW_CMPXCHG = 0;
const RMW_ADD = 1;

let epochs = 0;

/* Location records of finished runs (Visibility.release()), reused by the next. */
const locPool: Loc[] = [];

/** The LKMM visibility model of one run: store histories, clocks, fences. */
export class Visibility {
  private readonly n: number;
  private readonly vc: Clock[];
  private readonly pendingAcq: Clock[];
  private readonly relFence: (Clock | null)[];
  private readonly global: Clock;
  private readonly epoch = ++epochs;
  /* The location records this run took (given back by release()). */
  private readonly locs: Loc[] = [];
  /** Loads with more than one visible store, and stale values returned (statistics). */
  choices = 0;
  stale = 0;

  constructor(
    private readonly host: VisibilityHost,
    actors: number,
  ) {
    this.n = actors;
    this.vc = [];
    this.pendingAcq = [];
    this.relFence = [];
    for (let i = 0; i < actors; i++) {
      this.vc.push(newClock(actors));
      this.pendingAcq.push(newClock(actors));
      this.relFence.push(null);
    }
    this.global = newClock(actors);
  }

  private loc(c: AnyCell): Loc {
    const l = c.mm as Loc | null;
    if (l !== null && l.epoch === this.epoch && l.cell === c) return l;
    return this.fresh(c);
  }

  /* First use of @c in this run: its current value is the initial store. */
  private fresh(c: AnyCell): Loc {
    let l = locPool.pop();
    if (l === undefined) {
      l = { epoch: this.epoch, cell: c, ring: [], start: 0, len: 1, seen: newClock(this.n) };
      l.ring.push({ v: c.v, actor: -1, clock: 0, msg: null, mo: 0 });
    } else {
      l.epoch = this.epoch;
      l.cell = c;
      l.start = 0;
      l.len = 1;
      const s = l.ring[0];
      s.v = c.v;
      s.actor = -1;
      s.clock = 0;
      s.msg = null;
      s.mo = 0;
      const seen = l.seen;
      if (seen.length !== this.n) l.seen = newClock(this.n);
      else for (let i = 0; i < seen.length; i++) seen[i] = 0;
    }
    c.mm = l;
    this.locs.push(l);
    return l;
  }

  /**
   * The run is over: the locations' records go back to the pool for the
   * next run (a cell that still points at one no longer matches it).
   */
  release(): void {
    const locs = this.locs;
    for (let i = 0; i < locs.length; i++) {
      const l = locs[i];
      l.epoch = 0;
      l.cell = null;
      for (let k = 0; k < l.ring.length; k++) {
        l.ring[k].v = null;
        l.ring[k].msg = null;
      }
      locPool.push(l);
    }
    locs.length = 0;
  }

  /* The @i-th oldest store still kept of @l (0 <= i < l.len). */
  private at(l: Loc, i: number): Store {
    return l.ring[(l.start + i) & RING];
  }

  private hb(s: Store, a: number): boolean {
    return s.actor < 0 || s.actor === a || this.vc[a][s.actor] >= s.clock;
  }

  /* Append a store by actor @a (or setup) with message @msg. */
  private append(c: AnyCell, l: Loc, v: unknown, a: number, msg: Clock | null): void {
    const mo = this.at(l, l.len - 1).mo + 1;
    let clock = 0;
    if (a >= 0) clock = ++this.vc[a][a];
    let slot: number;
    if (l.len < KEEP) slot = (l.start + l.len++) & RING;
    else {
      /* The oldest store drops out; its record takes the new one. */
      slot = l.start;
      l.start = (l.start + 1) & RING;
    }
    const s = l.ring[slot];
    if (s === undefined) l.ring[slot] = { v, actor: a, clock, msg, mo };
    else {
      s.v = v;
      s.actor = a;
      s.clock = clock;
      s.msg = msg;
      s.mo = mo;
    }
    if (a >= 0) l.seen[a] = mo;
    c.v = v;
  }

  /** A load with ordering @ord by actor @a (default: the host's running one); @latest: this load reads the latest store (no choice). */
  load(c: AnyCell, ord: number, latest: boolean, a: number = this.host.running()): unknown {
    if (a < 0) return c.v;
    const l = this.loc(c);
    let k = l.len - 1;
    if (!latest && !c.sc) {
      /* The oldest visible store: not older than one that happens before, nor than one already seen. */
      let lo = l.len - 1;
      for (;;) {
        if (lo <= 0) break;
        const h = this.at(l, lo);
        if (this.hb(h, a) || h.mo <= l.seen[a]) break;
        lo--;
      }
      const n = l.len - lo;
      if (n > 1) {
        this.choices++;
        const back = this.host.chooseLoad(n);
        if (back > 0) this.stale++;
        k = l.len - 1 - back;
      }
    }
    const s = this.at(l, k);
    if (s.mo > l.seen[a]) l.seen[a] = s.mo;
    if (ord === ORD_ACQUIRE || ord === ORD_MB) join(this.vc[a], s.msg);
    else join(this.pendingAcq[a], s.msg);
    return s.v;
  }

  /** A store with ordering @ord by actor @a (default: the host's running one). */
  store(c: AnyCell, v: unknown, ord: number, a: number = this.host.running()): void {
    const l = this.loc(c);
    if (a < 0) {
      this.append(c, l, v, -1, null);
      return;
    }
    if (ord === ORD_MB) this.fence(FENCE_MB, a);
    const release = ord === ORD_RELEASE || ord === ORD_MB;
    const msg = release ? this.vc[a].slice() : this.relFence[a];
    this.append(c, l, v, a, msg);
    /* A release store's message covers the store itself. */
    if (release && msg !== null) msg[a] = this.vc[a][a];
  }

  /*
   * A read-modify-write: reads the latest store; RMW_ADD stores old + @x,
   * RMW_CMPXCHG stores @y if old is @x (else stores nothing).
   */
  private rmw(c: Cell<number>, ord: number, op: number, x: number, y: number, a: number): number {
    const cc = c as AnyCell;
    const l = this.loc(cc);
    const s = this.at(l, l.len - 1);
    const old = s.v as number;
    const smsg = s.msg;
    const writes = op === RMW_ADD || old === x;
    const nv = op === RMW_ADD ? (old + x) | 0 : y;
    if (a < 0) {
      if (writes) this.append(cc, l, nv, -1, null);
      return old;
    }
    if (ord === ORD_MB) this.fence(FENCE_MB, a);
    if (s.mo > l.seen[a]) l.seen[a] = s.mo;
    if (ord === ORD_ACQUIRE || ord === ORD_MB) join(this.vc[a], smsg);
    else join(this.pendingAcq[a], smsg);
    if (writes) {
      /*
       * The release sequence continues through an RMW.  A message clock is
       * never changed once stored, so one that is passed on unchanged is
       * shared, not copied.
       */
      let msg: Clock | null;
      const rf = this.relFence[a];
      if (ord === ORD_RELEASE || ord === ORD_MB) {
        msg = this.vc[a].slice();
        join(msg, smsg);
      } else if (rf === null) msg = smsg;
      else if (smsg === null) msg = rf;
      else {
        msg = rf.slice();
        join(msg, smsg);
      }
      this.append(cc, l, nv, a, msg);
      if (msg !== null && (ord === ORD_RELEASE || ord === ORD_MB)) msg[a] = this.vc[a][a];
      if (ord === ORD_MB) this.fence(FENCE_MB, a);
    }
    return old;
  }

  /** compare-and-exchange by actor @a (default: the host's running one). */
  cmpxchg(c: Cell<number>, expected: number, neu: number, ord: number, a: number = this.host.running()): number {
    return this.rmw(c, ord, RMW_CMPXCHG, expected, neu, a);
  }

  /** fetch-and-add by actor @a (default: the host's running one). */
  fetch_add(c: Cell<number>, delta: number, ord: number, a: number = this.host.running()): number {
    return this.rmw(c, ord, RMW_ADD, delta, 0, a);
  }

  /** A fence of actor @a (default: the host's running one). */
  fence(kind: number, a: number = this.host.running()): void {
    if (a < 0) return;
    const vc = this.vc[a];
    if (kind === FENCE_RMB || kind === FENCE_MB) {
      const p = this.pendingAcq[a];
      join(vc, p);
      for (let i = 0; i < p.length; i++) p[i] = 0;
    }
    if (kind === FENCE_MB) {
      const g = this.global;
      join(vc, g);
      for (let i = 0; i < g.length; i++) g[i] = vc[i];
    }
    if (kind === FENCE_WMB || kind === FENCE_MB) {
      /* Later stores carry the clock as of this fence (including our own stores so far). */
      this.relFence[a] = vc.slice();
    }
  }
}
