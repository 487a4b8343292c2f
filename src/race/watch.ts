// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the race explorer watches: every access to shared memory (the memory
 * hooks of src/lock/atomic.ts) and every stub-layer entry point of the lock,
 * checked against the lock's invariants (src/fuzz/invariants_lock.ts) with a
 * shadow of each VMA's lock state kept from the changes it sees: who changed
 * vm_refcnt by how much in which kernel function, which reader holds what,
 * which mm each task keeps alive.  A violation ends the run with a Finding
 * (Explorer.fail()).  With LKMM visibility on, the value a load returns is
 * left to the Visibility model.
 */

import type { mm_struct, vm_area_struct } from '../vma_internal/structs';
import { mtree_load } from '../vma_internal/maple_tree';
import {
  applyRefChange,
  changedField,
  checkRefcount,
  checkWriteHoldEnd,
  describeShadow,
  newShadow,
  PROTECTED_FIELDS,
  refcountState,
  snapVma,
  UNSTABLE_READER_FIELDS,
  type LockShadow,
} from '../fuzz/invariants_lock'; /* the lock part of the one checker (src/fuzz/invariants.ts), imported without its re-export getters */
import { ORD_PLAIN } from '../lock/atomic';
import type { AnyCell, Cell, lock_mm_struct, MemoryHooks, slab_vm_area_struct } from '../lock';
import type { Actor, Explorer, Held, RaceKernel } from './explorer';
import type { Visibility } from './visibility';

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

/* VMA_LOCK_OFFSET (include/linux/mm_types.h): the writer bit. */
const VMA_LOCK_OFFSET = 0x40000000;

/*
 * Locations whose change is a change of lock state (strategies wait for
 * these): a VMA's vm_refcnt (every attach, detach, reader and writer moves
 * it), an mm's sequence, mmap_lock, counts, tree and writer slot.
 */
const LOCK_STATE_CELLS: ReadonlySet<string> = new Set([
  'vm_refcnt',
  'mm_lock_seq.sequence',
  'mmap_lock',
  'mm_users',
  'mm_count',
  'mm_mt',
  'vma_writer_wait.task',
]);

/*
 * anon_vma_prepare() gives a VMA its anon_vma (NULL -> an anon_vma) under the
 * mmap lock and the page-table lock only, while faults may hold the VMA with
 * its read lock (vmf_anon_prepare()): that one change is allowed.
 */
function anonVmaPrepare(c: AnyCell, v: unknown): boolean {
  return c.name === 'anon_vma' && c.v === null && v !== null;
}

/*
 * What the watch makes of a location, worked out once per location (from
 * its owner and name) and cached in Cell.tag, so that the checks of an
 * access test bits instead of looking names up: bits 0-9 below, and above
 * them the number of the lock port the classes were tested against (a
 * planted copy has its own classes).
 */
const T_VMA = 1;
const T_MM = 2;
const T_UNSTABLE = 4;
const T_PROTECTED = 8;
const T_REFCNT = 16;
const T_LOCK_STATE = 32;
const T_NAMED_REFCNT = 64;
const T_MM_COUNT = 128;
const T_WAKE_SLOT = 256;
const T_BITS = 10;

const kernelIds = new WeakMap<RaceKernel, number>();
let nextKernelId = 1;

function kernelId(K: RaceKernel): number {
  let id = kernelIds.get(K);
  if (id === undefined) {
    id = nextKernelId++;
    kernelIds.set(K, id);
  }
  return id;
}

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

/** The memory hooks and lock checks of one run. */
export class LockWatch implements MemoryHooks {
  private readonly shadows = new Map<object, LockShadow>();
  /** The LKMM visibility model, or null for sequentially consistent memory. */
  vis: Visibility | null = null;
  /* The lock port's classes and functions, looked up once (module getters are slow). */
  private readonly VmaClass: RaceKernel['slab_vm_area_struct'];
  private readonly MmClass: RaceKernel['lock_mm_struct'];
  private readonly writerOnly: (n: number) => boolean;
  private readonly kid: number;

