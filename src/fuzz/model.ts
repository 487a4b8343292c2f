// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The reference model: what the address space must look like after each
 * vma-trace/1 operation, written independently of the port.
 *
 * The model keeps a sorted list of segments, one per VMA, each with its
 * attributes (range, pgoff, flags, anon_vma id, file id, vm_ops kind, length
 * of its anon_vma_chain) and the identity the harness's registry would give
 * it.  Every operation is described in its own terms: which neighbours a
 * merge may absorb under v6.15's rules, which ranges are split off, which
 * objects are allocated and freed and in what order, which VMAs are
 * write-locked, which preallocations are attempted (and so which fail under
 * fault injection), and how the mm's page counters move.  From that it
 * predicts a complete TraceExpect for the step.
 *
 * The merge rules, as the model states them:
 *  - a proposed range may join its left neighbour when they touch, the
 *    flags and the file are equal, neither is VM_SPECIAL, the neighbour's
 *    pgoff runs straight into the range's, and the anon_vmas agree: equal,
 *    or one missing while the neighbour's anon_vma_chain has exactly one
 *    entry (v6.15's rule);
 *  - likewise on the right, and when both sides qualify the two neighbours'
 *    anon_vmas must not be two different ones;
 *  - a VMA with a close hook is never removed by a merge: merging into it is
 *    fine, absorbing it is not (the merge shrinks to the other side or is
 *    dropped);
 *  - a merge never happens for a range touching neither end of the VMA it
 *    modifies.
 *
 * Validated against every oracle trace recorded from the C code
 * (tests/fuzz/model_oracle.test.ts), never against the port.
 */

import {
  EINVAL,
  ENOMEM,
  EPERM,
  PAGE_SIZE,
  TASK_SIZE,
  VM_ACCOUNT,
  VM_DONTEXPAND,
  VM_EXEC,
  VM_GROWSDOWN,
  VM_IO,
  VM_LOCKED,
  VM_LOCKONFAULT,
  VM_MIXEDMAP,
  VM_NORESERVE,
  VM_PFNMAP,
  VM_SEALED,
  VM_SHARED,
  VM_WRITE,
} from '../vma_internal/constants';
import { toHex } from '../trace/hex';
import type { AnonFlags, AnonId, FileId, MergeStateName, TraceExpect, TraceStep, VmaRow, VmOpsKind } from '../trace/types';

/* The model's own copies of the flag groups it reasons about. */
const SPECIAL = VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP;
const LOCKED_MASK = VM_LOCKED | VM_LOCKONFAULT;

/** One VMA as the model sees it. */
export interface Seg {
  id: number;
  start: number;
  end: number;
  pgoff: number;
  flags: bigint;
  anon: AnonId | null;
  file: FileId | null;
  ops: VmOpsKind;
  /** Entries on its anon_vma_chain (only whether it is exactly 1 matters). */
  chain: number;
}

const pages = (bytes: number): number => Math.floor(bytes / PAGE_SIZE);

/** The mm's page counters, as unsigned longs that may wrap (kept as signed). */
interface Counters {
  total: number;
  locked: number;
  data: number;
  exec: number;
  stack: number;
}

/* Counter classes of a flag word. */
function isExec(f: bigint): boolean {
  return (f & (VM_EXEC | VM_WRITE | VM_GROWSDOWN)) === VM_EXEC;
}
function isStack(f: bigint): boolean {
  return (f & VM_GROWSDOWN) === VM_GROWSDOWN;
}
function isData(f: bigint): boolean {
  return (f & (VM_WRITE | VM_SHARED | VM_GROWSDOWN)) === VM_WRITE;
}
/* Unsigned comparison of counters that may have wrapped (negative = huge). */
function ugt(a: number, b: number): boolean {
  if (a < 0 !== b < 0) return a < 0;
  return a > b;
}

/** The proposed range of a merge, in the model's terms. */
interface Proposal {
  start: number;
  end: number;
  pgoff: number;
  flags: bigint;
  file: FileId | null;
  anon: AnonId | null;
}

interface MergeResult {
  vma: Seg | null;
  state: MergeStateName;
}

/** A step the kernel would BUG on: not a valid input. */
export class ModelRefusal extends Error {}

/** Why a step cannot be run, or null when it can. */
export type Invalid = string | null;

export class VmaModel {
  segs: Seg[] = [];
  private nextId = 1;
  failPrealloc = false;
  /** One-shot failure of the nth preallocation (0: off), as the stub layer does. */
  failNth = 0;
  preallocAttempts = 0;
  readonly counters: Counters = { total: 0, locked: 0, data: 0, exec: 0, stack: 0 };

  /* What the current step did. */
  private written = new Set<number>();
  private freed: [number, number][] = [];
  private anonMarks = new Map<number, AnonFlags>();
  private warnings = 0;

  /** A deep copy (for trying a step without committing to it). */
  clone(): VmaModel {
    const m = new VmaModel();
    m.segs = this.segs.map((s) => ({ ...s }));
    m.nextId = this.nextId;
    m.failPrealloc = this.failPrealloc;
    m.failNth = this.failNth;
    m.preallocAttempts = this.preallocAttempts;
    Object.assign(m.counters, this.counters);
    return m;
  }

  get mapCount(): number {
    return this.segs.length;
  }

  /** The id the next allocation will get. */
  get nextVmaId(): number {
    return this.nextId;
  }

  /* Lookups --------------------------------------------------------------- */

  byId(id: number): Seg | undefined {
    return this.segs.find((s) => s.id === id);
  }

  containing(addr: number): Seg | null {
    return this.segs.find((s) => s.start <= addr && addr < s.end) ?? null;
  }

  /** The last VMA ending at or before addr. */
  before(addr: number): Seg | null {
    let r: Seg | null = null;
    for (const s of this.segs) if (s.end <= addr) r = s;
    return r;
  }

  /** The first VMA starting at or after addr. */
  after(addr: number): Seg | null {
    return this.segs.find((s) => s.start >= addr) ?? null;
  }

  /** The first VMA intersecting [start, end). */
  firstIn(start: number, end: number): Seg | null {
    return this.segs.find((s) => s.end > start && s.start < end) ?? null;
  }

  isFree(start: number, end: number): boolean {
    return this.firstIn(start, end) === null;
  }

  /* Bookkeeping ------------------------------------------------------------ */

  private alloc(): number {
    return this.nextId++;
  }

  private free(id: number): void {
    this.freed.push([id, 0]);
  }

  private write(s: Seg): void {
    this.written.add(s.id);
  }

  private mark(anon: AnonId | null, which: 0 | 1): void {
    if (anon === null) return;
    const cur = this.anonMarks.get(anon) ?? [false, false];
    cur[which] = true;
    this.anonMarks.set(anon, cur);
  }

  /** One preallocation: false when fault injection makes it fail. */
  private prealloc(): boolean {
    this.preallocAttempts++;
    if (this.failPrealloc) return false;
    if (this.failNth !== 0 && this.preallocAttempts === this.failNth) return false;
    return true;
  }

  private insert(s: Seg): void {
    let i = 0;
    while (i < this.segs.length && this.segs[i].start < s.start) i++;
    this.segs.splice(i, 0, s);
  }

  private remove(s: Seg): void {
    this.segs.splice(this.segs.indexOf(s), 1);
  }

  private resort(): void {
    this.segs.sort((a, b) => a.start - b.start);
  }

  /* Merge rules -------------------------------------------------------------- */

  /** v6.15: may a range with anon_vma a join a VMA with anon_vma b? */
  private anonOk(a: AnonId | null, seg: Seg): boolean {
    return a === seg.anon || ((a === null || seg.anon === null) && seg.chain === 1);
  }

  private sameKind(seg: Seg, p: Proposal): boolean {
    return seg.flags === p.flags && seg.file === p.file;
  }

  private joinsLeft(prev: Seg | null, p: Proposal): prev is Seg {
    return (
      prev !== null &&
      prev.end === p.start &&
      this.sameKind(prev, p) &&
      this.anonOk(p.anon, prev) &&
      prev.pgoff + pages(prev.end - prev.start) === p.pgoff
    );
  }

  private joinsRight(next: Seg | null, p: Proposal, prev: Seg | null, left: boolean): next is Seg {
    return (
      next !== null &&
      next.start === p.end &&
      this.sameKind(next, p) &&
      this.anonOk(p.anon, next) &&
      next.pgoff === p.pgoff + pages(p.end - p.start) &&
      /* prev and next must suit each other too */
      (!left || prev === null || prev.anon === null || next.anon === null || prev.anon === next.anon)
    );
  }

  /* dst takes over pages of src: it needs src's anon_vma if it has none. */
  private dupAnon(dst: Seg, src: Seg): Seg | null {
    if (src.anon !== null && dst.anon === null) {
      dst.anon = src.anon;
      this.mark(src.anon, 0);
      return dst;
    }
    return null;
  }

  /**
   * Grow middle to [start, end) with pgoff, absorbing next when the range
   * ends at next's end.  Returns 0 or -ENOMEM.
   */
  private expand(middle: Seg, next: Seg | null, start: number, end: number, pgoff: number): number {
    this.write(middle);
    let dup: Seg | null = null;
    const absorb = next !== null && next !== middle && end === next.end;
    if (absorb) {
      this.write(next);
      dup = this.dupAnon(middle, next);
    }
    if (!this.prealloc()) {
      if (dup) this.mark(dup.anon, 1);
      return -ENOMEM;
    }
    middle.start = start;
    middle.end = end;
    middle.pgoff = pgoff;
    if (absorb) {
      this.remove(next);
      this.free(next.id);
    }
    return 0;
  }

  /** A new range [p.start, p.end) next to prev/next: expand a neighbour over it. */
  private mergeNew(p: Proposal, prev: Seg | null, next: Seg | null): MergeResult {
    if ((p.flags & SPECIAL) !== 0n || (prev === null && next === null)) return { vma: null, state: 'NOMERGE' };
    const left = this.joinsLeft(prev, p);
    const right = this.joinsRight(next, p, prev, left);
    let start = p.start;
    let end = p.end;
    let pgoff = p.pgoff;
    let middle: Seg | null = null;
    if (right) {
      end = next.end;
      middle = next;
    }
    if (left) {
      start = prev.start;
      middle = prev;
      pgoff = prev.pgoff;
      /* next has a close hook: it cannot be absorbed. */
      if (right && next.ops === 'close') end = p.end;
    }
    if (middle === null) return { vma: null, state: 'NOMERGE' };
    if (this.expand(middle, next, start, end, pgoff)) return { vma: null, state: 'ERROR_NOMEM' };
    return { vma: middle, state: 'SUCCESS' };
  }

  /**
   * [start, end) of mid gets new flags: merge it with a neighbour if the
   * rules allow.  prev is what the caller passes (mid itself when the range
   * starts inside it).
   */
  private mergeExisting(mid: Seg, prev: Seg | null, start: number, end: number, flags: bigint): MergeResult {
    const p: Proposal = {
      start,
      end,
      pgoff: mid.pgoff + pages(start - mid.start),
      flags,
      file: mid.file,
      anon: mid.anon,
    };
    const leftSide = start === mid.start;
    const rightSide = end === mid.end;
    if ((flags & SPECIAL) !== 0n || (!leftSide && !rightSide)) return { vma: null, state: 'NOMERGE' };

    const left = leftSide && this.joinsLeft(prev, p);
    /* The neighbour on the right, only if it touches. */
    const nextSeg = rightSide ? (this.segs.find((s) => s.start === mid.end) ?? null) : null;
    let right = rightSide && this.joinsRight(nextSeg, p, prev, left);
    if (!left && !right) return { vma: null, state: 'NOMERGE' };

    const removeMid = leftSide && rightSide;
    if (removeMid && mid.ops === 'close') return { vma: null, state: 'NOMERGE' };
    let both = left && right;
    if (both && (nextSeg as Seg).ops === 'close') {
      both = false;
      right = false;
    }

    this.write(mid);
    if (right) this.write(nextSeg as Seg);
    if (left) this.write(prev as Seg);

    const next = nextSeg as Seg;
    let target: Seg;
    let dup: Seg | null;
    /* What the merge will do, once the preallocation succeeds. */
    let apply: () => void;
    if (both) {
      const pr = prev as Seg;
      target = pr;
      dup = this.dupAnon(pr, next.anon !== null ? next : mid);
      apply = () => {
        pr.end = next.end;
        this.remove(mid);
        this.remove(next);
        this.free(mid.id);
        this.free(next.id);
      };
    } else if (left) {
      const pr = prev as Seg;
      target = pr;
      dup = this.dupAnon(pr, mid);
      apply = () => {
        pr.end = end;
        if (removeMid) {
          this.remove(mid);
          this.free(mid.id);
        } else {
          mid.pgoff += pages(end - mid.start);
          mid.start = end;
        }
      };
    } else {
      target = next;
      dup = this.dupAnon(next, mid);
      apply = () => {
        if (removeMid) {
          next.pgoff -= pages(mid.end - mid.start);
          next.start = mid.start;
          this.remove(mid);
          this.free(mid.id);
        } else {
          next.pgoff -= pages(next.start - start);
          next.start = start;
          mid.end = start;
        }
      };
    }
    if (!this.prealloc()) {
      if (dup) this.mark(dup.anon, 1);
      return { vma: null, state: 'ERROR_NOMEM' };
    }
    apply();
    return { vma: target, state: 'SUCCESS' };
  }

  /** Split seg at addr; the new VMA is the lower part when newBelow. */
  private split(seg: Seg, addr: number, newBelow: boolean): number {
    const id = this.alloc();
    if (!this.prealloc()) {
      this.free(id);
      return -ENOMEM;
    }
    const neu: Seg = { ...seg, id, chain: 0 };
    this.mark(seg.anon, 0);
    this.write(seg);
    this.write(neu);
    if (newBelow) {
      neu.end = addr;
      seg.pgoff += pages(addr - seg.start);
      seg.start = addr;
    } else {
      neu.start = addr;
      neu.pgoff = seg.pgoff + pages(addr - seg.start);
      seg.end = addr;
    }
    this.insert(neu);
    return 0;
  }

  /* munmap machinery --------------------------------------------------------- */

  private gathered: Seg[] = [];

  /**
   * Detach the VMAs of [start, end) from `first` on, splitting the ends.
   * Returns 0 or an error (the VMAs stay; an initial split stays done).
   */
  private gather(first: Seg, start: number, end: number): { err: number; prev: Seg | null; next: Seg | null } {
    this.gathered = [];
    if (start > first.start) {
      if ((first.flags & VM_SEALED) !== 0n) return { err: -EPERM, prev: null, next: null };
      const err = this.split(first, start, true);
      if (err) return { err, prev: null, next: null };
    }
    const prev = this.before(start);
    for (;;) {
      const x = this.segs.find((s) => s.start >= start && s.start < end && !this.gathered.includes(s));
      if (!x) break;
      if ((x.flags & VM_SEALED) !== 0n) {
        this.gathered = [];
        return { err: -EPERM, prev: null, next: null };
      }
      if (x.end > end) {
        const err = this.split(x, end, false);
        if (err) {
          this.gathered = [];
          return { err, prev: null, next: null };
        }
      }
      this.write(x);
      this.gathered.push(x);
    }
    return { err: 0, prev, next: this.after(end) };
  }

  /** Remove and free the gathered VMAs, updating the counters. */
  private completeMunmap(): void {
    let nr = 0;
    let locked = 0;
    let exec = 0;
    let stack = 0;
    let data = 0;
    for (const x of this.gathered) {
      const n = pages(x.end - x.start);
      nr += n;
      if (x.flags & VM_LOCKED) locked += n;
      if (isExec(x.flags)) exec += n;
      else if (isStack(x.flags)) stack += n;
      else if (isData(x.flags)) data += n;
    }
    const c = this.counters;
    c.locked -= locked;
    if (nr) {
      c.total -= nr;
      if (ugt(exec, c.exec)) this.warnings++;
      if (ugt(stack, c.stack)) this.warnings++;
      if (ugt(data, c.data)) this.warnings++;
      c.exec -= exec;
      c.stack -= stack;
      c.data -= data;
      for (const x of this.gathered) {
        this.remove(x);
        this.free(x.id);
      }
    }
    this.gathered = [];
  }

  private statAccount(flags: bigint, npages: number): void {
    const c = this.counters;
    c.total += npages;
    if (isExec(flags)) c.exec += npages;
    else if (isStack(flags)) c.stack += npages;
    else if (isData(flags)) c.data += npages;
  }

  /* Operations ----------------------------------------------------------------- */

  private prevFor(vma: Seg, start: number): Seg | null {
    return start > vma.start ? vma : this.before(vma.start);
  }

  /**
   * Run one step on the model and return the expectations it predicts.
   * The caller must have checked the step with validate().
   */
  apply(step: TraceStep): TraceExpect {
    this.written = new Set();
    this.freed = [];
    this.anonMarks = new Map();
    this.warnings = 0;
    const e: TraceExpect = {};
    const need = (id: number): Seg => {
      const s = this.byId(id);
      if (!s) throw new Error(`model: VMA ${id} is not in the tree`);
      return s;
    };

    switch (step.op) {
      case 'alloc_and_link': {
        const id = this.alloc();
        if (!this.prealloc()) {
          this.free(id);
          e.vma = null;
          break;
        }
        this.insert({
          id,
          start: step.start,
          end: step.end,
          pgoff: step.pgoff,
          flags: step.flags,
          anon: null,
          file: null,
          ops: 'dummy',
          chain: 0,
        });
        e.vma = id;
        break;
      }
      case 'set_anon': {
        const s = need(step.vma);
        s.anon = step.anon;
        s.chain = step.chain;
        break;
      }
      case 'set_ops':
        need(step.vma).ops = step.ops;
        break;
      case 'set_file':
        need(step.vma).file = step.file;
        break;
      case 'fail_prealloc':
        this.failPrealloc = step.value;
        break;
      case 'merge_new': {
        const p: Proposal = {
          start: step.start,
          end: step.end,
          pgoff: step.pgoff,
          flags: step.flags,
          file: step.file ?? null,
          anon: step.anon ?? null,
        };
        const r = this.mergeNew(p, this.before(step.start), this.after(step.start));
        e.vma = r.vma ? r.vma.id : null;
        e.state = r.state;
        break;
      }
      case 'merge_existing': {
        const s = need(step.vma);
        const r = this.mergeExisting(s, this.prevFor(s, step.start), step.start, step.end, step.flags);
        e.vma = r.vma ? r.vma.id : null;
        e.state = r.state;
        break;
      }
      case 'modify_flags': {
        const s = need(step.vma);
        const r = this.mergeExisting(s, this.prevFor(s, step.start), step.start, step.end, step.flags);
        let res: Seg | null = r.vma;
        let err = 0;
        if (!res && r.state === 'ERROR_NOMEM') err = -ENOMEM;
        if (!res && !err) {
          if (s.start < step.start) err = this.split(s, step.start, true);
          if (!err && s.end > step.end) err = this.split(s, step.end, false);
          if (!err) res = s;
        }
        if (err) {
          e.vma = null;
          e.err = err;
        } else {
          const v = res as Seg;
          this.write(v);
          v.flags = step.flags;
          e.vma = v.id;
        }
        break;
      }
      case 'expand': {
        const s = need(step.vma);
        const next = step.next === null ? null : need(step.next);
        const err = this.expand(s, next, step.start, step.end, step.pgoff);
        e.err = err;
        e.state = err ? 'ERROR_NOMEM' : 'START';
        break;
      }
      case 'shrink': {
        const s = need(step.vma);
        if (!this.prealloc()) {
          e.err = -ENOMEM;
          break;
        }
        this.write(s);
        s.start = step.start;
        s.end = step.end;
        s.pgoff = step.pgoff;
        e.err = 0;
        break;
      }
      case 'split':
        e.err = this.split(need(step.vma), step.addr, step.new_below);
        break;
      case 'munmap':
        e.err = this.munmap(step.start, step.len);
        break;
      case 'mmap': {
        const r = this.mmap(step.addr, step.len, step.flags, step.pgoff, step.file ?? null);
        if (r < 0) e.err = r;
        else e.addr = r;
        break;
      }
      case 'merge_extend': {
        const s = need(step.vma);
        const p: Proposal = {
          start: s.end,
          end: s.end + step.delta,
          pgoff: s.pgoff + pages(s.end - s.start),
          flags: s.flags,
          file: s.file,
          anon: s.anon,
        };
        const r = this.mergeNew(p, s, this.after(s.end));
        e.vma = r.vma ? r.vma.id : null;
        break;
      }
      case 'copy_vma': {
        const src = need(step.vma);
        let pgoff = step.pgoff;
        const unfaulted = src.ops === 'none' && src.anon === null;
        if (unfaulted) pgoff = pages(step.addr);
        const p: Proposal = {
          start: step.addr,
          end: step.addr + step.len,
          pgoff,
          flags: src.flags,
          file: src.file,
          anon: src.anon,
        };
        const r = this.mergeNew(p, this.before(step.addr), this.after(step.addr));
        if (r.vma) {
          let vmap = src;
          /* The source may have been merged into the copy: only if it was never faulted. */
          if (src.start >= r.vma.start && src.start < r.vma.end) {
            if (!unfaulted) throw new ModelRefusal('a faulted source would merge with its copy (VM_BUG_ON)');
            vmap = r.vma;
          }
          e.vma = r.vma.id;
          e.vmap = vmap.id;
          e.need_rmap_locks = r.vma.pgoff <= vmap.pgoff;
          break;
        }
        const id = this.alloc();
        const neu: Seg = { ...src, id, start: step.addr, end: step.addr + step.len, pgoff, chain: 0 };
        this.mark(src.anon, 0);
        if (!this.prealloc()) {
          this.mark(neu.anon, 1);
          this.free(id);
          e.vma = null;
          e.vmap = src.id;
          e.need_rmap_locks = false;
          break;
        }
        this.write(neu);
        this.insert(neu);
        e.vma = id;
        e.vmap = src.id;
        e.need_rmap_locks = false;
        break;
      }
    }
    this.resort();
    return this.observe(step, e);
  }

  private munmap(start: number, len: number): number {
    if (start % PAGE_SIZE || start > TASK_SIZE || len > TASK_SIZE - start) return -EINVAL;
    const end = start + Math.ceil(len / PAGE_SIZE) * PAGE_SIZE;
    if (end === start) return -EINVAL;
    const first = this.firstIn(start, end);
    if (!first) return 0;
    const g = this.gather(first, start, end);
    if (g.err) return g.err;
    this.completeMunmap();
    return 0;
  }

  private mmap(addr: number, len: number, vmFlags: bigint, pgoff: number, file: FileId | null): number {
    const end = addr + len;
    let flags = vmFlags;
    const first = this.firstIn(addr, end);
    let prev: Seg | null;
    let next: Seg | null;
    if (first) {
      const g = this.gather(first, addr, end);
      if (g.err) return g.err;
      prev = g.prev;
      next = g.next;
    } else {
      next = this.after(addr);
      prev = this.before(addr);
    }
    /* Private writable mappings are charged to the commit limit. */
    if ((flags & (VM_NORESERVE | VM_SHARED | VM_WRITE)) === VM_WRITE) flags |= VM_ACCOUNT;

    let vma: Seg | null = null;
    if (prev || next) {
      vma = this.mergeNew({ start: addr, end, pgoff, flags, file, anon: null }, prev, next).vma;
    }
    if (!vma) {
      const id = this.alloc();
      if (!this.prealloc()) {
        this.free(id);
        /* The old mappings are gone already: leave a hole. */
        if (this.gathered.length) this.completeMunmap();
        return -ENOMEM;
      }
      const ops: VmOpsKind = file !== null || (flags & VM_SHARED) !== 0n ? 'dummy' : 'none';
      vma = { id, start: addr, end, pgoff, flags, anon: null, file, ops, chain: 0 };
      this.write(vma);
      this.insert(vma);
    }
    this.completeMunmap();
    const npages = pages(len);
    this.statAccount(vma.flags, npages);
    if (vma.flags & VM_LOCKED) {
      if ((vma.flags & SPECIAL) !== 0n) {
        this.write(vma);
        vma.flags &= ~LOCKED_MASK;
      } else {
        this.counters.locked += npages;
      }
    }
    /* Setting the (zero) soft-dirty flag starts a write too. */
    this.write(vma);
    return addr;
  }

  /** The full expectation of the step just modelled. */
  private observe(step: TraceStep, e: TraceExpect): TraceExpect {
    const out: TraceExpect = {};
    if (e.vma !== undefined) out.vma = e.vma;
    if (e.err !== undefined) out.err = e.err;
    if (e.addr !== undefined) out.addr = e.addr;
    if (e.state !== undefined) out.state = e.state;
    if (step.op === 'copy_vma') {
      out.vmap = e.vmap;
      out.need_rmap_locks = e.need_rmap_locks;
    }
    out.map_count = this.segs.length;
    out.vmas = this.segs.map(
      (s): VmaRow => [
        s.id,
        toHex(s.start),
        toHex(s.end),
        toHex(s.pgoff),
        toHex(s.flags),
        s.anon,
        s.file,
        s.ops,
        1,
        this.written.has(s.id),
      ],
    );
    if (this.freed.length) out.freed = this.freed;
    if (this.anonMarks.size) {
      const anon: Record<string, AnonFlags> = {};
      for (const id of [...this.anonMarks.keys()].sort((a, b) => a - b)) anon[String(id)] = this.anonMarks.get(id) as AnonFlags;
      out.anon = anon;
    }
    if (this.warnings) out.warnings = this.warnings;
    return out;
  }

  /* Preconditions (what the fuzzer may generate) -------------------------------- */

  /**
   * Is the step a valid call of its kernel caller in this state, and one
   * that fires no warning?  Returns the reason it is not, or null.
   */
  validate(step: TraceStep): Invalid {
    const aligned = (v: number): boolean => v % PAGE_SIZE === 0;
    const range = (s: number, e: number): Invalid => (!aligned(s) || !aligned(e) || s >= e ? 'bad range' : null);
    const live = (id: number): Seg | null => this.byId(id) ?? null;
    switch (step.op) {
      case 'alloc_and_link':
        return range(step.start, step.end) ?? (this.isFree(step.start, step.end) ? null : 'range in use');
      case 'set_anon':
      case 'set_ops':
      case 'set_file':
        return live(step.vma) ? null : 'no such VMA';
      case 'fail_prealloc':
        return null;
      case 'merge_new': {
        const bad = range(step.start, step.end) ?? (this.isFree(step.start, step.end) ? null : 'range in use');
        if (bad) return bad;
        /* Without a VMA below, the harness helper leaves the iterator past the range. */
        const next = this.after(step.start);
        if (!this.before(step.start) && next && next.start > step.end) return 'iterator would pass the range';
        return null;
      }
      case 'merge_existing':
      case 'modify_flags': {
        const s = live(step.vma);
        if (!s) return 'no such VMA';
        return range(step.start, step.end) ?? (step.start >= s.start && step.end <= s.end ? null : 'not inside');
      }
      case 'expand': {
        const s = live(step.vma);
        if (!s) return 'no such VMA';
        if (range(step.start, step.end) || step.start > s.start || step.end < s.end) return 'does not cover';
        if (step.next !== null) {
          const n = live(step.next);
          if (!n || n === s || n.start < s.end) return 'bad next';
          /* Either exactly through next (absorbing it) or up to it at most. */
          if (step.end === n.end) {
            if (n.ops === 'close') return 'next has a close hook';
          } else if (step.end > n.start) {
            return 'overwrites part of next';
          }
          const others = this.segs.filter((x) => x !== s && x !== n && x.end > step.start && x.start < step.end);
          return others.length ? 'overlaps' : null;
        }
        const others = this.segs.filter((x) => x !== s && x.end > step.start && x.start < step.end);
        return others.length ? 'overlaps' : null;
      }
      case 'shrink': {
        const s = live(step.vma);
        if (!s) return 'no such VMA';
        if (range(step.start, step.end) || step.start < s.start || step.end > s.end) return 'not inside';
        return step.start === s.start || step.end === s.end ? null : 'keeps no end';
      }
      case 'split': {
        const s = live(step.vma);
        if (!s) return 'no such VMA';
        return aligned(step.addr) && step.addr > s.start && step.addr < s.end ? null : 'not inside';
      }
      case 'munmap':
      case 'mmap':
        return this.unmapWarns(step) ? 'would unmap uncharged pages' : null;
      case 'merge_extend': {
        const s = live(step.vma);
        if (!s) return 'no such VMA';
        if (!aligned(step.delta) || step.delta === 0) return 'bad delta';
        return this.isFree(s.end, s.end + step.delta) ? null : 'range in use';
      }
      case 'copy_vma': {
        const s = live(step.vma);
        if (!s) return 'no such VMA';
        if (range(step.addr, step.addr + step.len)) return 'bad range';
        if (!this.isFree(step.addr, step.addr + step.len)) return 'range in use';
        /* The harness's unlink_anon_vmas() would dereference NULL. */
        if (this.failPrealloc && s.anon === null) return 'copy without anon_vma under fail_prealloc';
        /* Merging a faulted source into its own copy is a kernel BUG. */
        try {
          this.clone().apply(step);
        } catch (err) {
          if (err instanceof ModelRefusal) return err.message;
          throw err;
        }
        return null;
      }
      default:
        return `${step.op} is not modelled yet`;
    }
  }

  /* Would unmapping for this munmap/mmap trip the counter warnings? */
  private unmapWarns(step: TraceStep): boolean {
    if (step.op === 'mmap') {
      if (!step.len || step.addr % PAGE_SIZE || step.len % PAGE_SIZE) return true;
    }
    const trial = this.clone();
    trial.failNth = 0;
    const e = trial.apply(step);
    return (e.warnings ?? 0) > 0;
  }
}