  constructor(private readonly ex: Explorer) {
    this.VmaClass = ex.K.slab_vm_area_struct;
    this.MmClass = ex.K.lock_mm_struct;
    this.writerOnly = ex.K.is_vma_writer_only;
    this.kid = kernelId(ex.K);
  }

  /* The running actor's index, or -1 outside any actor (setup). */
  private running(): number {
    const a = this.ex.cur;
    return a === null ? -1 : a.index;
  }

  /* The T_ bits of @c (see above). */
  private tag(c: AnyCell): number {
    const t = c.tag;
    if (t >= 0 && t >>> T_BITS === this.kid) return t;
    return this.classify(c);
  }

  private classify(c: AnyCell): number {
    const o = c.owner;
    const name = c.name;
    let t = 0;
    if (o instanceof this.VmaClass) {
      t |= T_VMA;
      if (UNSTABLE_READER_FIELDS.has(name)) t |= T_UNSTABLE;
      if (PROTECTED_FIELDS.has(name)) t |= T_PROTECTED;
      if (c === (o.mem.vm_refcnt.refs as AnyCell)) t |= T_REFCNT;
    }
    if (o instanceof this.MmClass) t |= T_MM;
    if (LOCK_STATE_CELLS.has(name)) t |= T_LOCK_STATE;
    if (name === 'vm_refcnt') t |= T_NAMED_REFCNT;
    if (name === 'mm_count') t |= T_MM_COUNT;
    if (name === 'vma_writer_wait.task') t |= T_WAKE_SLOT;
    t |= this.kid << T_BITS;
    c.tag = t;
    return t;
  }

  /** Every VMA in the trees of @mms is attached when the run starts. */
  initShadows(mms: readonly lock_mm_struct[]): void {
    for (const mm of mms) {
      for (const e of mm.mm_mt.ranges.entries()) this.shadows.set(e.value, newShadow(true));
    }
  }

  /** Who stored last into @c, for messages. */
  who(c: AnyCell): string {
    if (c.last_step < 0) return 'its initial value';
    const a = this.ex.actors[c.last_actor];
    return `${a === undefined ? 'setup' : a.name} at step ${c.last_step}`;
  }


  /*
   * An access to a field of an mm.  The mm must not be freed; and the task
   * must keep it alive: its own mm (a thread of it holds mm_users), an
   * mm_count reference it took (mmgrab()), or a count on a VMA attached to
   * it (which keeps the VMA, hence the mm, from going away).  Otherwise the
   * mm may be freed under it at any moment: a use-after-free whether or not
   * this schedule happens to free it first.
   */
  private checkMm(c: AnyCell, what: string): void {
    const o = c.owner as lock_mm_struct;
    const a = this.ex.cur as Actor;
    if (o.__freed) {
      this.ex.fail('use-after-free', `${a.name} ${what} ${c.name} of mm#${o.__mm_id} after the mm was freed (${this.who(c)} was the last store)${this.where(a)}`);
    }
    if (o === a.mm || (a.pins.get(o) ?? 0) > 0) return;
    for (const [v, n] of a.holds) if (n > 0 && (v as slab_vm_area_struct).mem.vm_mm.v === o && this.shadow(v).attached) return;
    this.ex.fail(
      'use-after-free',
      `${a.name} ${what} ${c.name} of mm#${o.__mm_id}${this.where(a)} without keeping that mm alive: it is not ${a.name}'s mm,` +
        ` and ${a.name} holds neither an mm_count reference on it nor a count on one of its VMAs, so mm#${o.__mm_id} may already have been freed`,
    );
  }

  /* " in fn()" for the step an actor is taking. */
  private where(a: Actor): string {
    return ` in ${a.pending.fn}()`;
  }

  load(c: AnyCell, ord: number): unknown {
    const a = this.ex.cur;
    if (a === null) return c.v;
    const t = this.tag(c);
    const reader = this.ex.isReader;
    if (reader && (t & (T_VMA | T_WAKE_SLOT)) !== 0) this.readerLoad(a, c, t);
    if ((t & T_MM) !== 0) this.checkMm(c, 'reads');
    if (this.vis === null) return c.v;
    /* A writer's plain loads of what it alone writes read the latest value. */
    return this.vis.load(c, ord, !reader && ord === ORD_PLAIN, a.index);
  }

  /* Reader-side checks of a load of @c (tagged @t). */
  private readerLoad(a: Actor, c: AnyCell, t: number): void {
    const o = c.owner;
    if ((t & T_VMA) !== 0) {
      if ((t & T_UNSTABLE) === 0 && !this.readerMayRead(a, o as slab_vm_area_struct)) {
        this.ex.fail(
          'kcsan',
          `KCSAN-style: ${a.name} read vma->${c.name} of ${this.ex.vmaName(o as slab_vm_area_struct)} at step ${this.ex.steps} without holding a reference` +
            ` (only vm_refcnt, vm_mm and vm_lock_seq may be read before the increment succeeds); last written by ${this.who(c)}`,
        );
      }
    } else if (a.expectWake !== null) {
      const want = a.expectWake;
      a.expectWake = null;
      if (o !== want) {
        const w = want as lock_mm_struct;
        const g = o as lock_mm_struct;
        this.ex.fail(
          'misdirected-wakeup',
          `${a.name} wakes the writer slot of mm#${g.__mm_id} but its decrement released the writer of mm#${w.__mm_id}` +
            ' (the VMA was freed and reused by another mm between the decrement and the read of vm_mm)',
        );
      }
    }
  }

  private readerMayRead(a: Actor, v: slab_vm_area_struct): boolean {
    if ((a.holds.get(v) ?? 0) > 0) return true;
    const mm = v.mem.vm_mm.v;
    /* Under the mmap lock (read, or write after an upgrade to grow a stack) nothing changes under it. */
    return mm instanceof this.MmClass && (mm.mmap_lock.readers.has(a.task) || mm.mmap_lock.owner === a.task);
  }

  store(c: AnyCell, v: unknown, ord: number): void {
    this.storeChecks(c, v);
    if (this.vis === null) c.v = v;
    else this.vis.store(c, v, ord, this.running());
  }

  /* Checks and bookkeeping of a store. */
  private storeChecks(c: AnyCell, v: unknown): void {
    const a = this.ex.cur;
    const t = this.tag(c);
    if (a !== null && (t & T_MM) !== 0) this.checkMm(c, 'writes');
    if ((t & T_VMA) !== 0) {
      const o = c.owner as slab_vm_area_struct;
      if ((t & T_REFCNT) !== 0) this.refChange(a, o, 'store', c.v as number, v as number);
      else if ((t & T_PROTECTED) !== 0 && c.v !== v && !anonVmaPrepare(c, v)) this.protectedStore(a, o, c);
    }
    if (a !== null && (t & T_LOCK_STATE) !== 0 && this.ex.changed !== null && c.v !== v) {
      this.ex.changed(a.index, c.owner, (t & T_NAMED_REFCNT) !== 0 && c.v === 0, null);
    }
    c.last_actor = a === null ? -1 : a.index;
    c.last_step = a === null ? -1 : this.ex.steps;
  }

  private protectedStore(a: Actor | null, v: slab_vm_area_struct, c: AnyCell): void {
    for (const r of this.ex.actors) {
      if (r.held === null || r.held.vma !== v) continue;
      this.ex.fail(
        'mutual-exclusion',
        `${a === null ? 'setup' : a.name} changed vma->${c.name} of ${this.ex.vmaName(v)} at step ${this.ex.steps}${a?.op ? ` (${a.op})` : ''}` +
          ` while ${r.name} holds it (${r.held.how === 'vma' ? 'VMA read lock' : 'mmap read lock'} taken at step ${r.held.since})`,
      );
    }
  }

  cmpxchg(c: Cell<number>, expected: number, neu: number, ord: number): number {
    const old = c.v;
    const t = this.tag(c as AnyCell);
    if (this.ex.cur !== null && (t & T_MM) !== 0) this.checkMm(c as AnyCell, 'updates');
    if (old === expected) this.rmwChange(c, t, old, neu);
    if (this.vis !== null) return this.vis.cmpxchg(c, expected, neu, ord, this.running());
    if (old === expected) c.v = neu;
    return old;
  }

  fetch_add(c: Cell<number>, delta: number, ord: number): number {
    const old = c.v;
    const t = this.tag(c as AnyCell);
    if (this.ex.cur !== null && (t & T_MM) !== 0) this.checkMm(c as AnyCell, 'updates');
    this.rmwChange(c, t, old, (old + delta) | 0);
    if (this.vis !== null) return this.vis.fetch_add(c, delta, ord, this.running());
    c.v = (old + delta) | 0;
    return old;
  }

  /* A read-modify-write is changing @c (tagged @t) from @old to @neu: checks and bookkeeping (the caller stores). */
  private rmwChange(c: Cell<number>, t: number, old: number, neu: number): void {
    const o = c.owner;
    const a = this.ex.cur;
    if ((t & T_REFCNT) !== 0) this.refChange(a, o as slab_vm_area_struct, 'rmw', old, neu);
    else if ((t & T_MM_COUNT) !== 0 && a !== null && o !== a.mm) {
      const p = a.pins;
      p.set(o, (p.get(o) ?? 0) + (neu - old));
    }
    if (a !== null && (t & T_LOCK_STATE) !== 0 && this.ex.changed !== null && old !== neu) {
      this.ex.changed(a.index, o, false, neu - old === VMA_LOCK_OFFSET ? this.holders(o) : null);
    }
    c.last_actor = a === null ? -1 : a.index;
    c.last_step = a === null ? -1 : this.ex.steps;
  }

  fence(kind: number): void {
    if (this.vis !== null) this.vis.fence(kind, this.running());
  }

  /* The readers holding a count on @v. */
  private holders(v: object): number[] {
    const out: number[] = [];
    for (const r of this.ex.actors) if ((r.holds.get(v) ?? 0) > 0) out.push(r.index);
    return out;
  }

  private shadow(v: object): LockShadow {
    let sh = this.shadows.get(v);
    if (sh === undefined) {
      sh = newShadow(false);
      this.shadows.set(v, sh);
    }
    return sh;
  }

  private refChange(a: Actor | null, v: slab_vm_area_struct, how: 'rmw' | 'store', old: number, neu: number): void {
    if (a === null) return;
    const sh = this.shadow(v);
    const holds = a.holds.get(v) ?? 0;
    /* A reader that took the mmap write lock (to grow a stack) acts as a writer. */
    const mm = v.mem.vm_mm.v;
    const role = a.kind === 'writer' || (mm instanceof this.MmClass && mm.mmap_lock.owner === a.task) ? 'writer' : 'reader';
    const err = applyRefChange(sh, role, a.name, a.pending.fn, how, old, neu, holds);
    if (err !== null) this.ex.fail('refcount', `${err} (${this.ex.vmaName(v)})`);
    if (role === 'reader' && how === 'rmw') {
      if (neu === old + 1) {
        a.holds.set(v, holds + 1);
        if (mm !== a.mm) bump(this.ex.coverage.readerOutcomes, 'reuse: raised the count of a VMA now in another mm');
      }
      else if (neu === old - 1) {
        if (holds <= 1) a.holds.delete(v);
        else a.holds.set(v, holds - 1);
        /* The last reader out must wake a writer that is left alone. */
        if (this.writerOnly(neu)) a.expectWake = v.mem.vm_mm.v;
      }
    }
    const bad = checkRefcount(sh, neu);
    if (bad !== null) this.ex.fail('refcount', `${bad} after ${a.name}'s ${a.pending.fn} (${this.ex.vmaName(v)})`);
    bump(this.ex.coverage.refcountStates, refcountState(neu));
  }

  /* Checks around the stub-layer entry points ---------------------------------- */

  afterAlloc(v: vm_area_struct): vm_area_struct {
    const vma = v as slab_vm_area_struct;
    const sh = newShadow(false);
    this.shadows.set(vma, sh);
    const bad = checkRefcount(sh, vma.mem.vm_refcnt.refs.v);
    if (bad !== null) this.ex.fail('refcount', `a new VMA from vm_area_cachep: ${bad} (${this.ex.vmaName(vma)})`);
    return v;
  }

  beforeFree(v: vm_area_struct): void {
    const vma = v as slab_vm_area_struct;
    const a = this.ex.cur;
    if (this.ex.freeing !== null && a !== null) {
      const others = this.ex.actors.filter((w) => w.kind === 'writer' && w.mm !== a.mm && !w.done).map((w) => w.index);
      this.ex.freeing(a.index, vma, others);
    }
    const sh = this.shadow(vma);
    const n = vma.mem.vm_refcnt.refs.v;
    if (n !== 0 || sh.attached || sh.readers || sh.writer !== null) {
      this.ex.fail('free', `vm_area_free() of ${this.ex.vmaName(vma)} with vm_refcnt ${hex(n)} (${describeShadow(sh)}): only a detached VMA may be freed`);
    }
    for (const r of this.ex.actors) {
      if (r.held !== null && r.held.vma === vma) {
        this.ex.fail('free', `${this.ex.vmaName(vma)} is freed while ${r.name} holds it (taken at step ${r.held.since}, not yet released)`);
      }
    }
  }

  private lockedBySeq(vma: slab_vm_area_struct): boolean {
    const mm = vma.mem.vm_mm.v;
    if (!(mm instanceof this.MmClass)) return false;
    const seq = mm.mm_lock_seq.sequence.v;
    return (seq & 1) === 1 && vma.mem.vm_lock_seq.v === seq;
  }

  beforeAttach(v: vm_area_struct): void {
    const vma = v as slab_vm_area_struct;
    const n = vma.mem.vm_refcnt.refs.v;
    if (n !== 0) this.ex.fail('attach', `vma_mark_attached() on ${this.ex.vmaName(vma)} with vm_refcnt ${hex(n)} (want 0)`);
    if (!this.lockedBySeq(vma)) this.ex.fail('attach', `vma_mark_attached() on ${this.ex.vmaName(vma)} that is not write-locked`);
  }

  afterDetach(v: vm_area_struct): void {
    const vma = v as slab_vm_area_struct;
    const n = vma.mem.vm_refcnt.refs.v;
    if (n !== 0) this.ex.fail('detach', `vma_mark_detached() returned with vm_refcnt ${hex(n)} on ${this.ex.vmaName(vma)} (want 0)`);
  }

  /** A write-hold of @mm ends: the tree must be whole and every VMA in it attached. */
  writeHoldEnd(mm: mm_struct): void {
    const errs = checkWriteHoldEnd(mm, (v) => this.shadows.get(v));
    if (errs.length) {
      const m = mm as lock_mm_struct;
      this.ex.fail('tree', `when ${this.ex.cur?.name ?? 'setup'} ends its write-hold of mm#${m.__mm_id}${this.ex.cur?.op ? ` (after ${this.ex.cur.op})` : ''}: ${errs[0]}`);
    }
  }


  /** A reader got @vma for @addr (through the VMA lock, or under the mmap read lock). */
  readerLocked(a: Actor, vma: slab_vm_area_struct, addr: number, how: 'vma' | 'mmap'): void {
    const m = vma.mem;
    const sh = this.shadow(vma);
    const name = this.ex.vmaName(vma);
    const at = `0x${addr.toString(16)}`;
    const via = how === 'vma' ? 'lock_vma_under_rcu()' : 'lock_mm_and_find_vma()';
    if (how === 'vma' && (a.holds.get(vma) ?? 0) < 1) this.ex.fail('incarnation', `${via} returned ${name} to ${a.name} without a reader's count on it`);
    if (!sh.attached) this.ex.fail('incarnation', `${via} returned ${name} to ${a.name}, but it is detached`);
    if (m.vm_mm.v !== a.mm) this.ex.fail('incarnation', `${via} returned ${name} to ${a.name}, a reader of mm#${a.mm.__mm_id}`);
    if (!(m.vm_start.v <= addr && addr < m.vm_end.v)) {
      this.ex.fail('incarnation', `${via} returned ${name} [${hex(m.vm_start.v)}, ${hex(m.vm_end.v)}) for address ${at}, which it does not cover`);
    }
    const inTree = mtree_load(a.mm.mm_mt, addr);
    if (inTree !== vma) {
      this.ex.fail('incarnation', `${via} returned ${name} for ${at}, but mm#${a.mm.__mm_id}'s tree has ${inTree === null ? 'nothing' : this.ex.vmaName(inTree as slab_vm_area_struct)} there`);
    }
    if (how === 'vma' && this.lockedBySeq(vma)) this.ex.fail('mutual-exclusion', `${via} returned ${name} to ${a.name} while it is write-locked`);
    a.held = { vma, mm: a.mm, addr, how, incarnation: vma.__id, snap: snapVma(vma), since: this.ex.steps };
    bump(this.ex.coverage.readerOutcomes, how === 'vma' ? 'success (VMA lock)' : 'fallback (mmap lock)');
  }

  /* What a reader holds must not change under it. */
  /** What reader @r holds must not have changed under it. */
  checkHeld(r: Actor): void {
    const h = r.held as Held;
    const v = h.vma;
    if (v.__id !== h.incarnation || v.__freed) {
      this.ex.fail('free', `${r.name} still holds vma#${h.incarnation}@slot${v.__slot} (since step ${h.since}), but it was freed`);
    }
    let f = changedField(h.snap, v);
    if (f === 'anon_vma' && h.snap.anon_vma === null) {
      /* anon_vma_prepare() (see anonVmaPrepare()): the reader sees the new anon_vma from now on. */
      r.held = { ...h, snap: { ...h.snap, anon_vma: v.mem.anon_vma.v } };
      f = changedField(r.held.snap, v);
    }
    if (f !== null) {
      const c = (v.mem as unknown as Record<string, AnyCell>)[f === 'vm_flags' ? '__vm_flags' : f];
      this.ex.fail('mutual-exclusion', `vma->${f} of ${this.ex.vmaName(v)} changed (by ${this.who(c)}) while ${r.name} holds it (since step ${h.since})`);
    }
    if (h.how === 'vma' && this.lockedBySeq(v)) {
      this.ex.fail('mutual-exclusion', `${this.ex.vmaName(v)} is write-locked while ${r.name} holds a read lock on it (since step ${h.since})`);
    }
  }

  /** The reader reads what it holds (handle_mm_fault()); a value other than the one it locked is stale. */
  readerRead(a: Actor): void {
    const h = a.held;
    if (h === null) return;
    const v = h.vma;
    const seen = { vm_start: v.vm_start, vm_end: v.vm_end, vm_pgoff: v.vm_pgoff, vm_flags: v.vm_flags, anon_vma: v.anon_vma, vm_file: v.vm_file };
    for (const k of Object.keys(seen) as (keyof typeof seen)[]) {
      /* anon_vma_prepare() may publish the anon_vma without the VMA lock: NULL is still a legal view. */
      if (k === 'anon_vma' && seen[k] === null) continue;
      if (seen[k] !== h.snap[k]) {
        const shown = (x: unknown): string => (typeof x === 'number' ? hex(x) : typeof x === 'bigint' ? `0x${x.toString(16)}` : x === null ? 'NULL' : 'a pointer');
        this.ex.fail(
          'stale-read',
          `${a.name} holds ${this.ex.vmaName(v)} (since step ${h.since}) but reads vma->${k} = ${shown(seen[k])}, not the current ${shown(h.snap[k])}: a store it should see is not visible`,
        );
      }
    }
  }

  /** The reader lets go of what it holds. */
  readerUnlocking(a: Actor): void {
    if (a.held === null) return;
    this.checkHeld(a);
    a.held = null;
  }
}
